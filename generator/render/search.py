"""Render stage: the client-side search index (``search-index.json``).

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
from html import unescape
from typing import TYPE_CHECKING, Any

from generator.model import Post

if TYPE_CHECKING:
    from generator.render.rendered import RenderedPost, TocEntry

INDEX_PATH = "search-index.json"
PAGE_PATH = "search/index.html"
INDEX_FORMAT = 1
_DROP_PARTS = (
    r"<(script|style|math|svg|template|noscript|canvas|select|textarea)\b.*?</\1\s*>"
    r'|<details class="lp-chart-data">.*?</details>'
    r'|<div class="lp-chart-control">.*?</div>'
    r'|<p class="lp-chart-downloads">.*?</p>'
    r'|<a class="headerlink"[^>]*>.*?</a>'
    r"|<!--.*?-->"
)
_BLOCK_PARTS = (
    r"</?(?:p|div|li|tr|td|th|br|pre|h[1-6]|figcaption|blockquote|dd|dt|section|figure"
    r"|table|ul|ol)\b[^>]*>"
)
# Elements whose text never goes into the index: code that is not prose, maths, and
# the parts of a chart figure that repeat its data (none of them nest in themselves).
# Tag names are case-insensitive in HTML, but matching case-insensitively is three times
# slower: the lowercase patterns serve the (usual) bodies with no uppercase tag name.
_DROP, _DROP_ANY_CASE = re.compile(_DROP_PARTS, re.S), re.compile(_DROP_PARTS, re.S | re.I)
_BLOCK, _BLOCK_ANY_CASE = re.compile(_BLOCK_PARTS), re.compile(_BLOCK_PARTS, re.I)
_UPPERCASE_TAG = re.compile(r"</?[a-z0-9]*[A-Z]")
_TAG = re.compile(r"<[^>]*>")
# The entities our Markdown engines and Pygments write; any other sends a text through
# html.unescape.
_COMMON_ENTITIES = (("&quot;", '"'), ("&#39;", "'"), ("&#x27;", "'"), ("&lt;", "<"), ("&gt;", ">"))


def html_text(html: str) -> str:
    """The text a reader sees in ``html``, whitespace collapsed.

    Regular expressions, not an HTML parser: the markup is our own Markdown
    output, and this runs over every post of every build.
    """
    any_case = _UPPERCASE_TAG.search(html) is not None
    text = (_DROP_ANY_CASE if any_case else _DROP).sub(" ", html)
    text = (_BLOCK_ANY_CASE if any_case else _BLOCK).sub(" ", text)
    text = _TAG.sub("", text)
    return " ".join(_unescape(text).split())


def _unescape(text: str) -> str:
    """``html.unescape(text)``, without its per-entity callback for the common entities."""
    if "&" not in text:
        return text
    plain = text
    for entity, char in _COMMON_ENTITIES:
        plain = plain.replace(entity, char)
    if plain.count("&") != plain.count("&amp;"):
        return unescape(text)
    return plain.replace("&amp;", "&")


def index_entry(post: Post, toc: Sequence[TocEntry], text: str) -> dict[str, Any]:
    """One post's entry; ``u`` is relative to the site root (the search page knows it)."""
    headings = [[h.id, html_text(h.title)] for h in toc if h.level > 1 or h.id]
    entry: dict[str, Any] = {
        "u": post.url.lstrip("/"),
        "t": post.title,
        "h": headings,
        "x": text,
    }
    if post.description:
        entry["s"] = post.description
    if post.date:
        entry["d"] = post.date.date().isoformat()
    if post.tags:
        entry["g"] = list(post.tags)
    return entry


def search_entry(post: Post, toc: Sequence[TocEntry], text: str) -> str:
    """The entry as JSON: made once per body (in the worker that renders it, and cached
    with it), so an index build only joins the entries of its posts."""
    entry = index_entry(post, toc, text)
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def build_index(rendered: Sequence[RenderedPost]) -> bytes:
    """Compact JSON: ``{"v": 1, "docs": [{"u", "t", "h", "x", "s"?, "d"?, "g"?}, ...]}``."""
    docs = [
        r.search
        for r in rendered
        if not r.post.draft and r.post.extra.get("search", True) is not False
    ]
    return f'{{"v":{INDEX_FORMAT},"docs":[{",".join(docs)}]}}'.encode()
