"""Declarative chart blocks in a real browser (issue 4).

One small site is built per module: a post whose compute cells publish a small table, a
500-row table (its JSON is larger than ``inline_data_limit`` so the page fetches it) and a
sweep, with a chart block of each kind. Each test opens the post in Chromium, waits for
``window.lessonpress.ready`` and reads what Chart.js drew from ``window.lessonpress.charts``
and from the canvas pixels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import BrowserLog, build_site, write_files

POST = "posts/charts/"
DATA = "data/charts/"
INLINE_LIMIT = 2000
SLOPES = [0.0, 0.5, 1.0, 1.5, 2.0]

SITE = {
    "site.yml": f"title: Chart tests\nbase_url: https://example.org/\n"
    f"inline_data_limit: {INLINE_LIMIT}\n",
    "content/posts/charts.md": """\
---
title: Charts
date: 2024-01-01
---
Data for the charts below.

```python {compute}
import numpy as np

x = np.arange(6, dtype=float)
dataset("small", x=x, y=2 * x + 1, z=x**2)
t = np.arange(500, dtype=float)
dataset("big", t=t, v=np.sin(t / 25) * 100 + t)
mse = lambda b: float(np.mean((2 * x + 1 - b * x) ** 2))
sweep("fit", "slope", [0.0, 0.5, 1.0, 1.5, 2.0],
      lambda b: {"x": x, "yhat": b * x, "mse": [mse(b)] * len(x)})
```

```chart
type: line
id: line-chart
data: small
x: x
y: [y, z]
x_label: Line X
y_label: Line Y
```

```chart
type: scatter
id: scatter-chart
data: small
x: x
y: y
x_label: Scatter X
y_label: Scatter Y
```

```chart
type: bar
id: bar-chart
data: small
x: x
y: z
x_label: Bar X
y_label: Bar Y
```

```chart
type: scatter
id: overlay-chart
data: small
x: x
x_label: Overlay X
y_label: Overlay Y
series:
  - y: y
    label: points
  - y: z
    type: line
    label: curve
```

```chart
type: line
id: big-chart
data: big
x: t
y: v
x_label: Time
y_label: Value
```

```chart
type: scatter
id: sweep-chart
data: fit
x: x
y: yhat
control: slope
control_label: Slope b
initial: 0.5
readout: "MSE = {mse:.2f}"
x_label: Sweep X
y_label: Sweep Y
```

```chart
type: line
id: inline-chart
data: {a: [1, 2, 3, 4], b: [10, 20, 15, 5]}
x: a
y: b
x_label: Inline A
y_label: Inline B
```
""",
}


@dataclass(frozen=True)
class Expected:
    """What one chart must draw: Chart.js type per series, dataset, columns, axis titles."""

    types: tuple[str, ...]
    dataset: str
    x: str
    ys: tuple[str, ...]
    x_title: str
    y_title: str


CHARTS = {
    "line-chart": Expected(("line", "line"), "small", "x", ("y", "z"), "Line X", "Line Y"),
    "scatter-chart": Expected(("scatter",), "small", "x", ("y",), "Scatter X", "Scatter Y"),
    "bar-chart": Expected(("bar",), "small", "x", ("z",), "Bar X", "Bar Y"),
    "overlay-chart": Expected(
        ("scatter", "line"), "small", "x", ("y", "z"), "Overlay X", "Overlay Y"
    ),
    "big-chart": Expected(("line",), "big", "t", ("v",), "Time", "Value"),
    "sweep-chart": Expected(("scatter",), "fit", "x", ("yhat",), "Sweep X", "Sweep Y"),
    "inline-chart": Expected(("line",), "chart-7", "a", ("b",), "Inline A", "Inline B"),
}
INLINE_CHARTS = sorted(set(CHARTS) - {"big-chart"})

# What a chart draws, as plain data, read from the live Chart instance.
DRAWN = """(id) => {
  const chart = window.lessonpress.charts[id];
  const type = chart.config.type;
  return {
    series: chart.data.datasets.map((ds, i) => ({
      type: ds.type || type,
      points: ds.data.map((p) => [p.x, p.y]),
      elements: chart.getDatasetMeta(i).data.length,
      visible: chart.isDatasetVisible(i),
    })),
    xTitle: chart.scales.x.options.title.display ? chart.scales.x.options.title.text : null,
    yTitle: chart.scales.y.options.title.display ? chart.scales.y.options.title.text : null,
  };
}"""

# How many of each series' drawn points have the series' colour on the canvas around them:
# the pixels are read as they are, once no animation is running (no forced redraw).
PAINTED = """async (id) => {
  const chart = window.lessonpress.charts[id];
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  await frame();
  for (let i = 0; i < 300 && Chart.animator.running(chart); i++) await frame();
  await frame();
  const canvas = chart.canvas;
  const ctx = canvas.getContext('2d');
  const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const probe = document.createElement('canvas').getContext('2d');
  const rgb = (color) => {
    probe.clearRect(0, 0, 1, 1);
    probe.fillStyle = color;
    probe.fillRect(0, 0, 1, 1);
    return [...probe.getImageData(0, 0, 1, 1).data.slice(0, 3)];
  };
  const ratio = chart.currentDevicePixelRatio;
  const near = (cx, cy, [r, g, b]) => {
    for (let y = Math.round(cy * ratio) - 3; y <= Math.round(cy * ratio) + 3; y++) {
      for (let x = Math.round(cx * ratio) - 3; x <= Math.round(cx * ratio) + 3; x++) {
        if (x < 0 || y < 0 || x >= width || y >= height) continue;
        const k = 4 * (y * width + x);
        const gap = Math.abs(data[k] - r) + Math.abs(data[k + 1] - g) + Math.abs(data[k + 2] - b);
        if (data[k + 3] > 200 && gap < 60) return true;
      }
    }
    return false;
  };
  let painted = 0;
  for (let k = 3; k < data.length; k += 4) if (data[k] > 0) painted++;
  const series = chart.data.datasets.map((ds, i) => {
    const bar = (ds.type || chart.config.type) === 'bar';
    const colour = rgb(bar ? ds.backgroundColor : ds.borderColor);
    // A bar of height 0 paints nothing; every other point must show.
    const shown = chart.getDatasetMeta(i).data.filter((el) => !bar || Math.abs(el.base - el.y) >= 1);
    const hits = shown.filter((el) => {
      const p = bar ? el.getCenterPoint() : el;
      return near(p.x, p.y, colour);
    }).length;
    return { hits, checked: shown.length, points: ds.data.length };
  });
  return { painted, total: width * height, cssWidth: canvas.clientWidth,
           cssHeight: canvas.clientHeight, series };
}"""

TABLE = """(figureId) => {
  const t = document.querySelector(`#${figureId} details.lp-chart-data table`);
  return {
    caption: t.caption ? t.caption.textContent : '',
    head: [...t.tHead.rows[0].cells].map((c) => c.textContent),
    rows: [...t.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent)),
  };
}"""


# -- the site and the page ----------------------------------------------------------------


@pytest.fixture(scope="module")
def chart_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = write_files(tmp_path_factory.mktemp("charts-src"), SITE)
    out = src.parent / f"{src.name}-site"
    result = build_site(src, out)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@dataclass
class ChartPage:
    page: Any
    requests: list[str]  # every URL the page asked for, in order


@pytest.fixture
def open_charts(
    chart_site: Path, serve_dir: Callable[..., str], page: Any
) -> Iterator[Callable[[], ChartPage]]:
    base = serve_dir(chart_site)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    def open_() -> ChartPage:
        page.goto(base + POST)
        _wait_until_drawn(page)
        return ChartPage(page, requests)

    yield open_


def _wait_until_drawn(page: Any) -> None:
    page.wait_for_function("() => window.lessonpress && window.lessonpress.ready")
    page.evaluate("async () => { await window.lessonpress.ready; }")


def _dataset(site: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((site / DATA / f"{name}.json").read_text("utf-8"))
    return data


def _columns(site: Path, name: str, index: int = 0) -> dict[str, list[Any]]:
    """A table dataset's columns, or the ``index``-th table of a sweep."""
    data = _dataset(site, name)
    columns: dict[str, list[Any]] = (
        data["tables"][index] if data["kind"] == "sweep" else data["columns"]
    )
    return columns


def _config(html: str, figure_id: str) -> dict[str, Any]:
    figure = re.search(rf'<figure class="lp-chart[^"]*" id="{figure_id}".*?</figure>', html, re.S)
    assert figure, figure_id
    script = re.search(r'class="lp-chart-config">(.*?)</script>', figure.group(0), re.S)
    assert script, figure_id
    config: dict[str, Any] = json.loads(script.group(1))
    return config


def _js_fixed(value: float, digits: int) -> str:
    """``value.toFixed(digits)`` as JavaScript writes it: exact ties round away from zero."""
    quantum = Decimal(1).scaleb(-digits)
    return str(Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP))


def _assert_series_painted(page: Any, figure_id: str) -> None:
    paint = page.evaluate(PAINTED, figure_id)
    assert paint["cssWidth"] > 200 and paint["cssHeight"] > 150, (figure_id, paint)
    assert paint["painted"] > 0.01 * paint["total"], (figure_id, paint)
    for series in paint["series"]:
        assert series["checked"] >= series["points"] - 1, (figure_id, paint)
        assert series["hits"] == series["checked"], (figure_id, paint)


def _floats(rows: list[list[str]]) -> list[list[float]]:
    return [[float(cell) for cell in row] for row in rows]


# -- every chart type ---------------------------------------------------------------------


def test_each_chart_draws_every_point_of_every_series_with_axis_titles(
    open_charts: Callable[[], ChartPage], chart_site: Path, browser_log: BrowserLog
) -> None:
    page = open_charts().page
    for figure_id, expected in CHARTS.items():
        assert page.locator(f"#{figure_id}").get_attribute("data-lp-ready") == "true", figure_id
        drawn = page.evaluate(DRAWN, figure_id)
        titles = (drawn["xTitle"], drawn["yTitle"])
        assert titles == (expected.x_title, expected.y_title), figure_id
        assert [s["type"] for s in drawn["series"]] == list(expected.types), figure_id

        index = SLOPES.index(0.5) if figure_id == "sweep-chart" else 0  # its `initial`
        columns = _columns(chart_site, expected.dataset, index)
        for series, y in zip(drawn["series"], expected.ys, strict=True):
            xs = columns[expected.x]
            if series["type"] == "bar":  # a category axis: x values are labels
                xs = [str(int(x)) if float(x).is_integer() else str(x) for x in xs]
            points = [list(p) for p in zip(xs, columns[y], strict=True)]
            assert series["points"] == points, (figure_id, y)
            assert series["elements"] == len(points), (figure_id, y)
            assert series["visible"], (figure_id, y)
        _assert_series_painted(page, figure_id)
    browser_log.assert_clean()


def test_charts_on_one_page_are_separate_instances(
    open_charts: Callable[[], ChartPage], browser_log: BrowserLog
) -> None:
    page = open_charts().page
    canvases = page.evaluate(
        """() => Object.entries(window.lessonpress.charts).map(
             ([id, chart]) => [id, chart.canvas.closest('figure').id, Chart.getChart(chart.canvas) === chart])"""
    )
    assert sorted(c[0] for c in canvases) == sorted(CHARTS)
    assert all(figure_id == owner and same for figure_id, owner, same in canvases)
    assert page.evaluate("() => Object.keys(Chart.instances).length") == len(CHARTS)
    browser_log.assert_clean()


# -- inlined or fetched -------------------------------------------------------------------


def test_big_dataset_is_fetched_and_small_ones_are_inlined(
    open_charts: Callable[[], ChartPage], chart_site: Path, browser_log: BrowserLog
) -> None:
    # The premise: one JSON file is above the limit, the others below it.
    sizes = {p.stem: p.stat().st_size for p in (chart_site / DATA).glob("*.json")}
    assert sizes["big"] > INLINE_LIMIT
    assert all(size <= INLINE_LIMIT for name, size in sizes.items() if name != "big")

    html = (chart_site / POST / "index.html").read_text("utf-8")
    big_source = _config(html, "big-chart")["sources"]["s0"]
    assert big_source["url"].endswith(DATA + "big.json")
    assert "columns" not in big_source and "tables" not in big_source
    for figure_id in INLINE_CHARTS:
        for source in _config(html, figure_id)["sources"].values():
            assert "url" not in source, figure_id
            assert "columns" in source or "tables" in source, figure_id

    loaded = open_charts()
    json_requests = [url for url in loaded.requests if url.endswith(".json")]
    assert [url.rsplit("/", 2)[-2:] for url in json_requests] == [["charts", "big.json"]]
    drawn = loaded.page.evaluate(DRAWN, "big-chart")["series"][0]["points"]
    big = _columns(chart_site, "big")
    assert len(drawn) == 500
    assert drawn == [list(p) for p in zip(big["t"], big["v"], strict=True)]
    _assert_series_painted(loaded.page, "big-chart")
    browser_log.assert_clean()


# -- the slider ---------------------------------------------------------------------------

SLIDER_STATE = """() => {
  const figure = document.getElementById('sweep-chart');
  const chart = window.lessonpress.charts['sweep-chart'];
  return {
    same: chart === window.__firstChart && chart.canvas === window.__firstCanvas
      && chart.canvas.isConnected && Object.keys(Chart.instances).length === window.__count,
    points: chart.data.datasets[0].data.map((p) => [p.x, p.y]),
    value: figure.querySelector('output').textContent,
    slider: figure.querySelector('input[type=range]').value,
    valuetext: figure.querySelector('input[type=range]').getAttribute('aria-valuetext'),
    readout: figure.querySelector('.lp-chart-readout').textContent,
  };
}"""


def test_slider_moved_by_keyboard_updates_chart_in_place_value_and_readout(
    open_charts: Callable[[], ChartPage], chart_site: Path, browser_log: BrowserLog
) -> None:
    page = open_charts().page
    fit = _dataset(chart_site, "fit")
    assert fit["values"] == SLOPES
    label = page.locator("#sweep-chart label[for=sweep-chart-control]")
    assert label.is_visible() and label.inner_text() == "Slope b"
    slider = page.get_by_role("slider", name="Slope b")
    assert slider.get_attribute("type") == "range" and slider.is_visible()
    page.evaluate(
        """() => {
          window.__firstChart = window.lessonpress.charts['sweep-chart'];
          window.__firstCanvas = window.__firstChart.canvas;
          window.__count = Object.keys(Chart.instances).length;
        }"""
    )

    def expect(index: int) -> None:
        state = page.evaluate(SLIDER_STATE)
        table = fit["tables"][index]
        shown = str(SLOPES[index]).removesuffix(".0")
        assert state["same"], "the chart was re-created instead of updated"
        assert state["points"] == [list(p) for p in zip(table["x"], table["yhat"], strict=True)]
        assert (state["slider"], state["value"], state["valuetext"]) == (str(index), shown, shown)
        assert state["readout"] == f"MSE = {_js_fixed(table['mse'][0], 2)}"

    expect(1)  # initial: 0.5
    slider.focus()
    for key, index in [("ArrowRight", 2), ("End", 4), ("Home", 0), ("ArrowRight", 1)]:
        page.keyboard.press(key)
        expect(index)
        _assert_series_painted(page, "sweep-chart")
    browser_log.assert_clean()


def test_readout_written_at_build_time_is_the_one_the_page_shows(
    open_charts: Callable[[], ChartPage], chart_site: Path, browser_log: BrowserLog
) -> None:
    html = (chart_site / POST / "index.html").read_text("utf-8")
    built = re.search(r'id="sweep-chart-readout"[^>]*>([^<]*)<', html)
    assert built
    page = open_charts().page
    assert page.locator("#sweep-chart-readout").inner_text() == built.group(1)


# -- the data table -----------------------------------------------------------------------


def test_opened_data_tables_have_the_numbers_of_the_dataset_json(
    open_charts: Callable[[], ChartPage], chart_site: Path, browser_log: BrowserLog
) -> None:
    page = open_charts().page
    page.locator("#sweep-chart input[type=range]").focus()
    page.keyboard.press("End")  # a sweep's table follows the slider
    for figure_id in ["line-chart", "big-chart", "inline-chart", "sweep-chart"]:
        expected = CHARTS[figure_id]
        details = page.locator(f"#{figure_id} details.lp-chart-data")
        assert details.get_attribute("open") is None, figure_id
        assert not details.locator("table").is_visible(), figure_id
        details.locator("summary").click()
        assert details.get_attribute("open") is not None, figure_id
        assert details.locator("table").is_visible(), figure_id

        shown = page.evaluate(TABLE, figure_id)
        index = len(SLOPES) - 1 if figure_id == "sweep-chart" else 0
        columns = _columns(chart_site, expected.dataset, index)
        assert set(shown["head"]) >= {expected.x, *expected.ys}, figure_id
        rows = [[columns[h][r] for h in shown["head"]] for r in range(len(columns[expected.x]))]
        assert _floats(shown["rows"]) == rows, figure_id
    assert page.evaluate(TABLE, "sweep-chart")["caption"] == "fit at slope = 2"
    browser_log.assert_clean()


# -- opened from disk ---------------------------------------------------------------------


def test_page_opened_from_disk_draws_its_inline_charts(
    page: Any, chart_site: Path, browser_log: BrowserLog
) -> None:
    page.goto((chart_site / POST / "index.html").as_uri())
    _wait_until_drawn(page)
    assert sorted(page.evaluate("() => Object.keys(window.lessonpress.charts)")) == INLINE_CHARTS
    for figure_id in INLINE_CHARTS:
        drawn = page.evaluate(DRAWN, figure_id)
        assert all(s["points"] and s["elements"] for s in drawn["series"]), figure_id
        _assert_series_painted(page, figure_id)

    # The fetched chart cannot load its JSON from file://: it says so in its figure, and its
    # data table is still there.
    big = page.locator("#big-chart")
    assert big.get_attribute("data-lp-ready") is None
    assert big.locator("canvas").count() == 0
    note = big.locator(".lp-chart-error")
    assert note.is_visible()
    assert note.inner_text().startswith("This chart could not be drawn")
    assert note.inner_text().endswith("its data are in the table below.")
    assert big.locator("details.lp-chart-data table tbody tr").count() == 500
    # The only problems logged are that fetch and the chart's note about it.
    unexpected = [
        p for p in browser_log.problems() if "big.json" not in p and "#big-chart" not in p
    ]
    assert not unexpected, unexpected


LIVE_CHANGES = """() => {
  window.lpSaid = [];
  const live = (el) => {
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const mode = e.getAttribute('aria-live');
      if (mode === 'off') return null;
      if (mode === 'polite' || mode === 'assertive') return e;
      if (e.tagName === 'OUTPUT' || ['status', 'alert', 'log'].includes(e.getAttribute('role'))) return e;
    }
    return null;
  };
  new MutationObserver((records) => {
    for (const r of records) {
      const region = live(r.target.nodeType === 1 ? r.target : r.target.parentElement);
      if (region && !window.lpSaid.includes(region)) window.lpSaid.push(region);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def test_a_synced_slider_is_announced_once_with_its_unit_and_a_spoken_name(
    page: Any, serve_dir: Callable[..., str], example_site: Path, browser_log: BrowserLog
) -> None:
    page.goto(serve_dir(example_site) + "posts/linear-regression-interactive/")
    page.wait_for_function("() => window.lessonpress && window.lessonpress.ready")
    page.evaluate("() => window.lessonpress.ready")
    page.evaluate(LIVE_CHANGES)
    fit = page.locator("#fit-chart input[type=range]")
    fit.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('#lp-announcer')?.textContent")
    regions = page.evaluate("() => window.lpSaid.map((e) => e.id || e.tagName)")
    assert regions == ["lp-announcer"], regions  # not once per synced chart and output
    mse = page.locator("#mse-chart input[type=range]")
    assert mse.input_value() == fit.input_value()  # still in sync
    said = page.locator("#lp-announcer").inner_text()
    assert said == page.locator("#fit-chart .lp-chart-readout").inner_text()
    tangent = page.locator("#tangent-chart input[type=range]")
    assert str(tangent.get_attribute("aria-valuetext")).endswith(" tonnes")
    tangent.focus()
    page.keyboard.press("ArrowRight")
    assert str(tangent.get_attribute("aria-valuetext")).endswith(" tonnes")
    assert page.get_by_label("Learning rate η").count() >= 1  # not a bare "η"
    browser_log.assert_clean()
