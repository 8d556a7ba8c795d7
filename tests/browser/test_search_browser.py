"""Search and print in a real browser: a word from a post body is found, fast, offline."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

from generator.model import OutputFile
from tests.helpers import BrowserLog, assert_no_browser_errors, build_site, render_posts
from tests.render.test_search_and_meta import _with_head

POSTS = {
    "site.yml": "title: Lessons\nbase_url: /\n",
    "content/posts/alpha.md": """
        ---
        title: Alpha lesson
        date: 2024-01-01
        ---
        The gradient points uphill.

        ## Momentum {#momentum}

        A heavy ball keeps rolling past the xylophone.
    """,
    "content/posts/beta.md": """
        ---
        title: Beta lesson
        date: 2024-02-01
        ---
        Nothing about instruments here.

        ```chart
        type: line
        data: {x: [1, 2, 3], y: [1, 4, 9]}
        x: x
        y: y
        caption: Squares.
        ```
    """,
}


def _site(tmp_path: Path) -> Path:
    """A real build, with the search files and head partials as the lead wires them."""
    src = tmp_path / "src"
    _with_head(src)
    renderer, rendered = render_posts(src, POSTS)
    out = tmp_path / "site"
    result = build_site(src, out)
    assert result.returncode == 0, result.stderr
    if not (out / "search-index.json").exists():
        _write(out, renderer.render_search(rendered))
    return out


def _write(out: Path, files: list[OutputFile]) -> None:
    for item in files:
        (out / item.path).parent.mkdir(parents=True, exist_ok=True)
        (out / item.path).write_bytes(item.data)


def test_finds_a_word_from_a_post_body(
    tmp_path: Path, serve_dir: Any, page: Any, browser_log: BrowserLog
) -> None:
    base = serve_dir(_site(tmp_path), "/")
    page.goto(base + "search/")
    page.wait_for_selector("html[data-search-ready='2']")
    field = page.locator("#lp-search-input")
    assert field.evaluate("el => el === document.activeElement")
    page.keyboard.type("xylo")
    links = page.locator("#lp-search-results a.search-result-link")
    links.first.wait_for()
    assert links.count() == 1
    assert links.first.inner_text() == "Alpha lesson"
    assert page.locator(".search-snippet mark").first.inner_text() == "xylo"
    assert "xylophone" in page.locator(".search-snippet").first.inner_text()
    assert "1 lesson matches" in page.locator("#lp-search-status").inner_text()
    # Keyboard: ↓ moves into the results, Enter follows the link.
    page.keyboard.press("ArrowDown")
    assert links.first.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/posts/alpha/"))
    assert page.locator("h1").first.inner_text() == "Alpha lesson"
    assert_no_browser_errors(browser_log)


def test_query_in_the_address_and_escape_clears(
    tmp_path: Path, serve_dir: Any, page: Any, browser_log: BrowserLog
) -> None:
    base = serve_dir(_site(tmp_path), "/")
    page.goto(base + "search/?q=lesson")
    page.wait_for_selector("html[data-search-ready='2']")
    assert page.locator("#lp-search-results li").count() == 2
    page.locator("#lp-search-input").press("Escape")
    assert page.locator("#lp-search-results li").count() == 0
    assert_no_browser_errors(browser_log)


def test_thousand_posts_index_is_searched(
    tmp_path: Path, serve_dir: Any, page: Any, browser_log: BrowserLog
) -> None:
    out = _site(tmp_path)
    rng = random.Random(1)
    words = [f"w{i}" for i in range(3000)] + ["gradient", "descent", "matrix", "tensor", "loss"]
    docs = [
        {
            "u": f"posts/p{i}/",
            "t": f"Lesson {i} " + " ".join(rng.choices(words, k=4)),
            "h": [[f"h{j}", " ".join(rng.choices(words, k=3))] for j in range(6)],
            "x": " ".join(rng.choices(words, k=1500)),
        }
        for i in range(1000)
    ]
    (out / "search-index.json").write_text(json.dumps({"v": 1, "docs": docs}))
    base = serve_dir(out, "/")
    page.goto(base + "search/")
    page.wait_for_selector("html[data-search-ready='1000']")
    # Timing lives in benchmarks/search_speed.py; here: the big index is searched correctly.
    found = {}
    for query in ("gradient", "matrix tensor", "nothingmatches"):
        page.locator("#lp-search-input").fill(query)
        results = page.locator("#lp-search-results")
        assert results.get_attribute("data-search-ms") is not None
        found[query] = results.locator("li").count()
    assert found["gradient"] > 0 and found["matrix tensor"] > 0
    assert found["nothingmatches"] == 0
    assert_no_browser_errors(browser_log)


def test_print_shows_charts_as_images_without_controls(
    tmp_path: Path, serve_dir: Any, page: Any, browser_log: BrowserLog
) -> None:
    base = serve_dir(_site(tmp_path), "/")
    page.goto(base + "posts/beta/")
    page.wait_for_function(
        "() => { const c = document.querySelector('.lp-chart canvas');"
        " return c && c.width > 0 && window.lessonpressPrint; }"
    )
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    image = page.locator("img.lp-print-image")
    assert image.count() == 1
    assert image.get_attribute("src").startswith("data:image/png;base64,")
    assert image.is_visible()
    assert not page.locator(".lp-chart canvas").first.is_visible()
    assert page.locator("figcaption").first.is_visible()
    for hidden in (".site-header", ".site-footer", ".lp-chart-data", ".post-nav"):
        if page.locator(hidden).count():
            assert not page.locator(hidden).first.is_visible(), hidden
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    page.emulate_media(media="screen")
    assert page.locator("img.lp-print-image").count() == 0
    assert page.locator(".lp-chart canvas").first.is_visible()
    assert_no_browser_errors(browser_log)


def test_printing_from_a_dark_screen_uses_the_light_palette(
    tmp_path: Path, serve_dir: Any, page: Any, browser_log: BrowserLog
) -> None:
    base = serve_dir(_site(tmp_path), "/")
    page.emulate_media(color_scheme="dark")
    page.goto(base + "posts/beta/")
    page.wait_for_function(
        "() => window.lessonpress && window.lessonpress.charts"
        " && Object.keys(window.lessonpress.charts).length && window.lessonpressPrint"
    )
    text_colour = "() => Object.values(window.lessonpress.charts)[0].options.color"
    assert page.evaluate(text_colour) == "#e4e8ee"  # the dark palette on screen
    page.emulate_media(media="print", color_scheme="dark")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.evaluate(text_colour) == "#1d232b"  # paper: the light one, in the image too
    body = page.evaluate("getComputedStyle(document.body).color")
    assert body == "rgb(0, 0, 0)"
    page.emulate_media(media="screen", color_scheme="dark")  # back on screen, as browsers do
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert page.evaluate(text_colour) == "#e4e8ee"
    assert_no_browser_errors(browser_log)


def test_code_prints_dark_on_light_from_a_dark_screen(
    page: Any, serve_dir: Any, example_site: Path
) -> None:
    page.emulate_media(media="print", color_scheme="dark")
    page.goto(serve_dir(example_site) + "posts/least-squares-tutorial/")
    colours = page.evaluate(
        """() => [...document.querySelectorAll('.highlight pre span')].slice(0, 40)
            .map((s) => getComputedStyle(s).color)"""
    )

    def luminance(rgb: str) -> float:
        r, g, b = (int(v) for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    assert colours and max(luminance(c) for c in colours) < 160, colours  # no near-white ink
