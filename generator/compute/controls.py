"""Compute stage, worker side: an ``interact``'s controls as a grid of values to precompute.

ipywidgets has already turned the author's arguments (``FloatSlider(1.0, min=0, max=2)``,
``(0, 10, 1)``, ``['a', 'b']``, ``True``) into widget objects; here each widget's own
traits say which values it can take: a slider every ``step`` from ``min`` to ``max``, a
dropdown its options, a checkbox ``False``/``True``. A control is addressed by position
(0, 1, 2...), never by its float value, so ``0.1 + 0.2`` can never miss a frame.

A grid larger than the frame budget is thinned evenly, slider by slider (the ends are
always kept), so that every control still moves; options and checkboxes keep every
value unless even two steps per slider are too many.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Control:
    name: str  # the function's keyword argument
    label: str  # the widget's description, as the page labels the control
    kind: str  # "range", "select" or "checkbox"
    values: tuple[Any, ...]  # every value, in order
    labels: tuple[str, ...]  # each value as the widget's readout shows it
    start: int  # position of the widget's value when the cell ran
    ordered: bool  # a slider: thinning keeps every n-th value


@dataclass(frozen=True)
class Grid:
    controls: tuple[Control, ...]
    fixed: dict[str, Any]  # keyword arguments that do not move (``fixed(x)``, text boxes)
    kept: tuple[tuple[int, ...], ...]  # per control, the positions the page can reach
    problems: tuple[str, ...]  # a widget shown fixed at its value, and why

    @property
    def size(self) -> int:
        return math.prod(len(k) for k in self.kept)

    @property
    def full_size(self) -> int:
        return math.prod(len(c.values) for c in self.controls)

    def points(self) -> list[tuple[int, ...]]:
        """Every reachable combination, the first control varying slowest."""
        found: list[tuple[int, ...]] = [()]
        for kept in self.kept:
            found = [(*p, k) for p in found for k in kept]
        return found

    def arguments(self, point: tuple[int, ...]) -> dict[str, Any]:
        chosen = {c.name: c.values[p] for c, p in zip(self.controls, point, strict=True)}
        return {**self.fixed, **chosen}

    def start(self) -> tuple[int, ...]:
        """The reachable point nearest to the widgets' values when the cell ran."""
        return tuple(
            min(kept, key=lambda k: (abs(k - c.start), k))
            for c, kept in zip(self.controls, self.kept, strict=True)
        )


def read_grid(widgets: list[Any], budget: int) -> Grid:
    """The grid of ``interactive.kwargs_widgets`` (ipywidgets objects), within ``budget``."""
    controls: list[Control] = []
    fixed: dict[str, Any] = {}
    problems: list[str] = []
    for widget in widgets:
        name = str(widget._kwarg)
        control = read_control(widget, name)
        if control is None:
            fixed[name] = widget.get_interact_value()
            if _is_shown(widget):
                kind = type(widget).__name__
                problems.append(
                    f"the {kind} control {name!r} cannot be precomputed for a static page; "
                    "it is shown fixed at its value"
                )
        else:
            controls.append(control)
    kept = thin([len(c.values) for c in controls], [c.ordered for c in controls], budget)
    return Grid(tuple(controls), fixed, tuple(kept), tuple(problems))


def read_control(widget: Any, name: str) -> Control | None:
    """The values ``widget`` can take, by its class's own traits; None when it cannot be
    enumerated (a text box, a range slider, ``fixed``)."""
    from ipywidgets import (
        Checkbox,
        FloatLogSlider,
        FloatSlider,
        IntSlider,
        SelectionSlider,
        ToggleButton,
    )
    from ipywidgets.widgets.widget_selection import _Selection

    label = str(getattr(widget, "description", "") or name)
    if isinstance(widget, IntSlider):
        values: tuple[Any, ...] = tuple(
            range(int(widget.min), int(widget.max) + 1, max(1, int(widget.step)))
        )
        return _slider(name, label, values, widget.value, widget.readout_format or "d")
    if isinstance(widget, FloatSlider | FloatLogSlider):
        exponents = _steps(float(widget.min), float(widget.max), float(widget.step))
        base = float(widget.base) if isinstance(widget, FloatLogSlider) else None
        values = tuple(_tidy(base**e) if base else e for e in exponents)
        return _slider(name, label, values, widget.value, widget.readout_format or ".2f")
    if isinstance(widget, _Selection):
        values = tuple(widget._options_values)
        if not values:
            return None
        labels = tuple(str(x) for x in widget._options_labels)
        start = int(widget.index) if widget.index is not None else 0
        ordered = isinstance(widget, SelectionSlider)
        return Control(
            name, label, "range" if ordered else "select", values, labels, start, ordered
        )
    if isinstance(widget, Checkbox | ToggleButton):
        start = 1 if widget.value else 0
        return Control(name, label, "checkbox", (False, True), ("off", "on"), start, False)
    return None


def _slider(name: str, label: str, values: tuple[Any, ...], value: Any, fmt: str) -> Control | None:
    if not values:
        return None
    labels = tuple(_readout(v, fmt) for v in values)
    start = min(range(len(values)), key=lambda i: abs(values[i] - value))
    return Control(name, label, "range", values, labels, start, True)


def _steps(low: float, high: float, step: float) -> list[float]:
    """``low``, ``low + step``... up to ``high``, as the browser's slider steps them."""
    if step <= 0 or high < low:
        return [low]
    count = math.floor((high - low) / step + 1e-9) + 1
    return [_tidy(low + i * step) for i in range(count)]


def _tidy(value: float) -> float:
    """``0.30000000000000004`` -> ``0.3``: the value a reader of the readout expects."""
    return float(f"{value:.12g}")


def _readout(value: Any, fmt: str) -> str:
    try:
        return format(value, fmt)
    except (TypeError, ValueError):
        return str(value)


def _is_shown(widget: Any) -> bool:
    from ipywidgets import DOMWidget

    return isinstance(widget, DOMWidget)


def thin(sizes: list[int], ordered: list[bool], budget: int) -> list[tuple[int, ...]]:
    """Per control, the positions kept so that the grid has at most ``budget`` points."""
    keep = list(sizes)
    if math.prod(keep) > budget:
        sliders = sorted(
            (i for i, o in enumerate(ordered) if o and sizes[i] > 2), key=sizes.__getitem__
        )
        room = budget / math.prod(s for i, s in enumerate(sizes) if i not in sliders)
        for done, i in enumerate(sliders):
            share = math.floor(room ** (1 / (len(sliders) - done)) + 1e-9)
            keep[i] = _even_steps(sizes[i], min(sizes[i], max(2, share)))
            room /= keep[i]
        while math.prod(keep) > budget and max(keep) > 1:  # options too, when they must
            largest = max(range(len(keep)), key=lambda i: (keep[i], -i))
            keep[largest] = max(1, min(keep[largest] - 1, math.floor(keep[largest] * 0.9)))
    return [evenly(n, k) for n, k in zip(sizes, keep, strict=True)]


def _even_steps(size: int, count: int) -> int:
    """``count``, or a little fewer if then every step is the same (every 2nd value of
    41: 21 values, 0.0, 0.2, 0.4...; never 18 values in uneven steps)."""
    if count >= size or count < 2:
        return count
    for fewer in range(count, max(2, (count + 1) // 2) - 1, -1):
        if (size - 1) % (fewer - 1) == 0:
            return fewer
    return count


def evenly(size: int, count: int) -> tuple[int, ...]:
    """``count`` positions out of ``size``, evenly spread, the first and last included."""
    if count >= size:
        return tuple(range(size))
    if count <= 1:
        return (0,)
    return tuple(sorted({round(j * (size - 1) / (count - 1)) for j in range(count)}))


def thinning_note(grid: Grid, budget: int) -> str:
    """What a thinned grid keeps, for the author: ``theta 11 of 21 values (every 2nd)``."""
    parts = []
    for control, kept in zip(grid.controls, grid.kept, strict=True):
        total = len(control.values)
        if len(kept) == total:
            continue
        if len(kept) > 1:
            every = (total - 1) / (len(kept) - 1)
            stride = (
                f"every {every:.3g}{_ordinal(every)}"
                if every == int(every)
                else f"about every {every:.2g}"
            )
            parts.append(
                f"{control.name} {len(kept)} of {total} values ({stride}, "
                f"{control.labels[kept[0]]} to {control.labels[kept[-1]]})"
            )
        else:
            parts.append(f"{control.name} fixed at {control.labels[kept[0]]} (1 of {total})")
    return (
        f"interact has {grid.full_size:,} combinations of its controls, over the budget of "
        f"{budget:,} frames: thinned to {grid.size:,} frames, "
        + "; ".join(parts)
        + " (raise the budget with '#| frames: N' in the cell or interact_frames in site.yml)"
    )


def _ordinal(number: float) -> str:
    n = int(number)
    if n % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
