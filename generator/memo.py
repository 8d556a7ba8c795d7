"""What one build remembers for the next in the same process (``lessonpress serve``).

A long-running caller passes one :class:`Memo` to every ``build()``. Each
stage keeps what it made, keyed by the exact inputs it was made from: parsed
posts by their file's stat and the site-wide settings, bodies and pages by the
identity of the objects they were rendered from (a reused post is the very same
object), written files by their stat and a digest of their bytes. A rebuild
after editing one post then parses, renders and writes that post and the pages
that show it, and reuses everything else. Nothing here changes what a build
writes: a memo only skips work whose result is already known; the disk caches
still serve a fresh process.

Pages are remembered by digest, not by their bytes: the bytes are in the folder
an earlier build wrote them to, and a :class:`KeptFile` reads them from there
only if the writer needs them (it rarely does: the previous site usually holds
them already). That keeps the saved memo small, so loading and saving it stay
a small part of an edit's rebuild.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from generator.errors import Diagnostic
from generator.model import ComputeResult, OutputFile, Post

StatSig = tuple[int, int, int, int]
T = TypeVar("T")


def digest(data: bytes) -> bytes:
    """What the memo remembers of a file's bytes."""
    return hashlib.sha256(data).digest()


class KeptFile(OutputFile):
    """A file whose bytes an earlier build wrote to ``source``, which still holds them.

    ``data`` is read from ``source`` on first use, and checked against ``digest``. If
    ``source`` changed since it was checked (another site's build replaced a shared
    output folder, say), ``make()`` makes the bytes again.
    """

    source: str

    def __init__(
        self, path: str, file_digest: bytes, source: str, make: Callable[[], bytes]
    ) -> None:
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "digest", file_digest)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "_make", make)

    @property  # read-only, like the frozen field it stands for
    def data(self) -> bytes:
        found = self.__dict__.get("_data")
        if found is None:
            try:
                with open(self.source, "rb") as handle:
                    found = handle.read()
            except OSError:
                found = None
            if found is None or digest(found) != self.digest:
                found = self.__dict__["_make"]()
            object.__setattr__(self, "_data", found)
        return cast(bytes, found)


def stat_sig(path: str | os.PathLike[str]) -> StatSig | None:
    """Size, mtime, ctime and inode: any write, copy or touch changes one of them."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Element-wise: the very same object, or equal."""
    return len(a) == len(b) and all(x is y or x == y for x, y in zip(a, b, strict=True))


@dataclass
class Parsed:
    sig: StatSig
    source: object  # the SourceFile it was parsed as
    post: Post | None
    diagnostics: tuple[Diagnostic, ...]


@dataclass
class Memo:
    """Memos of one site's builds in one process. Not thread-safe: one build at a time."""

    markdown: Any = None  # a warm MarkdownRenderer, made on first use
    world: object = None  # what every parse depends on (config, drafts, layouts)
    parsed: dict[str, Parsed] = field(default_factory=dict)
    bodies: dict[str, tuple[tuple[Any, ...], Any]] = field(default_factory=dict)
    pages: dict[str, tuple[tuple[Any, ...], bytes]] = field(default_factory=dict)  # -> digest
    # folder -> file -> (stat after writing, digest of the bytes written)
    written: dict[str, dict[str, tuple[StatSig, bytes]]] = field(default_factory=dict)
    other: dict[str, tuple[tuple[Any, ...], Any]] = field(default_factory=dict)  # see remember

    def start(self, world: object) -> None:
        """Before a build: parses made under other site-wide settings are forgotten."""
        if world != self.world:
            self.world = world
            self.parsed.clear()

    def remember(self, name: str, inputs: tuple[Any, ...], make: Callable[[], T]) -> T:
        """``make()``, or what it returned last time for the same ``inputs``."""
        known = self.other.get(name)
        if known is not None and same(known[0], inputs):
            return cast(T, known[1])
        value = make()
        self.other[name] = (inputs, value)
        return value

    def kept(self, path: str, file_digest: bytes, make: Callable[[], bytes]) -> KeptFile | None:
        """``path`` with the bytes of ``file_digest``, if a folder this memo wrote
        still holds them there untouched (same stat as after writing); else None.
        ``make()`` makes those bytes, should that folder change before they are read."""
        for folder, records in self.written.items():
            record = records.get(path)
            if record is not None and record[1] == file_digest:
                source = os.path.join(folder, path)
                if stat_sig(source) == record[0]:
                    return KeptFile(path, file_digest, source, make)
        return None

    def body_inputs(self, post: Post, result: ComputeResult, *rest: Any) -> tuple[Any, ...]:
        return (post, result.outputs, result.datasets, *rest)


# --------------------------------------------------------------------------- on disk

FILE = "memo.pickle"


def _fingerprint() -> bytes:
    """The code that made a saved memo: another lessonpress or Python never reads it."""
    from generator import __version__
    from generator.theme import PACKAGE

    parts = [__version__, sys.version]
    for path in sorted(PACKAGE.rglob("*.py")):
        parts.append(f"{path.relative_to(PACKAGE)}:{stat_sig(path)}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest().encode() + b"\n"


def load_memo(state: Path) -> Memo:
    """The memo the last ``lessonpress build`` of this site saved, or a new one.

    A missing, damaged or foreign file only means starting afresh. (The file is the
    build's own, in ``.lessonpress/``; a site's cells run code at build time anyway.)
    """
    try:
        with open(state / FILE, "rb") as handle, _no_gc():
            if handle.readline() != _fingerprint():
                return Memo()
            found = pickle.load(handle)
    except Exception:  # any unreadable memo is just a cold start
        return Memo()
    # Its objects live as long as the build: the collector need not keep scanning them.
    gc.freeze()
    return found if isinstance(found, Memo) else Memo()


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Unpickling makes millions of objects and no garbage: collecting meanwhile is waste."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def save_memo(state: Path, memo: Memo) -> None:
    """Keep ``memo`` for the next build (atomically; the warm Markdown is not kept)."""
    warm, memo.markdown = memo.markdown, None
    tmp = state / f".{FILE}.{os.getpid()}"
    # Not a rename over the old file: ext4 would first flush the new one to disk
    # (auto_da_alloc), which costs more than the rest of an edit's rebuild. The old one is
    # removed while the new one is pickled (freeing a large file takes a while); a build
    # killed in between only leaves no memo, and the next build starts cold.
    old = threading.Thread(target=_remove, args=(state / FILE,))
    old.start()
    try:
        state.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle, _no_gc():
            handle.write(_fingerprint())
            pickle.dump(memo, handle, protocol=pickle.HIGHEST_PROTOCOL)
        old.join()
        os.rename(tmp, state / FILE)
    except OSError:
        tmp.unlink(missing_ok=True)  # a memo that cannot be saved only costs time
    finally:
        old.join()
        memo.markdown = warm


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
