"""The placeholder tokens every text pass uses, and the one ``restore`` that swaps them back.

A pass that must keep some HTML away from Markdown (a cell, a chart, math, highlighted
code) puts the HTML in a ``stash`` under an alphanumeric token such as ``LPMATH0001X``,
which no Markdown engine changes; after Markdown, :func:`restore` puts it back.
The grammar of a token lives here and only here. Base module: knows no stage.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# Any placeholder token, ours or another pass's (LPCELL0001X, LPMATH0002X, ...).
TOKEN_TEXT = r"LP[A-Z]+\d+X"
TOKEN = re.compile(TOKEN_TEXT)
# The tokens that stand for a whole block: a cell, a chart (put by content where their
# fenced block stood), a raw HTML embed (put by the CommonMark renderer).
BLOCK_TOKEN_TEXT = r"LP(?:CELL|CHART|EMBED)\d+X"


def cell_token(index: int) -> str:
    """The token that stands for cell ``index`` in the body Markdown sees."""
    return f"LPCELL{index}X"


def chart_token(index: int) -> str:
    """The token that stands for chart ``index`` in the body Markdown sees."""
    return f"LPCHART{index}X"


_BLOCK_HTML = re.compile(
    r"\s*<(?:div|pre|table|figure|section|ul|ol|dl|blockquote|h[1-6]|hr|p|details|canvas)\b",
    re.I,
)


@dataclass(frozen=True)
class Stash:
    """One placeholder: ``token`` stands in the Markdown for ``html``."""

    token: str
    html: str

    @property
    def is_block(self) -> bool:
        """Block HTML replaces the whole ``<p>token</p>``; inline HTML only the token."""
        return _BLOCK_HTML.match(self.html) is not None


def put(stash: dict[str, str], kind: str, html_text: str) -> Stash:
    """Store ``html_text`` under a fresh token ``LP{kind}NNNNX`` (numbered from ``len(stash)``)."""
    number = len(stash) + 1
    token = f"LP{kind}{number:04d}X"
    while token in stash:
        number += 1
        token = f"LP{kind}{number:04d}X"
    stash[token] = html_text
    return Stash(token, html_text)


_EMPTY_PARAGRAPH = re.compile(r"<p>[ \t\n]*</p>")
_SPACE = " \t\n"


def restore(html_text: str, stash: Mapping[str, str]) -> str:
    """Put every stashed HTML back in one pass; unknown tokens are left as they are.

    ``<p>token</p>`` becomes the block HTML itself. A block token that Markdown
    left inside a paragraph (a display in a list item) splits the paragraph. A token
    inside a tag (an alt text) is left as it is.
    """
    if not stash or "LP" not in html_text:
        return html_text
    split = False
    out: list[str] = []
    last = 0
    # Tokens are few and start with a literal "LP"; each one's context is looked at
    # around it, rather than trying a pattern at every "<" of the body.
    for match in TOKEN.finditer(html_text):
        start, end = match.span()
        if _inside_tag(html_text, start, end):
            continue
        token = match.group(0)
        alone = _alone(html_text, start, end)
        if alone is not None and token in stash:
            value = stash[token]
            out.append(html_text[last : alone[0]])
            out.append(value if _BLOCK_HTML.match(value) else f"<p>{value}</p>")
            last = alone[1]
            continue
        value = _swap_bare(token, stash)
        if value is token:
            continue
        out.append(html_text[last:start])
        if _BLOCK_HTML.match(value, value.find("<")) and _in_paragraph(html_text, start):
            split = True
            value = f"</p>{value}<p>"
        out.append(value)
        last = end
    if not out:
        return html_text
    out.append(html_text[last:])
    restored = "".join(out)
    return _EMPTY_PARAGRAPH.sub("", restored) if split else restored


def _inside_tag(html_text: str, start: int, end: int) -> bool:
    """Whether ``html_text[start:end]`` stands inside a tag such as ``<img alt="...">``."""
    opened = html_text.rfind("<", 0, start)
    if opened < 0 or html_text.find(">", opened, start) >= 0:
        return False
    closed = html_text.find(">", end)
    return closed >= 0 and html_text.find("<", end, closed) < 0


def _alone(html_text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of ``<p>token</p>`` (whitespace allowed) around a token, if it is alone."""
    before = start
    while before > 0 and html_text[before - 1] in _SPACE:
        before -= 1
    if before < 3 or not html_text.startswith("<p>", before - 3):
        return None
    after, size = end, len(html_text)
    while after < size and html_text[after] in _SPACE:
        after += 1
    if not html_text.startswith("</p>", after):
        return None
    return before - 3, after + 4


def _in_paragraph(html_text: str, pos: int) -> bool:
    opened = max(html_text.rfind("<p>", 0, pos), html_text.rfind("<p ", 0, pos))
    return opened > html_text.rfind("</p>", 0, pos)


def _swap_bare(found: str, stash: Mapping[str, str]) -> str:
    # "LP$x$" becomes "LPLPMATH0001X": the real token is a suffix of the match.
    start = 0
    while start >= 0:
        value = stash.get(found[start:])
        if value is not None:
            return found[:start] + value
        start = found.find("LP", start + 1)
    return found
