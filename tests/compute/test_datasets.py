"""Dataset normalisation (numpy, torch, plain Python) and deterministic JSON/CSV bytes."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.compute.datasets import (
    DatasetError,
    dataset_from_wire,
    dataset_to_csv,
    dataset_to_json,
    make_sweep,
    make_table,
)
from generator.model import Dataset


@dataclass(frozen=True)
class needs_torch:
    """A value made with torch, only when a test runs: torch is an optional extra, so the
    module collects without it and only these cases are skipped."""

    make: Callable[[Any], object]


def made(value: object) -> object:
    if isinstance(value, needs_torch):
        return value.make(pytest.importorskip("torch"))
    return value


def table(records: object = None, digits: int = 6, **columns: object) -> Dataset:
    return dataset_from_wire(make_table("d", records, columns, digits, "p.md"), 3)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (needs_torch(lambda torch: torch.tensor([0.5, 1.5], dtype=torch.float16)), (0.5, 1.5)),
        (needs_torch(lambda torch: torch.tensor([0.5, 1.5], dtype=torch.bfloat16)), (0.5, 1.5)),
        (
            needs_torch(
                lambda torch: torch.tensor([1 / 3], dtype=torch.float64, requires_grad=True) * 2
            ),
            (0.666667,),
        ),
        (needs_torch(lambda torch: torch.tensor([1, 2], dtype=torch.uint8)), (1, 2)),
        (needs_torch(lambda torch: torch.tensor([True, False])), (True, False)),
        (np.array([1, 2], dtype=np.int64), (1, 2)),
        (np.array([np.float32(0.1)]), (0.1,)),
        (np.array(["a", "b"]), ("a", "b")),
        (
            needs_torch(
                lambda torch: [
                    np.float64(-0.0),
                    np.int32(7),
                    np.bool_(True),
                    None,
                    "s",
                    torch.tensor(2.5),
                ]
            ),
            (0.0, 7, True, None, "s", 2.5),
        ),
        (range(3), (0, 1, 2)),
        ([123456789.0, 1.23456789e-12, 10**20], (123457000.0, 1.23457e-12, 10**20)),
    ],
)
def test_columns_normalise_to_plain_scalars(value: object, expected: tuple[object, ...]) -> None:
    column = table(v=made(value)).columns["v"]
    assert column == expected
    assert [type(v) for v in column] == [type(v) for v in expected]


def test_records_become_columns() -> None:
    ds = table([{"x": 1, "y": 0.5}, {"y": 1.5, "x": 2}])
    assert dict(ds.columns) == {"x": (1, 2), "y": (0.5, 1.5)}


@pytest.mark.parametrize(
    ("records", "columns", "message"),
    [
        (None, {"y": [1.0, float("nan")]}, "column 'y' (row 1) contains NaN"),
        (None, {"y": np.array([-np.inf])}, "column 'y' (row 0) contains -inf"),
        (None, {"t": [object()]}, "cannot serialise a value of type object"),
        (
            None,
            {"c": needs_torch(lambda torch: torch.tensor([1j]))},
            "cannot serialise a value of type complex",
        ),
        (None, {"m": np.zeros((2, 2))}, "must be one-dimensional, got shape (2, 2)"),
        (None, {"s": {1, 2}}, "not set"),
        (None, {"a": [1], "b": [1, 2]}, "columns have different lengths (a=1, b=2)"),
        (None, {}, "has no columns"),
        ([{"x": 1}, {"y": 2}], {}, "record 1 has keys ['y'], record 0 has ['x']"),
        ("nope", {}, "not str"),
    ],
)
def test_bad_values_are_errors(records: object, columns: dict[str, object], message: str) -> None:
    columns = {name: made(value) for name, value in columns.items()}
    with pytest.raises(DatasetError) as caught:
        make_table("loss", records, columns, 6, "content/posts/p.md")
    assert message in str(caught.value)
    assert str(caught.value).startswith("dataset 'loss' of content/posts/p.md")


@pytest.mark.parametrize("name", ["", "../x", ".hidden", "a/b", "x" * 101, 3])
def test_dataset_names_must_be_safe_file_names(name: object) -> None:
    with pytest.raises(DatasetError, match="must be 1-100 characters"):
        make_table(name, None, {"x": [1]}, 6, "p.md")


def test_sweep_tables_per_value() -> None:
    wire = make_sweep("s", "k", np.array([0.1, 0.2]), lambda k: {"y": [k * 10]}, 6, "p.md")
    ds = dataset_from_wire(wire, 5)
    assert (ds.kind, ds.param, ds.values, ds.line) == ("sweep", "k", (0.1, 0.2), 5)
    assert [dict(t) for t in ds.tables] == [{"y": (1.0,)}, {"y": (2.0,)}]
    with pytest.raises(DatasetError, match="differ from"):
        make_sweep("s", "k", [1, 2], lambda k: {f"y{k}": [1]}, 6, "p.md")
    with pytest.raises(DatasetError, match="repeat after rounding"):
        make_sweep("s", "k", [1.0000001, 1.0000002], lambda k: {"y": [1]}, 6, "p.md")


def test_json_and_csv_bytes() -> None:
    ds = table(x=[1, 2], y=[0.5, None], label=["a,b", 'say "hi"'], ok=[True, False])
    assert dataset_to_json(ds) == (
        b'{"name":"d","kind":"table","columns":{"x":[1,2],"y":[0.5,null],'
        b'"label":["a,b","say \\"hi\\""],"ok":[true,false]}}\n'
    )
    assert dataset_to_csv(ds) == b'x,y,label,ok\n1,0.5,"a,b",true\n2,,"say ""hi""",false\n'


def test_sweep_csv_is_long_with_the_parameter_first() -> None:
    wire = make_sweep("s", "k", [1, 2], lambda k: {"x": [0, 1], "y": [k, 2 * k]}, 6, "p.md")
    ds = dataset_from_wire(wire, 1)
    assert dataset_to_csv(ds) == b"k,x,y\n1,0,1\n1,1,2\n2,0,2\n2,1,4\n"
    assert json.loads(dataset_to_json(ds)) == {
        "name": "s",
        "kind": "sweep",
        "param": "k",
        "values": [1, 2],
        "tables": [{"x": [0, 1], "y": [1, 2]}, {"x": [0, 1], "y": [2, 4]}],
    }


finite = st.floats(allow_nan=True, allow_infinity=True)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), finite, st.text())


def as_read(value: object) -> object:
    """A number as a float (bools stay bools), anything else as it is."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


@given(st.lists(scalars, max_size=20), st.integers(min_value=1, max_value=17))
def test_any_column_serialises_or_is_a_dataset_error(values: list[object], digits: int) -> None:
    try:
        ds = table(v=values, digits=digits)
    except DatasetError as exc:
        assert "contains" in str(exc)
        assert any(isinstance(v, float) and not math.isfinite(v) for v in values)
        return
    # Numbers are written as JavaScript writes them ("100", not "100.0"): a reader gets
    # the same number back, though Python's json reads a whole one as an int.
    read = json.loads(dataset_to_json(ds))["columns"]["v"]
    assert [as_read(v) for v in read] == [as_read(v) for v in ds.columns["v"]]
    assert [type(v) is bool for v in read] == [type(v) is bool for v in ds.columns["v"]]
    assert dataset_to_json(ds) == dataset_to_json(table(v=values, digits=digits))
    dataset_to_csv(ds)


def test_csv_quotes_carriage_returns_and_newlines() -> None:
    import csv
    import io

    ds = table(**{"\r0": ["a\rb", "c\nd", "plain"]})
    text = dataset_to_csv(ds).decode("utf-8")
    assert text.endswith("plain\n") and "\r\n" not in text.replace('"\r', "")
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["\r0"],
        ["a\rb"],
        ["c\nd"],
        ["plain"],
    ]
