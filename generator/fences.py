"""The one fenced-code-block scanner: where each ```` ``` ```` / ``~~~`` block opens and closes.

CommonMark's rules, line by line: a fence is three or more backticks or tildes (a
backtick fence's info string holds no backtick), inside a blockquote too; it closes
at a line of the same character, at least as long, with nothing else on it; a fence
never closed runs to the end. Content uses it to find cells and charts, ``check`` to
skip code, the Chart.js 2 lint to skip scripts shown as code. Base module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

_OPEN = re.compile(r"^(?P<indent>[ \t]*+(?:>[ \t]*+)*+)(?P<fence>`{3,}|~{3,})\s*(?P<info>.*?)\s*$")
_PREFIX = re.compile(r"[ \t]*+(?:>[ \t]*+)*+")


@dataclass(frozen=True)
class Fence:
    """A fenced block of ``lines``: ``start`` is its opening line, ``end`` its closing one."""

    start: int
    end: int  # len(lines) when the block is never closed
    indent: str  # what stands before the fence: spaces, and "> " inside a blockquote
    fence: str
    info: str

    def closed(self, lines: Sequence[str]) -> bool:
        return self.end < len(lines)


def opening(line: str) -> re.Match[str] | None:
    """The fence ``line`` opens (groups ``indent``, ``fence``, ``info``), or None."""
    if "```" not in line and "~~~" not in line:
        return None
    match = _OPEN.match(line)
    if match is None or (match["fence"][0] == "`" and "`" in match["info"]):
        return None
    return match


def closes(line: str, fence: str) -> bool:
    rest = line[_PREFIX.match(line).end() :].rstrip()  # type: ignore[union-attr]
    return len(rest) >= len(fence) and set(rest) == {fence[0]}


def fences(lines: Sequence[str]) -> Iterator[Fence]:
    """Every top-level fenced block of ``lines``, in order."""
    i = 0
    while i < len(lines):
        match = opening(lines[i])
        if match is None:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not closes(lines[end], match["fence"]):
            end += 1
        yield Fence(i, end, match["indent"], match["fence"], match["info"])
        i = end + 1
