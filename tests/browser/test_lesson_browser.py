"""The flagship lesson in a real browser: every chart draws, every slider works by keyboard,
tables and readouts agree with the published datasets, and the seed post's own chart still works.

The example site (``content/`` + ``site.yml``) is built once into a temporary folder and served
on 127.0.0.1 by the ``serve_dir`` fixture.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import BrowserLog, check_seed_chart

LESSON = "posts/linear-regression-interactive/"
CSV_POST = "posts/crop-yield-data/"
SEED = "posts/linear-regression/"
LESSON_CHARTS = [
    "tangent-chart",
    "fit-chart",
    "mse-chart",
    "loglik-chart",
    "variance-chart",
    "descent-loss-chart",
    "descent-path-chart",
    "nn-loss-chart",
    "nn-excess-chart",
]

# What a chart draws, as plain data; and how much of its canvas is painted.
CHART_DATA = """(id) => {
  const chart = window.lessonpress.charts[id];
  return chart.data.datasets.map((ds) => ds.data.map((p) => [p.x, p.y]));
}"""
PAINTED = """(id) => {
  const chart = window.lessonpress.charts[id];
  chart.options.animation = false;
  chart.update('none');
  const canvas = chart.canvas;
  const ctx = canvas.getContext('2d');
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  let painted = 0;
  const colours = new Set();
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 0) {
      painted++;
      colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    }
  }
  return { painted, total: canvas.width * canvas.height, colours: colours.size,
           width: canvas.clientWidth, height: canvas.clientHeight };
}"""
TABLE = """(figureId) => [...document.querySelectorAll(`#${figureId} table`)].map((t) => ({
  caption: t.caption ? t.caption.textContent : '',
  head: [...t.tHead.rows[0].cells].map((c) => c.textContent),
  rows: [...t.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent)),
}))"""


@pytest.fixture
def open_page(example_site: Path, serve_dir: Callable[..., str], page: Any) -> Callable[[str], Any]:
    base = serve_dir(example_site)

    def open_(path: str) -> Any:
        page.goto(base + path)
        page.wait_for_function("() => window.lessonpress && window.lessonpress.ready")
        page.evaluate("() => window.lessonpress.ready")
        return page

    return open_


def _dataset(site: Path, post: str, name: str) -> dict[str, Any]:
    folder = post  # data/<slug>/
    data: dict[str, Any] = json.loads((site / "data" / folder / f"{name}.json").read_text())
    return data


def _assert_painted(page: Any, figure_id: str) -> None:
    paint = page.evaluate(PAINTED, figure_id)
    assert paint["width"] > 200 and paint["height"] > 150, (figure_id, paint)
    assert paint["painted"] > 0.01 * paint["total"], (figure_id, paint)
    assert paint["colours"] >= 3, (figure_id, paint)  # axes/text plus at least two series colours


def _readout(page: Any, figure_id: str) -> str:
    text: str = page.locator(f"#{figure_id}-readout").inner_text()
    return text


def test_every_lesson_chart_is_drawn_with_data(
    open_page: Callable[[str], Any], browser_log: BrowserLog
) -> None:
    page = open_page(LESSON)
    ids = page.evaluate("() => Object.keys(window.lessonpress.charts)")
    assert sorted(ids) == sorted(LESSON_CHARTS)
    for figure_id in LESSON_CHARTS:
        assert page.locator(f"#{figure_id}").get_attribute("data-lp-ready") == "true"
        series = page.evaluate(CHART_DATA, figure_id)
        assert series and all(len(points) > 0 for points in series), figure_id
        for points in series:
            for x, y in points:
                assert isinstance(y, int | float), (figure_id, x, y)
        _assert_painted(page, figure_id)
    browser_log.assert_clean()


@pytest.mark.parametrize(
    ("figure_id", "key", "synced"),
    [
        ("tangent-chart", "ArrowRight", None),
        ("fit-chart", "ArrowRight", "mse-chart"),
        ("mse-chart", "End", "fit-chart"),
        ("loglik-chart", "ArrowRight", None),
        ("descent-loss-chart", "ArrowRight", "descent-path-chart"),
        ("descent-path-chart", "Home", "descent-loss-chart"),
    ],
)
def test_each_slider_moved_by_keyboard_changes_its_chart_and_readout(
    open_page: Callable[[str], Any],
    browser_log: BrowserLog,
    figure_id: str,
    key: str,
    synced: str | None,
) -> None:
    page = open_page(LESSON)
    slider = page.locator(f"#{figure_id} input[type=range]")
    before = page.evaluate(CHART_DATA, figure_id)
    readout_before = _readout(page, figure_id)
    value_before = page.locator(f"#{figure_id}-value").inner_text()
    other_before = page.evaluate(CHART_DATA, synced) if synced else None

    slider.focus()
    page.keyboard.press(key)

    assert page.evaluate(CHART_DATA, figure_id) != before
    assert _readout(page, figure_id) != readout_before
    assert page.locator(f"#{figure_id}-value").inner_text() != value_before
    if synced:
        assert page.evaluate(CHART_DATA, synced) != other_before
        assert (
            page.locator(f"#{synced}-value").inner_text()
            == page.locator(f"#{figure_id}-value").inner_text()
        )
    _assert_painted(page, figure_id)
    browser_log.assert_clean()


def test_fit_readout_and_table_follow_the_sweep_dataset(
    open_page: Callable[[str], Any], example_site: Path, browser_log: BrowserLog
) -> None:
    page = open_page(LESSON)
    fit = _dataset(example_site, "linear-regression-interactive", "fit")
    slider = page.locator("#fit-chart input[type=range]")
    slider.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    index = int(slider.input_value())
    slope = fit["values"][index]
    table = fit["tables"][index]
    assert _readout(page, "fit-chart") == (
        f"At β₁ = {slope:g} the squared errors average MSE = {table['mse'][0]:.3f}."
    )
    drawn = page.evaluate(CHART_DATA, "fit-chart")[1]
    assert drawn == [list(p) for p in zip(table["x"], table["yhat"], strict=True)]
    shown = page.evaluate(TABLE, "fit-chart")[1]
    assert shown["caption"] == f"fit at slope = {slope:g}"
    assert [[float(c) for c in row] for row in shown["rows"]] == [
        [table[h][r] for h in shown["head"]] for r in range(len(table["x"]))
    ]
    # The MSE chart moved with it: its marker sits on the same slope.
    marker = page.evaluate(CHART_DATA, "mse-chart")[1]
    assert marker == [[slope, pytest.approx(table["mse"][0], rel=1e-5)]]
    browser_log.assert_clean()


def test_text_numbers_and_tables_match_the_datasets(
    open_page: Callable[[str], Any], example_site: Path, browser_log: BrowserLog
) -> None:
    page = open_page(LESSON)
    best = _dataset(example_site, "linear-regression-interactive", "mse_best")["columns"]
    readout = _readout(page, "mse-chart")
    assert readout.endswith(
        f"the lowest, {best['best_mse'][0]:.3f}, is at β₁* = {best['best_slope'][0]:.3f}."
    )
    curve = _dataset(example_site, "linear-regression-interactive", "mse_curve")["columns"]
    slope = float(page.locator("#mse-chart-value").inner_text())
    assert readout.startswith(f"Here MSE = {curve['mse'][curve['slope'].index(slope)]:.3f};")
    output = page.locator(".lp-cell-output", has_text="optimal slope").inner_text()
    assert f"β₁* = {best['best_slope'][0]:.3f}" in output

    variance = _dataset(example_site, "linear-regression-interactive", "variance_bias")
    shown = page.evaluate(TABLE, "variance-chart")[0]
    columns = variance["columns"]
    assert len(shown["rows"]) == len(columns["n"])
    for r, row in enumerate(shown["rows"]):
        assert [float(c) for c in row] == [columns[h][r] for h in shown["head"]]
    browser_log.assert_clean()


def test_divergent_learning_rate_is_annotated_not_broken(
    open_page: Callable[[str], Any], browser_log: BrowserLog
) -> None:
    page = open_page(LESSON)
    page.locator("#descent-loss-chart input[type=range]").focus()
    page.keyboard.press("End")
    assert _readout(page, "descent-loss-chart").startswith("η = 0.13: diverged")
    loss = page.evaluate(CHART_DATA, "descent-loss-chart")[0]
    assert all(isinstance(y, int | float) and y > 0 for _, y in loss)
    assert loss[-1][1] > 1e6  # the blow-up is drawn up to where it was stopped
    assert page.locator("#descent-path-chart-value").inner_text() == "0.13"
    _assert_painted(page, "descent-loss-chart")
    browser_log.assert_clean()


def test_csv_post_draws_the_file_and_the_cell_dataset(
    open_page: Callable[[str], Any], browser_log: BrowserLog
) -> None:
    page = open_page(CSV_POST)
    csv_points = page.evaluate(CHART_DATA, "csv-chart")[0]
    assert csv_points == [[x, y] for x, y in enumerate([20, 40, 60, 80, 100, 80, 60, 40, 20])]
    for figure_id in ("csv-chart", "rates-chart"):
        _assert_painted(page, figure_id)
    browser_log.assert_clean()


def test_seed_post_chart_still_works(
    open_page: Callable[[str], Any], browser_log: BrowserLog
) -> None:
    check_seed_chart(open_page(SEED))  # 9 points, both axis titles, ink on the canvas
    browser_log.assert_clean()
