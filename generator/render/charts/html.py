"""Chart stage, part 5: the ``<figure>`` markup of a checked chart.

The figure works without JavaScript (caption, data table, downloads) and holds
the Chart.js config for ``static/js/lessonpress-charts.js`` in a JSON script.
Knows nothing of datasets' origins or of Markdown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

from generator.jsnumber import cell_text
from generator.render.charts.data import Bound, Source
from generator.render.charts.spec import ChartSpec

# Longer tables are cut in the page (the downloads have every row).
MAX_TABLE_ROWS = 500


def script_json(value: Any) -> str:
    """JSON that is safe inside ``<script>``: no ``<``, ``>`` or ``&`` survive."""
    text = json.dumps(
        value, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def figure_html(
    fig_id: str,
    spec: ChartSpec,
    bound: Sequence[Bound],
    cfg: Mapping[str, Any],
    *,
    readout_now: str,
    data_url: Callable[[str, str], str],
) -> str:
    control = cfg["control"]
    index = control["initial"] if control else 0
    classes = "lp-chart" + (" lp-chart--half" if spec.width == "half" else "")
    sync = f' data-lp-sync="{escape(spec.sync)}"' if spec.sync and control else ""
    lines = [f'<figure class="{classes}" id="{fig_id}"{sync}>']
    lines += _caption(spec)
    if control:
        lines += _slider(fig_id, spec, control, index)
    if cfg["readout"]:
        lines.append(f'<p class="lp-chart-readout" id="{fig_id}-readout">{escape(readout_now)}</p>')
    label = escape(canvas_label(spec, bound))
    lines += [
        f'<div class="lp-chart-canvas"{_size_style(spec)}>',
        f'<canvas id="{fig_id}-canvas" role="img" aria-label="{label}">'
        "This chart needs JavaScript; its numbers are in the data table below.</canvas>",
        "</div>",
    ]
    sources = {b.source.key: b.source for b in bound}
    lines.append('<details class="lp-chart-data">')
    lines.append("<summary>Data table</summary>")
    for t in cfg["tables"]:
        lines += data_table(sources[t["source"]], t["columns"], index, control)
    lines.append("</details>")
    lines.append(_downloads(list(sources.values()), data_url))
    lines.append(
        f'<script type="application/json" class="lp-chart-config">{script_json(cfg)}</script>'
    )
    lines.append("</figure>")
    return "\n".join(lines)


def _caption(spec: ChartSpec) -> list[str]:
    parts = []
    if spec.title:
        parts.append(f'<strong class="lp-chart-title">{escape(spec.title)}</strong>')
    if spec.caption:
        parts.append(f'<span class="lp-chart-caption">{escape(spec.caption)}</span>')
    return [f"<figcaption>{' '.join(parts)}</figcaption>"] if parts else []


def _slider(fig_id: str, spec: ChartSpec, control: Mapping[str, Any], index: int) -> list[str]:
    values = control["values"]
    now = cell_text(values[index])
    label = escape(spec.control_label or control["param"])
    unit = control_unit(spec.control_label or "")
    spoken = escape(f"{now} {unit}" if unit else now)
    # The slider says its value (with the unit) itself; the <output> beside it is for eyes
    # (an <output> is a live region by default: it would say it again, once per chart).
    return [
        '<div class="lp-chart-control">',
        f'<label for="{fig_id}-control">{label}</label>',
        f'<input type="range" id="{fig_id}-control" min="0" max="{len(values) - 1}" step="1" '
        f'value="{index}" aria-valuetext="{spoken}" data-unit="{escape(unit)}">',
        f'<output for="{fig_id}-control" id="{fig_id}-value" aria-live="off">'
        f"{escape(now)}</output>",
        "</div>",
    ]


def control_unit(label: str) -> str:
    """The unit a slider's label gives in parentheses: ``Fertilizer used (tonnes)``."""
    found = re.search(r"\(([^()]{1,24})\)\s*$", label)
    return found.group(1).strip() if found else ""


def _size_style(spec: ChartSpec) -> str:
    if spec.aspect is not None:
        return f' style="aspect-ratio: {spec.aspect}; height: auto"'
    if spec.height is not None:
        return f' style="height: {spec.height}px"'
    return ""


def canvas_label(spec: ChartSpec, bound: Sequence[Bound]) -> str:
    """The canvas's ``aria-label``: the author's `alt`, or what the chart plots."""
    if spec.alt:
        return spec.alt
    ys = ", ".join(dict.fromkeys(b.series.label or b.y for b in bound))
    x = spec.x_label or ", ".join(dict.fromkeys(b.x for b in bound))
    head = f"{spec.type.capitalize()} chart" + (f": {spec.title}" if spec.title else "")
    tail = f" A slider changes {spec.control_label or spec.control}." if spec.control else ""
    return f"{head}. {ys} against {x}.{tail}"


def table_caption(source: Source, index: int, shown: int, total: int) -> str:
    """Mirrors ``tableCaption`` in the runtime."""
    d = source.dataset
    text = source.name
    if d.kind == "sweep":
        text += f" at {d.param} = {cell_text(d.values[index])}"
    if shown < total:
        text += f" (first {shown} of {total} rows; download the full data below)"
    return text


def data_table(
    source: Source, columns: Sequence[str], index: int, control: Mapping[str, Any] | None
) -> list[str]:
    table = source.table_at(index)
    total = max((len(table[c]) for c in columns), default=0)
    shown = min(total, MAX_TABLE_ROWS)
    # It scrolls (max-height in charts.css), so it must be reachable by keyboard (WCAG 2.1.1).
    out = [f'<table data-lp-source="{source.key}" tabindex="0">']
    out.append(f"<caption>{escape(table_caption(source, index, shown, total))}</caption>")
    out.append(
        "<thead><tr>"
        + "".join(f'<th scope="col">{escape(c)}</th>' for c in columns)
        + "</tr></thead>"
    )
    out.append("<tbody>")
    for r in range(shown):
        cells = (cell_text(table[c][r]) if r < len(table[c]) else "" for c in columns)
        out.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    out += ["</tbody>", "</table>"]
    return out


def _downloads(sources: Sequence[Source], data_url: Callable[[str, str], str]) -> str:
    links = []
    for s in sources:
        for ext in ("json", "csv"):
            url = escape(data_url(s.name, ext))
            links.append(f'<a href="{url}" download>{escape(s.name)}.{ext}</a>')
    return f'<p class="lp-chart-downloads">Download the data: {" · ".join(links)}</p>'
