"""The example notebook lesson in Chromium: its figures load and are described, its values
and outputs read as in Jupyter, and its hidden form cells take no room."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.helpers import BrowserLog

NOTEBOOK = "posts/least-squares-tutorial/"
FIGURES = """() => [...document.querySelectorAll('figure.lp-output-figure img')].map((img) => ({
  src: img.getAttribute('src'), alt: img.alt, loaded: img.complete && img.naturalWidth > 0,
  width: img.getBoundingClientRect().width, natural: img.naturalWidth,
}))"""


def test_notebook_figures_load_with_their_titles_as_alt_text(
    page: Any, browser_log: BrowserLog, serve_dir: Callable[..., str], example_site: Path
) -> None:
    page.goto(serve_dir(example_site) + NOTEBOOK)
    for img in page.locator("figure.lp-output-figure img").all():
        img.scroll_into_view_if_needed()  # lazy-loaded: they load as the reader reaches them
    page.wait_for_function(
        "[...document.querySelectorAll('figure.lp-output-figure img')]"
        ".every((i) => i.complete && i.naturalWidth > 0)"
    )
    figures = page.evaluate(FIGURES)
    assert [f["alt"] for f in figures] == [
        "Simulated measurements",
        "Slope 1.0: MSE 3.01",  # the interact demo's first frame
        "MSE as a function of the slope",
        "Least-squares fit, slope 1.21",
    ], figures
    assert all(f["loaded"] and 200 < f["width"] <= 740 for f in figures), figures
    body = page.inner_text(".post-body")
    assert "theta_hat of 1.0 has an MSE of" in body
    assert "Least squares gives theta_hat = 1.208, MSE = 1.432" in body
    assert "@title" not in body and "def plot_observed_vs_predicted" not in body  # form cells
    hidden = page.evaluate(
        "[...document.querySelectorAll('.lp-cell')].filter((c) => !c.firstChild)"
        ".map((c) => c.getBoundingClientRect().height)"
    )
    assert hidden and all(h == 0 for h in hidden)
    title = "Tutorial: Fitting a line by least squares"
    assert page.locator("h1", has_text=title).count() == 1  # the title, not repeated
    table = page.locator(".lp-output-html table")
    assert table.locator("caption").inner_text() == "MSE of three candidate slopes"
    rows = table.locator("tbody tr").all_inner_texts()
    assert [r.split("\t")[0] for r in rows] == ["0.75", "1.0", "1.5"], rows
    assert table.is_visible()
    browser_log.assert_clean()
