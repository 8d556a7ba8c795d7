"""File signatures and digests, and the record of which files each output folder holds.

The base of the build memo (:mod:`generator.build.memo`), whose parts each stage keeps
(:mod:`generator.content.memo`, :mod:`generator.render.memo`, and :class:`WrittenFiles`
here, kept by the writer and asked by render). Base module.

A long-running caller passes one memo to every ``build()``. Each stage keeps what
it made, keyed by the exact inputs it was made from: parsed posts by their file's
stat and the site-wide settings, bodies and pages by the identity of the objects
they were rendered from (a reused post is the very same object), written files by
their stat and a digest of their bytes. A rebuild after editing one post then
parses, renders and writes that post and the pages that show it, and reuses
everything else. Nothing here changes what a build writes: a memo only skips work
whose result is already known; the disk caches still serve a fresh process.

Pages are remembered by digest, not by their bytes: the bytes are in the folder
an earlier build wrote them to, and a :class:`KeptFile` reads them from there
only if the writer needs them (it rarely does: the previous site usually holds
them already). That keeps the saved memo small, so loading and saving it stay
a small part of an edit's rebuild.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from generator.model import OutputFile

StatSig = tuple[int, int, int, int]


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


Records = dict[str, tuple[StatSig, bytes]]  # file -> (stat after writing, digest of its bytes)


@dataclass
class WrittenFiles:
    """What each output folder this process wrote holds: kept by the writer, asked by render."""

    folders: dict[str, Records] = field(default_factory=dict)  # folder -> its files

    def kept(self, path: str, file_digest: bytes, make: Callable[[], bytes]) -> KeptFile | None:
        """``path`` with the bytes of ``file_digest``, if a folder this memo wrote
        still holds them there untouched (same stat as after writing); else None.
        ``make()`` makes those bytes, should that folder change before they are read."""
        for folder, records in self.folders.items():
            record = records.get(path)
            if record is not None and record[1] == file_digest:
                source = os.path.join(folder, path)
                if stat_sig(source) == record[0]:
                    return KeptFile(path, file_digest, source, make)
        return None
