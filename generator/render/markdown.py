"""Render stage: a post's Markdown body to an HTML fragment.

Order of passes (each keeps .md line numbers for its diagnostics):
Chart.js 2 check of inline scripts -> Liquid (Jekyll posts only) -> math to
MathML placeholders -> list indentation to 4 spaces a level -> Python-Markdown
-> placeholders back (math, highlight, cells, charts; also in the TOC).
Knows nothing about templates or output files; cell and chart HTML is handed
in by the caller.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

import markdown
from markdown.extensions.toc import slugify_unicode

from generator.errors import Diagnostic
from generator.model import Post
from generator.placeholders import BLOCK_TOKEN_TEXT, TOKEN, restore
from generator.render.highlight import CODE_PRE, FOCUSABLE_CODE_PRE
from generator.render.prepasses import legacy_chart_warnings, normalise_list_indent
from generator.render.rendered import RenderedBody, TocEntry
from generator.render.texmath import protect_math

EXTENSIONS = [
    "toc",
    "tables",
    "footnotes",
    "attr_list",
    "def_list",
    "abbr",
    "md_in_html",
    "sane_lists",
    "pymdownx.superfences",
    "pymdownx.highlight",
    "pymdownx.tasklist",
    "pymdownx.tilde",
]
EXTENSION_CONFIGS: dict[str, dict[str, Any]] = {
    "toc": {
        "permalink": "#",
        "permalink_title": "Link to this section",
        "slugify": slugify_unicode,
    },
    "pymdownx.highlight": {"use_pygments": True, "guess_lang": False, "css_class": "highlight"},
    "pymdownx.tasklist": {"custom_checkbox": False, "clickable_checkbox": False},
    "pymdownx.tilde": {"subscript": False},
    # kramdown's ids (fn:1, fnref:1). UNIQUE_IDS would number them by how many documents
    # this Markdown instance had converted before: a post's HTML would depend on its worker.
    "footnotes": {"UNIQUE_IDS": False},
}
TOKEN_PARAGRAPH = re.compile(rf"<p>({BLOCK_TOKEN_TEXT})</p>|({BLOCK_TOKEN_TEXT})")
_TAG = re.compile(r"<[^>]*>")


class MarkdownRenderer:
    """One warm Python-Markdown instance; reuse it for every post of a process."""

    def __init__(self) -> None:
        # The stash of the post being rendered, so heading ids can spell out their math.
        self._stash: Mapping[str, str] = {}
        configs = {**EXTENSION_CONFIGS, "toc": {**EXTENSION_CONFIGS["toc"], "slugify": self._slug}}
        self._md = markdown.Markdown(
            extensions=EXTENSIONS, extension_configs=configs, output_format="html"
        )

    def render(
        self,
        post: Post,
        *,
        blocks: Mapping[str, str],
        liquid: Any = None,
    ) -> RenderedBody:
        """Render ``post.body``; ``blocks`` maps cell/chart tokens to their HTML.

        ``liquid`` is a callable ``(text, stash) -> (text, diagnostics)`` for Jekyll posts.
        """
        stash: dict[str, str] = {}
        text = post.body
        deep = _too_deep(text)
        if deep is not None:
            message = "lists or quotes are nested too deeply to render; flatten them"
            problem = Diagnostic(post.rel, post.body_line + deep, message, code="markdown")
            return RenderedBody(f"<pre>{html.escape(text)}</pre>", (), (problem,))
        diags = legacy_chart_warnings(text, path=post.rel, first_line=post.body_line)
        if liquid is not None:
            text, found = liquid(text, stash)
            diags.extend(found)
        text, found = protect_math(text, path=post.rel, first_line=post.body_line, stash=stash)
        diags.extend(found)
        # CommonMark's list indentation, which GitHub, kramdown and most authors use.
        text = normalise_list_indent(text)
        text = _tame_brackets(text, post, diags)
        self._md.reset()
        self._stash = stash
        try:
            body = self._md.convert(text)
        except RecursionError:
            message = "lists or quotes are nested too deeply to render; flatten them"
            diags.append(Diagnostic(post.rel, post.body_line, message, code="markdown"))
            body = f"<pre>{html.escape(post.body)}</pre>"
        finally:
            self._stash = {}
        body = restore(body, stash)
        body = TOKEN_PARAGRAPH.sub(lambda m: blocks.get(m.group(1) or m.group(2), m.group(0)), body)
        body = body.replace(CODE_PRE, FOCUSABLE_CODE_PRE)
        toc = tuple(_flatten(getattr(self._md, "toc_tokens", []), stash))
        return RenderedBody(body, toc, tuple(diags))

    def _slug(self, value: str, separator: str) -> str:
        """A heading id; math placeholders become the text of their MathML (σ, x1...)."""
        if self._stash:
            value = TOKEN.sub(lambda m: _plain(self._stash.get(m.group(0), "")), value)
        return slugify_unicode(value, separator)


# Python-Markdown's link pattern backtracks without bound on long runs of "[" (a line of
# 20,000 takes hours), so a line with more than this many is shown as text, not links.
MAX_BRACKETS = 64


# Deeper nesting than this is no lesson; Python-Markdown's time grows with the square of it.
MAX_DEPTH = 64
_NESTING = re.compile(r"^[ \t]*((?:[>*+-][ \t]*|\d+[.)][ \t]+)+)")


def _too_deep(text: str) -> int | None:
    """The index of the first line nested deeper than MAX_DEPTH levels, if any."""
    for i, line in enumerate(text.split("\n")):
        indent = len(line) - len(line.lstrip(" \t"))
        if indent > 4 * MAX_DEPTH:
            return i
        markers = _NESTING.match(line)
        if markers and len(re.findall(r"[>*+-]|\d+[.)]", markers.group(1))) > MAX_DEPTH:
            return i
    return None


def _tame_brackets(text: str, post: Post, diags: list[Diagnostic]) -> str:
    if text.count("[") <= MAX_BRACKETS:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.count("[") > MAX_BRACKETS:
            lines[i] = line.replace("[", "&#91;").replace("]", "&#93;")
            message = f"more than {MAX_BRACKETS} '[' on one line: shown as text, not as links"
            diags.append(
                Diagnostic(post.rel, post.body_line + i, message, "warning", code="markdown")
            )
    return "\n".join(lines)


def _flatten(tokens: list[dict[str, Any]], stash: Mapping[str, str]) -> list[TocEntry]:
    out = []
    for token in tokens:
        title = TOKEN.sub(lambda m: stash.get(m.group(0), m.group(0)), str(token["name"]))
        out.append(TocEntry(int(token["level"]), str(token["id"]), title))
        out.extend(_flatten(token.get("children", []), stash))
    return out


def _plain(html_text: str) -> str:
    return html.unescape(_TAG.sub("", html_text))
