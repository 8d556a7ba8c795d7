"""Render stage: the files hosts and feed readers look for -- feed.xml, sitemap.xml, robots.txt.

Takes rendered posts (body HTML) and the site config; returns OutputFiles and
diagnostics, never touches the output folder. XML is built with ElementTree so
it is always well formed. Dates come from the content or SOURCE_DATE_EPOCH,
never the wall clock, so two builds of the same sources are byte-identical.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from generator.content.urls import slugify
from generator.errors import Diagnostic
from generator.memo import same
from generator.model import OutputFile, Post, SiteConfig

if TYPE_CHECKING:
    from generator.render.memo import RenderMemo
    from generator.render.rendered import RenderedPost

ATOM = "http://www.w3.org/2005/Atom"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
FEED_LIMIT = 20
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Characters XML 1.0 forbids; a stray one would make the whole feed unreadable.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_URL_ATTR = re.compile(r"""(\s(?:href|src|poster)\s*=\s*)(["'])(.*?)\2""", re.I | re.S)
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.I | re.S)
NO_URL = (
    "site URL unknown: set base_url in site.yml to an absolute address "
    "(https://example.org/) so feed.xml and sitemap.xml can use absolute URLs"
)


def render_feeds(
    config: SiteConfig,
    rendered: Sequence[RenderedPost],
    *,
    epoch: dt.datetime | None = None,
    memo: RenderMemo | None = None,
) -> tuple[list[OutputFile], list[Diagnostic]]:
    """feed.xml, sitemap.xml (only with an absolute site URL) and robots.txt.

    ``epoch`` (default: SOURCE_DATE_EPOCH) dates posts that have no date. With a
    ``memo``, a sitemap whose posts' URLs, dates and taxonomies are unchanged is reused.
    """
    fallback = epoch or _source_date_epoch()
    listed = [r for r in rendered if _listed(r.post)]
    files = [OutputFile("feed.xml", atom_feed(config, listed, fallback))]
    diags: list[Diagnostic] = []
    if config.url:
        posts = [r.post for r in listed]
        shown = (config, tuple((p.url, p.date, p.kind, p.tags, p.categories) for p in posts))
        if memo is not None and memo.sitemap is not None and same(memo.sitemap[0], shown):
            data = memo.sitemap[1]
        else:
            data = sitemap(config, posts)
        if memo is not None:
            memo.sitemap = (shown, data)
        files.append(OutputFile("sitemap.xml", data))
    else:
        diags.append(
            Diagnostic(config.config_file or "site.yml", 0, NO_URL, "warning", code="feed")
        )
    files.append(OutputFile("robots.txt", robots(config)))
    return files, diags


def _listed(post: Post) -> bool:
    return not post.draft and post.extra.get("sitemap", True) is not False


# --------------------------------------------------------------------------- URLs and dates


def site_url(config: SiteConfig, path: str) -> str:
    """Absolute URL of a site path ("/posts/x/"), or root-relative when the origin is unknown."""
    return config.url + config.base_path + path.lstrip("/")


def rfc3339(value: dt.datetime) -> str:
    """``2024-05-01T09:30:00Z`` or with its offset; naive datetimes are taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    text = value.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _source_date_epoch() -> dt.datetime | None:
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value and value.isdigit():
        return dt.datetime.fromtimestamp(int(value), dt.UTC)
    return None


def updated(post: Post, fallback: dt.datetime | None) -> dt.datetime:
    """Front matter ``updated``/``last_modified_at``, else ``date``, else the fallback."""
    for key in ("updated", "last_modified_at"):
        value = post.extra.get(key)
        if isinstance(value, dt.datetime):
            return value
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day)
    return post.date or fallback or EPOCH


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def absolutize(html: str, base: str) -> str:
    """Every href/src/poster resolved against the page's absolute URL; scripts dropped."""
    html = _SCRIPT.sub("", html)
    return _URL_ATTR.sub(
        lambda m: f"{m.group(1)}{m.group(2)}{urljoin(base, m.group(3))}{m.group(2)}", html
    )


def _clean(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


# --------------------------------------------------------------------------- Atom (RFC 4287)


def atom_feed(
    config: SiteConfig, rendered: Sequence[RenderedPost], fallback: dt.datetime | None
) -> bytes:
    posts = [r for r in rendered if r.post.kind == "post"]
    posts.sort(key=lambda r: (_aware(updated(r.post, fallback)), r.post.rel), reverse=True)
    posts = posts[:FEED_LIMIT]
    home = site_url(config, "/")
    feed = ET.Element("feed", {"xmlns": ATOM})
    _text(feed, "id", home if config.url else _urn(config.title, "/"))
    _text(feed, "title", config.title)
    if config.description:
        _text(feed, "subtitle", config.description)
    newest = max((_aware(updated(r.post, fallback)) for r in posts), default=None)
    _text(feed, "updated", rfc3339(newest or _aware(fallback or EPOCH)))
    ET.SubElement(feed, "link", {"rel": "self", "href": site_url(config, "/feed.xml")})
    ET.SubElement(feed, "link", {"rel": "alternate", "type": "text/html", "href": home})
    author = ET.SubElement(feed, "author")
    _text(author, "name", config.author or config.title)
    _text(feed, "generator", "lessonpress")
    for item in posts:
        _entry(feed, config, item, fallback)
    ET.indent(feed, space="  ")
    body = ET.tostring(feed, encoding="unicode", short_empty_elements=True)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")


def _entry(
    feed: ET.Element, config: SiteConfig, item: RenderedPost, fallback: dt.datetime | None
) -> None:
    post = item.post
    url = site_url(config, post.url)
    entry = ET.SubElement(feed, "entry")
    _text(entry, "id", url if config.url else _urn(config.title, post.url))
    _text(entry, "title", post.title)
    _text(entry, "updated", rfc3339(updated(post, fallback)))
    if post.date:
        _text(entry, "published", rfc3339(post.date))
    ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": url})
    author = post.extra.get("author")
    if isinstance(author, str) and author.strip():
        _text(ET.SubElement(entry, "author"), "name", author.strip())
    for tag in post.tags:
        ET.SubElement(entry, "category", {"term": _clean(tag)})
    if post.description:
        _text(entry, "summary", post.description)
    content = ET.SubElement(entry, "content", {"type": "html"})
    if config.url:
        content.set(XML_BASE, url)
    content.text = _clean(absolutize(item.html, url))


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = _clean(text)
    return element


def _urn(title: str, path: str) -> str:
    """A stable id for sites without a known address (Atom ids must be absolute IRIs)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"lessonpress:{title}:{path}").urn


# --------------------------------------------------------------------------- sitemap, robots


def sitemap(config: SiteConfig, posts: Sequence[Post]) -> bytes:
    """sitemaps.org 0.9: the home page, every post and page, the tag and category pages."""
    root = ET.Element("urlset", {"xmlns": SITEMAP})
    newest = max((_aware(p.date) for p in posts if p.date), default=None)
    _url(root, site_url(config, "/"), newest)
    for post in posts:
        _url(root, site_url(config, post.url), post.date)
    for kind in ("tags", "categories"):
        names = {n for p in posts if p.kind == "post" for n in getattr(p, kind)}
        if names:
            _url(root, site_url(config, f"/{kind}/"), None)
        for name in sorted(names, key=str.casefold):
            _url(root, site_url(config, f"/{kind}/{slugify(name) or 'tag'}/"), None)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")


def _url(root: ET.Element, loc: str, lastmod: dt.datetime | None) -> None:
    url = ET.SubElement(root, "url")
    _text(url, "loc", loc)
    if lastmod is not None:
        _text(url, "lastmod", rfc3339(lastmod))


def robots(config: SiteConfig) -> bytes:
    lines = ["User-agent: *", "Allow: /"]
    if config.url:
        lines.append(f"Sitemap: {site_url(config, '/sitemap.xml')}")
    return ("\n".join(lines) + "\n").encode("utf-8")
