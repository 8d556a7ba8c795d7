"""Render stage: code highlighted by Pygments, the same way for cells and code blocks.

One :class:`Highlighter` per process keeps its lexers (compiling Python's rules
takes ~50 ms) and the blocks it has highlighted, by (language, code): a rebuild in
``serve`` or a lesson that repeats a snippet highlights it once. Between builds the
blocks are kept as :mod:`generator.render.fragments`; a build whose blocks are all
kept does not import Pygments' lexers at all.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pygments

from generator import __version__
from generator.model import CellOutput
from generator.render.fragments import Fragments, fragment_key

if TYPE_CHECKING:
    from pygments.lexer import Lexer

# How Pygments opens every code block it highlights. A block that scrolls sideways must be
# reachable by keyboard (WCAG 2.1.1, axe's scrollable-region-focusable), so it joins the
# tab order, as Hugo's code blocks do.
CODE_PRE = "<pre><span></span><code>"
FOCUSABLE_CODE_PRE = '<pre tabindex="0"><span></span><code>'
# Blocks kept per process; a 1,000-lesson site has about this many distinct snippets.
CACHE_LIMIT = 4096
# Bump when the HTML of a highlighted block changes.
HIGHLIGHT_FORMAT = 1
_MAKER = f"{__version__}/{HIGHLIGHT_FORMAT}/pygments-{pygments.__version__}"


@dataclass
class Highlighter:
    """Warm lexers, a bounded memory of highlighted blocks, and the kept ones."""

    fragments: Fragments = field(default_factory=Fragments)
    _formatter: Any = None
    _lexers: dict[str, Lexer] = field(default_factory=dict)
    _done: dict[tuple[str, str], str] = field(default_factory=dict)

    def block(self, code: str, language: str = "", *, title: str = "") -> str:
        """``code`` highlighted in a ``<div class="highlight">`` (plain text if unknown)."""
        key = (language.lower(), code)
        found = self._done.get(key)
        if found is None:
            stored = fragment_key("code", _MAKER, *key)
            found = self.fragments.get(stored)
            if found is None:
                found = self._highlight(*key)
                self.fragments.keep(stored, found)
            if len(self._done) >= CACHE_LIMIT:
                self._done.clear()
            self._done[key] = found
        if title:
            head = '<div class="highlight">'
            found = f'{head}<span class="filename">{html.escape(title)}</span>{found[len(head) :]}'
        return found

    def _highlight(self, language: str, code: str) -> str:
        from pygments import highlight

        if self._formatter is None:
            from pygments.formatters import HtmlFormatter

            self._formatter = HtmlFormatter(cssclass="highlight", wrapcode=True)
        found: str = highlight(code, self._lexer(language), self._formatter)
        return found.replace(CODE_PRE, FOCUSABLE_CODE_PRE, 1)

    def _lexer(self, language: str) -> Lexer:
        from pygments.lexers import TextLexer, get_lexer_by_name
        from pygments.util import ClassNotFound

        lexer = self._lexers.get(language)
        if lexer is None:
            try:
                lexer = get_lexer_by_name(language) if language else TextLexer()
            except ClassNotFound:
                lexer = TextLexer()
            self._lexers[language] = lexer
        return lexer


def cell_html(
    highlighter: Highlighter,
    source: str,
    output: CellOutput | None,
    *,
    hide_code: bool,
    hide_output: bool,
    anchor: str,
    shown: str = "",
    fold_code: bool = False,
    fold_output: bool = False,
) -> str:
    """A computation cell: highlighted code, then what it printed, then ``shown`` (the
    HTML of its figures, tables and values)."""
    parts = [f'<div class="lp-cell" id="{anchor}">']
    if not hide_code:
        code = highlighter.block(source, "python")
        parts.append(_folded("Show code", code) if fold_code else code)
    printed = ""
    if output is not None and output.text and not hide_output:
        printed = (
            '<pre class="lp-cell-output" aria-label="Output"><code>'
            f"{html.escape(output.text)}</code></pre>"
        )
    if not hide_output and (printed or shown):
        parts.append(_folded("Show output", printed + shown) if fold_output else printed + shown)
    parts.append("</div>")
    return "".join(parts)


def _folded(label: str, inner: str) -> str:
    """Jupyter Book's hidden input and output: there, behind a toggle the reader opens."""
    return f'<details class="lp-fold"><summary>{label}</summary>{inner}</details>'


def pygments_css(fragments: Fragments | None = None) -> str:
    """Light and dark code colours, chosen by the reader's colour scheme."""
    stored = fragment_key("css", _MAKER)
    found = fragments.get(stored) if fragments is not None else None
    if found is None:
        found = _pygments_css()
        if fragments is not None:
            fragments.keep(stored, found)
    return found


def _pygments_css() -> str:
    from pygments.formatters import HtmlFormatter

    light = HtmlFormatter(style="default").get_style_defs(".highlight")
    dark = HtmlFormatter(style="monokai").get_style_defs(".highlight")
    # Dark on screens only: paper is white whatever the reader's system prefers.
    return f"{light}\n@media screen and (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
