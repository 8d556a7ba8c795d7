"""Write stage: the only code that touches the output folder.

A build is written into a fresh temporary sibling folder and swapped into place
in one step (``renameat2(RENAME_EXCHANGE)`` on Linux), so a failed or killed
build never leaves a half-written site: readers see the old site or the new one.
Leftovers of a killed build are cleaned up by the next one.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from generator.errors import BuildError, Diagnostic
from generator.model import OutputFile

TMP_PREFIX = ".lessonpress-tmp-"
OLD_PREFIX = ".lessonpress-old-"
RENAME_EXCHANGE = 2


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
    elif (src_r / "content") in out_r.parents or out_r == src_r / "content":
        reason = f"--out {out} is inside content/"
    if reason:
        raise BuildError([Diagnostic(str(out), 0, reason)])


@dataclass
class FolderWriter:
    """Writes a whole site atomically into ``out``."""

    out: Path

    def write(self, files: Iterable[OutputFile]) -> None:
        parent = self.out.parent
        parent.mkdir(parents=True, exist_ok=True)
        clean_leftovers(self.out)
        tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX + self.out.name + "-", dir=parent))
        try:
            _fill(tmp, files)
            os.chmod(tmp, 0o755)
            _swap_into_place(tmp, self.out)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise BuildError(
                [Diagnostic(str(self.out), 0, f"could not write the site: {exc.strerror or exc}")]
            ) from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def _fill(tmp: Path, files: Iterable[OutputFile]) -> None:
    made: set[Path] = set()
    for item in files:
        target = tmp / item.path
        folder = target.parent
        if folder not in made:
            folder.mkdir(parents=True, exist_ok=True)
            made.add(folder)
        with open(target, "wb") as handle:
            handle.write(item.data)


def _swap_into_place(tmp: Path, out: Path) -> None:
    if not out.exists():
        os.rename(tmp, out)
        return
    if _exchange(tmp, out):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old site
        return
    old = out.parent / f"{OLD_PREFIX}{out.name}-{os.getpid()}"
    os.rename(out, old)
    os.rename(tmp, out)
    shutil.rmtree(old, ignore_errors=True)


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
    """Remove temp folders of killed builds; restore the site if a swap was interrupted."""
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
        elif name.startswith(TMP_PREFIX + out.name + "-"):
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
