"""Render stage: a post's body as CommonMark + GFM, by the compiled comrak engine.

The dialect of ``content/`` posts (and notebook Markdown cells), as GitHub, Jupyter
and most Markdown editors read it. Order of passes (each keeps .md line numbers for
its diagnostics): Chart.js 2 check of inline scripts -> Liquid (Jekyll posts only)
-> raw ``<script>``/``<canvas>`` embeds to block tokens -> math to MathML tokens ->
comrak -> Pygments for code blocks, heading ids and anchors, kramdown-style footnote
ids -> tokens back (math, cells, charts, embeds).

Knows nothing about templates or output files; cell and chart HTML is handed in.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

import comrak

from generator.fences import fences
from generator.model import Post
from generator.placeholders import BLOCK_TOKEN_TEXT, TOKEN, put, restore
from generator.render.highlight import Highlighter
from generator.render.prepasses import legacy_chart_warnings
from generator.render.rendered import RenderedBody, TocEntry
from generator.render.slugs import slugify_unicode, unique
from generator.render.texmath import KeptLatex, protect_math

_TOKEN_PARAGRAPH = re.compile(rf"<p>({BLOCK_TOKEN_TEXT})</p>|({BLOCK_TOKEN_TEXT})")
_CODE = re.compile(r'<pre><code((?: [a-z-]+="[^"]*")*)>(.*?)</code></pre>', re.S)
_ATTR = re.compile(r' ([a-z-]+)="([^"]*)"')
_TITLE = re.compile(r"""\btitle=(?:"([^"]*)"|'([^']*)'|(\S+))""")
_HEADING = re.compile(r"<h([1-6])>(.*?)</h\1>", re.S)
_TAG = re.compile(r"<[^>]*>")
# Pandoc/Quarto/kramdown heading attributes: ``## Title {#id .class}``.
_HEADING_ATTRS = re.compile(r"\s*\{((?:\s*[#.][\w:-]+)+)\s*\}\s*$")
# comrak writes GitHub's footnote ids (fn-1, fnref-1); kramdown's (fn:1, fnref:1) are what
# Jekyll blogs, and so inbound links, use.
_FOOTNOTES = re.compile(
    r'<sup class="footnote-ref">.*?</sup>|<section class="footnotes" data-footnotes>.*?</section>',
    re.S,
)
_FOOTNOTE_ID = re.compile(r'((?:href="#|id=")fn(?:ref)?)-')
_ALIGN = re.compile(r'<(th|td) align="(left|right|center)">')
# A raw HTML block: a tag at the start of a line (three spaces of indent at most).
_HTML_START = re.compile(r" {0,3}</?[A-Za-z][A-Za-z0-9-]*(?:[\s/>]|$)")
_EMBED = re.compile(r"<(?:script|canvas)\b", re.I)
# Elements whose content runs to their end tag, blank lines included.
_RAW_OPEN = re.compile(r"<(script|style|textarea|pre)\b", re.I)
_RAW_CLOSE = {n: re.compile(rf"</{n}\s*>", re.I) for n in ("script", "style", "textarea", "pre")}


def _options() -> tuple[Any, Any, Any]:
    extension = comrak.ExtensionOptions()
    for name in ("table", "strikethrough", "autolink", "tasklist", "footnotes"):
        setattr(extension, name, True)
    extension.description_lists = True
    render = comrak.RenderOptions()
    render.unsafe_ = True  # raw HTML is the author's, as in Jekyll and Hugo (unsafe: true)
    render.tasklist_classes = True
    render.full_info_string = True  # ```python title="a.py" keeps its title
    return extension, comrak.ParseOptions(), render


class CommonMarkRenderer:
    """The comrak options and a warm highlighter; reuse one for every post of a process."""

    def __init__(self, highlighter: Highlighter, latex: KeptLatex | None = None) -> None:
        self._highlighter = highlighter
        self._latex = latex or KeptLatex(highlighter.fragments)
        self._extension, self._parse, self._render = _options()

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
        diags = legacy_chart_warnings(text, path=post.rel, first_line=post.body_line)
        if liquid is not None:
            text, found = liquid(text, stash)
            diags.extend(found)
        embeds = dict(blocks)
        text = protect_embeds(text, embeds)
        text, found = protect_math(
            text,
            path=post.rel,
            first_line=post.body_line,
            stash=stash,
            latex=self._latex,
            environments=True,  # as MathJax reads Markdown in Jupyter and on GitHub
            spaced_dollars=post.source.suffix.lower() == ".ipynb",  # "$ x $", as in Jupyter
        )
        diags.extend(found)
        body = comrak.render_markdown(
            text,
            extension_options=self._extension,
            parse_options=self._parse,
            render_options=self._render,
        ).removesuffix("\n")
        body = _CODE.sub(self._code, body)
        body, toc = _anchor_headings(body, stash)
        if "footnote" in body:
            body = _FOOTNOTES.sub(lambda m: _FOOTNOTE_ID.sub(r"\1:", m.group(0)), body)
        body = _ALIGN.sub(r'<\1 style="text-align: \2;">', body)
        body = restore(body, stash)
        if embeds:
            body = _TOKEN_PARAGRAPH.sub(
                lambda m: embeds.get(m.group(1) or m.group(2), m.group(0)), body
            )
        return RenderedBody(body, toc, tuple(diags))

    def _code(self, match: re.Match[str]) -> str:
        attrs = dict(_ATTR.findall(match.group(1)))
        language = attrs.get("class", "").removeprefix("language-")
        meta, code = attrs.get("data-meta"), match.group(2)
        title = ""
        if meta:
            found = _TITLE.search(html.unescape(meta))
            if found:
                title = next(g for g in found.groups() if g is not None)
        return self._highlighter.block(html.unescape(code), html.unescape(language), title=title)


def _anchor_headings(body: str, stash: Mapping[str, str]) -> tuple[str, tuple[TocEntry, ...]]:
    """Give every heading an id and a "#" link to itself, as the kramdown path does."""
    used: set[str] = set()
    toc: list[TocEntry] = []

    def anchor(match: re.Match[str]) -> str:
        level, inner = match.group(1), match.group(2)
        given, classes = "", []
        attrs = _HEADING_ATTRS.search(inner)
        if attrs:
            inner = inner[: attrs.start()]
            for part in attrs.group(1).split():
                if part.startswith("#"):
                    given = part[1:]
                else:
                    classes.append(part[1:])
        title = _TAG.sub("", inner)
        plain = html.unescape(TOKEN.sub(lambda m: _plain(stash.get(m.group(0), "")), title))
        ident = unique(given or slugify_unicode(plain), used)
        toc.append(
            TocEntry(
                int(level), ident, TOKEN.sub(lambda m: stash.get(m.group(0), m.group(0)), title)
            )
        )
        link = f'<a class="headerlink" href="#{ident}" title="Link to this section">#</a>'
        css = f' class="{" ".join(classes)}"' if classes else ""
        return f'<h{level} id="{ident}"{css}>{inner}{link}</h{level}>'

    return _HEADING.sub(anchor, body), tuple(toc)


def _plain(html_text: str) -> str:
    return html.unescape(_TAG.sub("", html_text))


def protect_embeds(text: str, embeds: dict[str, str]) -> str:
    """Raw HTML blocks with a ``<script>`` or ``<canvas>`` become block tokens in ``embeds``.

    CommonMark ends an HTML block that starts with ``<div>`` at the first blank line,
    so a hand-written Chart.js embed whose script has blank lines in it would come
    out half code, half paragraphs. A block here runs to the end tag of any script
    (or style, textarea, pre) opened in it, then to the next blank line. The line
    count is kept: the token stands on the first line, the rest are left blank.
    """
    lowered = text.lower()
    if "<script" not in lowered and "<canvas" not in lowered:
        return text
    lines = text.split("\n")
    fenced = {i for f in fences(lines) for i in range(f.start, min(f.end + 1, len(lines)))}
    i = 0
    while i < len(lines):
        starts = i not in fenced and (i == 0 or not lines[i - 1].strip())
        if not starts or not _HTML_START.match(lines[i]):
            i += 1
            continue
        end = _block_end(lines, i)
        raw = "\n".join(lines[i:end])
        if _EMBED.search(raw):
            lines[i] = put(embeds, "EMBED", raw).token
            for j in range(i + 1, end):
                lines[j] = ""
        i = end
    return "\n".join(lines)


def _block_end(lines: list[str], start: int) -> int:
    """The index just past the HTML block starting at ``start``."""
    open_raw: str | None = None
    i = start
    while i < len(lines):
        if open_raw is None and not lines[i].strip():
            return i
        open_raw = _still_open(lines[i], open_raw)
        i += 1
    return i


def _still_open(line: str, current: str | None) -> str | None:
    """The raw-text element still open at the end of ``line``, given the one open before it."""
    pos = 0
    while True:
        if current is not None:
            closed = _RAW_CLOSE[current].search(line, pos)
            if closed is None:
                return current
            pos, current = closed.end(), None
        else:
            opened = _RAW_OPEN.search(line, pos)
            if opened is None:
                return None
            pos, current = opened.end(), opened.group(1).lower()
