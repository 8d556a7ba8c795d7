"""Chart stage, part 1: a ```chart block's YAML -> a typed :class:`ChartSpec`.

This module checks only the shape of the YAML (known keys, value types, the .md
line of every key). Whether the data exist and fit is checked by
:mod:`generator.render.charts.figure`, which owns the datasets. It knows nothing of HTML.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from generator.errors import Diagnostic, did_you_mean
from generator.model import ChartBlock
from generator.yamlsafe import YamlProblem, load_yaml_paths

Path_ = tuple[str | int, ...]
# A `data:` value: a dataset name, a CSV path, or inline columns.
DataRef = str | Mapping[str, tuple[Any, ...]]

CHART_TYPES = ("line", "scatter", "bar")
SCALES = ("linear", "logarithmic")
POINT_STYLES = (
    "circle",
    "cross",
    "crossRot",
    "dash",
    "line",
    "rect",
    "rectRounded",
    "rectRot",
    "star",
    "triangle",
)
LEGEND_POSITIONS = ("top", "bottom", "left", "right")
PALETTE_SIZE = 8
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


class _Bad(Exception):
    """A value of the wrong type; ``expected`` completes "'key' must be ..."."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


@dataclass(frozen=True)
class Series:
    """One drawn series. ``data``/``x`` are None when they come from the chart."""

    y: str | None
    data: DataRef | None = None
    x: str | None = None
    label: str | None = None
    color: str | int | None = None
    type: str | None = None
    point_style: str | bool | None = None
    point_radius: float | None = None
    dashed: bool | tuple[float, ...] = False
    fill: bool | str | int | None = None
    tension: float | None = None
    show_line: bool | None = None
    line_width: float | None = None
    marker: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
    path: Path_ = ()  # where this series was written, for line lookups


@dataclass(frozen=True)
class ChartSpec:
    type: str = "line"
    id: str | None = None
    data: DataRef | None = None
    x: str | None = None
    series: tuple[Series, ...] = ()
    title: str = ""
    caption: str = ""
    alt: str = ""
    x_label: str | None = None
    y_label: str | None = None
    x_min: float | None = None
    x_max: float | None = None
    y_min: float | None = None
    y_max: float | None = None
    x_scale: str | None = None
    y_scale: str = "linear"
    control: str | None = None
    control_label: str | None = None
    initial: Any = None
    readout: str | None = None
    sync: str | None = None
    legend: bool | str | None = None
    height: int | None = None
    aspect: float | None = None
    width: str = "full"
    options: Mapping[str, Any] = field(default_factory=dict)
    # .md line of every key and list item, by path from the top mapping.
    lines: Mapping[Path_, int] = field(default_factory=dict)

    def line(self, *path: str | int) -> int:
        """The .md line of ``path``, or of its nearest written ancestor."""
        p: Path_ = tuple(path)
        while p and p not in self.lines:
            p = p[:-1]
        return self.lines.get(p, 0)


# -- value checkers: return the normalised value or raise _Bad ---------------


def _text(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, int | float) and not isinstance(v, bool):
        return str(v)
    raise _Bad("text")


def _name(v: Any) -> str:
    if isinstance(v, str) and v.strip():
        return v
    raise _Bad("a column name")


def _names(v: Any) -> tuple[str, ...]:
    if isinstance(v, str) and v.strip():
        return (v,)
    if isinstance(v, list) and v and all(isinstance(i, str) and i.strip() for i in v):
        return tuple(v)
    raise _Bad("a column name or a list of column names")


def _number(v: Any) -> float:
    if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
        return v
    raise _Bad("a number")


def _positive(v: Any) -> float:
    if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v > 0:
        return v
    raise _Bad("a positive number")


def _unit(v: Any) -> float:
    if isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1:
        return v
    raise _Bad("a number from 0 to 1")


def _nonnegative(v: Any) -> float:
    if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v >= 0:
        return v
    raise _Bad("a number >= 0")


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    raise _Bad("true or false")


def _choice(*options: str) -> Callable[[Any], str]:
    def check(v: Any) -> str:
        if isinstance(v, str) and v in options:
            return v
        raise _Bad("one of " + ", ".join(options))

    return check


def _mapping(v: Any) -> Mapping[str, Any]:
    if isinstance(v, dict):
        if not _json_safe(v):
            raise _Bad(
                "a mapping of text keys to numbers, text, true/false, null, lists and mappings"
            )
        return v
    raise _Bad("a mapping")


def _json_safe(v: Any) -> bool:
    """Raw Chart.js options must survive JSON (no dates, no NaN)."""
    if isinstance(v, dict):
        return all(isinstance(k, str) and _json_safe(x) for k, x in v.items())
    if isinstance(v, list):
        return all(_json_safe(x) for x in v)
    if isinstance(v, float):
        return math.isfinite(v)
    return v is None or isinstance(v, str | int | bool)


def _scalar(v: Any) -> Any:
    if isinstance(v, str | int | float) and not isinstance(v, bool):
        return v
    raise _Bad("a number or text")


def _id(v: Any) -> str:
    if isinstance(v, str) and _ID.match(v):
        return v
    raise _Bad("an id of letters, digits, '-' and '_' starting with a letter")


def _legend(v: Any) -> bool | str:
    if isinstance(v, bool) or (isinstance(v, str) and v in LEGEND_POSITIONS):
        return v
    raise _Bad("true, false or one of " + ", ".join(LEGEND_POSITIONS))


def _color(v: Any) -> str | int:
    if isinstance(v, str) and v.strip():
        return v
    if isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= PALETTE_SIZE:
        return v
    raise _Bad(f"a CSS colour or a palette number from 1 to {PALETTE_SIZE}")


def _dashed(v: Any) -> bool | tuple[float, ...]:
    if isinstance(v, bool):
        return v
    if isinstance(v, list) and v and all(_is_number(i) and i >= 0 for i in v):
        return tuple(v)
    raise _Bad("true, false or a dash pattern such as [6, 4]")


def _fill(v: Any) -> bool | str | int:
    if isinstance(v, bool | str | int):
        return v
    raise _Bad("true, false or a Chart.js fill mode such as 'origin'")


def _point_style(v: Any) -> str | bool:
    if v is False or (isinstance(v, str) and v in POINT_STYLES):
        return v
    raise _Bad("false or one of " + ", ".join(POINT_STYLES))


def _height(v: Any) -> int:
    if isinstance(v, int) and not isinstance(v, bool) and 80 <= v <= 2000:
        return v
    raise _Bad("a height in pixels from 80 to 2000")


def _data(v: Any) -> DataRef:
    if isinstance(v, str) and v.strip():
        return v.strip()
    if isinstance(v, dict) and v:
        return v  # columns are checked with their lines by _inline_columns
    raise _Bad("a dataset name, a CSV path or a mapping of column -> list of values")


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


_SERIES_KEYS: dict[str, Callable[[Any], Any]] = {
    "y": _name,
    "data": _data,
    "x": _name,
    "label": _text,
    "color": _color,
    "type": _choice(*CHART_TYPES),
    "point_style": _point_style,
    "point_radius": _nonnegative,
    "dashed": _dashed,
    "fill": _fill,
    "tension": _unit,
    "show_line": _bool,
    "line_width": _nonnegative,
    "marker": _bool,
    "options": _mapping,
}

_TOP_KEYS: dict[str, Callable[[Any], Any]] = {
    "type": _choice(*CHART_TYPES),
    "id": _id,
    "data": _data,
    "x": _name,
    "y": _names,
    "series": lambda v: v,  # checked item by item
    "title": _text,
    "caption": _text,
    "alt": _text,
    "x_label": _text,
    "y_label": _text,
    "x_min": _number,
    "x_max": _number,
    "y_min": _number,
    "y_max": _number,
    "x_scale": _choice(*SCALES),
    "y_scale": _choice(*SCALES),
    "control": _name,
    "control_label": _text,
    "initial": _scalar,
    "readout": _text,
    "sync": _id,
    "legend": _legend,
    "height": _height,
    "aspect": _positive,
    "width": _choice("full", "half"),
    "options": _mapping,
}

KNOWN_KEYS = tuple(_TOP_KEYS)
SERIES_KEYS = tuple(_SERIES_KEYS)


def _shown(v: Any) -> str:
    text = repr(v) if isinstance(v, str) else _yaml_repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _yaml_repr(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    return str(v)


# -- YAML with line numbers --------------------------------------------------


def _load(block: ChartBlock, rel: str) -> tuple[Any, dict[Path_, int], list[Diagnostic]]:
    """The block's YAML by the one safe loader front matter uses, with every key's .md line."""
    try:
        value, lines = load_yaml_paths(block.source, first_line=block.line)
    except YamlProblem as exc:
        message = exc.message.replace("invalid YAML", "invalid YAML in chart", 1)
        message = message.replace("' (first given", "' in chart (first given", 1)
        return None, {}, [Diagnostic(rel, exc.line, message, code="chart")]
    lines[()] = block.line
    return value, lines, []


# -- the spec ----------------------------------------------------------------


class _Checker:
    def __init__(self, rel: str, lines: Mapping[Path_, int]) -> None:
        self.rel = rel
        self.lines = lines
        self.problems: list[Diagnostic] = []

    def line(self, path: Path_) -> int:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 0)

    def error(self, path: Path_, message: str) -> None:
        self.problems.append(Diagnostic(self.rel, self.line(path), message))

    def fields(
        self, raw: Mapping[Any, Any], known: Mapping[str, Callable[[Any], Any]], path: Path_
    ) -> dict[str, Any]:
        where = "chart" if not path else "series"
        out: dict[str, Any] = {}
        for key, value in raw.items():
            if not isinstance(key, str) or key not in known:
                hint = did_you_mean(key, known)
                self.error((*path, str(key)), f"unknown {where} key '{key}'{hint}")
                continue
            if key == "data" and isinstance(value, dict):
                value = self.inline_columns(value, (*path, key))
                if value is None:
                    continue
            try:
                out[key] = known[key](value)
            except _Bad as bad:
                self.error((*path, key), f"'{key}' must be {bad.expected}, got {_shown(value)}")
        return out

    def inline_columns(self, raw: Mapping[Any, Any], path: Path_) -> DataRef | None:
        columns: dict[str, tuple[Any, ...]] = {}
        ok = bool(raw)
        for name, values in raw.items():
            where = (*path, str(name))
            if not isinstance(name, str):
                self.error(where, f"column name {_shown(name)} must be text; quote it: '{name}'")
                ok = False
            elif not isinstance(values, list):
                self.error(where, f"column '{name}' must be a list of values, got {_shown(values)}")
                ok = False
            else:
                cells = [self.cell(v, (*where, i), name) for i, v in enumerate(values)]
                ok = ok and all(c is not _BAD for c in cells)
                columns[name] = tuple(cells)
        return columns if ok else None

    def cell(self, v: Any, path: Path_, column: str) -> Any:
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, float) and not math.isfinite(v):
            self.error(path, f"column '{column}' has {v}, which is not a finite number")
            return _BAD
        if v is None or isinstance(v, str | int | float):
            return v
        self.error(path, f"column '{column}' must hold numbers or text, got {_shown(v)}")
        return _BAD


_BAD = object()


def parse_chart(block: ChartBlock, rel: str) -> tuple[ChartSpec | None, list[Diagnostic]]:
    """Parse and type-check one chart block. Never raises on bad input."""
    value, lines, problems = _load(block, rel)
    if problems and not lines:
        return None, problems
    check = _Checker(rel, lines)
    check.problems.extend(problems)
    if value is None:
        check.error((), "empty chart block: give at least `data`, `x` and `y`")
        return None, check.problems
    if not isinstance(value, dict):
        check.error((), f"a chart block must be a YAML mapping of keys, got {_shown(value)}")
        return None, check.problems
    top = check.fields(value, _TOP_KEYS, ())
    series = _series(check, top, value.get("series"))
    for key in ("data", "x"):
        if (
            key not in top
            and key not in value
            and not (series and all(_has(s, key) for s in series))
        ):
            check.error((), f"chart needs `{key}`")
    if not series and "y" not in value and "series" not in value:  # a bad series is reported
        check.error((), "chart needs `y` (or a `series` list)")
    if check.problems:
        return None, check.problems
    fields = {k: v for k, v in top.items() if k not in ("y", "series")}
    return ChartSpec(series=tuple(series), lines=lines, **fields), []


def _has(series: Series, key: str) -> bool:
    return getattr(series, key) is not None


def _series(check: _Checker, top: Mapping[str, Any], raw: Any) -> list[Series]:
    ys: tuple[str, ...] = top.get("y", ())
    if raw is None:
        return [Series(y=y, path=("y",)) for y in ys]
    if not isinstance(raw, list) or not raw:
        check.error(("series",), f"'series' must be a list of mappings, got {_shown(raw)}")
        return []
    out = []
    for i, item in enumerate(raw):
        path: Path_ = ("series", i)
        if not isinstance(item, dict):
            check.error(path, f"each series must be a mapping, got {_shown(item)}")
            continue
        fields = check.fields(item, _SERIES_KEYS, path)
        if "y" in item and "y" not in fields:
            continue  # its bad value is already reported
        if "y" not in fields:
            if len(ys) != 1:
                check.error(path, "series needs `y` (a column name)")
                continue
            fields["y"] = ys[0]
        out.append(Series(path=path, **fields))
    return out
