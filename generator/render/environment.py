"""Render stage: the Jinja environment's parts that are not pages: its bytecode cache,
the digest of the theme's templates, and the date filters templates use."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path

import jinja2


def bytecode_cache(folder: Path | None) -> jinja2.BytecodeCache | None:
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    return jinja2.FileSystemBytecodeCache(str(folder))


def templates_digest(folders: Sequence[Path]) -> str:
    """A hash of every template file: editing any of them re-renders every page."""
    found = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                found.update(f"{path}\n".encode())
                found.update(path.read_bytes())
    return found.hexdigest()


def isodate(value: dt.datetime | None) -> str:
    return value.date().isoformat() if value else ""


def longdate(value: dt.datetime | None) -> str:
    return f"{value:%-d %B %Y}" if value else ""
