"""Chart stage, part 3: do the data fit the chart?

Series find their columns, columns have equal lengths, numeric axes get
numbers, a slider (`control`) gets a sweep. Every failure is a Diagnostic at
the line of the key that caused it. Knows nothing of HTML or the runtime.
"""

from __future__ import annotations

from typing import Any

from generator.errors import Diagnostic, did_you_mean
from generator.jsnumber import js_number
from generator.render.charts.data import Bound, Resolver, Source, is_number
from generator.render.charts.spec import ChartSpec, DataRef


class Check:
    def __init__(self, spec: ChartSpec, rel: str) -> None:
        self.spec = spec
        self.rel = rel
        self.problems: list[Diagnostic] = []

    def error(self, path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(Diagnostic(self.rel, self.spec.line(*path), message, code="chart"))


def bind(check: Check, spec: ChartSpec, resolver: Resolver) -> list[Bound]:
    out = []
    inline_checked: set[str] = set()
    for series in spec.series:
        data: DataRef | None = series.data if series.data is not None else spec.data
        data_path = (*series.path, "data") if series.data is not None else ("data",)
        x = series.x or spec.x
        if data is None or x is None or series.y is None:
            continue  # parse_chart reported it
        source = resolver.resolve(data, spec.line(*data_path))
        if source is None:
            continue
        if source.origin == "inline" and source.key not in inline_checked:
            inline_checked.add(source.key)
            _check_inline_lengths(check, source, data_path)
        x_path = (*series.path, "x") if series.x else ("x",)
        y_path = (*series.path, "y") if series.path[:1] == ("series",) else ("y",)
        if _has_column(check, source, x, x_path) & _has_column(check, source, series.y, y_path):
            out.append(Bound(series, source, x, series.y, data_path))
    return out


def _has_column(check: Check, source: Source, column: str, path: tuple[str | int, ...]) -> bool:
    names = source.dataset.column_names()
    if column in names:
        return True
    hint = did_you_mean(column, names) or f" (columns: {', '.join(names) or 'none'})"
    check.error(path, f"unknown column '{column}' in {source.describe}{hint}")
    return False


def _check_inline_lengths(check: Check, source: Source, data_path: tuple[str | int, ...]) -> None:
    columns = source.dataset.columns
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) <= 1:
        return
    first = next(iter(lengths))
    odd = next(n for n in lengths if lengths[n] != lengths[first])
    check.error(
        (*data_path, odd),
        f"columns of different lengths in inline data: '{first}' has {lengths[first]} "
        f"values, '{odd}' has {lengths[odd]}",
    )


def _rows(bound: Bound) -> list[tuple[str, int, Any, Any]]:
    """Every (where, row, x, y) drawn by a series, across all sweep tables."""
    d = bound.source.dataset
    out = []
    for i, table in enumerate(bound.source.tables()):
        where = bound.source.describe
        if d.kind == "sweep":
            where += f" ({d.param} = {show(d.values[i])})"
        out += [
            (where, r, x, y)
            for r, (x, y) in enumerate(zip(table[bound.x], table[bound.y], strict=False))
        ]
    return out


def show(v: Any) -> str:
    return js_number(v) if is_number(v) else repr(v)


def _check_lengths(check: Check, bound: Bound) -> bool:
    d = bound.source.dataset
    for i, table in enumerate(bound.source.tables()):
        nx, ny = len(table[bound.x]), len(table[bound.y])
        if nx != ny:
            where = bound.source.describe
            if d.kind == "sweep":
                where += f" at {d.param} = {show(d.values[i])}"
            path = (
                (*bound.data_path, bound.y) if bound.source.origin == "inline" else _y_path(bound)
            )
            check.error(
                path,
                f"columns of different lengths in {where}: '{bound.x}' has {nx} values, "
                f"'{bound.y}' has {ny}",
            )
            return False
    return True


def _y_path(bound: Bound) -> tuple[str | int, ...]:
    return (*bound.series.path, "y") if bound.series.path[:1] == ("series",) else ("y",)


def _x_path(bound: Bound) -> tuple[str | int, ...]:
    return (*bound.series.path, "x") if bound.series.x else ("x",)


def _numeric(check: Check, bound: Bound, axis: str, log: bool) -> bool:
    column = bound.x if axis == "x" else bound.y
    for where, row, *xy in _rows(bound):
        v = xy[0] if axis == "x" else xy[1]
        path = _x_path(bound) if axis == "x" else _y_path(bound)
        if bound.source.origin == "inline":
            path = (*bound.data_path, column, row)
        if v is not None and not is_number(v):
            check.error(
                path,
                f"column '{column}' of {where} has a non-numeric value {show(v)} (row {row + 1}) "
                f"on the numeric {axis} axis",
            )
            return False
        if log and v is not None and v <= 0:
            check.error(
                path,
                f"column '{column}' of {where} has {show(v)} (row {row + 1}), but a "
                f"logarithmic {axis} axis needs values above 0",
            )
            return False
    return True


def check_axes(check: Check, spec: ChartSpec, bound: list[Bound]) -> bool:
    """Check lengths and numbers; return True when the x axis is a category axis."""
    bound[:] = [b for b in bound if _check_lengths(check, b)]
    for b in bound:
        _numeric(check, b, "y", spec.y_scale == "logarithmic")
    if spec.type == "bar":
        for key in ("x_scale", "x_min", "x_max"):
            if getattr(spec, key) is not None:
                check.error(
                    (key,), f"'{key}' does not apply to bar charts (their x axis lists categories)"
                )
        return True
    numeric_x = all(v is None or is_number(v) for b in bound for _, _, v, _ in _rows(b))
    needs_number = spec.type == "scatter" or spec.x_scale or spec.x_min is not None
    needs_number = needs_number or spec.x_max is not None or any(b.series.marker for b in bound)
    if needs_number or numeric_x:
        for b in bound:
            _numeric(check, b, "x", spec.x_scale == "logarithmic")
        return False
    return True


# -- control (slider) ----------------------------------------------------------


def check_control(check: Check, spec: ChartSpec, bound: list[Bound]) -> dict[str, Any] | None:
    sweeps: list[Bound] = []
    for b in bound:
        if b.source.is_sweep and b.source not in [s.source for s in sweeps]:
            sweeps.append(b)
    for b in bound:
        if b.series.marker and (spec.control is None or b.source.is_sweep):
            check.error(
                (*b.series.path, "marker"),
                "'marker: true' needs `control` and a table (not a sweep): it shows the row "
                "whose x is the slider's value",
            )
    if spec.control is None:
        for b in sweeps:
            d = b.source.dataset
            check.error(
                b.data_path,
                f"dataset '{d.name}' is a sweep over '{d.param}': add `control: {d.param}` "
                "to draw it with a slider",
            )
        return None
    if not sweeps:
        return _marker_control(check, spec, bound)
    first = sweeps[0].source.dataset
    for b in sweeps:
        d = b.source.dataset
        if d.param != spec.control:
            hint = did_you_mean(spec.control, [d.param])
            check.error(
                ("control",),
                f"dataset '{d.name}' is a sweep over '{d.param}', not '{spec.control}'{hint}",
            )
            return None
        if d.values != first.values:
            check.error(
                b.data_path,
                f"sweeps '{first.name}' and '{d.name}' have different values of '{d.param}'; "
                "one slider cannot drive both",
            )
            return None
    if not first.values:
        check.error(sweeps[0].data_path, f"sweep '{first.name}' has no values")
        return None
    return {
        "param": spec.control,
        "values": list(first.values),
        "initial": _initial_index(check, spec, list(first.values)),
    }


def _marker_control(check: Check, spec: ChartSpec, bound: list[Bound]) -> dict[str, Any] | None:
    """No sweep: a marker's x column can be the slider (the table's x values)."""
    marker = next((b for b in bound if b.series.marker and b.x == spec.control), None)
    if marker is None:
        tables = ", ".join(sorted({b.source.describe for b in bound}))
        check.error(
            ("control",),
            f"`control: {spec.control}` needs a sweep dataset over '{spec.control}' or a "
            f"`marker: true` series with x: {spec.control}; this chart draws only tables "
            f"({tables})",
        )
        return None
    values = list(
        dict.fromkeys(v for v in marker.source.dataset.columns[marker.x] if v is not None)
    )
    return {"param": spec.control, "values": values, "initial": _initial_index(check, spec, values)}


def _initial_index(check: Check, spec: ChartSpec, values: list[Any]) -> int:
    if spec.initial is None:
        return 0
    for i, v in enumerate(values):
        if v == spec.initial or (
            is_number(v)
            and is_number(spec.initial)
            and abs(v - spec.initial) < 1e-9 * max(1, abs(v))
        ):
            return i
    shown = ", ".join(show(v) for v in values[:8]) + (", ..." if len(values) > 8 else "")
    check.error(
        ("initial",),
        f"initial {show(spec.initial)} is not one of the values of '{spec.control}': {shown}",
    )
    return 0
