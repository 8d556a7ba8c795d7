"""Render stage: Jekyll (kramdown/GFM) habits that Python-Markdown reads differently.

Two text passes over a post body, both keeping the line count:

- :func:`legacy_chart_warnings` finds hand-written ``<script>`` embeds configured
  for Chart.js 2 (``xAxes``/``yAxes`` arrays, ``horizontalBar``); the site ships
  Chart.js 4, which drops those settings (with a console error only a reader's
  browser shows), so the author gets a warning at build time.
- :func:`normalise_list_indent` rewrites list indentation from CommonMark's rule
  (an item's content starts where its first line's text starts, e.g. two spaces
  after ``- ``) to Python-Markdown's four spaces per level, so paragraphs, code
  and math indented under a list item after a blank line stay in that item.

Knows nothing of templates, Liquid or output files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.errors import Diagnostic
from generator.fences import fences

_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_HIGHLIGHT = re.compile(r"\{%-?\s*highlight\b.*?\{%-?\s*endhighlight\s*-?%\}", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_AXES = re.compile(r"""(?<![\w$])["']?(xAxes|yAxes)["']?\s*:""")
_HORIZONTAL_BAR = re.compile(r"""type\s*["']?\s*:\s*["']horizontalBar["']""")


def legacy_chart_warnings(text: str, *, path: str, first_line: int) -> list[Diagnostic]:
    """Warnings for Chart.js 2 configs in the inline ``<script>`` blocks of a Markdown ``text``.

    Scripts shown as code (fenced blocks, ``{% highlight %}``, HTML comments) are not
    scripts the page runs, so they are skipped. ``first_line`` is the .md line of
    ``text``'s first line. At most one warning of each kind per script.
    """
    found: list[Diagnostic] = []
    if "<script" not in text.lower():
        return found
    hidden = _blank_out(text)

    def warn(pos: int, message: str) -> None:
        line = first_line + text.count("\n", 0, pos)
        found.append(Diagnostic(path, line, message, "warning", code="chartjs2"))

    for script in _SCRIPT.finditer(hidden):
        if "src=" in script.group(1).lower():
            continue
        start, end = script.span(2)
        axes = list(_AXES.finditer(hidden, start, end))
        if axes:
            names = " and ".join(f"'{n}'" for n in sorted({hit.group(1) for hit in axes}))
            warn(
                axes[0].start(1),
                f"Chart.js 2 scale options {names} are invalid in Chart.js 4, which this site "
                "uses (the axes lose their settings): "
                "write options.scales as { x: {...}, y: {...} }",
            )
        bar = _HORIZONTAL_BAR.search(hidden, start, end)
        if bar:
            warn(
                bar.start(),
                "Chart.js 2 chart type 'horizontalBar' does not exist in Chart.js 4, which this "
                "site uses: write type: 'bar' with options: { indexAxis: 'y' }",
            )
    return found


def _blank_out(text: str) -> str:
    """``text`` with code blocks and comments replaced by spaces (newlines and offsets kept)."""

    def blank(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    text = _COMMENT.sub(blank, text)
    text = _HIGHLIGHT.sub(blank, text)
    lines = text.split("\n")
    for block in fences(lines):
        for i in range(block.start, min(block.end + 1, len(lines))):
            lines[i] = " " * len(lines[i])
    return "\n".join(lines)


# --- list indentation -------------------------------------------------------------------

_MARKER = re.compile(r"(?P<marker>[-*+]|\d{1,9}[.)])(?P<space>[ \t]+|$)")
_BREAK = re.compile(r"([-*_])(?:[ \t]*\1){2,}[ \t]*$")  # "* * *" is a rule, not an item
_FENCE_LINE = re.compile(r"(`{3,}|~{3,})")
_RAW_OPEN = re.compile(r"<(script|pre|style|textarea)\b", re.I)
_RAW_CLOSE = {
    name: re.compile(rf"</{name}\s*>", re.I) for name in ("script", "pre", "style", "textarea")
}
TAB = 4  # Python-Markdown's tab_length: the indent of one list level


@dataclass(frozen=True)
class _Item:
    content: int  # column where the item's text starts in the source (CommonMark)
    target: int  # column where it starts after rewriting (4 per level)


def normalise_list_indent(text: str) -> str:
    """Re-indent list items from CommonMark's content-column rule to Python-Markdown's.

    ``- a`` followed by a blank line and ``  more`` keeps ``more`` in the item (as
    GitHub and kramdown do); nested items indented two spaces nest. Only leading
    spaces of lines inside lists change (and a blank line goes before an item that
    ends a nested block); text outside lists is returned as it is. Run it after
    every pass that reports .md lines.
    """
    lines = text.split("\n")
    stack: list[_Item] = []
    fence: tuple[str, int] | None = None  # closing run and the shift of the open block
    raw: re.Pattern[str] | None = None  # the end of a top-level <script>/<pre>/<style>
    blank_before = True
    block_depth = 0  # list depth of a block that began (after a blank line) as item text
    for i, line in enumerate(lines):
        indent, rest = _indent(line)
        if fence is not None:
            lines[i] = _shift(line, fence[1])
            fence = None if _closes(rest, fence[0]) else fence
            continue
        if raw is not None:
            raw = None if raw.search(line) else raw
            continue
        if not rest:
            blank_before = True
            continue
        base = stack[-1].content if stack else 0
        marker = _is_marker(rest) and indent < base + TAB
        if blank_before:
            block_depth = len(stack) if stack and not marker and indent >= base else 0
        lazy = bool(stack) and indent < base and not marker and not blank_before
        if (not stack or lazy) and (opened := _RAW_OPEN.match(rest)) is not None:
            closing = _RAW_CLOSE[opened.group(1).lower()]
            raw = None if closing.search(rest, opened.end()) else closing
        if lazy or raw is not None:
            blank_before = False  # a lazy continuation line: Python-Markdown agrees
            continue
        while stack and indent < stack[-1].content:
            stack.pop()
        if marker:
            # Python-Markdown reads an item after a nested block without a blank line
            # as text of that block.
            gap = "\n" if not blank_before and len(stack) < block_depth else ""
            lines[i] = gap + _open_item(indent, rest, stack)
        elif stack:
            shift = stack[-1].target - stack[-1].content
            lines[i] = _shift(line, shift)
            fence = _fence(rest, shift)
        elif indent < TAB:
            fence = _fence(rest, 0)
        blank_before = False
    return "\n".join(lines)


def _indent(line: str) -> tuple[int, str]:
    rest = line.lstrip(" \t")
    head = line[: len(line) - len(rest)]
    return len(head.expandtabs(TAB)), rest if rest.strip() else ""


def _is_marker(rest: str) -> bool:
    return _MARKER.match(rest) is not None and _BREAK.match(rest) is None


def _open_item(indent: int, rest: str, stack: list[_Item]) -> str:
    """Push the item that the marker line ``rest`` opens; return its rewritten line."""
    found = _MARKER.match(rest)
    assert found is not None
    marker, space = found.group("marker"), found.group("space").expandtabs(TAB)
    width = len(space) if 0 < len(space) <= TAB else 1
    target = len(stack) * TAB
    stack.append(_Item(indent + len(marker) + width, target + TAB))
    return " " * target + marker + " " + rest[found.end() :]


def _shift(line: str, shift: int) -> str:
    if shift >= 0:
        return " " * shift + line
    stripped = line.lstrip(" ")
    return line[min(-shift, len(line) - len(stripped)) :]


def _fence(rest: str, shift: int) -> tuple[str, int] | None:
    found = _FENCE_LINE.match(rest)
    if found is None or (found.group(1)[0] == "`" and "`" in rest[found.end() :]):
        return None
    return found.group(1), shift


def _closes(rest: str, run: str) -> bool:
    stripped = rest.strip()
    return stripped.startswith(run) and set(stripped) == {run[0]}
