"""Write stage: the only code that touches the output folder.

A build is written into a private sibling folder and swapped into place in one
step (``renameat2(RENAME_EXCHANGE)`` on Linux), so a failed or killed build never
leaves a half-written site: readers see the old site or the new one. The swap
leaves the previous site in that private folder (``.lessonpress-prev-<name>``),
and the next build updates it file by file — writing only files whose bytes
changed, deleting files no longer produced — which is far cheaper than writing
and deleting a whole site. A folder left half-updated by a killed build is
repaired by the same byte comparison.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import os
import shutil
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from generator.errors import BuildError, Diagnostic
from generator.memo import StatSig, WrittenFiles, digest, stat_sig
from generator.model import OutputFile
from generator.paths import STATE_DIR

OLD_PREFIX = ".lessonpress-old-"
STAGE_PREFIX = ".lessonpress-prev-"
RENAME_EXCHANGE = 2
# A build writing at least this many files writes them from this many threads.
WRITE_THREADS_MIN, WRITE_THREADS = 64, 4
# Folders of a site the build reads (or keeps state in); replacing one would lose them.
AUTHOR_FOLDERS = (
    "content", "templates", "static", STATE_DIR, "_posts", "_drafts", "_layouts", "_includes",
)  # fmt: skip


class Writer(Protocol):
    def write(self, files: Iterable[OutputFile]) -> None: ...


@dataclass
class MemoryWriter:
    """For tests: keeps the site in a dict."""

    files: dict[str, bytes]

    def write(self, files: Iterable[OutputFile]) -> None:
        self.files = {f.path: f.data for f in files}


def check_out_dir(out: Path, source: Path) -> None:
    """Refuse output folders whose replacement would destroy the author's files."""
    out_r, src_r = out.resolve(), source.resolve()
    home = Path.home().resolve()
    reason = None
    if out_r in (Path("/"), home):
        reason = f"refusing to write the site into {out_r}"
    elif out_r == src_r or out_r in src_r.parents:
        reason = f"--out {out} is the source folder or contains it; choose a folder such as site/"
    else:
        for name in AUTHOR_FOLDERS:
            folder = src_r / name
            if out_r == folder or folder in out_r.parents:
                reason = f"--out {out} is inside {name}/, which holds the site's own files"
                break
    if reason:
        raise BuildError([Diagnostic(str(out), 0, reason, code="output")])


@dataclass
class FolderWriter:
    """Writes a whole site atomically into ``out``.

    ``state`` is the site's state folder (``.lessonpress/``): the previous site is kept
    there when it is on the same file system as ``out``, else beside ``out``.
    """

    out: Path
    state: Path | None = None
    # A long-running caller's record of what each folder holds (see generator.memo).
    written: WrittenFiles | None = None

    def write(self, files: Iterable[OutputFile]) -> None:
        parent = self.out.parent
        parent.mkdir(parents=True, exist_ok=True)
        # Builds of different sites into one folder take turns (the build lock is per site);
        # otherwise both would update the same stage and the site would mix the two.
        with _folder_lock(parent):
            self._write(files)

    def _write(self, files: Iterable[OutputFile]) -> None:
        clean_leftovers(self.out)
        stage = stage_dir(self.out, self.state)
        try:
            if stage.is_symlink() or (stage.exists() and not stage.is_dir()):
                stage.unlink()
            stage.mkdir(exist_ok=True)
            written = self.written.folders if self.written is not None else {}
            known, shown = written.pop(str(stage), {}), written.pop(str(self.out), {})
            sync_folder(stage, files, known if self.written is not None else None)
            os.chmod(stage, 0o755)
            _swap_into_place(stage, self.out)
            # The folders traded places; the files in them (inodes, mtimes) did not change.
            written[str(self.out)], written[str(stage)] = known, shown
            for gone in [f for f in written if not os.path.isdir(f)]:
                del written[gone]  # output folders deleted since: nothing to reuse there
        except OSError as exc:
            # The stage is private and repaired by the next build; the site is untouched.
            raise BuildError(
                [
                    Diagnostic(
                        str(self.out),
                        0,
                        f"could not write the site: {exc.strerror or exc}",
                        code="output",
                    )
                ]
            ) from None


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def stage_dir(out: Path, state: Path | None = None) -> Path:
    """Where the previous site is kept: in the state folder if a rename can reach ``out``."""
    if state is not None:
        try:
            state.mkdir(parents=True, exist_ok=True)
            if state.stat().st_dev == out.parent.stat().st_dev:
                name = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
                folder = state / "previous"
                folder.mkdir(exist_ok=True)
                return folder / name
        except OSError:
            pass
    return out.parent / f"{STAGE_PREFIX}{out.name}"


def sync_folder(
    folder: Path,
    files: Iterable[OutputFile],
    known: dict[str, tuple[StatSig, bytes]] | None = None,
) -> None:
    """Make ``folder`` hold exactly ``files``, writing only what differs.

    ``known`` (updated in place) is what an earlier sync wrote: the stat each file had
    after writing and the digest of its bytes. A file whose stat is unchanged and whose
    digest is the one wanted is not read again, and a
    :class:`~generator.memo.KeptFile` it holds is
    not read at all.
    """
    wanted = {item.path: item for item in files}
    record = known if known is not None else {}
    present: set[str] = set()
    top = str(folder)
    kept: set[str] = set()  # folders that still hold something
    for dirpath, dirnames, filenames in os.walk(top, topdown=False):
        prefix = "" if dirpath == top else os.path.relpath(dirpath, top).replace(os.sep, "/") + "/"
        for name in filenames:
            path = os.path.join(dirpath, name)
            if prefix + name in wanted and not os.path.islink(path):
                present.add(prefix + name)
                kept.add(dirpath)
            else:
                os.unlink(path)
        for name in dirnames:
            sub = os.path.join(dirpath, name)
            if os.path.islink(sub):
                os.unlink(sub)
            elif sub in kept:
                kept.add(dirpath)
            else:
                os.rmdir(sub)  # everything in it was removed above (the walk is bottom-up)
    for gone in [rel for rel in record if rel not in present]:
        del record[gone]
    todo: list[tuple[str, OutputFile]] = []
    for rel, item in wanted.items():
        target = os.path.join(top, rel)
        if rel in present:
            seen = record.get(rel)
            if seen is not None and seen[0] == stat_sig(target):
                if seen[1] == _digest_of(item):
                    continue  # holds what is wanted (its stat says nobody touched it)
            elif _same_bytes(target, item.data):
                if known is not None:
                    record[rel] = (stat_sig(target) or (0, 0, 0, 0), _digest_of(item))
                continue
            # A new file, not the old one truncated: ext4 flushes a truncated-and-rewritten
            # file to disk on close (auto_da_alloc). The folder is private until the swap.
            os.unlink(target)
        todo.append((rel, item))
    folders: dict[str, list[tuple[str, OutputFile]]] = {}
    for rel, item in todo:
        folders.setdefault(os.path.dirname(os.path.join(top, rel)), []).append((rel, item))

    def put(folder: str) -> list[StatSig | None]:
        os.makedirs(folder, exist_ok=True)
        stats = []
        for rel, item in folders[folder]:
            target = os.path.join(top, rel)
            with open(target, "wb") as handle:
                handle.write(item.data)
            stats.append(stat_sig(target))
        return stats

    if len(todo) < WRITE_THREADS_MIN:
        done = [put(folder) for folder in folders]
    else:  # making a file mostly waits for the disk: let a few wait at once
        with ThreadPoolExecutor(WRITE_THREADS) as pool:
            done = list(pool.map(put, folders))
    if known is not None:
        for jobs, stats in zip(folders.values(), done, strict=True):
            for (rel, item), sig in zip(jobs, stats, strict=True):
                record[rel] = (sig or (0, 0, 0, 0), _digest_of(item))


def _digest_of(item: OutputFile) -> bytes:
    return item.digest or digest(item.data)


def _same_bytes(path: str, data: bytes) -> bool:
    try:
        if os.stat(path).st_size != len(data):
            return False
        with open(path, "rb") as handle:
            return handle.read() == data
    except OSError:
        return False


def _swap_into_place(stage: Path, out: Path) -> None:
    """Put ``stage`` at ``out``; the previous site (if any) ends up at ``stage``."""
    if not out.exists():
        os.rename(stage, out)
        return
    if _exchange(stage, out):
        return
    old = out.parent / f"{OLD_PREFIX}{out.name}-{os.getpid()}"
    os.rename(out, old)
    os.rename(stage, out)
    os.rename(old, stage)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), RENAME_EXCHANGE)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err))


def clean_leftovers(out: Path) -> None:
    """Finish a swap a killed build interrupted: the site comes back, or the old copy goes."""
    parent = out.parent
    if not parent.is_dir():
        return
    for entry in sorted(parent.iterdir()):
        name = entry.name
        if name.startswith(OLD_PREFIX + out.name + "-"):
            if not out.exists():
                os.rename(entry, out)
            else:
                shutil.rmtree(entry, ignore_errors=True)


@contextmanager
def build_lock(state_dir: Path) -> Iterator[None]:
    """One build of a site at a time; a second one is refused with a clear message."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "build.lock"
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid = handle.read().strip() or "?"
            raise BuildError(
                [
                    Diagnostic(
                        str(path),
                        0,
                        f"another lessonpress build of this site is running (pid {pid})",
                        code="output",
                    )
                ]
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
