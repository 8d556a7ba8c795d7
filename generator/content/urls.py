"""Content stage: slugs, permalinks and the output file of a URL.

Every URL is checked to stay inside the site before anything is written.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote

from generator.content.discover import SourceFile
from generator.model import SiteConfig


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"[\s_-]+", "-", text).strip("-")


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


def post_url(
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


def relative_url(here: str, path: str) -> str:
    """``path`` (site-absolute, e.g. "/css/a.css") as seen from the output file ``here``."""
    if "://" in path or path.startswith(("#", "mailto:", "data:")):
        return path
    return "../" * here.count("/") + path.lstrip("/") or "./"
