"""Chart stage: a ```chart block + the post's datasets -> a checked Chart.js figure.

Part of *render*. ``render_chart`` parses the block (:mod:`chart_spec`), finds
its data (:mod:`chart_data`), checks that the data fit the chart
(:mod:`chart_checks`, :mod:`chart_readout`), and returns the ``<figure>`` markup
(:mod:`chart_html`) with the Chart.js config inside.
It does no I/O except reading a CSV the chart names, and never raises on bad
input: every problem is a :class:`Diagnostic` at the chart's line in the .md.
It knows nothing of Markdown, templates or the output folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import Diagnostic
from generator.model import ChartBlock, Dataset, OutputFile, Post, SiteConfig
from generator.render.charts.checks import Check, bind, check_axes, check_control
from generator.render.charts.data import Bound, Resolver, Source, used_payload
from generator.render.charts.html import MAX_TABLE_ROWS, canvas_label, figure_html
from generator.render.charts.readout import parse_readout, readout_text
from generator.render.charts.spec import ChartSpec, parse_chart

__all__ = ["PICTURE_SIZE", "ChartRender", "Picture", "render_chart"]

# Width and height of a chart's social-card picture: the size OpenGraph readers crop to.
PICTURE_SIZE = (1200, 630)


@dataclass(frozen=True)
class Picture:
    """A checked chart as it first appears: what :mod:`generator.render.charts.image` draws."""

    spec: ChartSpec
    bound: tuple[Bound, ...]
    category: bool  # the x axis lists categories
    index: int  # the slider's initial position (0 without a slider)
    value: Any  # the slider's initial value (None without a slider)
    alt: str  # what the picture shows, in words


@dataclass(frozen=True)
class ChartRender:
    html: str  # the <figure> markup to put in the page
    files: tuple[OutputFile, ...]  # extra output files, paths relative to the output root
    diagnostics: tuple[Diagnostic, ...]
    picture: Picture | None = None  # only for a chart built without problems


def render_chart(
    block: ChartBlock,
    post: Post,
    datasets: Mapping[str, Dataset],
    *,
    config: SiteConfig,
    site_root: Path,
    data_url: Callable[[str, str], str],
) -> ChartRender:
    """Check one chart block against the post's data and build its figure."""
    fig_id = f"lp-chart-{block.index + 1}"
    spec, problems = parse_chart(block, post.rel)
    if spec is None:
        return _failed(fig_id, problems)
    fig_id = spec.id or fig_id
    check = Check(spec, post.rel)
    _check_unique_id(check, fig_id, block, post)
    resolver = Resolver(post, datasets, site_root, f"chart-{block.index + 1}")
    bound = bind(check, spec, resolver)
    check.problems.extend(resolver.problems)
    if check.problems:
        return _failed(fig_id, check.problems)
    category = check_axes(check, spec, bound)
    control = check_control(check, spec, bound)
    readout = parse_readout(check, spec, bound, control)
    if check.problems:
        return _failed(fig_id, check.problems)
    cfg = _runtime_config(spec, bound, category, control, readout, config, data_url)
    initial = control["initial"] if control else 0
    html = figure_html(
        fig_id,
        spec,
        bound,
        cfg,
        readout_now=readout_text(readout, bound, control, initial),
        data_url=data_url,
    )
    files = tuple(f for s in resolver.sources for f in s.files)
    value = control["values"][initial] if control else None
    picture = Picture(spec, tuple(bound), category, initial, value, _picture_alt(spec, bound))
    return ChartRender(html, files, (), picture)


def _picture_alt(spec: ChartSpec, bound: list[Bound]) -> str:
    """The title and caption the page shows with the chart, or else the canvas's label."""
    said = [t.strip() for t in (spec.title, spec.caption) if t.strip()]
    if not said:
        return canvas_label(spec, bound)
    if len(said) == 2 and not said[0].endswith((".", "!", "?", ":")):
        said[0] += "."
    return " ".join(said)


def _failed(fig_id: str, problems: list[Diagnostic]) -> ChartRender:
    html = (
        f'<figure class="lp-chart lp-chart--error" id="{fig_id}">'
        "<p>This chart could not be built; see the build errors.</p></figure>"
    )
    return ChartRender(html, (), tuple(problems))


_ID_LINE = re.compile(r"^id:\s*['\"]?([A-Za-z][\w-]*)", re.MULTILINE)


def _check_unique_id(check: Check, fig_id: str, block: ChartBlock, post: Post) -> None:
    for other in post.charts:
        if other.index == block.index:
            continue
        match = _ID_LINE.search(other.source)
        other_id = match.group(1) if match else f"lp-chart-{other.index + 1}"
        if other_id == fig_id:
            check.error(
                ("id",), f"chart id '{fig_id}' is also used by the chart at line {other.line}"
            )


# -- the config the runtime reads -----------------------------------------------


def _runtime_config(
    spec: ChartSpec,
    bound: list[Bound],
    category: bool,
    control: Mapping[str, Any] | None,
    readout: list[dict[str, Any]],
    config: SiteConfig,
    data_url: Callable[[str, str], str],
) -> dict[str, Any]:
    sources: dict[str, Any] = {}
    for source, columns in table_columns(bound, readout):
        payload = used_payload(source, columns)
        size = len(json.dumps(payload, separators=(",", ":")).encode())
        if size > config.inline_data_limit:
            payload = {"kind": source.dataset.kind, "url": data_url(source.name, "json")}
        sources[source.key] = payload
    return {
        "chart": {
            "type": spec.type,
            "data": {"datasets": [_dataset_options(spec, b) for b in bound]},
            "options": deep_merge(_chart_options(spec, bound, category), spec.options),
        },
        "series": [_series_meta(i, b) for i, b in enumerate(bound)],
        "sources": sources,
        "category": category,
        "control": dict(control) if control else None,
        "readout": readout or None,
        "tables": [
            {"source": s.key, "name": s.name, "columns": list(cols)}
            for s, cols in table_columns(bound, readout)
        ],
        "maxRows": MAX_TABLE_ROWS,
    }


def table_columns(
    bound: list[Bound], readout: list[dict[str, Any]]
) -> list[tuple[Source, list[str]]]:
    """Each source with the columns the chart uses from it, in first-use order."""
    out: dict[str, tuple[Source, list[str]]] = {}
    for b in bound:
        cols = out.setdefault(b.source.key, (b.source, []))[1]
        cols += [c for c in (b.x, b.y) if c not in cols]
    for part in readout:
        if "column" in part:
            cols = out[part["source"]][1]
            if part["column"] not in cols:
                cols.append(part["column"])
    return list(out.values())


def _series_meta(i: int, b: Bound) -> dict[str, Any]:
    color = b.series.color
    return {
        "source": b.source.key,
        "x": b.x,
        "y": b.y,
        "marker": b.series.marker,
        # A palette slot follows the light/dark theme; a CSS colour is used as is.
        "palette": color if isinstance(color, int) else None if color or _colored(b) else i % 8 + 1,
        "fill": bool(b.series.fill),
    }


def _colored(b: Bound) -> bool:
    return any(k in b.series.options for k in ("borderColor", "backgroundColor"))


def _dataset_options(spec: ChartSpec, b: Bound) -> dict[str, Any]:
    s = b.series
    ds: dict[str, Any] = {"label": s.label if s.label is not None else b.y, "data": []}
    if s.type:
        ds["type"] = s.type
    if isinstance(s.color, str):
        ds["borderColor"] = ds["backgroundColor"] = s.color
    if s.dashed is True:
        ds["borderDash"] = [6, 4]
    elif s.dashed:
        ds["borderDash"] = list(s.dashed)
    if s.marker:
        ds.update(pointRadius=6, pointHoverRadius=8, showLine=False, order=-1)
    elif (s.type or spec.type) == "line" and max(len(t[b.y]) for t in b.source.tables()) > 100:
        ds.update(pointRadius=0, pointHoverRadius=3)  # dots would hide a long line
    for key, option in (
        ("fill", "fill"),
        ("tension", "tension"),
        ("show_line", "showLine"),
        ("point_style", "pointStyle"),
        ("line_width", "borderWidth"),
    ):
        if getattr(s, key) is not None:
            ds[option] = getattr(s, key)
    if s.point_radius is not None:
        ds["pointRadius"] = s.point_radius
        ds["pointHoverRadius"] = s.point_radius + 2
    return deep_merge(ds, s.options)


def _axis(spec: ChartSpec, axis: str, bound: list[Bound], category: bool) -> dict[str, Any]:
    columns = list(dict.fromkeys(b.x if axis == "x" else b.y for b in bound))
    label = getattr(spec, f"{axis}_label")
    out: dict[str, Any] = {
        "title": {"display": True, "text": label if label is not None else ", ".join(columns)}
    }
    if axis == "x" and category:
        out["type"] = "category"
    else:
        out["type"] = getattr(spec, f"{axis}_scale") or "linear"
        for end in ("min", "max"):
            if getattr(spec, f"{axis}_{end}") is not None:
                out[end] = getattr(spec, f"{axis}_{end}")
    return out


def _chart_options(spec: ChartSpec, bound: list[Bound], category: bool) -> dict[str, Any]:
    legend: dict[str, Any] = {"display": len(bound) > 1}
    if isinstance(spec.legend, bool):
        legend["display"] = spec.legend
    elif isinstance(spec.legend, str):
        legend = {"display": True, "position": spec.legend}
    return {
        "animation": False,
        "responsive": True,
        "maintainAspectRatio": False,
        "interaction": {"mode": "nearest", "intersect": False},
        "plugins": {"legend": legend, "title": {"display": False}},
        "scales": {"x": _axis(spec, "x", bound, category), "y": _axis(spec, "y", bound, category)},
    }


def deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``extra`` over ``base``: mappings merge key by key, anything else replaces."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out
