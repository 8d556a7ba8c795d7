"""Render stage: the client-side search index (``search-index.json``) and the search page.

The index holds, per post, its URL, title, headings (with their anchors) and
plain text, extracted from the rendered body. Data tables, scripts, styles,
heading permalinks and MathML are left out: they are noise to a reader's query.
``static/js/search.js`` loads it and searches in the browser, offline.
Knows nothing of the output folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from generator.model import OutputFile

if TYPE_CHECKING:
    from generator.render import RenderedPost, Renderer

INDEX_PATH = "search-index.json"
PAGE_PATH = "search/index.html"
INDEX_FORMAT = 1
_SPACE = re.compile(r"\s+")
# Elements whose text never goes into the index (void elements need no entry).
_SKIP_TAGS = {"script", "style", "math", "svg", "template", "noscript", "canvas", "select"}
_SKIP_CLASSES = {"headerlink", "lp-chart-data", "lp-chart-downloads", "lp-chart-control"}
_BLOCK_TAGS = {
    "p", "div", "li", "tr", "td", "th", "br", "pre", "h1", "h2", "h3", "h4", "h5", "h6",
    "figcaption", "blockquote", "dd", "dt", "section", "figure", "table", "ul", "ol",
}  # fmt: skip
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}  # fmt: skip


class _TextExtractor(HTMLParser):
    """Readable text of an HTML fragment, skipping the elements above."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._stack: list[bool] = []  # per open element: does it (or an ancestor) skip text?

    def _skipping(self) -> bool:
        return bool(self._stack) and self._stack[-1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")
        if tag in _VOID:
            return
        classes = set((dict(attrs).get("class") or "").split())
        skip = self._skipping() or tag in _SKIP_TAGS or bool(classes & _SKIP_CLASSES)
        self._stack.append(skip)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if self._stack:
            self._stack.pop()
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.parts.append(data)


def html_text(html: str) -> str:
    """The text a reader sees in ``html``, whitespace collapsed."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return _SPACE.sub(" ", "".join(parser.parts)).strip()


def index_entry(item: RenderedPost) -> dict[str, Any]:
    """One post's entry; ``u`` is relative to the site root (the search page knows it)."""
    post = item.post
    headings = [[h.id, html_text(h.title)] for h in item.toc if h.level > 1 or h.id]
    entry: dict[str, Any] = {
        "u": post.url.lstrip("/"),
        "t": post.title,
        "h": headings,
        "x": html_text(item.html),
    }
    if post.description:
        entry["s"] = post.description
    if post.date:
        entry["d"] = post.date.date().isoformat()
    if post.tags:
        entry["g"] = list(post.tags)
    return entry


def build_index(rendered: Sequence[RenderedPost]) -> bytes:
    """Compact JSON: ``{"v": 1, "docs": [{"u", "t", "h", "x", "s"?, "d"?, "g"?}, ...]}``."""
    docs = [
        index_entry(r)
        for r in rendered
        if not r.post.draft and r.post.extra.get("search", True) is not False
    ]
    data = {"v": INDEX_FORMAT, "docs": docs}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8")


def render_search(renderer: Renderer, rendered: Sequence[RenderedPost]) -> list[OutputFile]:
    """``search-index.json`` and the search page (``templates/search.html``).

    Raises TemplateProblem like every page render.
    """
    return [
        OutputFile(INDEX_PATH, build_index(rendered)),
        OutputFile(PAGE_PATH, renderer.render_template("search.html", PAGE_PATH)),
    ]
