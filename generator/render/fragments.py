"""Render stage: results of the slow, pure render functions, kept between builds.

Highlighting a code block (Pygments) and typesetting a formula (latex2mathml) depend
only on their input and on the library that made them. An edit to one paragraph
re-renders its whole post, and without this each ``lessonpress build`` would import
Pygments and compile its Python lexer (~50 ms) and latex2mathml (~40 ms) again for
blocks it drew last time. Entries live in the render cache beside the bodies.

The process that made the :class:`Fragments` writes to the cache; forked workers only
read it, and what they make goes back to the parent with the body
(:meth:`Fragments.drain`, :meth:`Fragments.put_all`): one writer.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from generator.diskcache import FILE, DiskCache

# Connections a forked worker inherited: never used, never closed (SQLite must not
# close a connection in a process that did not open it), only kept from the collector.
_INHERITED: list[DiskCache] = []


class Fragments:
    """A read-through store of fragments by key; ``folder`` None stores nothing."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self.fresh: dict[str, bytes] = {}
        self._cache: DiskCache | None = None
        self._pid = 0
        self._writer = os.getpid()
        self._absent: tuple[int, Path] | None = None  # (pid, folder) that found no store

    def get(self, key: str) -> str | None:
        if self.folder is None or self._absent == (os.getpid(), self.folder):
            return None
        if self._cache is None and not (self.folder / FILE).exists():
            # A first build: every lookup would miss (the store is made by writing to it).
            self._absent = (os.getpid(), self.folder)
            return None
        body = self._open().get(key)
        return None if body is None else body.decode("utf-8", "surrogatepass")

    def keep(self, key: str, value: str) -> None:
        """Remember ``value``: written here, or kept for :meth:`drain` in a worker."""
        if self.folder is None:
            return
        data = value.encode("utf-8", "surrogatepass")
        if os.getpid() == self._writer:
            self._open().put(key, data)
            self._absent = None
        else:
            self.fresh[key] = data

    def put_all(self, fresh: dict[str, bytes]) -> None:
        """Write what a worker drained (in the writing process)."""
        if self.folder is not None and fresh:
            cache = self._open()
            self._absent = None
            for key, data in fresh.items():
                cache.put(key, data)

    def drain(self) -> dict[str, bytes]:
        """What was made since the last drain, for the writing process to put."""
        fresh, self.fresh = self.fresh, {}
        return fresh

    def _open(self) -> DiskCache:
        assert self.folder is not None
        cache = self._cache
        if cache is not None and self._pid != os.getpid():
            _INHERITED.append(cache)
            cache = None
        elif cache is not None and cache.folder != self.folder:
            cache.close()
            cache = None
        if cache is None:
            cache = self._cache = DiskCache(self.folder)
            self._pid = os.getpid()
        return cache

    def close(self) -> None:
        if self._cache is not None and self._pid == os.getpid():
            self._cache.close()
        self._cache = None


def fragment_key(kind: str, version: str, *parts: str) -> str:
    """The cache key of a fragment: its kind, the maker's version and its inputs."""
    material = "\0".join((kind, version, *parts)).encode("utf-8", "surrogatepass")
    return f"{kind}:{hashlib.sha256(material).hexdigest()}"
