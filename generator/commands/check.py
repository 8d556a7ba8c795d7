"""Command ``lessonpress check [--source DIR] [--strict]``: a build that writes nothing, plus lint.

Runs the whole build in frozen mode into memory (no cell is executed; results
come from the compute cache), then checks what a build does not: internal links
and anchors, images, empty link text, headings that skip levels, images without
alt text and charts without a caption. Positions are lines of the .md file.
Errors (broken links, missing images) fail the check; ``--strict`` fails on
warnings too. Each kind of warning has a code (``check-link-text``, ``check-heading``,
``check-chart-caption``, ``check-image-alt``, ``check-figure-alt``); ``check: {allow:
{path: [link-text, ...]}}`` in site.yml accepts some kinds in some files. Cells with no
cached results (never built, or edited since) are a warning naming the first changed
cell: their outputs and charts go unchecked. Fast enough for a pre-commit hook: nothing
is computed or written.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urljoin, urlsplit

from generator.errors import Diagnostic, print_diagnostics
from generator.fences import fences
from generator.model import Post, SiteConfig
from generator.placeholders import BLOCK_TOKEN_TEXT

FROZEN_MISSING = "compute-frozen-missing"  # the code compute gives a post it may not run
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+|$)")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
_NOT_PARAGRAPH = re.compile(rf"^\s*(?:[-*+]\s|\d+[.)]\s|>|<|\||#|{BLOCK_TOKEN_TEXT})")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_LINK = re.compile(
    r"(?P<bang>!?)\[(?P<text>(?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])*)\]"
    r"\(\s*(?P<url><[^<>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"
    r"""(?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?\s*\)"""
)
_REF_DEF = re.compile(r"^ {0,3}\[(?P<label>[^\]^][^\]]*)\]:\s*(?P<url><[^>]*>|\S+)")
_TAG = re.compile(r"<(?P<name>a|img|canvas)\b(?P<attrs>[^>]*)>", re.I)
_ATTR = re.compile(r"""([A-Za-z_:][\w:.-]*)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_IDS = re.compile(r"""\s(?:id|name)\s*=\s*["']([^"']+)["']""")


def run(args: argparse.Namespace) -> int:
    source: Path = args.source
    if not source.is_dir():
        print(f"lessonpress: error: --source {source} is not a folder", file=sys.stderr)
        return 2
    found = check_site(source, drafts=args.drafts)
    if args.strict:
        found = [Diagnostic(d.path, d.line, d.message, "error", code=d.code) for d in found]
    quiet = bool(getattr(args, "quiet", False))
    form: Literal["text", "json"] = getattr(args, "diagnostics", "text")
    print_diagnostics(found, quiet=quiet and not args.strict, form=form)
    errors = sum(d.is_error for d in found)
    warnings = len(found) - errors
    if errors:
        print(f"check failed: {errors} error(s), {warnings} warning(s)", file=sys.stderr)
        return 1
    if not quiet:
        print(f"check passed: {warnings} warning(s)")
    return 0


# --------------------------------------------------------------------------- the whole site


def check_site(source: Path, *, drafts: bool = False) -> list[Diagnostic]:
    """Every diagnostic of a frozen in-memory build plus the checks of this module."""
    from generator.build.pipeline import BuildOptions, build
    from generator.content.config import load_config
    from generator.errors import BuildError
    from generator.output.writer import MemoryWriter

    root = source.resolve()
    writer = MemoryWriter({})
    options = BuildOptions(source=root, drafts=drafts, mode="frozen", keep_going=True)
    try:
        report = build(options, writer)
    except BuildError as exc:  # config or template problems: nothing to check links against
        return sorted(set(exc.diagnostics))
    config = load_config(root)
    posts = report.posts  # the build parsed them: not again
    site = Site(config, root, writer.files)
    found = [_not_run_yet(d) for d in _without_consequences(report.diagnostics, posts)]
    for post in posts:
        found.extend(check_post(post, site))
    return sorted(set(_allowed_out(found, config)))


def _allowed_out(found: Sequence[Diagnostic], config: SiteConfig) -> list[Diagnostic]:
    """Warnings the site accepts, by file and kind (``check: {allow: {path: [kinds]}}`` in
    site.yml: a post kept as it was written, say), are not reported. Errors always are."""
    allow = config.check_allow
    return [
        d
        for d in found
        if d.is_error or not any(d.code == f"check-{kind}" for kind in allow.get(d.path, ()))
    ]


def _without_consequences(diags: Sequence[Diagnostic], posts: Sequence[Post]) -> list[Diagnostic]:
    """A post without cached results has no datasets: its chart errors are not news."""
    uncomputed = {d.path for d in diags if d.code == FROZEN_MISSING}
    spans = {
        p.rel: [(c.line - 1, c.line + c.source.count("\n") + 1) for c in p.charts]
        for p in posts
        if p.rel in uncomputed
    }
    return [
        d
        for d in diags
        if d.path not in spans or not any(a <= d.line <= b for a, b in spans[d.path])
    ]


def _not_run_yet(diag: Diagnostic) -> Diagnostic:
    """Cells that have not run (no build yet, or edited since) are not a broken site: the
    check says their outputs and charts went unchecked (an error only with --strict)."""
    if diag.code != FROZEN_MISSING:
        return diag
    message = (
        "this cell and the ones after it have not run (no cached results): their outputs "
        "and charts are not checked; run lessonpress build"
    )
    return Diagnostic(diag.path, diag.line, message, "warning", code=FROZEN_MISSING)


@dataclass
class Site:
    """The built site in memory: output paths -> bytes, and the anchors of each page."""

    config: SiteConfig
    root: Path
    files: Mapping[str, bytes]
    _ids: dict[str, set[str]] = field(default_factory=dict)

    def page_url(self, post: Post) -> str:
        return self.config.base_path + post.url.lstrip("/")

    def find(self, url_path: str) -> str | None:
        """The output file a site URL path (with base path) is served from."""
        rel = unquote(url_path[len(self.config.base_path) :])
        candidates = [rel + "index.html"] if rel == "" or rel.endswith("/") else [rel]
        candidates.append(rel.rstrip("/") + "/index.html")
        return next((c for c in candidates if c in self.files), None)

    def ids(self, path: str) -> set[str]:
        if path not in self.files:
            return set()
        if path not in self._ids:
            text = self.files[path].decode("utf-8", "replace")
            self._ids[path] = set(_IDS.findall(text))
        return self._ids[path]


# --------------------------------------------------------------------------- one post


@dataclass(frozen=True)
class Ref:
    """A link or image found in the source, with its .md line."""

    kind: str  # "link" or "image"
    url: str
    line: int
    text: str | None  # link text / alt text; None when the source gives none (HTML without alt)


def check_post(post: Post, site: Site) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    scan = scan_source(post)
    found.extend(scan.diagnostics)
    for ref in scan.refs:
        found.extend(_check_ref(ref, post, site))
    found.extend(_chart_captions(post))
    found.extend(_untitled_figures(post, site))
    return found


@dataclass
class Scan:
    refs: list[Ref] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _body_lines(post: Post) -> Iterator[tuple[int, str]]:
    """(line number, text) of the body lines outside code fences and HTML comments."""
    lines = post.body.split("\n")
    code = {i for block in fences(lines) for i in range(block.start, block.end + 1)}
    in_comment = False
    for i, line in enumerate(lines):
        number = post.body_line + i
        if i in code:
            continue
        if in_comment:
            if "-->" not in line:
                continue
            line = line.split("-->", 1)[1]
            in_comment = False
        line = re.sub(r"<!--.*?-->", "", line)
        if "<!--" in line:
            line, in_comment = line.split("<!--", 1)[0], True
        yield number, _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)


def scan_source(post: Post) -> Scan:
    """Links, images and heading levels of a post's Markdown (cells and charts excluded)."""
    scan = Scan()
    level = 1  # the page template's title is the h1
    prev_text = ""
    for number, line in _body_lines(post):
        heading = _heading_level(line, prev_text)
        if heading:
            if heading > level + 1:
                scan.diagnostics.append(
                    Diagnostic(
                        post.rel,
                        number if _ATX.match(line) else number - 1,
                        f"heading level skips from h{level} to h{heading} "
                        f"(use {'#' * (level + 1)} here)",
                        "warning",
                        code="check-heading",
                    )
                )
            level = heading
        prev_text = "" if heading else line
        _scan_markdown(line, number, post, scan)
        _scan_html(line, number, post, scan)
    return scan


def _heading_level(line: str, prev: str) -> int:
    atx = _ATX.match(line)
    if atx:
        return len(atx.group(1))
    setext = _SETEXT.match(line)
    if setext and prev.strip() and not _NOT_PARAGRAPH.match(prev) and not _SETEXT.match(prev):
        return 1 if setext.group(1)[0] == "=" else 2
    return 0


def _scan_markdown(line: str, number: int, post: Post, scan: Scan) -> None:
    pending = [line]
    while pending:
        text = pending.pop()
        for match in _LINK.finditer(text):
            url = match.group("url").strip("<>")
            label = match.group("text")
            kind = "image" if match.group("bang") else "link"
            scan.refs.append(Ref(kind, url, number, _plain(label)))
            if kind == "link" and not label.strip():
                scan.diagnostics.append(
                    Diagnostic(
                        post.rel,
                        number,
                        f"link to {url} has no text",
                        "warning",
                        code="check-link-text",
                    )
                )
            if kind == "link" and "[" in label:
                pending.append(label)
    ref = _REF_DEF.match(line)
    if ref:
        scan.refs.append(Ref("link", ref.group("url").strip("<>"), number, ref.group("label")))


def _plain(text: str) -> str:
    return re.sub(r"[*_~`]", "", text).strip()


def _scan_html(line: str, number: int, post: Post, scan: Scan) -> None:
    for match in _TAG.finditer(line):
        name = match.group("name").lower()
        attrs = {k.lower(): (v or "").strip("\"'") for k, v in _ATTR.findall(match.group("attrs"))}
        if name == "img":
            alt = attrs.get("alt")
            scan.refs.append(Ref("image", attrs.get("src", ""), number, alt))
        elif name == "a" and "href" in attrs:
            rest = line[match.end() :]
            closing = rest.lower().find("</a>")
            text = None if closing < 0 else re.sub(r"<[^>]*>", "", rest[:closing]).strip()
            image_inside = closing >= 0 and "<img" in rest[:closing].lower()
            scan.refs.append(Ref("link", attrs["href"], number, text))
            if text == "" and not image_inside:
                scan.diagnostics.append(
                    Diagnostic(
                        post.rel,
                        number,
                        f"link to {attrs['href']} has no text",
                        "warning",
                        code="check-link-text",
                    )
                )
        elif name == "canvas" and not _in_captioned_figure(
            post.body, number - post.body_line, match.start()
        ):
            scan.diagnostics.append(
                Diagnostic(
                    post.rel,
                    number,
                    "chart has no caption (wrap the canvas in <figure> with a <figcaption>)",
                    "warning",
                    code="check-chart-caption",
                )
            )


def _in_captioned_figure(body: str, index: int, column: int) -> bool:
    """Is the tag at (line ``index`` of the body, ``column``) inside a <figure> with a caption?"""
    lines = body.split("\n")
    at = sum(len(line) + 1 for line in lines[:index]) + column
    before, after = body[:at].lower(), body[at:].lower()
    opened, closed = before.rfind("<figure"), before.rfind("</figure>")
    if opened < 0 or opened < closed:
        return False
    end = after.find("</figure>")
    return "<figcaption" in before[opened:] or "<figcaption" in after[: end if end >= 0 else None]


def _chart_captions(post: Post) -> list[Diagnostic]:
    from generator.render.charts.spec import parse_chart

    found = []
    for block in post.charts:
        spec, _ = parse_chart(block, post.rel)  # shape errors are reported by the build
        if spec is not None and not (spec.caption.strip() or spec.title.strip()):
            found.append(
                Diagnostic(
                    post.rel,
                    block.line - 1,
                    "chart has no caption (add `caption:` or `title:`)",
                    "warning",
                    code="check-chart-caption",
                )
            )
    return found


_FIGURE = re.compile(
    # cell-3-1.svg, or an interact's first frame: cell-3-1-<content hash>-1.svg
    r'<figure class="lp-output-figure"><img src="(cell-.+?)(?:-\d+-[0-9a-f]{10})?-\d+\.(?:svg|png)"'
    r' alt=""'
)


def _untitled_figures(post: Post, site: Site) -> list[Diagnostic]:
    """A figure a cell drew without a title has no alt text: readers who cannot see it
    learn nothing of it."""
    from generator.content.urls import output_path

    page = site.files.get(output_path(post.url), b"").decode("utf-8", "replace")
    lines = {c.anchor: c.line for c in post.cells}
    return [
        Diagnostic(
            post.rel,
            lines.get(found.group(1), 0),
            "a figure this cell draws has no title, so no alt text: give it one "
            "(ax.set_title or fig.suptitle) that says what it shows",
            "warning",
            code="check-figure-alt",
        )
        for found in _FIGURE.finditer(page)
    ]


# --------------------------------------------------------------------------- links and images


def _check_ref(ref: Ref, post: Post, site: Site) -> list[Diagnostic]:
    found = []
    if ref.kind == "image" and not (ref.text or "").strip():
        found.append(
            Diagnostic(
                post.rel,
                ref.line,
                f"image {ref.url} has no alt text",
                "warning",
                code="check-image-alt",
            )
        )
    problem = _broken(ref, post, site)
    if problem:
        found.append(Diagnostic(post.rel, ref.line, problem, code="check-link"))
    return found


def _broken(ref: Ref, post: Post, site: Site) -> str | None:
    url = ref.url.strip()
    if not url or _SCHEME.match(url) or url.startswith("//") or "{{" in url or "{%" in url:
        return None
    parts = urlsplit(url)
    page = site.page_url(post)
    own = site.find(page)
    if not parts.path:
        return _anchor_problem(parts.fragment, own, site, "this page")
    target = urljoin(page, parts.path)
    what = "image" if ref.kind == "image" else "link to"
    base = site.config.base_path
    if not target.startswith(base):
        return (
            f"{what} {url} is outside the site's base path {base} (write {base}{url.lstrip('/')})"
        )
    found = site.find(target)
    if found is None:
        return f"{what} {url} not found in the built site{_hint(url, post, site)}"
    return _anchor_problem(parts.fragment, found, site, target)


def _anchor_problem(fragment: str, path: str | None, site: Site, where: str) -> str | None:
    anchor = unquote(fragment)
    if not anchor or anchor == "top" or path is None or not path.endswith(".html"):
        return None
    if anchor in site.ids(path):
        return None
    return f"anchor #{anchor} not found in {where}"


def _hint(url: str, post: Post, site: Site) -> str:
    """Why a local file is missing from the site, when the author can be told."""
    path = urlsplit(url).path
    if path.startswith("/"):
        return ""
    beside = (post.source.parent / unquote(path)).resolve()
    try:
        beside.relative_to(site.root)
    except ValueError:
        return ""
    if not beside.is_file():
        return ""
    shown = beside.relative_to(site.root).as_posix()
    if beside.suffix in (".md", ".markdown"):
        return f" ({shown} is a source file: link to its page's URL instead)"
    return f" ({shown} exists, but only files in static/ are copied into the site)"
