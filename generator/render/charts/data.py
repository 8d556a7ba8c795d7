"""Chart stage, part 2: where a chart's numbers come from.

A chart reads a post's computed :class:`Dataset`, inline `data:` columns or a
CSV file under the site root. All three become a ``Dataset`` here, so the rest
of the chart stage sees one shape. Numbers are written as the browser runtime
writes them (:mod:`generator.jsnumber`). Knows nothing of HTML.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from pathlib import Path
from typing import Any

from generator.compute.datasets import dataset_to_csv, dataset_to_json
from generator.errors import Diagnostic, did_you_mean
from generator.jsnumber import cell_text, js_number
from generator.model import Columns, Dataset, OutputFile, Post, Scalar
from generator.paths import data_path
from generator.render.charts.spec import DataRef, Series

_INT = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class Source:
    """One data source of a chart, resolved."""

    key: str  # id inside the chart config: "s0", "s1", ...
    name: str  # file stem for downloads: the dataset name, "chart-3", or the CSV stem
    describe: str  # for messages: "dataset 'mse'", "inline data", "content/x.csv"
    dataset: Dataset
    origin: str  # "dataset" | "inline" | "csv"
    files: tuple[OutputFile, ...] = ()

    @property
    def is_sweep(self) -> bool:
        return self.dataset.kind == "sweep"

    def tables(self) -> tuple[Columns, ...]:
        d = self.dataset
        return d.tables if d.kind == "sweep" else (d.columns,)

    def table_at(self, index: int) -> Columns:
        """The table drawn when the slider is at ``index`` (a table ignores it)."""
        return self.tables()[index if self.is_sweep else 0]


@dataclass(frozen=True)
class Bound:
    """A series with its data found: what the browser will draw."""

    series: Series
    source: Source
    x: str
    y: str
    data_path: tuple[str | int, ...]  # where its `data:` was written


def is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def format_value(v: Scalar, style: str | None, digits: int) -> str:
    """A readout value; mirrors ``formatValue`` in lessonpress-charts.js."""
    if v is None:
        return "–"
    if not is_number(v) or style is None:
        return cell_text(v)
    assert isinstance(v, int | float)
    # JavaScript's toFixed/toExponential/toPrecision round the exact binary value half away
    # from zero; Python's format rounds half to even. Decimal does what JavaScript does.
    exact = Decimal(v)
    if style == "f":
        return f"{exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP):f}"
    if style == "e":
        rounded = Context(prec=digits + 1, rounding=ROUND_HALF_UP).plus(exact)
        return re.sub(r"e([+-])0*(\d)", r"e\1\2", f"{rounded:.{digits}e}")
    return js_number(float(Context(prec=max(digits, 1), rounding=ROUND_HALF_UP).plus(exact)))


# -- resolving `data:` ---------------------------------------------------------


class Resolver:
    """Turns each distinct `data:` value of one chart into one :class:`Source`."""

    def __init__(
        self,
        post: Post,
        datasets: Mapping[str, Dataset],
        site_root: Path,
        chart_name: str,
    ) -> None:
        self.post = post
        self.datasets = datasets
        self.site_root = site_root
        self.chart_name = chart_name
        self.sources: list[Source] = []
        self._by_ref: dict[str, Source | None] = {}
        self.problems: list[Diagnostic] = []

    def resolve(self, ref: DataRef, line: int) -> Source | None:
        token = ref if isinstance(ref, str) else json.dumps(ref, sort_keys=True, default=str)
        if token not in self._by_ref:
            self._by_ref[token] = self._make(ref, line)
        return self._by_ref[token]

    def _make(self, ref: DataRef, line: int) -> Source | None:
        key = f"s{len(self.sources)}"
        source: Source | None
        if not isinstance(ref, str):
            source = self._inline(key, ref, line)
        elif ref.lower().endswith(".csv") or "/" in ref:
            source = self._csv(key, ref, line)
        else:
            source = self._dataset(key, ref, line)
        if source is not None:
            self.sources.append(source)
        return source

    def _error(self, line: int, message: str, path: str | None = None) -> None:
        self.problems.append(Diagnostic(path or self.post.rel, line, message, code="chart"))

    def _dataset(self, key: str, name: str, line: int) -> Source | None:
        if name in self.datasets:
            return Source(key, name, f"dataset '{name}'", self.datasets[name], "dataset")
        if not self.datasets:
            hint = " (this post publishes no datasets; use inline `data:` or a CSV path)"
        else:
            hint = did_you_mean(name, sorted(self.datasets))
        self._error(line, f"unknown dataset '{name}'{hint}")
        return None

    def _free_name(self, stem: str) -> str:
        taken = set(self.datasets) | {s.name for s in self.sources}
        name = stem
        while name in taken:
            name = f"{self.chart_name}-{name}"
        return name

    def _inline(self, key: str, columns: Mapping[str, tuple[Any, ...]], line: int) -> Source:
        name = self._free_name(self.chart_name)
        dataset = Dataset(name, "table", columns=dict(columns), line=line)
        return Source(key, name, "inline data", dataset, "inline", self._files(name, dataset))

    def _files(
        self, name: str, dataset: Dataset, csv_bytes: bytes | None = None
    ) -> tuple[OutputFile, ...]:
        slug = self.post.data_slug
        return (
            OutputFile(data_path(slug, name, "json"), dataset_to_json(dataset)),
            OutputFile(data_path(slug, name, "csv"), csv_bytes or dataset_to_csv(dataset)),
        )

    def _csv(self, key: str, ref: str, line: int) -> Source | None:
        path = self._find(ref, line)
        if path is None:
            return None
        rel = path.relative_to(self.site_root.resolve()).as_posix()
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            self._error(line, f"cannot read {rel}: {exc}")
            return None
        columns = self._parse_csv(text, rel)
        if columns is None:
            return None
        name = self._free_name(re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem) or "data")
        dataset = Dataset(name, "table", columns=columns, line=line)
        return Source(key, name, rel, dataset, "csv", self._files(name, dataset, raw))

    def _find(self, ref: str, line: int) -> Path | None:
        root = self.site_root.resolve()
        for base in (self.post.source.parent, self.site_root):
            candidate = (base / ref).resolve()
            if not candidate.is_relative_to(root):
                self._error(line, f"data file '{ref}' is outside the site folder")
                return None
            if candidate.is_file():
                if candidate.suffix.lower() != ".csv":
                    self._error(line, f"data file '{ref}' must be a .csv file")
                    return None
                return candidate
        nearby = sorted(p.name for p in self.post.source.parent.glob("*.csv"))
        hint = did_you_mean(Path(ref).name, nearby)
        self._error(
            line, f"data file '{ref}' not found next to the post or in the site folder{hint}"
        )
        return None

    def _parse_csv(self, text: str, rel: str) -> dict[str, tuple[Scalar, ...]] | None:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            self._error(1, "CSV file has no header row", rel)
            return None
        names = [h.strip() for h in header]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            self._error(1, f"duplicate CSV column '{dupes[0]}'", rel)
            return None
        rows: list[list[Scalar]] = []
        ok = True
        for row in reader:
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) != len(names):
                self._error(
                    reader.line_num, f"row has {len(row)} fields, the header has {len(names)}", rel
                )
                ok = False
                continue
            cells = [_csv_cell(c) for c in row]
            bad = [c for c in row if _csv_cell(c) is _NOT_FINITE]
            if bad:
                self._error(reader.line_num, f"'{bad[0]}' is not a finite number", rel)
                ok = False
                continue
            rows.append(cells)
        if not ok:
            return None
        return {n: tuple(r[i] for r in rows) for i, n in enumerate(names)}


_NOT_FINITE: Any = object()


def _csv_cell(text: str) -> Scalar:
    t = text.strip()
    if not t:
        return None
    if _INT.match(t):
        return int(t)
    try:
        f = float(t)
    except ValueError:
        return t
    return f if math.isfinite(f) else _NOT_FINITE


def used_payload(source: Source, columns: Sequence[str]) -> dict[str, Any]:
    """The part of a source the browser needs, in the runtime's shape."""

    def pick(table: Columns) -> dict[str, list[Scalar]]:
        return {c: list(table[c]) for c in columns if c in table}

    d = source.dataset
    if d.kind == "sweep":
        return {
            "kind": "sweep",
            "param": d.param,
            "values": list(d.values),
            "tables": [pick(t) for t in d.tables],
        }
    return {"kind": "table", "columns": pick(d.columns)}
