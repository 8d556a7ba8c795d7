"""Precomputed interacts in Chromium: labelled controls that the keyboard moves, each
position showing the frame computed for its value, over HTTP and from file://, and a
first frame that reads without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from tests.compute.test_interact import CHARTED
from tests.content.test_notebooks import notebook
from tests.helpers import BrowserLog, build_site, interact_frames, write_files

NOTEBOOK = "posts/least-squares-tutorial/"
SHOWN_ALT = "() => document.querySelector('.lp-interact .lp-interact-frame img').alt"

CONTROLS_POST = """---
title: Three controls
---

```python {compute}
import ipywidgets as widgets

@widgets.interact(
    speed=widgets.IntSlider(3, min=0, max=6, description="Speed"),
    shape=widgets.Dropdown(options=["circle", "square", "star"], value="square", description="Shape"),
    filled=widgets.Checkbox(False, description="Filled"),
)
def draw(speed, shape, filled):
    print(f"speed {speed}, a {'filled ' if filled else ''}{shape}")
```
"""


# W1D3 Tutorial 2's explorer, in our words: two sliders over a histogram of random samples
# and the density they come from; 41 x 16 = 656 combinations, over the default budget.
NORMAL_NOTEBOOK = notebook(
    new_markdown_cell("# The normal distribution"),
    new_code_cell(
        "import ipywidgets as widgets\nimport matplotlib.pyplot as plt\nimport numpy as np"
    ),
    new_code_cell(
        "@widgets.interact(mu=widgets.FloatSlider(0.0, min=-2.0, max=2.0),\n"
        "                  sigma=widgets.FloatSlider(1.0, min=0.5, max=2.0))\n"
        "def plot_normal_dist(mu=0, sigma=1):\n"
        "    x = np.linspace(-5, 5, 100)\n"
        "    y = np.exp(-((x - mu) ** 2) / (2 * sigma**2)) / (sigma * np.sqrt(2 * np.pi))\n"
        "    samples = np.random.normal(mu, sigma, 1000)\n"
        "    fig, ax = plt.subplots()\n"
        "    ax.hist(samples, 20, density=True, color='g', histtype='stepfilled', alpha=0.8)\n"
        "    ax.plot(x, y, color='orange', linewidth=3)\n"
        "    ax.set(title=f'mu {mu:.1f}, sigma {sigma:.1f}', xlim=[-5, 5], ylim=[0, 1.0])"
    ),
)


@pytest.fixture(scope="module")
def controls_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = write_files(
        tmp_path_factory.mktemp("interact-src"),
        {
            "site.yml": "title: T\nbase_url: https://example.org/\n",
            "content/posts/shapes.md": CONTROLS_POST,
            "content/posts/charted.md": CHARTED,
            "content/posts/normal.ipynb": NORMAL_NOTEBOOK,
        },
    )
    out = src.parent / f"{src.name}-site"
    result = build_site(src, out)
    assert result.returncode == 0, result.stderr
    # Over budget: thinned, said, and built all the same.
    warning = "content/posts/normal.ipynb:"
    assert warning in result.stderr and "interact has 656 combinations" in result.stderr
    return out


def computed_alts(site: Path, post: str, ident: str) -> list[str]:
    """The alt text of each grid point's frame, as the build computed it."""
    data = interact_frames(site / post, ident)
    return [re.search(r'alt="([^"]*)"', data["frames"][i]).group(1) for i in data["index"]]  # type: ignore[union-attr]


def shown_text(page: Any) -> str:
    return str(page.locator(".lp-interact-frame").inner_text()).strip()


def test_the_lesson_slider_moves_through_the_frames_computed_for_each_slope(
    page: Any, browser_log: BrowserLog, serve_dir: Callable[..., str], example_site: Path
) -> None:
    expected = computed_alts(example_site, NOTEBOOK, "cell-10-1")
    assert len(expected) == 21 and expected[10] == "Slope 1.0: MSE 3.01"
    page.goto(serve_dir(example_site) + NOTEBOOK)
    slider = page.get_by_label("theta_hat", exact=True)  # labelled by the widget's description
    slider.scroll_into_view_if_needed()
    assert page.evaluate(SHOWN_ALT) == expected[10]
    readout = page.locator(".lp-interact output")
    assert readout.get_attribute("aria-live") == "polite" and readout.inner_text() == "1.00"
    page.wait_for_function("document.querySelector('.lp-interact').dataset.ready === 'true'")
    slider.focus()
    for key, position in (("End", 20), ("ArrowLeft", 19), ("Home", 0), ("ArrowRight", 1)):
        page.keyboard.press(key)
        page.wait_for_function(f"(alt) => ({SHOWN_ALT})() === alt", arg=expected[position])
        assert slider.get_attribute("aria-valuetext") == f"{position / 10:.2f}"
        assert readout.inner_text() == f"{position / 10:.2f}"
    image = page.locator(".lp-interact-frame img")
    page.wait_for_function(
        "(() => { const i = document.querySelector('.lp-interact-frame img');"
        " return i.complete && i.naturalWidth > 0; })()"
    )
    assert image.get_attribute("alt") == expected[1]
    browser_log.assert_clean()


def test_each_kind_of_control_answers_its_keys(
    page: Any, browser_log: BrowserLog, serve_dir: Callable[..., str], controls_site: Path
) -> None:
    page.goto(serve_dir(controls_site) + "posts/shapes/")
    assert shown_text(page) == "speed 3, a square"
    page.wait_for_function("document.querySelector('.lp-interact').dataset.ready === 'true'")
    speed, shape, filled = (page.get_by_label(n, exact=True) for n in ("Speed", "Shape", "Filled"))
    speed.focus()
    page.keyboard.press("End")
    page.wait_for_function(
        "document.querySelector('.lp-interact-frame').innerText.includes('speed 6,')"
    )
    assert shown_text(page) == "speed 6, a square"
    page.keyboard.press("Home")
    page.wait_for_function(
        "document.querySelector('.lp-interact-frame').innerText.includes('speed 0,')"
    )
    shape.focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_function(
        "document.querySelector('.lp-interact-frame').innerText.includes('star')"
    )
    assert shown_text(page) == "speed 0, a star"
    filled.focus()
    page.keyboard.press("Space")
    page.wait_for_function(
        "document.querySelector('.lp-interact-frame').innerText.includes('filled')"
    )
    assert shown_text(page) == "speed 0, a filled star"
    assert filled.is_checked()
    browser_log.assert_clean()


def test_interacts_work_from_file_urls(
    page: Any, browser_log: BrowserLog, controls_site: Path
) -> None:
    page.goto((controls_site / "posts/shapes/index.html").as_uri())
    page.wait_for_function("document.querySelector('.lp-interact').dataset.ready === 'true'")
    page.get_by_label("Speed", exact=True).focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "document.querySelector('.lp-interact-frame').innerText.includes('speed 4,')"
    )
    browser_log.assert_clean()


def test_without_javascript_the_first_frame_reads_and_controls_are_inert(
    browser: Any, serve_dir: Callable[..., str], controls_site: Path
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(serve_dir(controls_site) + "posts/shapes/")
        assert shown_text(page) == "speed 3, a square"
        assert page.get_by_label("Speed", exact=True).is_disabled()
    finally:
        context.close()


def test_a_chart_of_the_functions_dataset_follows_the_controls(
    page: Any, browser_log: BrowserLog, serve_dir: Callable[..., str], controls_site: Path
) -> None:
    page.goto(serve_dir(controls_site) + "posts/charted/")
    page.wait_for_function("document.querySelector('#line-chart').dataset.lpReady === 'true'")
    page.wait_for_function("document.querySelector('.lp-interact').dataset.ready === 'true'")
    chart_slider = page.locator("#line-chart input[type=range]")
    assert chart_slider.input_value() == "2"  # slope 1.0, as the widget starts
    page.locator(".lp-interact").get_by_label("slope", exact=True).focus()
    page.keyboard.press("End")
    page.wait_for_function("document.querySelector('#line-chart input[type=range]').value === '4'")
    last_y = "() => window.lessonpress.charts['line-chart'].data.datasets[0].data.at(-1).y"
    assert page.evaluate(last_y) == 2.0
    assert shown_text(page) == "slope 2.0"
    page.keyboard.press("Home")
    page.wait_for_function("document.querySelector('#line-chart input[type=range]').value === '0'")
    assert page.evaluate(last_y) == 0.0
    browser_log.assert_clean()


def test_two_sliders_over_a_thinned_grid_show_the_figure_computed_for_each_position(
    page: Any, browser_log: BrowserLog, serve_dir: Callable[..., str], controls_site: Path
) -> None:
    data = interact_frames(controls_site / "posts/normal", "cell-3-1")
    frames = [re.search(r'src="([^"]+)"', data["frames"][i]).group(1) for i in data["index"]]  # type: ignore[union-attr]
    page.goto(serve_dir(controls_site) + "posts/normal/")
    page.wait_for_function("document.querySelector('.lp-interact').dataset.ready === 'true'")
    mu, sigma = (page.get_by_label(n, exact=True) for n in ("mu", "sigma"))
    sizes = [int(str(c.get_attribute("data-size"))) for c in (mu, sigma)]
    assert sizes[0] * sizes[1] == len(frames) <= 300
    shown = "() => document.querySelector('.lp-interact-frame img').getAttribute('src')"
    for control in (mu, sigma):
        control.focus()
        for key in ("End", "Home", "ArrowRight"):
            page.keyboard.press(key)
            at = int(mu.input_value()) * sizes[1] + int(sigma.input_value())
            page.wait_for_function(f"(src) => ({shown})() === src", arg=frames[at])
    assert mu.get_attribute("aria-valuetext") == "-1.60"  # every 4th value of mu is kept
    assert sigma.get_attribute("aria-valuetext") == "0.60"  # one step up from 0.50
    note = page.locator(".lp-interact-note").inner_text()
    assert "of the 656 combinations" in note and "same seed" in note
    page.wait_for_function(
        "(() => { const i = document.querySelector('.lp-interact-frame img');"
        " return i.complete && i.naturalWidth > 0; })()"
    )
    browser_log.assert_clean()
