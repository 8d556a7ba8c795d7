"""Compute stage, worker side: the author's call chain under a cell's error.

A cell that raises inside a function of the post, or of one of the site's modules, says
where it was raised and how it got there: each of the author's own frames at its
``post.md:line``, outermost first, as Jupyter shows a traceback, with library frames
(numpy, torch...) folded into one line each run and lessonpress's own left out.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent
_COMPREHENSIONS = {"<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"}


def call_chain(
    frames: traceback.StackSummary,
    post: str,
    rel: str,
    site_root: str,
    code_at: Callable[[int], str],
) -> str:
    """The author's own frames (the post's, the site's modules'), outermost first, as
    Jupyter lists a traceback; library frames folded into one line each run. Nothing
    when the error was raised where it was called. ``code_at(line)`` is the post's code
    at a line (a notebook's file holds JSON there, not the code)."""
    authored = [_authored(f.filename, post, site_root) for f in frames]
    if sum(authored) < 2:
        return ""
    lines: list[str] = []
    folded: list[str] = []
    for frame, mine in zip(frames, authored, strict=True):
        if frame.name in _COMPREHENSIONS:  # its line is its function's, just listed
            continue
        if not mine:
            if not _lessonpress(frame.filename):
                folded.append(_library(frame.filename))
            continue
        if folded:
            names = ", ".join(dict.fromkeys(folded))
            lines.append(f"      ... {len(folded)} frame{'s' * (len(folded) > 1)} in {names}")
            folded = []
        where = rel if frame.filename == post else _short_path(frame.filename, site_root)
        name = "the cell" if frame.name == "<module>" else f"{frame.name}()"
        text = code_at(frame.lineno or 0) if frame.filename == post else (frame.line or "")
        code = f": {text.strip()}" if text.strip() else ""
        lines.append(f"      {where}:{frame.lineno}, in {name}{code}")
    if folded:
        names = ", ".join(dict.fromkeys(folded))
        lines.append(f"      ... {len(folded)} frame{'s' * (len(folded) > 1)} in {names}")
    return "\n  the call chain, outermost first:\n" + "\n".join(lines)


def raised_in(frame: traceback.FrameSummary, site_root: str) -> str:
    """Where an error was raised, for the author: a site module's path and line, or the
    library's name (``numpy``), not a path into site-packages."""
    if _authored(frame.filename, "", site_root):
        return f"{_short_path(frame.filename, site_root)}:{frame.lineno}"
    return _library(frame.filename)


def _authored(filename: str, post: str, site_root: str) -> bool:
    """A frame of the author's own code: the post, or a module of the site (not an
    installed library, not lessonpress)."""
    if filename == post:
        return True
    if _lessonpress(filename) or "site-packages" in filename or "dist-packages" in filename:
        return False
    return filename.startswith(site_root.rstrip("/") + "/")


def _library(filename: str) -> str:
    """The package a library frame belongs to: ``numpy``, ``torch``..."""
    parts = Path(filename).parts
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            rest = parts[parts.index(marker) + 1 :]
            return rest[0].removesuffix(".py") if rest else marker
    return Path(filename).stem if filename.startswith("/") else filename


def _lessonpress(filename: str) -> bool:
    return _PACKAGE in Path(filename).parents


def _short_path(path: str, site_root: str) -> str:
    try:
        return Path(path).relative_to(site_root).as_posix()
    except ValueError:
        return path
