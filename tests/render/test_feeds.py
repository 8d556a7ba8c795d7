"""feed.xml (Atom, RFC 4287), sitemap.xml (sitemaps.org 0.9) and robots.txt of real small sites."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

from generator.model import OutputFile
from generator.render.feeds import render_feeds
from tests.helpers import render_posts

A = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
# RFC 3339 date-time (section 5.6), as Atom requires.
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")
W3C_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$"
)

SITE = {
    "site.yml": """
        title: Lessons & notes
        description: Computed lessons.
        author: Ada
        base_url: https://example.org/lessons/
    """,
    "content/posts/first.md": """
        ---
        title: First <lesson>
        date: 2024-03-01
        tags: [ml, "linear algebra"]
        description: The first one.
        ---
        ## Intro {#intro}

        See [the second](/lessons/posts/second/), [a section](#intro), [relative](../second/)
        and ![a plot](plot.png). Control \x01 character.

        <script>alert(1)</script>
    """,
    "content/posts/second.md": """
        ---
        title: Second
        date: 2024-04-02 10:30:00 +02:00
        tags: [ml]
        ---
        Body of the second post.
    """,
    "content/posts/undated.md": """
        ---
        title: Undated
        ---
        No date here.
    """,
    "content/posts/hidden.md": """
        ---
        title: Hidden draft
        draft: true
        ---
        Secret.
    """,
    "content/about.md": """
        ---
        title: About
        layout: page
        permalink: /about/
        ---
        About us.
    """,
}


def _feeds(
    tmp_path: Path, site: dict[str, str] | None = None, **kwargs: object
) -> dict[str, bytes]:
    renderer, rendered = render_posts(tmp_path, site or SITE, drafts=True)
    files, _ = render_feeds(renderer.config, rendered, **kwargs)  # type: ignore[arg-type]
    return {f.path: f.data for f in files}


def _absolute(url: str | None) -> bool:
    parts = urlsplit(url or "")
    return parts.scheme == "https" and parts.netloc == "example.org"


def test_feed_has_every_element_atom_requires(tmp_path: Path) -> None:
    feed = ET.fromstring(_feeds(tmp_path)["feed.xml"])
    assert feed.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        assert feed.find(f"{A}{name}") is not None and feed.findtext(f"{A}{name}"), name
    assert feed.findtext(f"{A}title") == "Lessons & notes"
    assert feed.findtext(f"{A}author/{A}name") == "Ada"
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{A}link")}
    assert links["self"] == "https://example.org/lessons/feed.xml"
    assert links["alternate"] == "https://example.org/lessons/"
    entries = feed.findall(f"{A}entry")
    assert [e.findtext(f"{A}title") for e in entries] == ["Second", "First <lesson>", "Undated"]
    ids = [e.findtext(f"{A}id") for e in entries]
    assert len(set(ids)) == len(ids)
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert entry.findtext(f"{A}{name}"), name
        alternate = entry.find(f"{A}link[@rel='alternate']")
        assert alternate is not None and _absolute(alternate.get("href"))
        assert _absolute(entry.findtext(f"{A}id"))
        content = entry.find(f"{A}content")
        assert content is not None and content.get("type") == "html" and content.text


def test_drafts_and_pages_stay_out_of_the_feed(tmp_path: Path) -> None:
    text = _feeds(tmp_path)["feed.xml"].decode()
    assert "Hidden draft" not in text and "Secret" not in text
    assert "About us" not in text


def test_feed_dates_are_rfc3339(tmp_path: Path) -> None:
    feed = ET.fromstring(_feeds(tmp_path)["feed.xml"])
    stamps = [e.text or "" for e in feed.iter() if e.tag in (f"{A}updated", f"{A}published")]
    assert stamps and all(RFC3339.match(s) for s in stamps), stamps
    second = feed.find(f"{A}entry")
    assert second is not None
    assert second.findtext(f"{A}published") == "2024-04-02T10:30:00+02:00"
    assert feed.findtext(f"{A}updated") == "2024-04-02T10:30:00+02:00"  # the newest entry


def test_undated_post_takes_the_source_date_epoch(tmp_path: Path) -> None:
    epoch = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    feed = ET.fromstring(_feeds(tmp_path, epoch=epoch)["feed.xml"])
    undated = next(e for e in feed.findall(f"{A}entry") if e.findtext(f"{A}title") == "Undated")
    assert undated.findtext(f"{A}updated") == "2025-01-02T03:04:05Z"
    assert undated.find(f"{A}published") is None
    assert feed.findtext(f"{A}updated") == "2025-01-02T03:04:05Z"


def test_feed_content_is_full_with_absolute_urls_and_no_scripts(tmp_path: Path) -> None:
    feed = ET.fromstring(_feeds(tmp_path)["feed.xml"])
    first = next(
        e for e in feed.findall(f"{A}entry") if e.findtext(f"{A}title") == "First <lesson>"
    )
    html = first.findtext(f"{A}content") or ""
    assert "Control  character" in html  # the control character is dropped, the text kept
    hrefs = re.findall(r'(?:href|src)="([^"]+)"', html)
    assert hrefs and all(_absolute(h) for h in hrefs), hrefs
    assert "https://example.org/lessons/posts/second/" in hrefs
    assert "https://example.org/lessons/posts/first/#intro" in hrefs
    assert "https://example.org/lessons/posts/first/plot.png" in hrefs
    assert "<script" not in html
    assert [c.get("term") for c in first.findall(f"{A}category")] == ["ml", "linear algebra"]
    assert first.findtext(f"{A}summary") == "The first one."


def test_feed_is_identical_across_builds(tmp_path: Path) -> None:
    assert _feeds(tmp_path / "a") == _feeds(tmp_path / "b")


def test_sitemap_lists_every_page_with_absolute_urls(tmp_path: Path) -> None:
    root = ET.fromstring(_feeds(tmp_path)["sitemap.xml"])
    assert root.tag == f"{SM}urlset"
    urls = root.findall(f"{SM}url")
    locs = [u.findtext(f"{SM}loc") or "" for u in urls]
    assert all(_absolute(loc) for loc in locs), locs
    assert set(locs) == {
        "https://example.org/lessons/",
        "https://example.org/lessons/posts/first/",
        "https://example.org/lessons/posts/second/",
        "https://example.org/lessons/posts/undated/",
        "https://example.org/lessons/about/",
        "https://example.org/lessons/tags/",
        "https://example.org/lessons/tags/ml/",
        "https://example.org/lessons/tags/linear-algebra/",
    }
    for url in urls:
        assert {child.tag for child in url} <= {f"{SM}loc", f"{SM}lastmod"}
        lastmod = url.findtext(f"{SM}lastmod")
        assert lastmod is None or W3C_DATETIME.match(lastmod), lastmod


def test_robots_txt_points_to_the_sitemap(tmp_path: Path) -> None:
    robots = _feeds(tmp_path)["robots.txt"].decode()
    assert robots.splitlines() == [
        "User-agent: *",
        "Allow: /",
        "Sitemap: https://example.org/lessons/sitemap.xml",
    ]


def test_site_without_an_address_gets_a_warning_and_no_sitemap(tmp_path: Path) -> None:
    site = dict(SITE, **{"site.yml": "title: Local\nbase_url: /\n"})
    renderer, rendered = render_posts(tmp_path, site)
    files, diags = render_feeds(renderer.config, rendered)
    paths = [f.path for f in files]
    assert paths == ["feed.xml", "robots.txt"]
    assert [str(d) for d in diags] == [
        "site.yml: warning: site URL unknown: set base_url in site.yml to an absolute address "
        "(https://example.org/) so feed.xml and sitemap.xml can use absolute URLs"
    ]
    feed = ET.fromstring(_data(files, "feed.xml"))
    ids = [e.text or "" for e in feed.iter(f"{A}id")]
    assert all(i.startswith("urn:uuid:") for i in ids) and len(set(ids)) == len(ids)
    assert "Sitemap" not in _data(files, "robots.txt").decode()


def _data(files: list[OutputFile], path: str) -> bytes:
    return next(f.data for f in files if f.path == path)
