"""An interact's controls as ipywidgets' own widget objects describe them, and the grid
of values a page can reach within the frame budget."""

from __future__ import annotations

import math
from typing import Any

import pytest

widgets = pytest.importorskip("ipywidgets")  # the notebooks extra, installed by make test

from generator.compute.controls import evenly, read_grid, thin, thinning_note  # noqa: E402


def made(f: Any, **kwargs: Any) -> list[Any]:
    """The widgets ipywidgets' own ``interactive`` builds for ``kwargs`` (abbreviations too)."""
    from ipywidgets.widgets.interaction import interactive

    class Quiet(interactive):  # type: ignore[misc]
        def update(self, *args: Any) -> None:  # no function call: only the controls matter
            return None

    return list(Quiet(f, **kwargs).kwargs_widgets)


def test_a_float_slider_steps_from_min_to_max_with_tidy_values() -> None:
    def f(theta_hat: float) -> None: ...

    grid = read_grid(made(f, theta_hat=widgets.FloatSlider(1.0, min=0.0, max=2.0)), 300)
    (control,) = grid.controls
    assert control.kind == "range" and control.label == "theta_hat"
    assert len(control.values) == 21 and control.values[3] == 0.3  # not 0.30000000000000004
    assert control.labels[10] == "1.00" and control.start == 10
    assert grid.size == 21 and grid.arguments(grid.start()) == {"theta_hat": 1.0}


def test_abbreviations_become_the_widgets_ipywidgets_makes() -> None:
    def f(n: int, kind: str, show: bool, scale: float, rate: float) -> None: ...

    found = made(
        f,
        n=(0, 10, 2),
        kind=["sine", "square"],
        show=True,
        scale=(0.5, 2.0),
        rate=widgets.FloatLogSlider(value=10, base=10, min=-1, max=2, step=1),
    )
    grid = read_grid(found, 10_000)
    kinds = {c.name: (c.kind, c.labels) for c in grid.controls}
    assert kinds["n"] == ("range", ("0", "2", "4", "6", "8", "10"))
    assert kinds["kind"] == ("select", ("sine", "square"))
    assert kinds["show"] == ("checkbox", ("off", "on"))
    assert kinds["rate"][1] == ("0.1", "1", "10", "100")
    rate = next(c for c in grid.controls if c.name == "rate")
    assert rate.values == (0.1, 1.0, 10.0, 100.0) and rate.start == 2
    assert grid.size == 6 * 2 * 2 * 16 * 4


def test_dropdown_with_label_value_pairs_passes_the_values() -> None:
    def f(model: int) -> None: ...

    grid = read_grid(
        made(f, model=widgets.Dropdown(options=[("Linear", 1), ("Cubic", 3)], value=3)), 9
    )
    (control,) = grid.controls
    assert control.labels == ("Linear", "Cubic") and control.values == (1, 3) and control.start == 1


def test_controls_that_cannot_be_enumerated_are_fixed_and_said() -> None:
    def f(name: str, span: tuple[int, int], data: Any) -> None: ...

    found = made(
        f,
        name="Ada",
        span=widgets.IntRangeSlider(value=(2, 5), min=0, max=9),
        data=widgets.fixed([1, 2]),
    )
    grid = read_grid(found, 300)
    assert grid.controls == () and grid.size == 1
    assert grid.fixed == {"name": "Ada", "span": (2, 5), "data": [1, 2]}
    assert len(grid.problems) == 2 and "Text control 'name'" in grid.problems[0]


def test_a_grid_over_budget_is_thinned_evenly_keeping_the_ends() -> None:
    # W2D3 Tutorial 1's shape: 2,580 combinations, over a budget of 300.
    kept = thin([60, 43], [True, True], 300)
    assert math.prod(len(k) for k in kept) <= 300
    assert all(k[0] == 0 for k in kept) and kept[0][-1] == 59 and kept[1][-1] == 42
    assert min(len(k) for k in kept) >= 15  # both sliders still move in fine steps
    steps = {b - a for a, b in zip(kept[0], kept[0][1:], strict=False)}
    assert max(steps) - min(steps) <= 1  # evenly


def test_options_and_checkboxes_keep_every_value_while_sliders_can_give_way() -> None:
    kept = thin([101, 3, 2], [True, False, False], 60)
    # 10 slider values would fit; 6 of them step evenly (every 20th of 101).
    assert [len(k) for k in kept] == [6, 3, 2] and kept[0] == (0, 20, 40, 60, 80, 100)


def test_thinning_prefers_even_steps_to_a_few_more_values() -> None:
    # W1D3 Tutorial 2: mu -2..2 by 0.1 (41 values) and sigma 0.5..2 by 0.1 (16), budget 300.
    mu, sigma = thin([41, 16], [True, True], 300)
    assert sigma == tuple(range(16)) and mu == tuple(range(0, 41, 4))


def test_a_vast_grid_still_fits_and_never_fails() -> None:
    # W1D1 Tutorial 1's shape: about 1.5e13 combinations.
    sizes = [101] * 6 + [41]
    kept = thin(sizes, [True] * 7, 300)
    assert 1 <= math.prod(len(k) for k in kept) <= 300
    assert all(len(k) >= 2 for k in kept[:1])


def test_evenly_spreads_positions() -> None:
    assert evenly(21, 5) == (0, 5, 10, 15, 20)
    assert evenly(5, 9) == (0, 1, 2, 3, 4)
    assert evenly(7, 1) == (0,)


def test_the_thinning_note_names_the_counts_and_steps() -> None:
    def f(mu: float, sigma: float) -> None: ...

    found = made(
        f,
        mu=widgets.FloatSlider(0.0, min=-2.0, max=2.0, step=0.1),
        sigma=widgets.FloatSlider(1.0, min=0.5, max=2.0, step=0.1),
    )
    grid = read_grid(found, 100)
    note = thinning_note(grid, 100)
    assert grid.full_size == 41 * 16 and grid.size <= 100
    assert "656 combinations" in note and "budget of 100" in note
    assert "mu " in note and "of 41 values" in note and "#| frames: N" in note
