"""Render-stage helper: checksummed cache files, written atomically.

A cache entry is ``MAGIC + sha256(body) + body``, written to a temp file and
renamed into place, so a killed build leaves either no entry or a whole one,
and a damaged entry reads as a miss. Knows nothing of what it stores.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

MAGIC = b"lessonpress-cache-1\n"


def entry_path(folder: Path, key: str) -> Path:
    return folder / key[:2] / key


def read_entry(folder: Path, key: str) -> bytes | None:
    try:
        data = entry_path(folder, key).read_bytes()
    except OSError:
        return None
    if not data.startswith(MAGIC):
        return None
    digest, body = data[len(MAGIC) : len(MAGIC) + 32], data[len(MAGIC) + 32 :]
    return body if hashlib.sha256(body).digest() == digest else None


def write_entry(folder: Path, key: str, body: bytes) -> None:
    target = entry_path(folder, key)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(MAGIC + hashlib.sha256(body).digest() + body)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
