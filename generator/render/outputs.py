"""Render stage: a cell's rich outputs (figures, tables, HTML, values) as HTML and files.

Images are files beside the page (``<anchor>-<n>.svg``/``.png``), never inlined
base64, loaded lazily, sized (no layout shift while they load) and described by
their alt text; HTML (a pandas table) is the author's own, as raw HTML in Markdown
is; LaTeX becomes MathML like the post's math. An output over :data:`SIZE_LIMIT`
is a warning and is left out: a page must not weigh 20 MB.
"""

from __future__ import annotations

import base64
import binascii
import html
import posixpath
import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from generator.content.urls import output_path
from generator.errors import Diagnostic
from generator.model import CellOutput, Display, OutputFile, Post
from generator.outputs import INTERACT
from generator.placeholders import cell_token
from generator.render.highlight import Highlighter, cell_html
from generator.render.interact import render_interact

SIZE_LIMIT = 5_000_000  # characters of one output
_SVG_SIZE = re.compile(r'<svg\b[^>]*?\swidth="([\d.]+)(pt|px)?"[^>]*?\sheight="([\d.]+)(pt|px)?"')
_MATH_DELIMITERS = re.compile(r"^\s*(\$\$?|\\\[|\\\()(.*?)(\$\$?|\\\]|\\\))\s*$", re.S)
_IFRAME = re.compile(r"<iframe\b([^>]*)>.*?</iframe\s*>", re.I | re.S)
_ATTRS = re.compile(r"""([A-Za-z-]+)\s*=\s*(["'])(.*?)\2""", re.S)
EXTENSIONS = {"image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpg"}


@dataclass(frozen=True)
class ShownOutputs:
    html: str
    files: tuple[OutputFile, ...]
    problems: tuple[str, ...]  # one message per output left out


def render_cells(
    post: Post,
    outputs: Sequence[CellOutput],
    highlighter: Highlighter,
    latex: Callable[[str, bool], tuple[str, str]],
) -> tuple[dict[str, str], list[OutputFile], list[Diagnostic]]:
    """Every cell of ``post`` as HTML (by its placeholder token), the image files its
    outputs need, and a warning for each output left out."""
    blocks: dict[str, str] = {}
    files: list[OutputFile] = []
    diags: list[Diagnostic] = []
    by_index = {o.index: o for o in outputs}
    page_dir = posixpath.dirname(output_path(post.url))
    for cell in post.cells:
        anchor = cell.anchor
        output = by_index.get(cell.index)
        displays = output.displays if output else ()
        if cell.options.alt:  # ``#| fig-alt: ...`` describes the cell's figures
            displays = tuple(
                replace(d, alt=cell.options.alt) if d.mime in EXTENSIONS else d for d in displays
            )
        shown = render_outputs(displays, page_dir=page_dir, anchor=anchor, latex=latex)
        files.extend(shown.files)
        diags.extend(
            Diagnostic(post.rel, cell.line, m, "warning", code="output") for m in shown.problems
        )
        blocks[cell_token(cell.index)] = cell_html(
            highlighter,
            cell.source,
            output,
            hide_code=cell.options.hide_code,
            hide_output=cell.options.hide_output,
            anchor=anchor,
            shown=shown.html,
            fold_code=cell.options.fold_code,
            fold_output=cell.options.fold_output,
        )
    return blocks, files, diags


def render_outputs(
    displays: Sequence[Display],
    *,
    page_dir: str,
    anchor: str,
    latex: Callable[[str, bool], tuple[str, str]],
) -> ShownOutputs:
    """HTML for ``displays`` (in order) and the image files it links to, in ``page_dir``."""
    parts: list[str] = []
    files: list[OutputFile] = []
    problems: list[str] = []
    for number, shown in enumerate(displays, start=1):
        if shown.mime == INTERACT:  # each of its frames' outputs is held to the limit
            made = render_interact(
                shown.data,
                page_dir=page_dir,
                ident=f"{anchor}-{number}",
                render=lambda found, stem: _parts(
                    render_outputs(found, page_dir=page_dir, anchor=stem, latex=latex)
                ),
            )
            parts.append(made.html)
            files.extend(made.files)
            problems.extend(made.problems)
            continue
        if len(shown.data) > SIZE_LIMIT:
            problems.append(
                f"output {number} of this cell ({shown.mime}, {len(shown.data):,} characters) "
                f"is over the {SIZE_LIMIT:,}-character limit and is left out"
            )
            continue
        if shown.mime in EXTENSIONS:
            image = _image(shown, page_dir, f"{anchor}-{number}")
            if image is None:
                problems.append(f"output {number} of this cell is not a readable image")
                continue
            parts.append(image[0])
            files.append(image[1])
        elif shown.mime == "text/html":
            parts.append(
                f'<div class="lp-output-html" role="region" aria-label="Output" tabindex="0">'
                f"{click_to_load(shown.data)}</div>"
            )
        elif shown.mime == "text/latex":
            parts.append(_latex(shown.data, latex))
        elif shown.mime == "text/markdown":  # _repr_markdown_, IPython.display.Markdown
            import comrak

            parts.append(
                f'<div class="lp-output-markdown">{comrak.render_markdown(shown.data)}</div>'
            )
        else:  # text/plain
            parts.append(
                f'<pre class="lp-cell-output lp-output-value"><code>{html.escape(shown.data)}'
                "</code></pre>"
            )
    return ShownOutputs("".join(parts), tuple(files), tuple(problems))


def _parts(shown: ShownOutputs) -> tuple[str, tuple[OutputFile, ...], tuple[str, ...]]:
    return shown.html, shown.files, shown.problems


def click_to_load(fragment: str) -> str:
    """``fragment`` with each ``<iframe>`` from another host (a YouTube video, an IFrame)
    replaced by a placeholder: nothing is requested from that host until the reader asks."""
    if "<iframe" not in fragment.lower():
        return fragment
    return _IFRAME.sub(_placeholder, fragment)


def _placeholder(found: re.Match[str]) -> str:
    attrs = dict((k.lower(), v) for k, _, v in _ATTRS.findall(found.group(1)) if v is not None)
    src = html.unescape(attrs.get("src", ""))
    host = urlsplit(src).hostname or ""
    if not host:
        return found.group(0)  # a frame of this site's own: nothing leaves it
    size = "".join(
        f' data-{k}="{html.escape(attrs[k], quote=True)}"'
        for k in ("width", "height")
        if k in attrs
    )
    link = html.escape(src, quote=True)
    where = html.escape(host)
    return (
        f'<div class="lp-embed" data-src="{link}"{size}>'
        f"<p>This output shows content from {where}, which is not loaded until you ask: "
        f'<button type="button" class="lp-embed-load">Load it here</button> or '
        f'<a href="{link}" rel="noopener">open it on {where}</a>.</p></div>'
    )


def _image(shown: Display, page_dir: str, stem: str) -> tuple[str, OutputFile] | None:
    ext = EXTENSIONS[shown.mime]
    name = f"{stem}.{ext}"
    if ext == "svg":
        data = shown.data.encode("utf-8")
        size = _svg_size(shown.data)
    else:
        try:
            data = base64.b64decode(shown.data, validate=False)
        except (binascii.Error, ValueError):
            return None
        size = _png_size(data) if ext == "png" else None
        if size is not None and ext == "png":
            size = (size[0] // 2, size[1] // 2)  # drawn at twice the dpi: shown at half
    dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
    alt = html.escape(shown.alt or "", quote=True)
    tag = f'<img src="{name}" alt="{alt}"{dims} loading="lazy" decoding="async">'
    caption = f"<figcaption>{html.escape(shown.alt)}</figcaption>" if shown.alt else ""
    figure = f'<figure class="lp-output-figure">{tag}{caption}</figure>'
    return figure, OutputFile(posixpath.join(page_dir, name), data)


def _svg_size(svg: str) -> tuple[int, int] | None:
    found = _SVG_SIZE.search(svg[:2000])
    if not found:
        return None
    scale = 4 / 3 if found.group(2) == "pt" else 1.0  # CSS: 1pt = 4/3 px
    return round(float(found.group(1)) * scale), round(float(found.group(3)) * scale)


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _latex(source: str, latex: Callable[[str, bool], tuple[str, str]]) -> str:
    found = _MATH_DELIMITERS.match(source)
    body = found.group(2) if found else source
    mathml, problem = latex(body.strip(), True)
    if problem:
        return f'<pre class="lp-cell-output"><code>{html.escape(source)}</code></pre>'
    return f'<div class="math-display">{mathml}</div>'
