"""The example site's flagship lesson: it builds, its data are finite, and its text tells the truth.

The repository's ``content/`` and ``site.yml`` are copied into a temporary folder and built there
(cold, with a fresh cache) by the real ``python -m generator build``. The numbers a reader sees
— cell outputs and slider readouts — are compared with the published datasets.
"""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import build_example_site

pytestmark = pytest.mark.slow

LESSON = "posts/linear-regression-interactive/index.html"
CSV_POST = "posts/crop-yield-data/index.html"
SEED = "posts/linear-regression/index.html"


@dataclass(frozen=True)
class Example:
    site: Path
    stdout: str
    stderr: str
    code: int

    def page(self, rel: str) -> str:
        return (self.site / rel).read_text(encoding="utf-8")

    def data_links(self, rel: str) -> list[Path]:
        """The dataset files a page links to, resolved inside the site."""
        page_dir = (self.site / rel).parent
        hrefs = re.findall(r'href="([^"#?]+\.(?:json|csv))"', self.page(rel))
        return [(page_dir / html.unescape(h)).resolve() for h in hrefs]

    def dataset(self, rel: str, name: str) -> dict[str, Any]:
        """The JSON of dataset ``name`` of page ``rel`` (in the folder its data links point to;
        a dataset no chart draws is published there without a link)."""
        folders = {path.parent for path in self.data_links(rel)}
        assert len(folders) == 1, f"{rel} links data in {sorted(folders)}"
        path = folders.pop() / f"{name}.json"
        assert path.is_file(), f"{rel} has no dataset {name}.json"
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> float:
        raise ValueError(f"{constant} in JSON")

    return json.loads(text, parse_constant=refuse)


def _outputs(page: str) -> list[str]:
    found = re.findall(r'<pre class="lp-cell-output"[^>]*><code>(.*?)</code></pre>', page, re.S)
    return [html.unescape(o) for o in found]


def _readout(page: str, figure_id: str) -> str:
    m = re.search(rf'<p class="lp-chart-readout" id="{figure_id}-readout"[^>]*>(.*?)</p>', page)
    assert m, f"no readout for #{figure_id}"
    return html.unescape(m.group(1))


def _number_after(label: str, text: str) -> float:
    m = re.search(re.escape(label) + r"\s*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)", text)
    assert m, f"{label!r} not found in {text!r}"
    return float(m.group(1))


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Example:
    out, result = build_example_site(tmp_path_factory.mktemp("example"))
    return Example(out, result.stdout, result.stderr, result.returncode)


def test_example_site_builds_cleanly(example: Example) -> None:
    assert example.code == 0, example.stdout + example.stderr
    for rel in (LESSON, CSV_POST, SEED, "index.html", "tags/ml/index.html"):
        assert (example.site / rel).is_file(), rel


def test_every_linked_dataset_exists_and_is_finite(example: Example) -> None:
    for rel in (LESSON, CSV_POST):
        links = example.data_links(rel)
        assert links, f"{rel} links no data"
        for path in links:
            assert path.is_file(), f"{rel} links a missing file {path}"
            if path.suffix == ".json":
                _strict_json(path.read_text(encoding="utf-8"))  # raises on NaN/Infinity
            else:
                text = path.read_text(encoding="utf-8").lower()
                assert not re.search(r"(^|,)-?(nan|inf|infinity)(,|$)", text, re.M), path
    # every JSON the build wrote, linked or not
    for path in (example.site / "data").rglob("*.json"):
        _strict_json(path.read_text(encoding="utf-8"))


def test_lesson_has_all_its_charts_with_tables_and_downloads(example: Example) -> None:
    page = example.page(LESSON)
    ids = re.findall(r'<figure class="lp-chart[^"]*" id="([^"]+)"', page)
    assert ids == [
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
    assert page.count('<details class="lp-chart-data"') == len(ids)
    assert page.count('<p class="lp-chart-downloads"') == len(ids)
    assert page.count('<input type="range"') == 6


def test_optimal_slope_in_text_matches_the_data(example: Example) -> None:
    page = example.page(LESSON)
    best = example.dataset(LESSON, "mse_best")["columns"]
    best_slope, best_mse = best["best_slope"][0], best["best_mse"][0]
    points = example.dataset(LESSON, "points")["columns"]
    sxy = sum(x * y for x, y in zip(points["x"], points["y"], strict=True))
    sxx = sum(x * x for x in points["x"])
    assert best_slope == pytest.approx(sxy / sxx, rel=1e-4)  # β₁* = Σxy / Σx², from the points

    readout = _readout(page, "mse-chart")
    assert _number_after("β₁* =", readout) == round(best_slope, 3)
    assert _number_after("the lowest,", readout) == round(best_mse, 3)
    printed = next(o for o in _outputs(page) if "optimal slope" in o)
    assert _number_after("β₁* =", printed) == round(best_slope, 3)

    curve = example.dataset(LESSON, "mse_curve")["columns"]
    lowest = min(range(len(curve["mse"])), key=lambda i: curve["mse"][i])
    assert abs(curve["slope"][lowest] - best_slope) <= 0.025 + 1e-9  # half a grid step
    assert best_mse <= min(curve["mse"]) + 1e-6


def test_tangent_readout_is_the_derivative_of_the_curve(example: Example) -> None:
    tangent = example.dataset(LESSON, "tangent")
    for x0, table in zip(tangent["values"], tangent["tables"], strict=True):
        xs, ys = table["fertilizer"], table["tangent"]
        rise_over_run = (ys[-1] - ys[0]) / (xs[-1] - xs[0])
        assert table["slope"][0] == pytest.approx(rise_over_run, rel=1e-4, abs=1e-3)
        assert table["at_yield"][0] == pytest.approx(ys[1], rel=1e-5)
        assert xs[1] == pytest.approx(x0)
    readout = _readout(example.page(LESSON), "tangent-chart")
    first = tangent["tables"][tangent["values"].index(1)]
    assert _number_after("its slope is", readout) == round(first["slope"][0], 1)


def test_learning_rate_slider_has_one_honest_divergent_run(example: Example) -> None:
    descent = example.dataset(LESSON, "descent")
    notes = [table["note"][0] for table in descent["tables"]]
    assert [n.startswith("diverged") for n in notes] == [False] * (len(notes) - 1) + [True]
    diverged = descent["tables"][-1]
    assert diverged["loss"][-1] > 1e6 and len(diverged["step"]) < len(descent["tables"][0]["step"])
    output = next(o for o in _outputs(example.page(LESSON)) if "2/λ_max" in o)
    limit = _number_after("2/λ_max =", output)
    assert descent["values"][-2] < limit < descent["values"][-1]
    closed = example.dataset(LESSON, "ls_optimum")["columns"]
    fastest_stable = descent["tables"][-2]
    assert fastest_stable["b0"][-1] == pytest.approx(closed["b0"][0], abs=1e-3)
    assert fastest_stable["b1"][-1] == pytest.approx(closed["b1"][0], abs=1e-3)


def test_autograd_and_analytic_gradient_agree(example: Example) -> None:
    output = next(o for o in _outputs(example.page(LESSON)) if "autograd" in o)
    assert "analytic" in output and "difference" in output
    assert _number_after("largest |difference| =", output) < 1e-10
    check = example.dataset(LESSON, "gradient_check")["columns"]
    assert all(abs(d) < 1e-10 for d in check["difference"])
    assert check["autograd"] == pytest.approx(check["analytic"], rel=1e-9)


def test_nn_linear_learns_the_closed_form_line(example: Example) -> None:
    output = next(o for o in _outputs(example.page(LESSON)) if "torch.nn.Linear" in o)
    closed = example.dataset(LESSON, "ls_optimum")["columns"]
    rows = {line.split()[0]: line.split() for line in output.splitlines() if line.strip()}
    weight, weight_closed = float(rows["weight"][2]), float(rows["weight"][3])
    bias, bias_closed = float(rows["bias"][2]), float(rows["bias"][3])
    assert weight_closed == pytest.approx(closed["b1"][0], abs=1e-5)
    assert bias_closed == pytest.approx(closed["b0"][0], abs=1e-5)
    assert abs(weight - weight_closed) < 1e-3 and abs(bias - bias_closed) < 1e-3
    training = example.dataset(LESSON, "nn_training")["columns"]
    assert training["loss"][-1] < training["loss"][0]
    assert training["loss"][-1] == pytest.approx(training["closed_form"][0], rel=1e-3)
    assert all(e > 0 for e in training["excess"])  # drawn on a log axis
    assert training["excess"][-1] < 1e-6 * training["excess"][0]


def test_mle_readout_and_variances_match_the_sample(example: Example) -> None:
    page = example.page(LESSON)
    peak = example.dataset(LESSON, "loglik_max")["columns"]
    curve = example.dataset(LESSON, "loglik")["columns"]
    assert peak["max_loglik"][0] >= max(curve["loglik"]) - 1e-6
    assert _number_after("sample mean x̄ =", _readout(page, "loglik-chart")) == round(
        peak["sample_mean"][0], 3
    )
    output = next(o for o in _outputs(page) if "MLE variance" in o)
    assert _number_after("sample mean =", output) == pytest.approx(peak["sample_mean"][0], abs=1e-4)
    var_mle = _number_after("MLE variance (÷n)        =", output)
    var_unbiased = _number_after("unbiased variance (÷n-1) =", output)
    assert var_mle < var_unbiased
    assert var_mle / var_unbiased == pytest.approx(24 / 25, abs=2e-4)
    bias = example.dataset(LESSON, "variance_bias")["columns"]
    for n, mle, unbiased in zip(bias["n"], bias["mle"], bias["unbiased"], strict=True):
        assert mle == pytest.approx(unbiased * (n - 1) / n, rel=1e-4)


def test_math_is_rendered_not_left_as_source(example: Example) -> None:
    page = example.page(LESSON)
    assert page.count("<math") >= 20
    body = re.sub(r"<(pre|script|code)\b.*?</\1>", "", page, flags=re.S)
    assert "$$" not in body and "\\frac" not in body and "\\beta" not in body


def test_csv_post_charts_the_file_and_reads_it_in_a_cell(example: Example) -> None:
    page = example.page(CSV_POST)
    csv = example.dataset(CSV_POST, "crop_yield")["columns"]
    assert csv["fertilizer"] == list(range(9))
    assert csv["yield"] == [20, 40, 60, 80, 100, 80, 60, 40, 20]
    rates = example.dataset(CSV_POST, "rates")["columns"]
    assert rates["rate"] == [20, 20, 20, 20, -20, -20, -20, -20]
    assert "9 rows read" in next(o for o in _outputs(page) if "rows read" in o)


def test_both_lessons_are_on_the_tag_page_and_the_index(example: Example) -> None:
    for rel in ("tags/ml/index.html", "index.html"):
        page = example.page(rel)
        for slug in ("linear-regression-interactive", "crop-yield-data", "linear-regression"):
            assert re.search(rf'href="[./]*/?posts/{slug}/"', page), f"{slug} missing on {rel}"
    index = example.page("index.html")
    seed, lesson, csv_post = (
        index.index(f'posts/{s}/"')
        for s in ("linear-regression", "linear-regression-interactive", "crop-yield-data")
    )
    assert seed < lesson < csv_post  # order: 1, 2, 3


def test_seed_post_keeps_its_hand_written_chart(example: Example) -> None:
    page = example.page(SEED)
    assert 'id="cropYieldChart"' in page
    assert "data: [20, 40, 60, 80, 100, 80, 60, 40, 20]" in page
    assert math.isclose(len(re.findall(r"\bnew Chart\(", page)), 1)
