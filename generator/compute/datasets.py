"""Compute stage: datasets, from whatever a cell passes to bytes on disk.

Two halves. The worker side (:func:`make_table`, :func:`make_sweep`) turns the
values a cell hands to ``dataset()``/``sweep()`` -- lists, numpy arrays, torch
tensors, pandas objects -- into plain JSON-safe "wire" dicts: columns of finite
scalars, floats rounded to a number of significant digits. It never imports
numpy or torch itself; it recognises their objects by duck typing, so the build
process can use this module without paying for those imports.

The build side converts wire dicts to :class:`~generator.model.Dataset` and
serialises datasets to deterministic JSON and CSV bytes. Nothing here knows
about posts, pages or the output folder.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from generator.jsnumber import cell_text, js_number
from generator.model import Columns, Dataset, Scalar

# A dataset as it travels from a worker to the build process and into the cache.
Wire = dict[str, Any]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


class DatasetError(Exception):
    """An author's mistake in a ``dataset()`` or ``sweep()`` call; the text is the diagnostic."""


# --------------------------------------------------------------------------- worker side


def type_name(value: object) -> str:
    kind = type(value)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def _library(value: object) -> str:
    return type(value).__module__.partition(".")[0]


def round_float(value: float, digits: int) -> float:
    """``value`` kept to ``digits`` significant digits (``-0.0`` becomes ``0.0``)."""
    rounded = float(f"{value:.{digits}g}")
    if math.isinf(rounded):  # 1.5e308 to one digit overflows; keep it as it is
        return value
    return rounded if rounded != 0 else 0.0


def normalise_scalar(value: object, digits: int, where: str) -> Scalar:
    """One column value as a JSON-safe scalar; ``where`` names it in errors."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isnan(value):
            raise DatasetError(f"{where} contains NaN (JSON cannot carry NaN or Infinity)")
        if math.isinf(value):
            raise DatasetError(f"{where} contains {value} (JSON cannot carry NaN or Infinity)")
        return round_float(float(value), digits)
    if isinstance(value, str):
        return str(value)
    if _library(value) in ("numpy", "torch") and _ndim(value) == 0 and hasattr(value, "item"):
        return normalise_scalar(value.item(), digits, where)
    raise DatasetError(
        f"{where}: cannot serialise a value of type {type_name(value)} "
        "(use numbers, strings, booleans or None)"
    )


def _ndim(value: Any) -> int | None:
    ndim = getattr(value, "ndim", None)
    return ndim if isinstance(ndim, int) else None


def _tensor_list(value: Any, where: str) -> list[Any]:
    tensor = value.detach()
    if getattr(tensor, "is_sparse", False):
        tensor = tensor.to_dense()
    if getattr(tensor, "is_quantized", False):
        tensor = tensor.dequantize()
    tensor = tensor.cpu()
    if tensor.dim() != 1:
        raise DatasetError(f"{where} must be one-dimensional, got shape {tuple(tensor.shape)}")
    if tensor.is_complex():
        raise DatasetError(f"{where}: cannot serialise a value of type complex ({tensor.dtype})")
    items: list[Any] = tensor.tolist()
    return items


def sequence(value: object, where: str) -> list[Any]:
    """A 1-D list, tuple, range, numpy array, torch tensor or pandas Series as a list."""
    library = _library(value)
    if library == "torch" and hasattr(value, "detach"):
        return _tensor_list(value, where)
    if library == "numpy" and _ndim(value) is not None and hasattr(value, "tolist"):
        if _ndim(value) != 1:
            shape = getattr(value, "shape", ())
            raise DatasetError(f"{where} must be one-dimensional, got shape {tuple(shape)}")
        items: list[Any] = value.tolist()
        return items
    if library == "pandas" and hasattr(value, "to_numpy"):
        return sequence(value.to_numpy(), where)
    if isinstance(value, list | tuple | range):
        return list(value)
    raise DatasetError(
        f"{where} must be a list, tuple, numpy array or torch tensor, not {type_name(value)}"
    )


def normalise_column(value: object, digits: int, where: str) -> list[Scalar]:
    return [
        normalise_scalar(item, digits, f"{where} (row {row})")
        for row, item in enumerate(sequence(value, where))
    ]


def check_name(name: object, what: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise DatasetError(
            f"{what} name {name!r} must be 1-100 characters of letters, digits, '_', '-' or '.', "
            "starting with a letter or digit"
        )
    return name


def _records_to_columns(records: object, where: str) -> dict[str, object]:
    if isinstance(records, Mapping):
        return {str(k): v for k, v in records.items()}
    if _library(records) == "pandas" and hasattr(records, "columns"):
        frame: Any = records
        return {str(col): frame[col] for col in frame.columns}
    if not isinstance(records, list | tuple):
        raise DatasetError(
            f"{where}: expected columns as keyword arguments, a list of dicts or a dict of "
            f"columns, not {type_name(records)}"
        )
    rows: list[dict[str, object]] = []
    for row, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise DatasetError(f"{where}: record {row} is a {type_name(record)}, not a dict")
        rows.append({str(k): v for k, v in record.items()})
        if set(rows[-1]) != set(rows[0]):
            raise DatasetError(
                f"{where}: record {row} has keys {sorted(rows[-1])}, record 0 has {sorted(rows[0])}"
            )
    keys = list(rows[0]) if rows else []
    return {key: [record[key] for record in rows] for key in keys}


def make_columns(raw: Mapping[str, object], digits: int, where: str) -> dict[str, list[Scalar]]:
    """Normalise a mapping of column name -> 1-D values; all columns of equal length."""
    if not raw:
        raise DatasetError(f"{where} has no columns")
    columns = {
        str(col): normalise_column(values, digits, f"{where} column {col!r}")
        for col, values in raw.items()
    }
    lengths = {col: len(values) for col, values in columns.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{col}={n}" for col, n in lengths.items())
        raise DatasetError(f"{where}: columns have different lengths ({listed})")
    return columns


def make_table(
    name: object, records: object, columns: Mapping[str, object], digits: int, rel: str
) -> Wire:
    """What ``dataset(name, **columns)`` / ``dataset(name, records)`` publishes."""
    checked = check_name(name, "dataset")
    where = f"dataset {checked!r} of {rel}"
    if records is not None and columns:
        raise DatasetError(f"{where}: pass either records or keyword columns, not both")
    raw = _records_to_columns(records, where) if records is not None else dict(columns)
    return {"name": checked, "kind": "table", "columns": make_columns(raw, digits, where)}


def make_sweep(
    name: object, param: object, values: object, fn: Callable[[Any], object], digits: int, rel: str
) -> Wire:
    """What ``sweep(name, param, values, fn)`` publishes: one table per parameter value."""
    checked = check_name(name, "sweep")
    where = f"sweep {checked!r} of {rel}"
    if not isinstance(param, str) or not param:
        raise DatasetError(f"{where}: the parameter name must be a non-empty string")
    raw_values = sequence(values, f"{where} values")
    if not raw_values:
        raise DatasetError(f"{where}: no parameter values")
    if not callable(fn):
        raise DatasetError(f"{where}: fn must be callable, not {type_name(fn)}")
    rounded = [normalise_scalar(v, digits, f"{where} values") for v in raw_values]
    if len(set(map(repr, rounded))) != len(rounded):
        raise DatasetError(f"{where}: parameter values repeat after rounding to {digits} digits")
    tables: list[dict[str, list[Scalar]]] = []
    for raw, shown in zip(raw_values, rounded, strict=True):
        at = f"{where} at {param}={shown}"
        table = make_columns(_records_to_columns(fn(raw), at), digits, at)
        if param in table:
            raise DatasetError(f"{at}: a column is named like the parameter {param!r}")
        if tables and list(table) != list(tables[0]):
            raise DatasetError(f"{at}: columns {list(table)} differ from {list(tables[0])}")
        tables.append(table)
    return {"name": checked, "kind": "sweep", "param": param, "values": rounded, "tables": tables}


# --------------------------------------------------------------------------- build side


def _column_tuple(values: Iterable[Any]) -> tuple[Scalar, ...]:
    out: list[Scalar] = []
    for value in values:
        if value is not None and not isinstance(value, bool | int | float | str):
            raise ValueError(f"not a scalar: {type_name(value)}")
        out.append(value)
    return tuple(out)


def _columns(raw: Mapping[str, Any]) -> Columns:
    return {str(col): _column_tuple(values) for col, values in raw.items()}


def dataset_from_wire(wire: Mapping[str, Any], line: int) -> Dataset:
    """A wire dict (from a worker or the cache) as a :class:`Dataset`; ValueError if malformed."""
    if wire.get("kind") == "table":
        return Dataset(str(wire["name"]), "table", columns=_columns(wire["columns"]), line=line)
    if wire.get("kind") == "sweep":
        return Dataset(
            str(wire["name"]),
            "sweep",
            param=str(wire["param"]),
            values=_column_tuple(wire["values"]),
            tables=tuple(_columns(t) for t in wire["tables"]),
            line=line,
        )
    raise ValueError(f"unknown dataset kind {wire.get('kind')!r}")


def dataset_to_wire(ds: Dataset) -> Wire:
    if ds.kind == "table":
        return {"name": ds.name, "kind": "table", "columns": _plain(ds.columns)}
    return {
        "name": ds.name,
        "kind": "sweep",
        "param": ds.param,
        "values": list(ds.values),
        "tables": [_plain(t) for t in ds.tables],
    }


def _plain(columns: Columns) -> dict[str, list[Scalar]]:
    return {col: list(values) for col, values in columns.items()}


def dataset_to_json(ds: Dataset) -> bytes:
    """``{"name", "kind": "table", "columns": {col: [...]}}`` or, for a sweep,
    ``{"name", "kind": "sweep", "param", "values": [...], "tables": [{col: [...]}, ...]}``.

    Numbers as the browser writes them (:func:`generator.jsnumber.js_number`), like the CSV.
    """
    return (_json(dataset_to_wire(ds)) + "\n").encode("utf-8")


def _json(value: Any) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"datasets hold finite numbers only, not {value}")
        return js_number(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_json(str(k))}:{_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(map(_json, value)) + "]"
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def dataset_to_csv(ds: Dataset) -> bytes:
    """A table as CSV; a sweep in long format, the parameter as the first column.

    A column shorter than the others ends in empty fields.
    """
    buffer = io.StringIO()
    writer = _CsvWriter(buffer)
    if ds.kind == "table":
        names = list(ds.columns)
        writer.writerow(names)
        writer.writerows(_rows(ds.columns, names))
    else:
        names = list(ds.column_names())
        writer.writerow([ds.param or "value", *names])
        for value, table in zip(ds.values, ds.tables, strict=True):
            writer.writerows([cell_text(value), *row] for row in _rows(table, names))
    return buffer.getvalue().encode("utf-8")


class _CsvWriter:
    """``csv.writer`` with "\n" line ends that still quotes a field holding a lone "\r".

    (Python's writer quotes only the line terminator's own characters; an unquoted "\r"
    ends the row for every CSV reader.)"""

    def __init__(self, buffer: io.StringIO) -> None:
        self._plain = csv.writer(buffer, lineterminator="\n")
        self._buffer = buffer

    def writerow(self, row: Iterable[str]) -> None:
        fields = list(row)
        if any("\r" in f for f in fields):
            one = io.StringIO()
            csv.writer(one, lineterminator="\r\n").writerow(fields)
            self._buffer.write(one.getvalue().removesuffix("\r\n") + "\n")
        else:
            self._plain.writerow(fields)

    def writerows(self, rows: Iterable[Iterable[str]]) -> None:
        for row in rows:
            self.writerow(row)


def _rows(table: Columns, names: list[str]) -> Iterable[tuple[str, ...]]:
    columns = (map(cell_text, table.get(n, ())) for n in names)
    return itertools.zip_longest(*columns, fillvalue="")
