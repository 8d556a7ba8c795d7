"""The Jekyll lesson blog fixture in a real browser, served under its baseurl (/lessons/).

Built once with the real CLI; each test opens a page and checks what a reader sees: MathML that
takes up space, Pygments-highlighted code, and the blog's hand-written Chart.js embeds drawn by
the Chart.js 4 the site ships, with no console errors.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import BrowserLog, build_site

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "jekyll_blog"
PREFIX = "/lessons/"  # baseurl in _config.yml

MATH_BOXES = """() => [...document.querySelectorAll('.post-body math')].map((m) => {
  const box = m.getBoundingClientRect();
  return { width: box.width, height: box.height, display: m.getAttribute('display') };
})"""
PAINTED = """(id) => {
  const chart = Chart.getChart(id);
  if (!chart) return null;
  chart.options.animation = false;
  chart.update('none');
  const canvas = chart.canvas;
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return { painted, total: canvas.width * canvas.height, type: chart.config.type };
}"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("jekyll-browser")
    source = tmp / "blog"
    shutil.copytree(FIXTURE, source)
    result = build_site(source, tmp / "out")
    assert result.returncode == 0, result.stderr
    return tmp / "out"


@pytest.fixture
def base(built: Path, serve_dir: Callable[..., str]) -> str:
    return serve_dir(built, prefix=PREFIX)


def _open(page: Any, url: str) -> None:
    page.goto(url, wait_until="load")
    # Only pages that draw charts load Chart.js.
    page.wait_for_function(
        "() => !document.querySelector('canvas') || typeof Chart !== 'undefined'"
    )


def test_math_is_mathml_that_takes_up_space(page: Any, base: str, browser_log: BrowserLog) -> None:
    _open(page, base + "posts/2021/03/14/linear-regression/")
    boxes = page.evaluate(MATH_BOXES)
    assert len(boxes) >= 10
    assert {b["display"] for b in boxes} == {"inline", "block"}
    flat = [b for b in boxes if b["width"] <= 0 or b["height"] <= 0]
    assert not flat, f"math with no size: {flat}"
    block = page.locator(".math-display math").first
    assert block.is_visible()
    # A display formula is taller than a line of text: MathML is laid out, not shown as source.
    assert block.bounding_box()["height"] > 20
    browser_log.assert_clean()


def test_highlighted_code_is_coloured(page: Any, base: str, browser_log: BrowserLog) -> None:
    _open(page, base + "posts/2021/07/04/pytorch-autograd/")
    keyword = page.locator('.post-body .highlight span.kn:text("import")').first
    assert keyword.is_visible()
    plain = page.evaluate("getComputedStyle(document.querySelector('.post-body p')).color")
    assert keyword.evaluate("(el) => getComputedStyle(el).color") != plain
    browser_log.assert_clean()


@pytest.mark.parametrize(
    ("url", "chart_id"),
    [
        ("posts/2021/03/14/linear-regression/", "cropYieldChart"),
        ("statistics/2021/05/10/normal-distribution/", "normalPdf"),
    ],
)
def test_inline_chart_js_embeds_draw(
    page: Any, base: str, browser_log: BrowserLog, url: str, chart_id: str
) -> None:
    _open(page, base + url)
    drawn = page.evaluate(PAINTED, chart_id)
    assert drawn is not None, f"Chart.getChart({chart_id!r}) found no chart"
    assert drawn["type"] == "line"
    assert drawn["painted"] > drawn["total"] * 0.005, drawn
    assert page.locator(f"#{chart_id}").is_visible()
    browser_log.assert_clean()


def test_chart_js_2_embed_draws_and_logs_what_the_build_warned_about(
    page: Any, base: str, browser_log: BrowserLog
) -> None:
    _open(page, base + "posts/2021/08/15/chartjs-legacy-scales/")
    drawn = page.evaluate(PAINTED, "learningCurve")
    assert drawn is not None and drawn["painted"] > drawn["total"] * 0.005, drawn
    # The build's warning (tests/render/test_jekyll_blog.py) is about exactly these console errors.
    errors = [e.split(" (http")[0] for e in browser_log.console_errors]
    assert errors == [
        "console: Invalid scale configuration for scale: xAxes",
        "console: Invalid scale configuration for scale: yAxes",
    ]
    browser_log.console_errors.clear()
    browser_log.assert_clean()


def test_links_work_under_the_baseurl(page: Any, base: str, browser_log: BrowserLog) -> None:
    _open(page, base)
    page.locator('a[href$="2021/04/20/bias-variance/"]').first.click()
    page.wait_for_url("**/lessons/ml/2021/04/20/bias-variance/")
    # An absolute link written with {{ site.baseurl }} in the post body.
    page.locator('.post-body a:text("linear regression")').click()
    page.wait_for_url("**/lessons/posts/2021/03/14/linear-regression/")
    browser_log.assert_clean()
