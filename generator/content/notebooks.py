"""Content stage: a Jupyter notebook (``.ipynb``) read as a post.

The notebook becomes the Markdown text a hand-written post would be, laid out so
that each of its lines stands on the line of the ``.ipynb`` file it came from (the
JSON that Jupyter, VS Code and Colab write puts every source line on its own line).
Every later diagnostic (YAML, math, cells, charts) then names the notebook's own
line, which an editor jumps to; :func:`where` adds the cell and the line in it.

- Front matter: a YAML block (``---`` ... ``---``) opening the first raw or markdown
  cell, as Quarto and MyST write it; else the notebook's ``lessonpress`` metadata and
  its ``title``; else the first ``#`` heading gives the title, as for any post.
- Markdown cells are the post's Markdown (CommonMark); raw cells are kept when their
  ``raw_mimetype`` is HTML or Markdown (as nbconvert's HTML export does), else dropped.
- Code cells become ``python {compute}`` cells, run at build time in one namespace.
  Jupyter Book's tags and Colab's form cells set their options: ``remove-input`` and
  ``# @title`` / ``cellView: form`` hide the code; ``remove-output`` the output;
  ``remove-cell`` both; ``hide-input`` and ``hide-output`` fold them behind a toggle;
  ``skip-execution`` shows the code without running it; ``raises-exception`` shows the
  error the cell raises as its output, and the notebook goes on.

A notebook as Jupyter writes it (version 4, the expected parts in place) is read as its
JSON; any other goes through nbformat (upgraded to version 4, checked against its schema,
whose messages are the diagnostics).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from generator.content.frontmatter import FrontMatter, FrontMatterError, split_front_matter
from generator.errors import Diagnostic, Diagnostics
from generator.model import CellOutput, Display, NotebookCell
from generator.outputs import best_display

NOTEBOOK_SUFFIX = ".ipynb"
_SOURCE_KEY = re.compile(r'^(\s*)"source":\s*(.*?)\s*$')
_CELL_TYPE_KEY = re.compile(r'^(\s*)"cell_type":')
_BLOCK_CLOSE = re.compile(r"^\s*\],?\s*$")
_FORM_TITLE = re.compile(r"^\s*#\s*@title\b")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
NOT_RUN = (
    '<p class="lp-note">The outputs on this page were saved in the notebook: '
    "its cells were not run when the site was built.</p>"
)
_H1 = re.compile(r"^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
CELL_TYPES = ("code", "markdown", "raw")
HIDE_CODE_TAGS = {"remove-input"}
HIDE_OUTPUT_TAGS = {"remove-output"}
KEPT_RAW = {"text/html": "html", "text/markdown": "markdown", "text/x-markdown": "markdown"}


@dataclass(frozen=True)
class NotebookText:
    """What a notebook reads as: its front matter and Markdown body, and where each cell is."""

    front_matter: FrontMatter
    cells: tuple[NotebookCell, ...]
    # ``execute: false``: the outputs saved in the notebook, one per computed cell.
    stored: tuple[CellOutput, ...] | None = None


def read_notebook(text: str, rel: str, diags: Diagnostics) -> NotebookText | None:
    """The notebook ``text`` (the .ipynb file's JSON) as front matter and a Markdown body.

    Problems go to ``diags`` at the notebook's lines; None when it cannot be read."""
    nb = _parse(text, rel, diags)
    if nb is None:
        return None
    lines = text.split("\n")
    cells = list(nb.get("cells", ()))
    sources = [_source_lines(cell) for cell in cells]
    firsts = _first_source_lines(lines, sources)
    sequential = firsts is None
    if firsts is None:  # not one source line per JSON line: lay the cells out one after another
        firsts, at = [], 2
        for source in sources:
            firsts.append(at)
            at += len(source) + 6  # room for closing fences and tags
    size = max([len(lines) + 2, *(f + len(s) + 2 for f, s in zip(firsts, sources, strict=True))])
    out = [""] * (size + 1)  # out[n] is line n (1-based)
    spans = tuple(
        NotebookCell(number, first, len(source), str(cell.get("cell_type", "")))
        for number, (cell, source, first) in enumerate(
            zip(cells, sources, firsts, strict=True), start=1
        )
    )
    front: FrontMatter | None = None
    saved: list[CellOutput] = []
    for number, (cell, source, first) in enumerate(
        zip(cells, sources, firsts, strict=True), start=1
    ):
        kind = cell.get("cell_type")
        if front is None and number == _first_prose(cells) and _opens_front_matter(source):
            try:
                front = split_front_matter("\n".join(source), first_line=first)
            except FrontMatterError as exc:
                problem = Diagnostic(rel, exc.line, exc.message, code="content")
                diags.extend([in_cell(problem, spans)])
                return None
            if kind == "markdown":
                _place(out, front.body_line, front.body.split("\n"))
            continue
        if kind == "markdown" or (kind == "raw" and _raw_kind(cell) is not None):
            _place(out, first, _closed(source))
        elif (
            kind == "code"
            and any(line.strip() for line in source)
            and _place_code(out, first, source, cell, number)
        ):
            saved.append(_saved_output(len(saved), cell))
    if front is None:
        data, key_lines = _metadata(nb.get("metadata", {}), rel, diags)
    else:
        data, key_lines = dict(front.data), dict(front.lines)
    if not data.get("title"):
        _title_from_heading(out, data)
    stored = None
    if data.get("execute") is False:  # publish what the notebook saved, and say so
        stored = tuple(saved)
        out[1] = NOT_RUN
    # A notebook is a post as it is, front matter or not.
    front = FrontMatter(data, key_lines, "\n".join(out[1:]), 1, True)
    if sequential:
        diags.warning(
            rel,
            1,
            "this notebook's JSON does not put each source line on its own line (as "
            "Jupyter writes it): problems are reported at the cell and its line only",
            code="notebook",
        )
    return NotebookText(front, spans, stored)


def in_cell(diagnostic: Diagnostic, cells: Sequence[NotebookCell]) -> Diagnostic:
    """``diagnostic`` with the cell and the line in it named before its message (and
    after each line of its call chain that points into the notebook)."""
    found = where(cells, diagnostic.line) if diagnostic.line > 0 else None
    if found is None:
        return diagnostic
    chain = re.compile(rf"^(\s+{re.escape(diagnostic.path)}:(\d+)), in ", re.M)

    def placed(match: re.Match[str]) -> str:
        cell = where(cells, int(match.group(2)))
        return f"{match.group(1)} ({cell}), in " if cell else match.group(0)

    return replace(diagnostic, message=f"{found}: {chain.sub(placed, diagnostic.message)}")


def where(cells: Sequence[NotebookCell], line: int) -> str | None:
    """``"cell 12, line 3"`` for a notebook's JSON ``line``, if it falls in a cell."""
    for cell in cells:
        if cell.line <= line < cell.line + max(cell.count, 1):
            return f"cell {cell.number}, line {line - cell.line + 1}"
    return None


def _parse(text: str, rel: str, diags: Diagnostics) -> Mapping[str, Any] | None:
    try:
        raw = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", 1)
        message = getattr(exc, "msg", str(exc))
        diags.error(rel, line, f"not a notebook: the JSON is invalid ({message})", code="notebook")
        return None
    if _plainly_v4(raw):  # what Jupyter writes: read as it is (nbformat's schema costs ~0.2 s)
        plain: Mapping[str, Any] = raw
        return plain
    import nbformat  # an older or odd notebook: upgraded, and checked against the schema

    try:
        nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
        if int(nb.get("nbformat", 0)) < 4:
            nb = nbformat.convert(nb, 4)
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        path = list(getattr(exc, "absolute_path", ()) or ())
        at = f" in cell {int(path[1]) + 1}" if len(path) > 1 and path[0] == "cells" else ""
        message = getattr(exc, "message", str(exc))
        diags.error(rel, 1, f"not a valid notebook{at}: {message}", code="notebook")
        return None
    except Exception as exc:  # nbformat raises many kinds on foreign JSON
        diags.error(rel, 1, f"not a notebook: {exc}", code="notebook")
        return None
    found: Mapping[str, Any] = nb
    return found


def _plainly_v4(raw: Any) -> bool:
    """A version-4 notebook with every part this reader uses where nbformat puts it."""
    if not isinstance(raw, dict) or raw.get("nbformat") != 4:
        return False
    if not isinstance(raw.get("metadata"), dict) or not isinstance(raw.get("cells"), list):
        return False
    for cell in raw["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") not in CELL_TYPES:
            return False
        source = cell.get("source")
        if not (
            isinstance(source, str)
            or (isinstance(source, list) and all(isinstance(x, str) for x in source))
        ):
            return False
        if not isinstance(cell.get("metadata", {}), dict):
            return False
        outputs = cell.get("outputs", [])
        if not isinstance(outputs, list) or not all(isinstance(o, dict) for o in outputs):
            return False
    return True


def _first_source_lines(lines: list[str], sources: list[list[str]]) -> list[int] | None:
    """The JSON line of each cell's first source line, if each source line has its own."""
    indents = [len(m.group(1)) for line in lines if (m := _CELL_TYPE_KEY.match(line))]
    if not indents:
        return [] if not sources else None
    indent = max(set(indents), key=indents.count)
    keys = [
        (n, m.group(2))
        for n, line in enumerate(lines, start=1)
        if (m := _SOURCE_KEY.match(line)) and len(m.group(1)) == indent
    ]
    if len(keys) != len(sources):
        return None
    firsts = []
    for (line, rest), source in zip(keys, sources, strict=True):
        count = len(source)
        if rest.startswith("["):
            if rest.rstrip(",") == "[]":
                firsts.append(line + 1)
                continue
            end = line + 1
            while end <= len(lines) and not _BLOCK_CLOSE.match(lines[end - 1]):
                end += 1
            if end - line - 1 != count:
                return None
            firsts.append(line + 1)
        elif count <= 1:
            firsts.append(line)
        else:
            return None
    return firsts


def _source_lines(cell: Mapping[str, Any]) -> list[str]:
    source = cell.get("source", "")
    text = "".join(source) if isinstance(source, list) else str(source)
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()  # Jupyter's last source line may end with a newline: no line after it
    return lines if text else []


def _first_prose(cells: list[Any]) -> int:
    """The number of the first raw or markdown cell (front matter may open it)."""
    for number, cell in enumerate(cells, start=1):
        if cell.get("cell_type") in ("raw", "markdown"):
            return number
    return 0


def _opens_front_matter(source: list[str]) -> bool:
    return bool(source) and source[0].rstrip() == "---"


def _raw_kind(cell: Mapping[str, Any]) -> str | None:
    meta = cell.get("metadata", {})
    mime = str(meta.get("raw_mimetype") or meta.get("format") or "").lower()
    return KEPT_RAW.get(mime)


def _place(out: list[str], first: int, source: list[str]) -> None:
    for offset, line in enumerate(source):
        out[first + offset] = line


def _closed(source: list[str]) -> list[str]:
    """A cell's Markdown with a fence or a ``<details>``/``<div>`` it leaves open closed
    (Jupyter renders each cell alone; here they would swallow the cells after it)."""
    source = _fence_closed(source)
    text = "\n".join(source).lower()
    closers = []
    for tag in ("details", "div"):
        missing = len(re.findall(rf"<{tag}\b", text)) - len(re.findall(rf"</{tag}\s*>", text))
        closers += [f"</{tag}>"] * max(0, missing)
    return [*source, "", *closers] if closers else source


def _fence_closed(source: list[str]) -> list[str]:
    opener: str | None = None
    for line in source:
        found = _FENCE.match(line)
        if not found:
            continue
        chars = found.group(1)
        if opener is None:
            opener = chars
        elif chars[0] == opener[0] and len(chars) >= len(opener) and not line.strip()[len(chars) :]:
            opener = None
    return source if opener is None else [*source, opener]


def _place_code(
    out: list[str], first: int, source: list[str], cell: Mapping[str, Any], number: int
) -> bool:
    """A code cell as a fenced ``python {compute ...}`` block: its fences stand on the
    JSON lines just before and after its source (``"source": [`` and ``]``)."""
    meta = cell.get("metadata", {}) or {}
    tags = {str(t) for t in (meta.get("tags") or ())}
    form = meta.get("cellView") == "form" or bool(source and _FORM_TITLE.match(source[0]))
    hide_code = form or bool(tags & HIDE_CODE_TAGS)
    hide_output = bool(tags & HIDE_OUTPUT_TAGS)
    if "remove-cell" in tags:
        hide_code = hide_output = True
    longest = max(
        (len(m.group(0)) for line in source for m in re.finditer(r"`{3,}", line)), default=2
    )
    fence = "`" * max(3, longest + 1)
    if "skip-execution" in tags:
        info = "python"
    else:
        flags = [
            ("hide-code", hide_code),
            ("hide-output", hide_output),
            ("fold-code", "hide-input" in tags and not hide_code),
            ("fold-output", "hide-output" in tags and not hide_output),
            ("raises", "raises-exception" in tags),
        ]
        # Named by its number in the notebook: the anchor (#cell-12) and figure files
        # (cell-12-1.svg) say the cell that diagnostics name.
        options = " ".join([*(o for o, on in flags if on), f"name={number}"])
        info = f"python {{compute {options}}}"
    out[first - 1] = fence + info
    _place(out, first, source)
    out[first + len(source)] = fence
    return info != "python"  # a computed cell (not one shown only)


def _title_from_heading(out: list[str], data: dict[str, Any]) -> None:
    """The first ``#`` heading is the title (and leaves the body), as Quarto reads a notebook."""
    fence: str | None = None
    for n, line in enumerate(out):
        found = _FENCE.match(line)
        if found:
            chars = found.group(1)
            fence = (
                None if fence is not None and line.strip().startswith(fence) else (fence or chars)
            )
            continue
        heading = _H1.match(line)
        if fence is None and heading:
            data["title"] = heading.group(1)
            out[n] = ""
            return


def _saved_output(index: int, cell: Mapping[str, Any]) -> CellOutput:
    """A code cell's outputs as the notebook saved them: text, then rich outputs."""
    text: list[str] = []
    shown: list[Display] = []
    for output in cell.get("outputs", ()) or ():
        kind = output.get("output_type")
        if kind == "stream":
            found = output.get("text", "")
            text.append("".join(found) if isinstance(found, list) else str(found))
        elif kind == "error":
            trace = "\n".join(str(line) for line in output.get("traceback", ()))
            text.append(_ANSI.sub("", trace) or f"{output.get('ename')}: {output.get('evalue')}")
        elif kind in ("execute_result", "display_data"):
            display = best_display(output.get("data", {}), output.get("metadata", {}))
            if display is not None:
                shown.append(display)
    return CellOutput(index, "".join(text), tuple(shown))


def _metadata(
    meta: Mapping[str, Any], rel: str, diags: Diagnostics
) -> tuple[dict[str, Any], dict[str, int]]:
    """Front matter from the notebook's metadata: ``lessonpress: {...}``, and ``title``."""
    data: dict[str, Any] = {}
    ours = meta.get("lessonpress")
    if isinstance(ours, Mapping):
        data.update(ours)
    elif ours is not None:
        diags.warning(
            rel, 1, "notebook metadata 'lessonpress' must be a mapping; ignored", code="notebook"
        )
    title = meta.get("title")
    if isinstance(title, str) and title.strip() and "title" not in data:
        data["title"] = title.strip()
    return data, {key: 1 for key in data}
