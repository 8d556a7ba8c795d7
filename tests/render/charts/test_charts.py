"""Chart stage: ```chart YAML -> checked Chart.js figure, with exact .md lines in diagnostics.

Posts, chart blocks and datasets are built by hand; CSV files are real files in tmp_path.
Every chart block below starts at .md line 20 (``LINE``), so its n-th YAML line is 20 + n.
"""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.jsnumber import js_number
from generator.model import ChartBlock, Dataset, Post, SiteConfig
from generator.render.charts.data import format_value
from generator.render.charts.figure import ChartRender, render_chart
from tests.helpers import REPO_ROOT

LINE = 20
REL = "content/posts/lr.md"


def make_post(root: Path, *charts: ChartBlock) -> Post:
    folder = root / "content/posts"
    folder.mkdir(parents=True, exist_ok=True)
    return Post(
        source=folder / "lr.md",
        rel=REL,
        title="Linear regression",
        date=None,
        slug="lr",
        url="/posts/lr/",
        body="",
        body_line=5,
        charts=charts,
    )


def data_url(name: str, ext: str) -> str:
    return f"/lessons/data/lr/{name}.{ext}"


def render(
    root: Path,
    source: str,
    datasets: dict[str, Dataset] | None = None,
    *,
    index: int = 0,
    others: tuple[ChartBlock, ...] = (),
    config: SiteConfig | None = None,
) -> ChartRender:
    block = ChartBlock(index, source, LINE)
    post = make_post(root, block, *others)
    return render_chart(
        block,
        post,
        datasets if datasets is not None else DATASETS,
        config=config or SiteConfig(),
        site_root=root,
        data_url=data_url,
    )


def errors(result: ChartRender) -> list[str]:
    return [str(d) for d in result.diagnostics]


def config_of(html: str) -> dict[str, Any]:
    m = re.search(
        r'<script type="application/json" class="lp-chart-config">(.*?)</script>', html, re.S
    )
    assert m, html
    return json.loads(m.group(1))  # type: ignore[no-any-return]


SLOPES = (0.0, 0.5, 1.0, 1.5)
DATASETS = {
    "points": Dataset("points", "table", columns={"x": (0, 1, 2, 3), "y": (0.1, 1.2, 1.9, 3.2)}),
    "mse_curve": Dataset(
        "mse_curve", "table", columns={"slope": SLOPES, "mse": (4.5, 1.25, 0.02, 1.3)}
    ),
    "fits": Dataset(
        "fits",
        "sweep",
        param="slope",
        values=SLOPES,
        tables=tuple({"x": (0, 3), "yhat": (0, 3 * b), "mse": (b * b, b * b)} for b in SLOPES),
    ),
    "gd": Dataset(
        "gd",
        "sweep",
        param="lr",
        values=(0.1, 2.0),
        tables=(
            {"step": (0, 1, 2), "loss": (9.0, 3.0, 1.0)},
            {"step": (0, 1, 2), "loss": (9.0, 81.0, 1e6)},
        ),
    ),
    "labels": Dataset(
        "labels",
        "table",
        columns={"x": (1, 2, 3), "name": ("a", "b", "c"), "score": (1, 2.5, "n/a")},
    ),
    "ragged": Dataset("ragged", "table", columns={"x": (1, 2, 3), "y": (1, 2)}),
}


# -- the seed's chart, declaratively -------------------------------------------------

SEED_FIRST_VERSION = """\
type: line
data:
  fertilizer: [0, 1, 2, 3, 4]
  yield: [20, 40, 60, 80, 100, 80, 60, 40, 20]
x: fertilizer
y: yield
"""


def test_seed_first_version_five_labels_for_nine_values_is_caught(tmp_path: Path) -> None:
    result = render(tmp_path, SEED_FIRST_VERSION)
    assert errors(result) == [
        f"{REL}:23: columns of different lengths in inline data: 'fertilizer' has 5 values, "
        "'yield' has 9"
    ]
    assert 'class="lp-chart lp-chart--error"' in result.html
    assert result.files == ()


def test_fixed_seed_chart_renders_with_its_numbers(tmp_path: Path) -> None:
    source = SEED_FIRST_VERSION.replace("[0, 1, 2, 3, 4]", "[0, 1, 2, 3, 4, 5, 6, 7, 8]")
    source += "title: Crop yield\nx_label: Fertilizer (t)\ny_label: Yield (t)\n"
    result = render(tmp_path, source)
    assert result.diagnostics == ()
    page = Page(result.html)
    assert page.rows() == [
        [str(i), str(v)] for i, v in enumerate([20, 40, 60, 80, 100, 80, 60, 40, 20])
    ]
    cfg = config_of(result.html)
    scales = cfg["chart"]["options"]["scales"]
    assert scales["x"]["title"]["text"] == "Fertilizer (t)"
    assert scales["y"]["title"]["text"] == "Yield (t)"
    assert cfg["sources"]["s0"]["columns"]["yield"] == [20, 40, 60, 80, 100, 80, 60, 40, 20]
    assert {f.path for f in result.files} == {
        "data/lr/chart-1.json",
        "data/lr/chart-1.csv",
    }


# -- YAML and keys --------------------------------------------------------------------


def test_invalid_yaml_reports_the_md_line(tmp_path: Path) -> None:
    result = render(tmp_path, "type: line\ndata: points\nx: [1, 2\ny: y\n")
    assert len(result.diagnostics) == 1
    d = result.diagnostics[0]
    assert (d.path, d.line) == (REL, 22)  # where the unclosed [ opened
    assert d.message.startswith("invalid YAML in chart:")


def test_unknown_key_suggests_the_nearest(tmp_path: Path) -> None:
    result = render(tmp_path, "data: points\nx: x\ny: y\nxlabel: Slope\nyMax: 3\n")
    assert errors(result) == [
        f"{REL}:23: unknown chart key 'xlabel' (did you mean 'x_label'?)",
        f"{REL}:24: unknown chart key 'yMax' (did you mean 'y_max'?)",
    ]


def test_unknown_series_key_points_at_its_line(tmp_path: Path) -> None:
    source = "data: points\nx: x\nseries:\n  - y: y\n    colour: red\n"
    assert errors(render(tmp_path, source)) == [
        f"{REL}:24: unknown series key 'colour' (did you mean 'color'?)"
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("type: pie", "'type' must be one of line, scatter, bar, got 'pie'"),
        ("x_min: low", "'x_min' must be a number, got 'low'"),
        ("y_scale: log", "'y_scale' must be one of linear, logarithmic, got 'log'"),
        (
            "legend: maybe",
            "'legend' must be true, false or one of top, bottom, left, right, got 'maybe'",
        ),
        ("height: 5", "'height' must be a height in pixels from 80 to 2000, got 5"),
        ("options: [1]", "'options' must be a mapping, got a list"),
        (
            "options: {a: 2024-01-01}",
            "'options' must be a mapping of text keys to numbers, text, true/false, null, "
            "lists and mappings, got a mapping",
        ),
        ("y: [y, 3]", "'y' must be a column name or a list of column names, got a list"),
        (
            "id: 9lives",
            "'id' must be an id of letters, digits, '-' and '_' starting with a letter, got '9lives'",
        ),
    ],
)
def test_wrong_value_types_are_reported_at_their_key(
    tmp_path: Path, line: str, expected: str
) -> None:
    source = "data: points\nx: x\ny: y\n" + line + "\n"
    if line.startswith("y:"):
        source = "data: points\nx: x\n" + line + "\n"
    result = render(tmp_path, source)
    key_line = LINE + source.splitlines().index(line)
    assert errors(result) == [f"{REL}:{key_line}: {expected}"]


def test_wrong_series_value_type(tmp_path: Path) -> None:
    source = "data: points\nx: x\nseries:\n  - y: y\n    tension: 3\n    dashed: maybe\n"
    assert errors(render(tmp_path, source)) == [
        f"{REL}:24: 'tension' must be a number from 0 to 1, got 3",
        f"{REL}:25: 'dashed' must be true, false or a dash pattern such as [6, 4], got 'maybe'",
    ]


def test_duplicate_key_is_reported(tmp_path: Path) -> None:
    assert errors(render(tmp_path, "data: points\nx: x\ny: y\nx: y\n")) == [
        f"{REL}:23: duplicate key 'x' in chart (first given on line 21)"
    ]


def test_empty_and_non_mapping_blocks(tmp_path: Path) -> None:
    assert errors(render(tmp_path, "")) == [
        f"{REL}:20: empty chart block: give at least `data`, `x` and `y`"
    ]
    assert errors(render(tmp_path, "- a\n- b\n")) == [
        f"{REL}:20: a chart block must be a YAML mapping of keys, got a list"
    ]


def test_missing_required_keys(tmp_path: Path) -> None:
    assert errors(render(tmp_path, "type: line\ndata: points\n")) == [
        f"{REL}:20: chart needs `x`",
        f"{REL}:20: chart needs `y` (or a `series` list)",
    ]


def test_inline_column_values_must_be_scalars(tmp_path: Path) -> None:
    source = "data:\n  x: [1, 2]\n  y: [1, {a: 2}]\n  .nan: [1]\nx: x\ny: y\n"
    assert errors(render(tmp_path, source)) == [
        f"{REL}:22: column 'y' must hold numbers or text, got a mapping",
        f"{REL}:23: column name nan must be text; quote it: 'nan'",
    ]
    assert errors(render(tmp_path, "data:\n  x: [1, .inf]\n  y: [1, 2]\nx: x\ny: y\n")) == [
        f"{REL}:21: column 'x' has inf, which is not a finite number"
    ]


# -- datasets and columns ------------------------------------------------------------


def test_unknown_dataset_suggests_the_nearest(tmp_path: Path) -> None:
    assert errors(render(tmp_path, "data: point\nx: x\ny: y\n")) == [
        f"{REL}:20: unknown dataset 'point' (did you mean 'points'?)"
    ]


def test_unknown_dataset_in_post_without_datasets(tmp_path: Path) -> None:
    assert errors(render(tmp_path, "data: mse\nx: x\ny: y\n", {})) == [
        f"{REL}:20: unknown dataset 'mse' (this post publishes no datasets; "
        "use inline `data:` or a CSV path)"
    ]


def test_unknown_column_suggests_the_nearest(tmp_path: Path) -> None:
    assert errors(render(tmp_path, "data: mse_curve\nx: slope\ny: mes\n")) == [
        f"{REL}:22: unknown column 'mes' in dataset 'mse_curve' (did you mean 'mse'?)"
    ]
    assert errors(render(tmp_path, "data: mse_curve\nx: slope\ny: zzz\n")) == [
        f"{REL}:22: unknown column 'zzz' in dataset 'mse_curve' (columns: slope, mse)"
    ]


def test_unknown_column_in_a_series_points_at_the_series(tmp_path: Path) -> None:
    source = "data: points\nx: x\nseries:\n  - y: y\n  - data: fits\n    y: yhta\ncontrol: slope\n"
    assert errors(render(tmp_path, source)) == [
        f"{REL}:25: unknown column 'yhta' in dataset 'fits' (did you mean 'yhat'?)"
    ]


def test_dataset_columns_of_different_lengths(tmp_path: Path) -> None:
    assert errors(render(tmp_path, "data: ragged\nx: x\ny: y\n")) == [
        f"{REL}:22: columns of different lengths in dataset 'ragged': 'x' has 3 values, 'y' has 2"
    ]


def test_non_numeric_value_on_numeric_axis(tmp_path: Path) -> None:
    assert errors(render(tmp_path, "data: labels\nx: x\ny: score\n")) == [
        f"{REL}:22: column 'score' of dataset 'labels' has a non-numeric value 'n/a' (row 3) "
        "on the numeric y axis"
    ]


def test_non_numeric_inline_value_points_at_its_column(tmp_path: Path) -> None:
    source = "data:\n  x: [1, 2]\n  y: [1, two]\nx: x\ny: y\n"
    assert errors(render(tmp_path, source)) == [
        f"{REL}:22: column 'y' of inline data has a non-numeric value 'two' (row 2) "
        "on the numeric y axis"
    ]


def test_scatter_needs_numeric_x_but_line_and_bar_accept_categories(tmp_path: Path) -> None:
    assert errors(render(tmp_path, "type: scatter\ndata: labels\nx: name\ny: x\n")) == [
        f"{REL}:22: column 'name' of dataset 'labels' has a non-numeric value 'a' (row 1) "
        "on the numeric x axis"
    ]
    for kind in ("line", "bar"):
        result = render(tmp_path, f"type: {kind}\ndata: labels\nx: name\ny: x\n")
        assert result.diagnostics == ()
        cfg = config_of(result.html)
        assert cfg["category"] is True
        assert cfg["chart"]["options"]["scales"]["x"]["type"] == "category"


def test_bar_chart_rejects_numeric_x_options(tmp_path: Path) -> None:
    assert errors(render(tmp_path, "type: bar\ndata: points\nx: x\ny: y\nx_min: 0\n")) == [
        f"{REL}:24: 'x_min' does not apply to bar charts (their x axis lists categories)"
    ]


def test_logarithmic_axis_needs_positive_values(tmp_path: Path) -> None:
    assert errors(render(tmp_path, "data: points\nx: x\ny: y\nx_scale: logarithmic\n")) == [
        f"{REL}:21: column 'x' of dataset 'points' has 0 (row 1), but a logarithmic x axis "
        "needs values above 0"
    ]


# -- control (slider) ----------------------------------------------------------------


def test_control_on_a_table_is_an_error(tmp_path: Path) -> None:
    assert errors(render(tmp_path, "data: points\nx: x\ny: y\ncontrol: x\n")) == [
        f"{REL}:23: `control: x` needs a sweep dataset over 'x' or a `marker: true` series "
        "with x: x; this chart draws only tables (dataset 'points')"
    ]


def test_control_naming_another_param_suggests_the_sweeps(tmp_path: Path) -> None:
    assert errors(render(tmp_path, "data: fits\nx: x\ny: yhat\ncontrol: slop\n")) == [
        f"{REL}:23: dataset 'fits' is a sweep over 'slope', not 'slop' (did you mean 'slope'?)"
    ]


def test_sweep_without_control_asks_for_one(tmp_path: Path) -> None:
    assert errors(render(tmp_path, "data: fits\nx: x\ny: yhat\n")) == [
        f"{REL}:20: dataset 'fits' is a sweep over 'slope': add `control: slope` to draw it "
        "with a slider"
    ]


def test_two_sweeps_must_share_their_values(tmp_path: Path) -> None:
    source = "x: x\ncontrol: slope\nseries:\n  - data: fits\n    y: yhat\n  - data: gd\n    x: step\n    y: loss\n"
    assert errors(render(tmp_path, source)) == [
        f"{REL}:21: dataset 'gd' is a sweep over 'lr', not 'slope'"
    ]


def test_initial_must_be_one_of_the_values(tmp_path: Path) -> None:
    assert errors(
        render(tmp_path, "data: fits\nx: x\ny: yhat\ncontrol: slope\ninitial: 0.7\n")
    ) == [f"{REL}:24: initial 0.7 is not one of the values of 'slope': 0, 0.5, 1, 1.5"]


def test_marker_needs_control(tmp_path: Path) -> None:
    source = "data: mse_curve\nx: slope\nseries:\n  - y: mse\n  - y: mse\n    marker: true\n"
    assert errors(render(tmp_path, source)) == [
        f"{REL}:25: 'marker: true' needs `control` and a table (not a sweep): it shows the row "
        "whose x is the slider's value"
    ]


SLOPE_CHART = """\
type: scatter
data: points
x: x
control: slope
control_label: Slope β₁
initial: 1
readout: "β₁ = {slope}, MSE = {mse:.2f}, last fit {yhat[-1]:.1e}"
series:
  - y: y
    label: Data
  - data: fits
    y: yhat
    type: line
    label: Fitted line
    dashed: true
    color: "#d55e00"
"""


def test_slider_over_a_sweep(tmp_path: Path) -> None:
    result = render(tmp_path, SLOPE_CHART, index=2)
    assert result.diagnostics == ()
    html = result.html
    assert '<figure class="lp-chart" id="lp-chart-3">' in html
    assert '<label for="lp-chart-3-control">Slope β₁</label>' in html
    assert (
        '<input type="range" id="lp-chart-3-control" min="0" max="3" step="1" value="2" '
        'aria-valuetext="1" data-unit="">'
    ) in html
    # The slider says its value; neither the <output> nor the readout is a live region
    # (static/js/lessonpress-charts.js says the readout once, for the chart moved).
    assert (
        '<output for="lp-chart-3-control" id="lp-chart-3-value" aria-live="off">1</output>' in html
    )
    assert (
        '<p class="lp-chart-readout" id="lp-chart-3-readout">β₁ = 1, MSE = 1.00, last fit 3.0e+0</p>'
        in html
    )
    cfg = config_of(html)
    assert cfg["control"] == {"param": "slope", "values": [0.0, 0.5, 1.0, 1.5], "initial": 2}
    assert cfg["readout"] == [
        {"text": "β₁ = "},
        {"param": True},
        {"text": ", MSE = "},
        {"source": "s1", "column": "mse", "row": 0, "style": "f", "digits": 2},
        {"text": ", last fit "},
        {"source": "s1", "column": "yhat", "row": -1, "style": "e", "digits": 1},
    ]
    fit = cfg["chart"]["data"]["datasets"][1]
    assert fit["type"] == "line"
    assert fit["borderDash"] == [6, 4]
    assert fit["borderColor"] == "#d55e00"
    assert cfg["series"][1]["palette"] is None and cfg["series"][0]["palette"] == 1
    # The sweep's table shows the slider's current value.
    tables = Page(html).tables
    assert tables[1]["caption"] == "fits at slope = 1"
    assert tables[1]["rows"] == [["0", "0", "1"], ["3", "3", "1"]]


def test_marker_from_a_table_can_be_the_slider(tmp_path: Path) -> None:
    source = """\
data: mse_curve
x: slope
control: slope
sync: slope
initial: 1
readout: "MSE = {mse}"
series:
  - y: mse
  - y: mse
    marker: true
"""
    result = render(tmp_path, source)
    assert result.diagnostics == ()
    cfg = config_of(result.html)
    assert cfg["control"]["values"] == [0.0, 0.5, 1.0, 1.5]
    assert cfg["series"][1]["marker"] is True
    assert cfg["readout"][1] == {"source": "s0", "column": "mse", "markerX": "slope"}
    assert "MSE = 0.02</p>" in result.html
    assert 'data-lp-sync="slope"' in result.html


def test_readout_errors(tmp_path: Path) -> None:
    base = "data: fits\nx: x\ny: yhat\ncontrol: slope\nreadout: "
    assert errors(render(tmp_path, base + "'MSE = {mes}'\n")) == [
        f"{REL}:24: unknown name 'mes' in readout (did you mean 'mse'?)"
    ]
    assert errors(render(tmp_path, base + "'MSE = {mse'\n")) == [
        f"{REL}:24: unmatched brace in readout; write {{{{ or }}}} for a literal brace"
    ]
    assert errors(render(tmp_path, base + "'{mse[7]}'\n")) == [
        f"{REL}:24: row 7 of 'mse' is out of range (2 rows)"
    ]
    assert errors(render(tmp_path, base + "'{mse:%}'\n")) == [
        f"{REL}:24: cannot read '{{mse:%}}' in readout; write {{name}}, {{name[row]}} or {{name:.2f}}"
    ]
    assert render(tmp_path, base + "'{{literal}} {mse:.3g}'\n").diagnostics == ()


def test_ambiguous_readout_column(tmp_path: Path) -> None:
    source = "x: x\ny: y\nreadout: '{y}'\nseries:\n  - data: points\n  - data:\n      x: [1]\n      y: [2]\n"
    assert errors(render(tmp_path, source)) == [
        f"{REL}:22: 'y' in readout is ambiguous; write dataset.y"
    ]


# -- CSV files ------------------------------------------------------------------------


def write_csv(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_csv_next_to_the_post(tmp_path: Path) -> None:
    write_csv(tmp_path, "content/posts/yield.csv", "fertilizer,yield\n0,20\n1,40.5\n2,\n")
    result = render(tmp_path, "data: yield.csv\nx: fertilizer\ny: yield\n")
    assert result.diagnostics == ()
    cfg = config_of(result.html)
    assert cfg["sources"]["s0"]["columns"] == {"fertilizer": [0, 1, 2], "yield": [20, 40.5, None]}
    files = {f.path: f.data for f in result.files}
    assert files["data/lr/yield.csv"] == b"fertilizer,yield\n0,20\n1,40.5\n2,\n"
    assert json.loads(files["data/lr/yield.json"]) == {
        "name": "yield",
        "kind": "table",
        "columns": {"fertilizer": [0, 1, 2], "yield": [20, 40.5, None]},
    }
    assert 'href="/lessons/data/lr/yield.csv"' in result.html


def test_csv_relative_to_the_site_root(tmp_path: Path) -> None:
    write_csv(tmp_path, "content/data/a.csv", "t,v\n1,2\n")
    assert render(tmp_path, "data: content/data/a.csv\nx: t\ny: v\n").diagnostics == ()


def test_csv_outside_the_site_is_refused(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_csv(tmp_path, "secret.csv", "a,b\n1,2\n")
    assert errors(render(site, "data: ../../../secret.csv\nx: a\ny: b\n")) == [
        f"{REL}:20: data file '../../../secret.csv' is outside the site folder"
    ]
    assert errors(render(site, f"data: {tmp_path / 'secret.csv'}\nx: a\ny: b\n")) == [
        f"{REL}:20: data file '{tmp_path / 'secret.csv'}' is outside the site folder"
    ]


def test_missing_csv_suggests_a_neighbour(tmp_path: Path) -> None:
    write_csv(tmp_path, "content/posts/yield.csv", "a,b\n1,2\n")
    assert errors(render(tmp_path, "data: yeild.csv\nx: a\ny: b\n")) == [
        f"{REL}:20: data file 'yeild.csv' not found next to the post or in the site folder "
        "(did you mean 'yield.csv'?)"
    ]


def test_bad_csv_rows_point_into_the_csv(tmp_path: Path) -> None:
    write_csv(tmp_path, "content/posts/bad.csv", "a,b\n1,2\n3\n4,nan\n")
    assert errors(render(tmp_path, "data: bad.csv\nx: a\ny: b\n")) == [
        "content/posts/bad.csv:3: row has 1 fields, the header has 2",
        "content/posts/bad.csv:4: 'nan' is not a finite number",
    ]


def test_csv_text_on_a_numeric_axis_names_the_file(tmp_path: Path) -> None:
    write_csv(tmp_path, "content/posts/t.csv", "a,b\n1,2\n2,none\n")
    assert errors(render(tmp_path, "data: t.csv\nx: a\ny: b\n")) == [
        f"{REL}:22: column 'b' of content/posts/t.csv has a non-numeric value 'none' (row 2) "
        "on the numeric y axis"
    ]


# -- page markup -------------------------------------------------------------------------


class Page(HTMLParser):
    """Just enough of the figure: tags seen, attributes, tables, links."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.tables: list[dict[str, Any]] = []
        self.links: list[str] = []
        self._text: list[str] | None = None
        self._row: list[str] | None = None
        self._section = "rows"
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "table":
            self.tables.append({"caption": "", "head": [], "rows": []})
        elif tag in ("thead", "tbody"):
            self._section = "head" if tag == "thead" else "rows"
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th", "caption"):
            self._text = []
        elif tag == "a":
            self.links.append(dict(attrs)["href"] or "")

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._text is not None:
            self._row.append("".join(self._text))
            self._text = None
        elif tag == "caption" and self._text is not None:
            self.tables[-1]["caption"] = "".join(self._text)
            self._text = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1][self._section].append(self._row)
            self._row = None

    def rows(self) -> list[list[str]]:
        return [row for t in self.tables for row in t["rows"]]

    def first(self, tag: str) -> dict[str, str | None]:
        return next(attrs for t, attrs in self.tags if t == tag)


def test_figure_markup_is_accessible_and_complete(tmp_path: Path) -> None:
    source = "data: mse_curve\nx: slope\ny: mse\ntitle: MSE by slope\ncaption: The bowl.\n"
    html = render(tmp_path, source).html
    page = Page(html)
    order = [
        t
        for t, _ in page.tags
        if t in ("figure", "figcaption", "canvas", "details", "table", "script")
    ]
    assert order == ["figure", "figcaption", "canvas", "details", "table", "script"]
    assert page.first("figure") == {"class": "lp-chart", "id": "lp-chart-1"}
    canvas = page.first("canvas")
    assert canvas["role"] == "img"
    assert canvas["aria-label"] == "Line chart: MSE by slope. mse against slope."
    assert '<figcaption><strong class="lp-chart-title">MSE by slope</strong> ' in html
    assert page.tables[0]["head"] == [["slope", "mse"]]
    assert page.rows() == [["0", "4.5"], ["0.5", "1.25"], ["1", "0.02"], ["1.5", "1.3"]]
    assert page.links == [
        "/lessons/data/lr/mse_curve.json",
        "/lessons/data/lr/mse_curve.csv",
    ]
    assert "\n\n" not in html  # a blank line would end the raw HTML block in Markdown


def test_table_numbers_equal_the_data(tmp_path: Path) -> None:
    values = (0.1, 1e-7, 123456.5, 1e21, -2.5e-5, 3)
    data = {"d": Dataset("d", "table", columns={"i": tuple(range(6)), "v": values})}
    page = Page(render(tmp_path, "data: d\nx: i\ny: v\n", data).html)
    assert [float(r[1]) for r in page.rows()] == list(values)
    assert [r[1] for r in page.rows()] == ["0.1", "1e-7", "123456.5", "1e+21", "-0.000025", "3"]


def test_script_cannot_be_broken_out_of(tmp_path: Path) -> None:
    source = "data:\n  x: [1, 2]\n  y: [3, 4]\n  note: ['</script><b>', '&amp;']\nx: x\ny: y\ntitle: '</script><i>'\nreadout: '{note}'\n"
    html = render(tmp_path, source).html
    assert html.count("</script>") == 1
    assert "<i>" not in html and "<b>" not in html
    assert "&lt;/script&gt;&lt;i&gt;" in html
    assert config_of(html)["sources"]["s0"]["columns"]["note"] == ["</script><b>", "&amp;"]


def test_large_data_is_fetched_small_data_inlined(tmp_path: Path) -> None:
    big = {"big": Dataset("big", "table", columns={"t": tuple(range(50)), "v": tuple(range(50))})}
    small = render(
        tmp_path, "data: big\nx: t\ny: v\n", big, config=SiteConfig(inline_data_limit=10_000)
    )
    assert config_of(small.html)["sources"]["s0"]["columns"]["v"][-1] == 49
    large = render(
        tmp_path, "data: big\nx: t\ny: v\n", big, config=SiteConfig(inline_data_limit=100)
    )
    assert config_of(large.html)["sources"]["s0"] == {
        "kind": "table",
        "url": "/lessons/data/lr/big.json",
    }
    assert len(Page(large.html).rows()) == 50  # readers without JS still get the table


def test_long_tables_are_cut_with_a_note(tmp_path: Path) -> None:
    n = 1200
    data = {"d": Dataset("d", "table", columns={"t": tuple(range(n)), "v": tuple(range(n))})}
    result = render(tmp_path, "data: d\nx: t\ny: v\n", data)
    page = Page(result.html)
    assert len(page.rows()) == 500
    assert page.tables[0]["caption"] == "d (first 500 of 1200 rows; download the full data below)"
    assert config_of(result.html)["chart"]["data"]["datasets"][0]["pointRadius"] == 0


def test_options_are_deep_merged_last(tmp_path: Path) -> None:
    source = "data: points\nx: x\ny: y\nx_label: X\noptions:\n  scales:\n    x: {title: {text: Override}, ticks: {stepSize: 1}}\n"
    x = config_of(render(tmp_path, source).html)["chart"]["options"]["scales"]["x"]
    assert x == {
        "type": "linear",
        "title": {"display": True, "text": "Override"},
        "ticks": {"stepSize": 1},
    }


def test_ids_are_deterministic_and_checked_for_duplicates(tmp_path: Path) -> None:
    first = render(tmp_path, "data: points\nx: x\ny: y\n", index=4)
    again = render(tmp_path, "data: points\nx: x\ny: y\n", index=4)
    assert first == again
    assert 'id="lp-chart-5"' in first.html
    other = ChartBlock(0, "id: mse\ndata: points\nx: x\ny: y\n", 7)
    clash = render(tmp_path, "id: mse\ndata: points\nx: x\ny: y\n", index=1, others=(other,))
    assert errors(clash) == [f"{REL}:20: chart id 'mse' is also used by the chart at line 7"]


def test_half_width_aspect_and_legend(tmp_path: Path) -> None:
    source = "data: points\nx: x\ny: y\nwidth: half\naspect: 1.5\nlegend: bottom\n"
    result = render(tmp_path, source)
    assert '<figure class="lp-chart lp-chart--half"' in result.html
    assert '<div class="lp-chart-canvas" style="aspect-ratio: 1.5; height: auto">' in result.html
    legend = config_of(result.html)["chart"]["options"]["plugins"]["legend"]
    assert legend == {"display": True, "position": "bottom"}


# -- numbers as JavaScript writes them ----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (100.0, "100"),
        (0.1, "0.1"),
        (1e-7, "1e-7"),
        (1.5e-6, "0.0000015"),
        (1e21, "1e+21"),
        (123456789012345680000.0, "123456789012345680000"),
        (-2.5, "-2.5"),
        (7, "7"),
    ],
)
def test_js_number_matches_javascript(value: float, text: str) -> None:
    assert js_number(value) == text


def test_format_value_mirrors_the_runtime() -> None:
    assert format_value(3.14159, "f", 2) == "3.14"
    assert format_value(12345.678, "e", 2) == "1.23e+4"
    assert format_value(0.000123456, "g", 3) == "0.000123"
    assert format_value(None, "f", 2) == "–"
    assert format_value("diverged", "f", 2) == "diverged"


# -- never a traceback --------------------------------------------------------------------

yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
keys = st.sampled_from(
    [
        "type",
        "data",
        "x",
        "y",
        "series",
        "control",
        "readout",
        "initial",
        "options",
        "marker",
        "legend",
        "zz",
    ]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    chart=st.dictionaries(
        keys, yaml_values | st.sampled_from(["points", "fits", "x", "y", "slope"]), max_size=7
    )
)
def test_never_raises_on_any_mapping(tmp_path: Path, chart: dict[str, Any]) -> None:
    source = json.dumps(chart, allow_nan=True).replace("NaN", ".nan").replace("Infinity", ".inf")
    result = render(tmp_path, source)
    assert isinstance(result.html, str)
    if not result.diagnostics:
        assert math.isfinite(len(json.dumps(config_of(result.html), allow_nan=False)))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=80))
def test_never_raises_on_any_text(tmp_path: Path, text: str) -> None:
    result = render(tmp_path, text)
    assert all(d.path == REL and d.line >= LINE for d in result.diagnostics)


def test_examples_in_the_authoring_guide_build(tmp_path: Path) -> None:
    guide = (REPO_ROOT / "docs/charts.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```chart\n(.*?)^```", guide, re.S | re.M)
    slopes = (0.0, 0.5, 1.0, 1.5)
    data = {
        "mse_vs_slope": DATASETS["mse_curve"],
        "mse_curve": DATASETS["mse_curve"],
        "points": DATASETS["points"],
        "fit": Dataset(
            "fit",
            "sweep",
            param="slope",
            values=slopes,
            tables=tuple({"x": (0, 3), "yhat": (0, 3 * b), "mse": (b, b)} for b in slopes),
        ),
    }
    assert len(blocks) == 3
    for i, block in enumerate(blocks):
        assert render(tmp_path, block, data, index=i).diagnostics == (), block


def test_a_list_of_y_columns_makes_one_series_each(tmp_path: Path) -> None:
    data = {"d": Dataset("d", "table", columns={"t": (1, 2), "a": (3, 4), "b": (5, 6)})}
    result = render(tmp_path, "type: bar\ndata: d\nx: t\ny: [a, b]\n", data)
    cfg = config_of(result.html)
    assert [d["label"] for d in cfg["chart"]["data"]["datasets"]] == ["a", "b"]
    assert [s["palette"] for s in cfg["series"]] == [1, 2]
    assert cfg["chart"]["options"]["plugins"]["legend"] == {"display": True}
    assert Page(result.html).rows() == [["1", "3", "5"], ["2", "4", "6"]]


def test_a_series_y_that_is_not_a_column_name_is_reported_once(tmp_path: Path) -> None:
    source = "data: points\nx: x\nseries:\n  - y: 1\n"
    assert errors(render(tmp_path, source)) == [f"{REL}:23: 'y' must be a column name, got 1"]
