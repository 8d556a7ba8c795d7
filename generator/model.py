"""The typed, frozen data that flows down the pipeline.

content -> model -> compute -> render -> write. Every stage takes and returns
these values; none of them does I/O. This module imports no other stage.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

# A value in a dataset column after normalisation (JSON-safe, finite).
Scalar = float | int | str | bool | None
Columns = Mapping[str, tuple[Scalar, ...]]


@dataclass(frozen=True)
class SiteConfig:
    """Site-wide settings from ``site.yml`` (or Jekyll's ``_config.yml``)."""

    title: str = "Lessons"
    description: str = ""
    author: str = ""
    # Absolute origin without a path, e.g. "https://example.org" ("" if unknown).
    url: str = ""
    # Path prefix every link and asset starts with; always begins and ends with "/".
    base_path: str = "/"
    # URL pattern for posts, e.g. "/posts/:slug/".
    permalink: str = "/posts/:slug/"
    # Default per-cell timeout in seconds.
    timeout: float = 60.0
    # Significant digits kept for floats in datasets.
    float_digits: int = 6
    # Datasets up to this many bytes of JSON are inlined in the page.
    inline_data_limit: int = 50_000
    # Frames an ipywidgets interact may precompute; a larger grid is thinned to fit.
    interact_frames: int = 300
    # ``lessonpress check`` warnings a site accepts, by file: path -> kinds ("link-text"...)
    check_allow: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Heap limit of each compute worker in MiB (None: a share of the machine's memory).
    compute_memory_mb: int | None = None
    # Markdown dialect of every post: "commonmark", "kramdown", or "" (by where a post
    # lives: kramdown in a Jekyll site's folders, CommonMark in content/).
    markdown: str = ""
    # Where config came from: "site.yml", "_config.yml" or "" (defaults).
    config_file: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CellOptions:
    hide_code: bool = False
    hide_output: bool = False
    timeout: float | None = None
    name: str | None = None
    raises: bool = False  # an error is the lesson's point: shown as output, the post goes on
    fold_code: bool = False  # shown folded, behind "Show code" (Jupyter Book's hide-input)
    fold_output: bool = False  # and "Show output" (hide-output)
    alt: str | None = None  # the alt text of the cell's figures (``#| fig-alt: ...``)
    frames: int | None = None  # the cell's interact frame budget (``#| frames: 600``)


@dataclass(frozen=True)
class Cell:
    """A ```python {compute} block. ``line`` is the .md line of its first code line."""

    index: int
    source: str
    line: int
    options: CellOptions = CellOptions()

    @property
    def anchor(self) -> str:
        """Its id on the page (``cell-3``, or ``cell-NAME``); its figures' files start so."""
        return f"cell-{self.options.name or self.index + 1}"


@dataclass(frozen=True)
class ChartBlock:
    """A ```chart block. ``line`` is the .md line of its first YAML line."""

    index: int
    source: str
    line: int


@dataclass(frozen=True)
class NotebookCell:
    """Where a notebook's cell stands in its .ipynb file: ``line`` is the JSON line of its
    first source line, ``count`` its number of source lines; ``number`` counts from 1."""

    number: int
    line: int
    count: int
    kind: str = "code"


@dataclass(frozen=True)
class Post:
    """One Markdown source file, parsed but not yet rendered."""

    source: Path  # absolute path of the .md file
    rel: str  # path shown in diagnostics, relative to the site root (posix)
    title: str
    date: dt.datetime | None
    slug: str
    url: str  # site-relative URL path without base_path, e.g. "/posts/lr/"
    body: str  # Markdown after the front matter (cells/charts still in place)
    body_line: int  # .md line number of the body's first line
    layout: str = "post"
    kind: Literal["post", "page"] = "post"
    jekyll: bool = False  # Jekyll's rules apply: a Jekyll site's file, or one in _posts/, _drafts/
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    order: float | None = None
    draft: bool = False
    description: str = ""
    series: str | None = None
    inputs: tuple[str, ...] = ()  # site-relative paths of declared input files
    seed: int | None = None  # front matter's ``seed:``; see run_seed
    timeout: float | None = None
    cells: tuple[Cell, ...] = ()
    charts: tuple[ChartBlock, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    notebook: tuple[NotebookCell, ...] = ()  # a notebook's cells (for "cell N, line M")
    shell: bool = False  # ``shell: true``: a notebook's ``!commands`` run
    figure_format: str = "svg"  # or "png", drawn at twice the figure's dpi
    # A notebook with ``execute: false``: the outputs it saved, shown instead of running it.
    stored: tuple[CellOutput, ...] | None = None

    @property
    def data_slug(self) -> str:
        """Folder name under ``data/`` for this post's datasets: its slug."""
        return self.slug

    @property
    def run_seed(self) -> int:
        """The seed its cells run with: ``seed:``, or one derived stably from its path."""
        if self.seed is not None:
            return self.seed
        return int.from_bytes(hashlib.sha256(self.rel.encode("utf-8")).digest()[:4], "big")


@dataclass(frozen=True)
class Display:
    """One rich output of a cell: a figure, a table, HTML, a value. ``data`` is text, or
    base64 for images other than SVG; ``alt`` describes an image (a figure's title)."""

    mime: str  # "image/svg+xml", "image/png", "text/html", "text/latex", "text/plain"...
    data: str
    alt: str = ""


@dataclass(frozen=True)
class CellOutput:
    """What one cell printed (``text``: stdout and stderr interleaved) and showed."""

    index: int
    text: str = ""
    displays: tuple[Display, ...] = ()


@dataclass(frozen=True)
class Dataset:
    """A published table, or a sweep: one table per value of a parameter."""

    name: str
    kind: Literal["table", "sweep"]
    columns: Columns = field(default_factory=dict)  # kind == "table"
    param: str | None = None  # kind == "sweep"
    values: tuple[Scalar, ...] = ()  # kind == "sweep"
    tables: tuple[Columns, ...] = ()  # kind == "sweep", one per value
    line: int = 0  # .md line of the cell that published it

    def column_names(self) -> tuple[str, ...]:
        if self.kind == "table":
            return tuple(self.columns)
        return tuple(self.tables[0]) if self.tables else ()


@dataclass(frozen=True)
class ComputeResult:
    """Everything a post's cells produced (empty for posts without cells)."""

    outputs: tuple[CellOutput, ...] = ()
    datasets: Mapping[str, Dataset] = field(default_factory=dict)
    cached: bool = False


@dataclass(frozen=True)
class OutputFile:
    """One file of the built site: a path relative to the output folder and its bytes."""

    path: str
    data: bytes
    # sha256 of ``data`` when the maker already knows it (see generator.memo), else b"".
    digest: bytes = field(default=b"", compare=False, repr=False)


@dataclass(frozen=True)
class BuildOptions:
    """What a ``lessonpress build`` was asked to do."""

    source: Path
    drafts: bool = False
    jobs: int | None = None
    mode: Literal["normal", "frozen", "rerun"] = "normal"
    keep_going: bool = False
