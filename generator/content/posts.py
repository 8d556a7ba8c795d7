"""Content stage: find the site's Markdown sources and parse them into Posts.

Reads files and front matter; knows nothing of Markdown rendering, compute or
templates. Every author mistake becomes a Diagnostic with the .md line.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from generator.content.blocks import extract_blocks
from generator.content.discover import NOTEBOOK_SUFFIX, SourceFile, discover, inside
from generator.content.frontmatter import (
    Fields,
    FrontMatter,
    FrontMatterError,
    normalise,
    split_front_matter,
)
from generator.content.memo import ContentMemo, Parsed
from generator.content.urls import PermalinkError, output_path, post_url, slugify
from generator.errors import Diagnostic, Diagnostics
from generator.memo import stat_sig
from generator.model import Post, SiteConfig
from generator.paths import data_folder

JEKYLL_NAME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})-(.+)$")
FIRST_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.M)


def _title_from_name(stem: str) -> str:
    return re.sub(r"[-_]+", " ", stem).strip().capitalize() or stem


def parse_post(
    src: SourceFile,
    root: Path,
    config: SiteConfig,
    layouts: Callable[[str], str | None],
    diags: Diagnostics,
) -> Post | None:
    """Parse one file. Returns None when the file is not a post (errors go to ``diags``)."""
    rel = src.rel
    try:
        raw = src.path.read_bytes()
    except OSError as exc:
        diags.error(rel, 0, f"cannot read file: {exc.strerror}", code="content")
        return None
    if b"\x00" in raw:
        diags.error(
            rel,
            raw[: raw.index(b"\x00")].count(b"\n") + 1,
            "file contains a NUL byte",
            code="content",
        )
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        diags.error(
            rel,
            line,
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
            code="content",
        )
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if src.path.suffix.lower() == NOTEBOOK_SUFFIX:
        return _parse_notebook(src, root, config, text, layouts, diags)
    try:
        fm = split_front_matter(text)
    except FrontMatterError as exc:
        diags.error(rel, exc.line, exc.message, code="content")
        return None
    if src.jekyll and not fm.present:
        if src.kind == "post":
            diags.warning(
                rel,
                0,
                "skipped: no front matter (Jekyll does not treat it as a post)",
                code="content",
            )
        return None
    fields = normalise(fm, rel, diags)
    if fields is None:
        return None
    return _make_post(src, root, config, fm, fields, layouts, diags)


def _parse_notebook(
    src: SourceFile,
    root: Path,
    config: SiteConfig,
    text: str,
    layouts: Callable[[str], str | None],
    diags: Diagnostics,
) -> Post | None:
    """A notebook read as a post; its problems also name the cell and the line in it."""
    from generator.content.notebooks import in_cell, read_notebook

    found = Diagnostics()
    notebook = read_notebook(text, src.rel, found)
    post = None
    if notebook is not None:
        fields = normalise(notebook.front_matter, src.rel, found)
        if fields is not None:
            post = _make_post(src, root, config, notebook.front_matter, fields, layouts, found)
        diags.extend(in_cell(d, notebook.cells) for d in found)
    else:
        diags.extend(found)
    if post is None or notebook is None:
        return None
    return replace(post, notebook=notebook.cells, stored=notebook.stored)


def _make_post(
    src: SourceFile,
    root: Path,
    config: SiteConfig,
    fm: FrontMatter,
    fields: Fields,
    layouts: Callable[[str], str | None],
    diags: Diagnostics,
) -> Post | None:
    v = fields.values
    rel = src.rel
    stem = src.path.stem
    name_match = JEKYLL_NAME.match(stem)
    file_date = None
    if name_match:
        year, month, day, stem = name_match.groups()
        try:
            file_date = dt.datetime(int(year), int(month), int(day))
        except ValueError:
            diags.error(
                rel, 0, f"file name date {year}-{month}-{day} is not a real date", code="content"
            )
            return None
    if src.jekyll and v.get("published") is False:
        return None  # Jekyll builds unpublished posts only with --unpublished, not --drafts
    date = v.get("date", file_date)
    title = v.get("title") or first_heading(fm.body) or _title_from_name(stem)
    slug = slugify(v.get("slug") or stem) or "post"
    layout = _layout(v.get("layout"), src, fm, layouts, diags)
    if layout is None:
        return None
    # Jekyll: a file in _posts/ is a post whatever its layout (a page elsewhere).
    kind: Literal["post", "page"] = "page" if layout == "page" else "post"
    if src.jekyll:
        kind = "post" if src.kind == "post" else "page"
    categories = v.get("categories", ()) + v.get("category", ())
    try:
        url = post_url(v.get("permalink"), kind, src, root, config, slug, date, categories)
    except PermalinkError as exc:
        diags.error(rel, fm.lines.get("permalink", 1), f"permalink {exc}", code="content")
        return None
    inputs = _inputs(v.get("inputs", ()), src, root, fm.lines.get("inputs", 1), diags)
    blocks = extract_blocks(fm.body, fm.body_line, rel, diags)
    return Post(
        source=src.path,
        rel=rel,
        title=title,
        date=date,
        slug=slug,
        url=url,
        body=blocks.body,
        body_line=fm.body_line,
        layout=layout,
        kind=kind,
        tags=tuple(dict.fromkeys(v.get("tags", ()) + v.get("tag", ()))),
        categories=tuple(dict.fromkeys(categories)),
        order=v.get("order"),
        draft=v.get("draft", False) or not v.get("published", True) or src.draft_dir,
        description=v.get("description") or v.get("excerpt") or "",
        series=v.get("series"),
        inputs=inputs,
        seed=v.get("seed"),
        shell=v.get("shell", False),
        figure_format=v.get("figure_format", "svg"),
        jekyll=src.jekyll,
        timeout=v.get("timeout"),
        cells=tuple(blocks.cells),
        charts=tuple(blocks.charts),
        extra=fields.extra,
    )


def first_heading(body: str) -> str | None:
    match = FIRST_HEADING.search(body)
    return match.group(1) if match else None


def _layout(
    value: str | None,
    src: SourceFile,
    fm: FrontMatter,
    layouts: Callable[[str], str | None],
    diags: Diagnostics,
) -> str | None:
    default = "page" if src.kind == "page" else "post"
    if not value:
        return default
    line = fm.lines.get("layout", 1)
    if "/" in value or "\\" in value or value.startswith("."):
        diags.error(
            src.rel, line, f"layout '{value}' must be a template name in templates/", code="content"
        )
        return None
    resolved = layouts(value)
    if resolved is None:
        diags.warning(src.rel, line, f"unknown layout '{value}'; using '{default}'", code="content")
        return default
    return resolved


def _inputs(
    paths: tuple[str, ...], src: SourceFile, root: Path, line: int, diags: Diagnostics
) -> tuple[str, ...]:
    result = []
    for item in paths:
        candidate = (src.path.parent / item) if not item.startswith("/") else root / item[1:]
        if not inside(candidate, root.resolve()):
            diags.error(
                src.rel,
                line,
                f"input '{item}' is outside the site or does not exist",
                code="content",
            )
            continue
        result.append(candidate.resolve().relative_to(root.resolve()).as_posix())
    return tuple(result)


def reading_minutes(body: str) -> int:
    """At 200 words a minute; words split at whitespace, as Jekyll's ``number_of_words``."""
    return max(1, round(len(body.split()) / 200))


def load_posts(
    root: Path,
    config: SiteConfig,
    layouts: Callable[[str], str | None],
    *,
    drafts: bool,
    memo: ContentMemo | None = None,
) -> tuple[list[Post], list[Diagnostic]]:
    """Discover and parse every source; drafts are dropped unless ``drafts``.

    With a ``memo``, a file whose stat is unchanged since the last build is not re-read.
    """
    found = discover(root, drafts=drafts)
    diags = found.diagnostics
    posts = []
    for src in found.files:
        post = (
            parse_post(src, root, config, layouts, diags)
            if memo is None
            else _parse_remembered(src, root, config, layouts, diags, memo)
        )
        if post is not None and (drafts or not post.draft):
            posts.append(post)
    if memo is not None:
        wanted = {str(src.path) for src in found.files}
        for gone in [k for k in memo.parsed if k not in wanted]:
            del memo.parsed[gone]
    check_url_collisions(posts, diags)
    return posts, list(diags)


def _parse_remembered(
    src: SourceFile,
    root: Path,
    config: SiteConfig,
    layouts: Callable[[str], str | None],
    diags: Diagnostics,
    memo: ContentMemo,
) -> Post | None:
    key = str(src.path)
    sig = stat_sig(src.path)
    known = memo.parsed.get(key)
    if known is not None and sig is not None and known.sig == sig and known.source == src:
        diags.extend(known.diagnostics)
        return known.post
    own = Diagnostics()
    post = parse_post(src, root, config, layouts, own)
    diags.extend(own)
    if sig is not None and sig == stat_sig(src.path):  # unchanged while it was read
        memo.parsed[key] = Parsed(sig, src, post, tuple(own))
    else:
        memo.parsed.pop(key, None)
    return post


def check_url_collisions(posts: list[Post], diags: Diagnostics) -> None:
    seen: dict[str, Post] = {}
    data: dict[str, Post] = {}
    for post in posts:
        key = unicodedata.normalize("NFC", output_path(post.url)).casefold()
        other = seen.get(key)
        if other is not None:
            diags.error(
                post.rel, 0, f"writes the same URL {post.url} as {other.rel}", code="content"
            )
            continue
        seen[key] = post
        if not (post.cells or post.charts):
            continue
        folder = post.data_slug.casefold()
        other = data.get(folder)
        if other is not None:
            where = data_folder(post.data_slug)
            message = f"publishes data to {where}/ like {other.rel}; give one a slug"
            diags.error(post.rel, 0, message, code="content")
        else:
            data[folder] = post


_EPOCH = dt.datetime(1970, 1, 1)


def sort_posts(posts: Iterable[Post]) -> list[Post]:
    """``order`` first (ascending), then newest first, then by path."""

    def key(post: Post) -> tuple[Any, ...]:
        stamp = (post.date.replace(tzinfo=None) - _EPOCH).total_seconds() if post.date else -1e18
        order = post.order if post.order is not None else float("inf")
        return (order, -stamp, post.rel)

    return sorted(posts, key=key)
