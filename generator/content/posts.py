"""Content stage: find the site's Markdown sources and parse them into Posts.

Reads files and front matter; knows nothing of Markdown rendering, compute or
templates. Every author mistake becomes a Diagnostic with the .md line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote

from generator.errors import Diagnostic, Diagnostics, closest, did_you_mean
from generator.fences import fences
from generator.memo import Memo, Parsed, stat_sig
from generator.model import Cell, CellOptions, ChartBlock, Post, SiteConfig
from generator.paths import data_folder, never_input
from generator.placeholders import cell_token, chart_token
from generator.yamlsafe import YamlProblem, load_yaml

MARKDOWN_SUFFIXES = (".md", ".markdown")
JEKYLL_NAME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})-(.+)$")
CELL_INFO = re.compile(r"^python\s*\{\s*\.?compute\b(?P<opts>[^}]*)\}$")
FIRST_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.M)
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class SourceFile:
    """A Markdown file to parse: where it is and how the site treats it."""

    path: Path
    rel: str
    kind: str  # "post" or "page"
    jekyll: bool  # Jekyll's rules apply (files in _posts/, _drafts/, or a _config.yml site)
    draft_dir: bool = False


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


def is_jekyll_site(root: Path) -> bool:
    return not (root / "content").is_dir() and (
        (root / "_config.yml").is_file() or (root / "_posts").is_dir()
    )


def discover(root: Path, *, drafts: bool) -> Discovery:
    """Find the Markdown sources, sorted by path. Symlinks never lead outside ``root``."""
    found = Discovery()
    root = root.resolve()
    jekyll_site = is_jekyll_site(root)
    base = root if jekyll_site else root / "content"
    if not base.is_dir():
        return found
    # Every path is under base, which is under root: strings, as a Path per step is slow.
    root_prefix, base_prefix = os.path.join(root, ""), os.path.join(base, "")
    for path in _walk(base, root, found.diagnostics):
        text = str(path)
        rel = text[len(root_prefix) :].replace(os.sep, "/")
        parts = tuple(text[len(base_prefix) :].split(os.sep))
        in_posts = "_posts" in parts[:-1]
        in_drafts = "_drafts" in parts[:-1]
        if in_drafts and not drafts:
            continue
        if jekyll_site:
            if not (in_posts or in_drafts or len(parts) == 1):
                continue
            if len(parts) == 1 and path.name.lower() in {"readme.md", "license.md", "changelog.md"}:
                continue
            kind = "post" if (in_posts or in_drafts) else "page"
        else:
            kind = "post"
        jekyll = jekyll_site or in_posts or in_drafts
        found.files.append(SourceFile(path, rel, kind, jekyll, in_drafts))
    return found


def _walk(base: Path, root: Path, diags: Diagnostics) -> Iterator[Path]:
    """Markdown files under ``base``, sorted, folder by folder (os.scandir: no stat per file)."""
    with os.scandir(base) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    top = base == root  # the skip list applies at the top of the site only
    folders = []
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            if not never_input(name, top=top):
                folders.append(entry)
            continue
        if entry.is_symlink() and _is_dir(entry):
            if not never_input(name, top=top):
                rel = Path(entry.path).relative_to(root).as_posix()
                diags.error(
                    rel,
                    0,
                    "symlinked folders are not followed; copy the files instead",
                    code="content",
                )
            continue
        if not name.lower().endswith(MARKDOWN_SUFFIXES):
            continue
        path = Path(entry.path)
        if entry.is_symlink() and not _inside(path, root):
            rel = path.relative_to(root).as_posix()
            problem = "points outside the site" if path.exists() else "is broken or a loop"
            diags.error(rel, 0, f"symlink {problem}; refused", code="content")
            continue
        if entry.is_file():
            yield path
    for folder in folders:
        yield from _walk(Path(folder.path), root, diags)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a symlink loop: treated as a file, as os.walk does
        return False


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve(strict=True).relative_to(root)
    except (OSError, ValueError, RuntimeError):
        return False
    return True


# --------------------------------------------------------------------------- front matter


@dataclass(frozen=True)
class FrontMatter:
    data: Mapping[str, Any]
    lines: Mapping[str, int]  # key -> .md line
    body: str
    body_line: int
    present: bool


class FrontMatterError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def split_front_matter(text: str) -> FrontMatter:
    """Split ``---`` YAML front matter from the body; lines are 1-based .md lines."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return FrontMatter({}, {}, text, 1, False)
    for end in range(1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            break
    else:
        raise FrontMatterError(1, "front matter opened with '---' on line 1 is never closed")
    try:
        data, key_lines = load_yaml("\n".join(lines[1:end]), first_line=2)
    except YamlProblem as exc:
        raise FrontMatterError(exc.line, exc.message) from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise FrontMatterError(2, f"front matter must be a mapping of keys, got a {_kind(data)}")
    body = "\n".join(lines[end + 1 :])
    return FrontMatter(data, key_lines, body, end + 2, True)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


# --------------------------------------------------------------------------- field normalisers


class FieldError(ValueError):
    pass


def _text(key: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        raise FieldError(f"'{key}' must be text, got {value!r}")
    if isinstance(value, int | float):
        raise FieldError(f"'{key}' must be text, got {value!r} (quote it: {key}: \"{value}\")")
    raise FieldError(f"'{key}' must be text, got a {_kind(value)}")


def _words(key: str, value: Any) -> tuple[str, ...]:
    """Tags/categories: a list, or Jekyll's space-separated string."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v for v in value.replace(",", " ").split() if v)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return tuple(str(v).strip() for v in value if str(v).strip())
    raise FieldError(f"'{key}' must be a list of words, got a {_kind(value)}")


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldError(f"'{key}' must be a number, got {value!r}")
    return float(value)


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldError(f"'{key}' must be true or false, got {value!r}")
    return value


DATE_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M %z", "%Y-%m-%d %H:%M")


def _date(key: str, value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            pass
        for fmt in DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
    raise FieldError(f"'{key}' is not a date: {value!r} (use YYYY-MM-DD)")


KNOWN_KEYS = {
    "title", "date", "layout", "tags", "tag", "categories", "category", "order", "permalink",
    "slug", "draft", "published", "description", "excerpt", "series", "inputs", "seed", "timeout",
}  # fmt: skip


# --------------------------------------------------------------------------- fenced blocks


@dataclass
class Blocks:
    body: str
    cells: list[Cell] = field(default_factory=list)
    charts: list[ChartBlock] = field(default_factory=list)


CELL_FLAGS = {"hide-code", "hide-output", "hidden"}


def parse_cell_options(text: str) -> CellOptions:
    hide_code = hide_output = False
    timeout: float | None = None
    name: str | None = None
    for word in text.split():
        key, _, value = word.partition("=")
        if key in ("hide-code", "hidden"):
            hide_code = True
        if key in ("hide-output", "hidden"):
            hide_output = True
        if key in CELL_FLAGS:
            if value:
                raise FieldError(f"cell option '{key}' takes no value")
        elif key == "timeout":
            try:
                timeout = float(value)
            except ValueError:
                raise FieldError(f"cell option timeout must be seconds, got {value!r}") from None
            if not timeout > 0:
                raise FieldError(f"cell option timeout must be positive, got {value!r}")
        elif key == "name" and value:
            name = value
        else:
            suffix = did_you_mean(key, [*CELL_FLAGS, "timeout", "name"])
            raise FieldError(f"unknown cell option '{word}'{suffix}")
    return CellOptions(hide_code, hide_output, timeout, name)


def extract_blocks(body: str, body_line: int, rel: str, diags: Diagnostics) -> Blocks:
    """Replace ```python {compute} and ```chart blocks by placeholder paragraphs.

    The replacement keeps the line count so later diagnostics still point at
    the right .md line. Blocks nested inside another fence are left alone.
    """
    lines = body.split("\n")
    out: list[str] = []
    blocks = Blocks("")
    done = 0
    for block in fences(lines):
        kind = _block_kind(block.info)
        if kind is None:
            continue
        i, end, indent, info = block.start, block.end, block.indent, block.info
        out.extend(lines[done:i])
        start_line = body_line + i
        content = "\n".join(_dedent(line, indent) for line in lines[i + 1 : end])
        if not block.closed(lines):
            diags.error(rel, start_line, f"```{info} block is never closed", code="content")
        if kind == "chart":
            index = len(blocks.charts)
            blocks.charts.append(ChartBlock(index, content, start_line + 1))
            token = chart_token(index)
        else:
            try:
                options = parse_cell_options(CELL_INFO.match(info).group("opts"))  # type: ignore[union-attr]
            except FieldError as exc:
                diags.error(rel, start_line, str(exc), code="content")
                options = CellOptions()
            index = len(blocks.cells)
            blocks.cells.append(Cell(index, content, start_line + 1, options))
            token = cell_token(index)
        span = min(end, len(lines) - 1) - i + 1
        out.extend(_placeholder(indent, token, span))
        done = end + 1
    out.extend(lines[done:])
    blocks.body = "\n".join(out)
    return blocks


def _block_kind(info: str) -> str | None:
    if info == "chart" or info.startswith("chart "):
        return "chart"
    if CELL_INFO.match(info):
        return "cell"
    return None


def _dedent(line: str, indent: str) -> str:
    return line[len(indent) :] if line.startswith(indent) else line.lstrip()


def _placeholder(indent: str, token: str, span: int) -> list[str]:
    lines = ["", indent + token, ""]
    return lines + [""] * max(0, span - 3)


# --------------------------------------------------------------------------- posts


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"[\s_-]+", "-", text).strip("-")


def _title_from_name(stem: str) -> str:
    return re.sub(r"[-_]+", " ", stem).strip().capitalize() or stem


def derive_seed(rel: str) -> int:
    return int.from_bytes(hashlib.sha256(rel.encode("utf-8")).digest()[:4], "big")


class PermalinkError(ValueError):
    pass


def expand_permalink(pattern: str, values: Mapping[str, str]) -> str:
    """Fill ``:name`` placeholders and make sure the result stays inside the site."""

    def fill(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    url = re.sub(r":([a-z_]+)", fill, pattern)
    return safe_url(url)


def safe_url(url: str) -> str:
    decoded = unquote(url)
    if "\\" in decoded or "\x00" in decoded or re.match(r"^[a-zA-Z]:", decoded.lstrip("/")):
        raise PermalinkError(f"'{url}' is not a safe URL path")
    if "://" in decoded or decoded.startswith("//"):
        raise PermalinkError(f"'{url}' must be a path inside the site, not an address")
    segments = [s for s in decoded.split("/") if s]
    if any(s in (".", "..") for s in segments):
        raise PermalinkError(f"'{url}' would write outside the output folder")
    trailing = decoded.endswith("/") or not segments or "." not in segments[-1]
    path = "/" + "/".join(segments)
    if trailing and path != "/":
        path += "/"
    return path


def output_path(url: str) -> str:
    """The file a URL is served from, relative to the output folder."""
    return url.strip("/") + "/index.html" if url.endswith("/") else url.lstrip("/")


@dataclass
class _Fields:
    """Mutable scratch space while normalising one file's front matter."""

    values: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


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
    fields = _normalise(fm, rel, diags)
    if fields is None:
        return None
    return _make_post(src, root, config, fm, fields, layouts, diags)


def _normalise(fm: FrontMatter, rel: str, diags: Diagnostics) -> _Fields | None:
    result = _Fields()
    ok = True
    for key, value in fm.data.items():
        key = str(key)
        line = fm.lines.get(key, 1)
        if key not in KNOWN_KEYS:
            hint = closest(key, sorted(KNOWN_KEYS), cutoff=0.8)
            if hint and hint not in fm.data:
                diags.warning(
                    rel, line, f"unknown key '{key}' (did you mean '{hint}'?)", code="content"
                )
            result.extra[key] = value
            continue
        try:
            result.values[key] = _normalise_field(key, value)
        except FieldError as exc:
            diags.error(rel, line, str(exc), code="content")
            ok = False
    return result if ok else None


def _normalise_field(key: str, value: Any) -> Any:
    if key in ("tags", "tag", "categories", "category"):
        return _words(key, value)
    if key in ("order", "timeout"):
        number = _number(key, value)
        if key == "timeout" and number <= 0:
            raise FieldError(f"'timeout' must be positive, got {value!r}")
        return number
    if key in ("draft", "published"):
        return _bool(key, value)
    if key == "date":
        return _date(key, value)
    if key == "seed":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise FieldError(f"'seed' must be a whole number ≥ 0, got {value!r}")
        return value
    if key == "inputs":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise FieldError("'inputs' must be a list of file paths")
        return tuple(value)
    return _text(key, value)


def _make_post(
    src: SourceFile,
    root: Path,
    config: SiteConfig,
    fm: FrontMatter,
    fields: _Fields,
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
    title = v.get("title") or _first_heading(fm.body) or _title_from_name(stem)
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
        url = _url(v.get("permalink"), kind, src, root, config, slug, date, categories)
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
        seed=v.get("seed", derive_seed(rel)),
        timeout=v.get("timeout"),
        cells=tuple(blocks.cells),
        charts=tuple(blocks.charts),
        extra=fields.extra,
    )


def _first_heading(body: str) -> str | None:
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


def _url(
    permalink: str | None,
    kind: str,
    src: SourceFile,
    root: Path,
    config: SiteConfig,
    slug: str,
    date: dt.datetime | None,
    categories: tuple[str, ...],
) -> str:
    values = {
        "slug": slug,
        "title": slug,
        "year": f"{date.year:04d}" if date else "",
        "month": f"{date.month:02d}" if date else "",
        "i_month": str(date.month) if date else "",
        "day": f"{date.day:02d}" if date else "",
        "i_day": str(date.day) if date else "",
        "y_day": f"{date.timetuple().tm_yday:03d}" if date else "",
        "categories": "/".join(slugify(c) for c in categories),
        "output_ext": ".html",
    }
    if permalink:
        return expand_permalink(permalink, values)
    if kind == "page":
        base = root if src.jekyll else root / "content"
        parts = src.path.relative_to(base).with_suffix("").parts
        path = "/".join(slugify(p) or p for p in parts)
        return safe_url("/" if path == "index" else f"/{path}/")
    return expand_permalink(config.permalink, values)


def _inputs(
    paths: tuple[str, ...], src: SourceFile, root: Path, line: int, diags: Diagnostics
) -> tuple[str, ...]:
    result = []
    for item in paths:
        candidate = (src.path.parent / item) if not item.startswith("/") else root / item[1:]
        if not _inside(candidate, root.resolve()):
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
    return max(1, round(len(WORD.findall(body)) / 200))


def load_posts(
    root: Path,
    config: SiteConfig,
    layouts: Callable[[str], str | None],
    *,
    drafts: bool,
    memo: Memo | None = None,
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
    memo: Memo,
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
