"""Chart stage, part 4: the readout line next to a slider, e.g. "MSE = {mse:.2f}".

The template is parsed here into parts the browser runtime fills in on every
slider move; :func:`readout_text` fills them in once for readers without JS.
Both sides must agree: see ``readoutText`` in lessonpress-charts.js.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from generator.errors import did_you_mean
from generator.model import Scalar
from generator.render.charts.checks import Check
from generator.render.charts.data import Bound, Source, format_value, is_number
from generator.render.charts.spec import ChartSpec

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_FIELD = re.compile(r"^\s*([^\[\]:]+?)\s*(?:\[\s*(-?\d+)\s*\])?\s*(?::\s*\.(\d{1,2})([fge]))?\s*$")


def parse_readout(
    check: Check, spec: ChartSpec, bound: list[Bound], control: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """``"MSE = {mse:.2f}"`` -> parts the runtime fills in: text, the control, a column."""
    if spec.readout is None:
        return []
    parts: list[dict[str, Any]] = []
    pos = 0
    for m in _TOKEN.finditer(spec.readout):
        text = spec.readout[pos : m.start()] + {"{{": "{", "}}": "}"}.get(m.group(0), "")
        if text:
            parts.append({"text": text})
        pos = m.end()
        if m.group(0) in ("{{", "}}"):
            continue
        if m.group(1) is None:
            check.error(
                ("readout",), "unmatched brace in readout; write {{ or }} for a literal brace"
            )
            return []
        part = _readout_field(check, m.group(1), bound, control)
        if part is None:
            return []
        parts.append(part)
    if spec.readout[pos:]:
        parts.append({"text": spec.readout[pos:]})
    return parts


def _readout_field(
    check: Check, field: str, bound: list[Bound], control: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    m = _FIELD.match(field)
    if m is None:
        check.error(
            ("readout",),
            f"cannot read '{{{field}}}' in readout; write {{name}}, {{name[row]}} or {{name:.2f}}",
        )
        return None
    name, row, digits, style = m.groups()
    fmt = {"style": style, "digits": int(digits)} if style else {}
    if style == "g" and int(digits) == 0:
        check.error(("readout",), "'.0g' is not a format; use at least one significant digit")
        return None
    if control is not None and name == control["param"] and row is None:
        return {"param": True, **fmt}
    found = _find_column(check, name, bound, control)
    if found is None:
        return None
    source, column, marker = found
    if row is not None:
        index = int(row)
        for table in source.tables():
            n = len(table[column])
            if not -n <= index < n:
                check.error(("readout",), f"row {index} of '{column}' is out of range ({n} rows)")
                return None
        return {"source": source.key, "column": column, "row": index, **fmt}
    if marker is not None:
        return {"source": source.key, "column": column, "markerX": marker, **fmt}
    return {"source": source.key, "column": column, "row": 0, **fmt}


def _find_column(
    check: Check, name: str, bound: list[Bound], control: Mapping[str, Any] | None
) -> tuple[Source, str, str | None] | None:
    sources: dict[str, Source] = {b.source.key: b.source for b in bound}
    markers = {b.source.key: b.x for b in bound if b.series.marker}
    hits = [(s, name) for s in sources.values() if name in s.dataset.column_names()]
    if not hits and "." in name:
        ds, col = name.split(".", 1)
        hits = [
            (s, col) for s in sources.values() if ds == s.name and col in s.dataset.column_names()
        ]
    if len(hits) > 1:
        dynamic = [h for h in hits if h[0].is_sweep or h[0].key in markers]
        if len(dynamic) != 1:
            check.error(("readout",), f"'{name}' in readout is ambiguous; write dataset.{name}")
            return None
        hits = dynamic
    if not hits:
        names = [control["param"]] if control else []
        names += [c for s in sources.values() for c in s.dataset.column_names()]
        check.error(("readout",), f"unknown name '{name}' in readout{did_you_mean(name, names)}")
        return None
    source, column = hits[0]
    return source, column, markers.get(source.key)


def nearest_row(xs: Sequence[Scalar], value: Scalar) -> int:
    """Row whose x is closest to ``value``; mirrors ``nearestRow`` in the runtime."""
    best, best_gap = 0, float("inf")
    for i, x in enumerate(xs):
        if is_number(x) and is_number(value):
            gap = abs(x - value)  # type: ignore[operator]
        else:
            gap = 0.0 if x == value else float("inf")
        if gap < best_gap:
            best, best_gap = i, gap
    return best


def readout_text(
    parts: Sequence[Mapping[str, Any]],
    bound: Sequence[Bound],
    control: Mapping[str, Any] | None,
    index: int,
) -> str:
    """The readout as the runtime will first show it (for readers without JS)."""
    sources = {b.source.key: b.source for b in bound}
    value = control["values"][index] if control else None
    out = []
    for part in parts:
        if "text" in part:
            out.append(part["text"])
            continue
        if part.get("param"):
            v = value
        else:
            table = sources[part["source"]].table_at(index)
            column = table[part["column"]]
            marker_x = part.get("markerX")
            row = nearest_row(table[marker_x], value) if marker_x else part["row"]
            v = column[row] if -len(column) <= row < len(column) else None
        out.append(format_value(v, part.get("style"), part.get("digits", 0)))
    return "".join(out)
