"""Helpers for the compute-stage tests: real .md files, Posts built by hand from them."""

from __future__ import annotations

from pathlib import Path

from generator.model import Cell, CellOptions, Post

CellSpec = str | tuple[str, CellOptions]


def write_post(
    root: Path, name: str, *cells: CellSpec, folder: str = "content/posts", **fields: object
) -> Post:
    """Write ``<folder>/<name>.md`` with prose around each cell; return its Post.

    Each cell sits in a ```python {compute} fence after a line of prose, so cell k's first
    code line is a real line of the file, as the content stage would report it.
    """
    lines = ["---", f"title: {name}", "---", "", f"# {name}"]
    built = []
    for index, spec in enumerate(cells):
        source, options = spec if isinstance(spec, tuple) else (spec, CellOptions())
        lines += ["", f"Prose before cell {index}.", "", "```python {compute}"]
        built.append(Cell(index, source, len(lines) + 1, options))
        lines += [*source.splitlines(), "```"]
    path = root / folder / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rel = path.relative_to(root).as_posix()
    return Post(
        source=path,
        rel=rel,
        title=name,
        date=None,
        slug=name,
        url=f"/posts/{name}/",
        body="",
        body_line=4,
        cells=tuple(built),
        **fields,  # type: ignore[arg-type]
    )


def line_of(post: Post, cell: int, text: str) -> int:
    """The .md line of the first line containing ``text`` in cell ``cell``."""
    source = post.cells[cell].source.splitlines()
    return post.cells[cell].line + next(i for i, line in enumerate(source) if text in line)
