"""Content stage: a body's ```` ```python {compute} ```` cells and ```` ```chart ```` blocks.

Each becomes a placeholder token (:mod:`generator.placeholders`) in the body Markdown
sees, keeping the line count so every later diagnostic points at the right .md line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from generator.content.frontmatter import FieldError
from generator.errors import Diagnostics, did_you_mean
from generator.fences import fences
from generator.model import Cell, CellOptions, ChartBlock
from generator.placeholders import cell_token, chart_token

CELL_INFO = re.compile(r"^python\s*\{\s*\.?compute\b(?P<opts>[^}]*)\}$")
CELL_FLAGS = {"hide-code", "hide-output", "hidden", "raises", "fold-code", "fold-output"}
# Quarto's cell options, comment lines at the top of a cell: ``#| fig-alt: A parabola``.
CELL_COMMENT_OPTION = re.compile(r"^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$")


@dataclass
class Blocks:
    body: str
    cells: list[Cell] = field(default_factory=list)
    charts: list[ChartBlock] = field(default_factory=list)


def parse_cell_options(text: str) -> CellOptions:
    hide_code = hide_output = False
    timeout: float | None = None
    name: str | None = None
    for word in text.split():
        key, _, value = word.partition("=")
        if key in ("hide-code", "hidden"):
            hide_code = True
        if key in ("hide-output", "hidden"):
            hide_output = True
        if key in CELL_FLAGS:
            if value:
                raise FieldError(f"cell option '{key}' takes no value")
        elif key == "timeout":
            try:
                timeout = float(value)
            except ValueError:
                raise FieldError(f"cell option timeout must be seconds, got {value!r}") from None
            if not timeout > 0:
                raise FieldError(f"cell option timeout must be positive, got {value!r}")
        elif key == "name" and value:
            name = value
        else:
            suffix = did_you_mean(key, [*CELL_FLAGS, "timeout", "name"])
            raise FieldError(f"unknown cell option '{word}'{suffix}")
    words = text.split()
    return CellOptions(
        hide_code,
        hide_output,
        timeout,
        name,
        raises="raises" in words,
        fold_code="fold-code" in words,
        fold_output="fold-output" in words,
    )


def comment_options(source: str, options: CellOptions) -> CellOptions:
    """``options`` with the Quarto-style ``#| fig-alt: ...`` lines that open the cell
    (and ``#| frames: N``, the budget of its ``interact`` frames)."""
    for line in source.split("\n"):
        found = CELL_COMMENT_OPTION.match(line.strip())
        if found is None:
            break
        key, value = found.group(1), found.group(2).strip("\"'")
        if key in ("fig-alt", "alt") and value:
            options = replace(options, alt=value)
        elif key == "frames":
            if not value.isdigit() or int(value) < 1:
                raise FieldError(
                    f"cell option frames must be a whole number of frames, got {value!r}"
                )
            options = replace(options, frames=int(value))
    return options


def extract_blocks(body: str, body_line: int, rel: str, diags: Diagnostics) -> Blocks:
    """Replace ```python {compute} and ```chart blocks by placeholder paragraphs.

    The replacement keeps the line count so later diagnostics still point at
    the right .md line. Blocks nested inside another fence are left alone.
    """
    lines = body.split("\n")
    out: list[str] = []
    blocks = Blocks("")
    done = 0
    for block in fences(lines):
        kind = _block_kind(block.info)
        if kind is None:
            continue
        i, end, indent, info = block.start, block.end, block.indent, block.info
        out.extend(lines[done:i])
        start_line = body_line + i
        content = "\n".join(_dedent(line, indent) for line in lines[i + 1 : end])
        if not block.closed(lines):
            diags.error(rel, start_line, f"```{info} block is never closed", code="content")
        if kind == "chart":
            index = len(blocks.charts)
            blocks.charts.append(ChartBlock(index, content, start_line + 1))
            token = chart_token(index)
        else:
            try:
                options = parse_cell_options(CELL_INFO.match(info).group("opts"))  # type: ignore[union-attr]
            except FieldError as exc:
                diags.error(rel, start_line, str(exc), code="content")
                options = CellOptions()
            index = len(blocks.cells)
            try:
                options = comment_options(content, options)
            except FieldError as exc:
                diags.error(rel, start_line + 1, str(exc), code="content")
            blocks.cells.append(Cell(index, content, start_line + 1, options))
            token = cell_token(index)
        span = min(end, len(lines) - 1) - i + 1
        out.extend(_placeholder(indent, token, span))
        done = end + 1
    out.extend(lines[done:])
    blocks.body = "\n".join(out)
    return blocks


def _block_kind(info: str) -> str | None:
    if info == "chart" or info.startswith("chart "):
        return "chart"
    if CELL_INFO.match(info):
        return "cell"
    return None


def _dedent(line: str, indent: str) -> str:
    return line[len(indent) :] if line.startswith(indent) else line.lstrip()


def _placeholder(indent: str, token: str, span: int) -> list[str]:
    lines = ["", indent + token, ""]
    return lines + [""] * max(0, span - 3)
