"""Fuzzing: the parsers that read author input never raise an unexpected exception.

Any input gives either a value or a diagnostic whose line is inside the file.
Three parsers: front matter (``split_front_matter`` and the whole ``parse_post``),
chart blocks (``parse_chart``) and datasets (``make_table`` through JSON/CSV).

The default profile is quick enough for CI; ``HYPOTHESIS_PROFILE=long`` runs
far more examples (``python -m pytest tests/content/test_fuzz.py
--hypothesis-show-statistics`` prints how many ran).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.compute import datasets
from generator.content.discover import SourceFile
from generator.content.frontmatter import FrontMatterError, split_front_matter
from generator.content.posts import parse_post
from generator.errors import Diagnostics
from generator.model import ChartBlock, SiteConfig
from generator.render.charts import spec as chart_spec

# CI's examples are the same on every run (a fuzz failure that depends on the day is a flaky
# test); the long profile explores at random and its finds become fixed tests.
settings.register_profile(
    "lessonpress-ci",
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "lessonpress-long",
    max_examples=5_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = "lessonpress-long" if os.environ.get("HYPOTHESIS_PROFILE") == "long" else "lessonpress-ci"
FUZZ = settings.get_profile(PROFILE)


def line_count(text: str) -> int:
    return text.count("\n") + 1


# --------------------------------------------------------------------------- front matter

YAML_PIECES = [
    "title", "date", "tags", "tag", "order", "permalink", "layout", "draft", "published",
    "slug", "seed", "timeout", "inputs", "description", "categories", "series", "extra",
    ": ", ":", " ", "  ", "- ", "[", "]", "{", "}", ", ", "&a ", "*a", "&b ", "*b", "<<: ",
    "!!python/object/apply:os.system ", "!!python/name:os.system", "!!int ", "!!bool ",
    "!!float ", "!!timestamp ", "!!binary ", "!!set ", "!include ", "2024-13-45", "2024-01-01",
    "2024-02-30 10:00", "'", '"', "# ", "\n", "\t", "---", "...", "| ", "> ", "? ", "\x00",
    "\x07", "\ufeff", "\r\n", "\r", "é", "e\u0301", "null", "~", "1e999", ".nan", "-.inf",
    "0x", "0o7", "1_000", "yes", "on", "../..", "%2e%2e", "\\", "/etc/passwd", "1" * 50,
]  # fmt: skip
pieces = st.one_of(st.sampled_from(YAML_PIECES), st.text(max_size=4))
yaml_text = st.lists(pieces, max_size=30).map("".join)
dumped = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
).map(lambda value: yaml.safe_dump(value, allow_unicode=True))
front_matter = st.one_of(yaml_text, dumped)
openers = st.sampled_from(["---\n", "---\r\n", "\ufeff---\n", "--- \n", "", "---"])
closers = st.sampled_from(["\n---\n", "\n...\n", "---\n", "", "\n", "\n--- \n"])
bodies = st.one_of(
    st.lists(st.sampled_from(["# Title\n", "text\n", "```python {compute}\nx = 1\n```\n",
                               "```chart\ndata: d\n```\n", "```\n", "---\n", "\n"]), max_size=6)
    .map("".join),
    st.text(max_size=40),
)  # fmt: skip
documents = st.tuples(openers, front_matter, closers, bodies).map("".join)


@FUZZ
@given(documents)
def test_front_matter_gives_a_value_or_an_error_inside_the_file(text: str) -> None:
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as parse_post does
    try:
        result = split_front_matter(text)
    except FrontMatterError as exc:
        assert 1 <= exc.line <= line_count(text), (exc.line, exc.message)
        assert exc.message
        return
    assert all(1 <= line <= line_count(text) for line in result.lines.values())
    assert 1 <= result.body_line <= line_count(text) + 1


def _parse_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        path = root / "content" / "posts" / "fuzz.md"
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        diags = Diagnostics()
        source = SourceFile(path, "content/posts/fuzz.md", "post", jekyll=False)
        post = parse_post(source, root, SiteConfig(), lambda name: None, diags)
    lines = data.count(b"\n") + 1
    for diag in diags:
        assert diag.path == "content/posts/fuzz.md"
        assert 0 <= diag.line <= lines, (diag, lines)
    if post is None:
        assert diags.errors, "a file that is not a post must say why"
    else:
        assert post.url.startswith("/") and ".." not in post.url.split("/")


raw_files = st.one_of(
    documents.map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.binary(max_size=200),
    st.tuples(documents, st.binary(max_size=3), st.integers(0, 200)).map(
        lambda t: (lambda b: b[: t[2]] + t[1] + b[t[2] :])(t[0].encode("utf-8", "surrogatepass"))
    ),
)


@FUZZ
@given(raw_files)
def test_parse_post_never_raises_and_reports_lines_inside_the_file(data: bytes) -> None:
    _parse_bytes(data)


# --------------------------------------------------------------------------- chart blocks

CHART_PIECES = [
    *chart_spec.KNOWN_KEYS, *chart_spec.SERIES_KEYS, ": ", "\n", "  ", "- ", "[", "]", "{", "}",
    ", ", "1", "-1", "0", "1e308", ".nan", ".inf", "null", "true", "line", "scatter", "bar",
    "linear", "logarithmic", "full", "half", "red", "'#ff0000'", "&a ", "*a", "!!binary ",
    "!!python/object:x ", "2024-01-01", "'", '"', "#", "\t", "x", "y", "d", "é", "\x00", "? ",
    # what the front-matter pieces have: tags, dates that do not parse, aliases, merges
    "!!int ", "!!bool ", "!!float ", "!!timestamp ", "!!set ", "!!python/object/apply:os.system ",
    "!!python/name:os.system", "!include ", "2024-13-45", "2024-02-30 10:00", "&b ", "*b", "<<: ",
    "caption: ", "height: ", "options: ", "\x07", "\ufeff", "\r", "1e999", "0x", "yes", "on",
]  # fmt: skip
chart_sources = st.one_of(
    st.lists(st.one_of(st.sampled_from(CHART_PIECES), st.text(max_size=3)), max_size=40).map(
        "".join
    ),
    st.dictionaries(
        st.sampled_from([*chart_spec.KNOWN_KEYS, "bogus"]),
        st.recursive(
            st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=6)),
            lambda inner: st.one_of(
                st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
            ),
            max_leaves=8,
        ),
        max_size=8,
    ).map(lambda value: yaml.safe_dump(value, allow_unicode=True)),
)


@FUZZ
@given(chart_sources, st.integers(1, 10_000))
def test_chart_spec_gives_a_spec_or_errors_inside_the_block(source: str, first: int) -> None:
    block = ChartBlock(0, source, first)
    spec, problems = chart_spec.parse_chart(block, "content/posts/c.md")
    assert (spec is None) == bool(problems)
    last = first + source.count("\n") + source.count("\r") + 1
    for problem in problems:
        assert problem.path == "content/posts/c.md"
        assert first <= problem.line <= last, (problem, first, last)
        assert problem.message


# --------------------------------------------------------------------------- datasets

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=6),
    st.tuples(scalars, scalars),
    st.builds(range, st.integers(-5, 5), st.integers(-5, 10)),
    st.dictionaries(st.text(max_size=3), scalars, max_size=3),
    st.sets(st.integers(), max_size=3),
    st.binary(max_size=4),
    st.complex_numbers(allow_nan=False, allow_infinity=False),
)
column_names = st.one_of(st.sampled_from(["x", "y", "loss", "a b", "é", ""]), st.text(max_size=5))
dataset_names = st.one_of(
    st.sampled_from(["fit", "loss-curve", "a.b", "_x", "", "x" * 101]), st.text(max_size=8)
)


def _check_serialised(wire: dict[str, Any]) -> None:
    ds = datasets.dataset_from_wire(wire, 7)
    text = datasets.dataset_to_json(ds).decode("utf-8")
    back = json.loads(text)
    assert back == json.loads(json.dumps(datasets.dataset_to_wire(ds), allow_nan=False))
    rows = list(csv.reader(io.StringIO(datasets.dataset_to_csv(ds).decode("utf-8"))))
    assert rows, "a CSV has at least its header"
    for column in (ds.columns or {}).values():
        for value in column:
            assert not (isinstance(value, float) and not math.isfinite(value))


@FUZZ
@given(
    dataset_names,
    st.dictionaries(column_names, values, max_size=4),
    st.integers(1, 17),
)
def test_dataset_columns_give_a_dataset_or_a_dataset_error(
    name: object, columns: dict[str, Any], digits: int
) -> None:
    try:
        wire = datasets.make_table(name, None, columns, digits, "content/posts/d.md")
    except datasets.DatasetError as exc:
        assert str(exc)
        return
    _check_serialised(wire)


records = st.one_of(
    st.lists(st.dictionaries(column_names, scalars, max_size=3), max_size=4),
    st.dictionaries(column_names, values, max_size=3),
    values,
)


@FUZZ
@given(dataset_names, records, st.integers(1, 17))
def test_dataset_records_give_a_dataset_or_a_dataset_error(
    name: object, rows: object, digits: int
) -> None:
    try:
        wire = datasets.make_table(name, rows, {}, digits, "content/posts/d.md")
    except datasets.DatasetError as exc:
        assert str(exc)
        return
    _check_serialised(wire)


@FUZZ
@given(
    dataset_names,
    st.one_of(st.sampled_from(["w", "x", ""]), st.text(max_size=3)),
    st.one_of(st.lists(scalars, max_size=4), values),
    st.dictionaries(column_names, st.lists(scalars, max_size=3), max_size=3),
    st.integers(1, 17),
)
def test_sweeps_give_a_dataset_or_a_dataset_error(
    name: object, param: object, grid: object, table: dict[str, Any], digits: int
) -> None:
    try:
        wire = datasets.make_sweep(name, param, grid, lambda _: table, digits, "content/posts/d.md")
    except datasets.DatasetError as exc:
        assert str(exc)
        return
    _check_serialised(wire)
