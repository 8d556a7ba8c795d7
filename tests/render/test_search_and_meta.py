"""Search index, series boxes and the head partials (meta, social cards), on real small sites."""

from __future__ import annotations

import json
import re
from pathlib import Path

from generator.render.search import build_index, html_text
from generator.render.series import series_boxes
from tests.helpers import REPO_ROOT, render_posts

REPO = REPO_ROOT
SITE = {
    "site.yml": "title: Site\ndescription: All lessons.\nbase_url: https://example.org/l/\n",
    "content/posts/a.md": """
        ---
        title: Part one
        date: 2024-01-01
        series: Regression
        image: /img/card.png
        ---
        [](https://example.org/x)

        First *paragraph* of A with a zebra.

        ## Heading A {#ha}

        <script>var hiddenword = 1;</script>
    """,
    "content/posts/b.md": """
        ---
        title: Part two
        date: 2024-02-01
        series: Regression
        description: "B's own description <b>"
        ---
        Body of B.
    """,
    "content/posts/c.md": """
        ---
        title: Part three
        date: 2024-03-01
        series: Regression
        ---
        Body of C.
    """,
    "content/posts/solo.md": """
        ---
        title: Solo
        search: false
        ---
        Not searchable.
    """,
}


def _with_head(root: Path) -> None:
    """The lead's base.html/post.html with the one-line includes this feature asks for."""
    base = (REPO / "templates/base.html").read_text()
    base = re.sub(
        r"\{% block meta %\}.*?\{% endblock %\}",
        '{% block meta %}{% include "partials/head.html" %}{% endblock %}',
        base,
        flags=re.S,
    )
    post = (REPO / "templates/post.html").read_text()
    post = re.sub(r"\{% block meta %\}.*?\{% endblock %\}\n", "", post, flags=re.S)
    post = post.replace(
        '  <div class="post-body">',
        '  {% include "partials/series.html" %}\n  <div class="post-body">',
    )
    (root / "templates").mkdir(parents=True, exist_ok=True)
    (root / "templates/base.html").write_text(base)
    (root / "templates/post.html").write_text(post)


def test_search_index_has_titles_headings_and_text(tmp_path: Path) -> None:
    _renderer, rendered = render_posts(tmp_path, SITE)
    data = json.loads(build_index(rendered))
    assert data["v"] == 1
    docs = {d["t"]: d for d in data["docs"]}
    assert set(docs) == {"Part one", "Part two", "Part three"}
    a = docs["Part one"]
    assert a["u"] == "posts/a/"
    assert a["h"] == [["ha", "Heading A"]]
    assert "First paragraph of A with a zebra." in a["x"]
    assert "hiddenword" not in a["x"] and "#" not in a["x"]
    assert docs["Part two"]["s"] == "B's own description <b>"


def test_html_text_skips_noise() -> None:
    html = (
        '<h2 id="x">Title<a class="headerlink" href="#x">#</a></h2><p>One<br>two</p>'
        '<details class="lp-chart-data"><table><tr><td>123</td></tr></table></details>'
        "<math><mi>q</mi></math><p>three &amp; four</p>"
    )
    assert html_text(html) == "Title One two three & four"


def test_html_text_reads_tag_names_in_any_case_and_every_entity() -> None:
    html = (
        "<P>One</P><DIV>two</DIV><SCRIPT>hidden()</script><Math><mi>q</mi></MATH>"
        "<p>&quot;a&quot; &#39;b&#x27; &lt;c&gt; &amp;lt; &nbsp;d &eacute; &#8212;</p>"
    )
    assert html_text(html) == "One two \"a\" 'b' <c> &lt; d \u00e9 \u2014"
    assert html_text("<p>x &amp;amp; y</p>\n\n<li>z</li>") == "x &amp; y z"


def test_series_are_read_in_order_with_position(tmp_path: Path) -> None:
    _, rendered = render_posts(tmp_path, SITE)
    boxes = series_boxes([r.post for r in rendered])
    b = boxes["content/posts/b.md"]
    assert (b["name"], b["part"], b["total"]) == ("Regression", 2, 3)
    assert [p["title"] for p in b["posts"]] == ["Part one", "Part two", "Part three"]
    assert b["prev"] == {"title": "Part one", "url": "/posts/a/"}
    assert b["next"] == {"title": "Part three", "url": "/posts/c/"}
    assert boxes["content/posts/a.md"]["prev"] is None
    assert "content/posts/solo.md" not in boxes


def _pages(tmp_path: Path) -> dict[str, str]:
    _with_head(tmp_path)
    renderer, rendered = render_posts(tmp_path, SITE)
    renderer.env.globals["series_boxes"] = series_boxes([r.post for r in rendered])
    files = renderer.render_site(rendered) + renderer.render_search(rendered)
    return {f.path: f.data.decode() for f in files if f.path.endswith(".html")}


def _meta(html: str, key: str) -> list[str]:
    pattern = rf'<meta (?:name|property)="{re.escape(key)}" content="([^"]*)">'
    return re.findall(pattern, html)


def test_post_head_has_canonical_description_and_social_cards(tmp_path: Path) -> None:
    pages = _pages(tmp_path)
    a = pages["posts/a/index.html"]
    assert '<link rel="canonical" href="https://example.org/l/posts/a/">' in a
    # No description in front matter: the first paragraph with text (the empty link is skipped).
    assert _meta(a, "description") == ["First paragraph of A with a zebra."]
    assert _meta(a, "og:title") == ["Part one"]
    assert _meta(a, "og:type") == ["article"]
    assert _meta(a, "og:image") == ["https://example.org/l/img/card.png"]
    assert _meta(a, "twitter:card") == ["summary_large_image"]
    assert _meta(a, "article:published_time") == ["2024-01-01"]
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Site" href="../../feed.xml">' in a
    )
    assert '<link rel="stylesheet" href="../../css/print.css" media="print">' in a
    b = pages["posts/b/index.html"]
    assert _meta(b, "description") == ["B&#39;s own description &lt;b&gt;"]
    assert _meta(b, "twitter:card") == ["summary"] and not _meta(b, "og:image")
    index = pages["index.html"]
    assert _meta(index, "description") == ["All lessons."]
    assert "canonical" not in index


def test_series_box_shows_position_and_neighbours(tmp_path: Path) -> None:
    b = _pages(tmp_path)["posts/b/index.html"]
    assert "Part 2 of 3 in the series <strong>Regression</strong>" in b
    assert '<li aria-current="page">Part two</li>' in b
    assert (
        '<a class="prev" rel="prev" href="../../posts/a/"><span>Previous in series</span> Part one</a>'
        in b
    )
    assert (
        '<a class="next" rel="next" href="../../posts/c/"><span>Next in series</span> Part three</a>'
        in b
    )
    assert "series-box" not in _pages(tmp_path / "again")["posts/solo/index.html"]


def test_search_page_renders(tmp_path: Path) -> None:
    page = _pages(tmp_path)["search/index.html"]
    assert 'data-index="../search-index.json" data-root="../"' in page
    assert '<script src="../js/search.js" defer></script>' in page
