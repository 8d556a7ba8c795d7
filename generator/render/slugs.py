"""Render stage: heading ids, the same as Python-Markdown's ``toc`` extension makes them.

Both dialects must give a heading the same id (inbound links survive a change of
dialect), but importing Python-Markdown costs a CommonMark build ~35 ms for these two
small functions, so they are restated here; ``tests/render/test_slugs.py`` holds them
to Python-Markdown's own on many titles.
"""

from __future__ import annotations

import re

_NOT_WORD = re.compile(r"[^\w\s-]")
_RUNS = re.compile(r"[-\s]+")
_NUMBERED = re.compile(r"^(.*)_([0-9]+)$")


def slugify_unicode(value: str) -> str:
    """``markdown.extensions.toc.slugify_unicode(value, "-")``."""
    return _RUNS.sub("-", _NOT_WORD.sub("", value).strip().lower())


def unique(ident: str, used: set[str]) -> str:
    """``ident``, or ``ident_1``, ``ident_2``... if taken (or empty); recorded in ``used``."""
    if ident in used or not ident:
        found = _NUMBERED.match(ident)
        base, count = (found.group(1), int(found.group(2))) if found else (ident, 0)
        count += 1
        while f"{base}_{count}" in used:
            count += 1
        ident = f"{base}_{count}"
    used.add(ident)
    return ident
