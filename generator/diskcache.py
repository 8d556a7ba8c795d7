"""Render-stage helper: a cache of checksummed entries in one SQLite file.

One file, not one file per entry: creating a thousand small files costs a clean
build more than rendering some of them (each create waits for the file system's
journal). Each entry is ``MAGIC + sha256(body) + body``, so a damaged entry reads
as a miss; a damaged database is set aside and started afresh. Writes are
batched into transactions, so a killed build leaves whole entries or none.
Knows nothing of what it stores.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

MAGIC = b"lessonpress-cache-1\n"
FILE = "entries.sqlite3"
BATCH = 64  # entries per transaction: a killed build keeps what it had rendered
LOCK_WAIT = 5.0  # seconds to wait for a lock (builds of a site take turns already)


class DiskCache:
    """Entries by key in ``folder/entries.sqlite3``; ``close()`` writes what is pending."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._pending: list[tuple[str, bytes]] = []
        self._db: sqlite3.Connection | None = None
        self._opened = False
        self._broken = False  # damaged after opening: removed on close, made anew next time

    def _connect(self) -> sqlite3.Connection | None:
        import sqlite3  # loaded by builds that render or look up a body, not by no-ops

        if not self._opened:
            self._opened = True
            for attempt in range(2):
                try:
                    self._db = _open(self.folder / FILE)
                    break
                except (sqlite3.OperationalError, OSError):
                    break  # locked, unreadable, no room: this build goes without a cache
                except sqlite3.Error:
                    if attempt == 0:  # damaged or not a database: start afresh
                        self._remove()
        return self._db

    def _remove(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):  # one we cannot remove, we do not use
                (self.folder / (FILE + suffix)).unlink(missing_ok=True)

    def get(self, key: str) -> bytes | None:
        import sqlite3

        db = self._connect()
        if db is None:
            return None
        try:
            row = db.execute("SELECT body FROM entry WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            self._broken = self._broken or _damaged(exc)
            return None
        if row is None or not isinstance(row[0], bytes):
            return None
        data: bytes = row[0]
        if not data.startswith(MAGIC):
            return None
        digest, body = data[len(MAGIC) : len(MAGIC) + 32], data[len(MAGIC) + 32 :]
        return body if hashlib.sha256(body).digest() == digest else None

    def put(self, key: str, body: bytes) -> None:
        self._pending.append((key, MAGIC + hashlib.sha256(body).digest() + body))
        if len(self._pending) >= BATCH:
            self._flush()

    def close(self) -> None:
        self._flush()
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._broken:
            self._remove()

    def _flush(self) -> None:
        import sqlite3

        pending, self._pending = self._pending, []
        if not pending:
            return
        db = self._connect()
        if db is None:
            return
        try:
            with db:  # one transaction
                db.executemany("INSERT OR REPLACE INTO entry VALUES (?, ?)", pending)
        except sqlite3.Error as exc:  # a cache that cannot be written only makes builds slower
            self._broken = self._broken or _damaged(exc)


def _damaged(exc: Exception) -> bool:
    """A damaged database (remove it), not a passing problem such as a lock or a full disk."""
    import sqlite3

    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)


def _open(path: Path) -> sqlite3.Connection:
    import sqlite3

    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=LOCK_WAIT)
    try:
        db.execute("PRAGMA journal_mode = WAL")  # no fsync per transaction...
        db.execute("PRAGMA synchronous = NORMAL")  # ...a crash can lose the last ones only
        db.execute("CREATE TABLE IF NOT EXISTS entry (key TEXT PRIMARY KEY, body BLOB NOT NULL)")
        db.execute("SELECT count(*) FROM entry WHERE key = ''").fetchone()
    except BaseException:
        db.close()
        raise
    return db
