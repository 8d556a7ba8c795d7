"""Command ``lessonpress new "Title" [--tags a,b] [--notebook] [--source DIR]``: start a lesson.

Writes ``content/posts/<slug>.md`` (``_posts/<date>-<slug>.md`` on a Jekyll site)
with front matter, a starter computation cell that publishes a dataset and a
chart drawn from it -- ready to build. ``--notebook`` writes a Jupyter notebook
(``.ipynb``) instead: front matter in a raw cell, a figure, a dataset and a chart.
Never overwrites a file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

from generator.content.discover import is_jekyll_site
from generator.content.urls import slugify

STARTER = """\
---
title: {title}
date: {date}
tags: {tags}
description: {description}
---
A sentence or two on what this lesson shows.

## The computation

This cell runs when the site is built. `dataset(...)` publishes a table the chart below draws;
`sweep(...)` publishes one table per value of a parameter, for a slider.

```python {{compute}}
import numpy as np

x = np.linspace(-3, 3, 61)
dataset("curve", x=x, y=x**2)
sweep("scaled", "a", [0.5, 1.0, 1.5, 2.0], lambda a: {{"x": x, "y": a * x**2}})
print("minimum of x² at x =", x[np.argmin(x**2)])
```

## The chart

```chart
type: line
data: curve
x: x
y: y
title: The parabola y = x²
caption: Computed at build time from the `curve` dataset.
alt: A parabola with its minimum at the origin.
x_label: x
y_label: y
```

Move the slider to scale the curve:

```chart
type: line
data: scaled
x: x
y: y
control: a
title: The parabola y = a·x²
caption: One table per value of a, computed at build time.
alt: A parabola that gets steeper as a grows.
x_label: x
y_label: y
```
"""


def post_text(title: str, tags: list[str], date: dt.date) -> str:
    """The starter post. Values are JSON strings, which YAML reads as quoted scalars."""

    def quote(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)

    return STARTER.format(
        title=quote(title),
        date=date.isoformat(),
        tags="[" + ", ".join(quote(t) for t in tags) + "]",
        description=quote(""),
    )


NOTEBOOK_CELLS = (
    ("markdown", "A sentence or two on what this lesson shows.\n\n## The computation\n\n"
     "Code cells run when the site is built, top to bottom, as in Jupyter. A figure's title "
     "is its description for readers who cannot see it."),
    ("code", "import numpy as np\nimport matplotlib.pyplot as plt\n\nx = np.linspace(-3, 3, 61)\n"
     "fig, ax = plt.subplots()\nax.plot(x, x**2)\nax.set(title='The parabola y = x²', "
     "xlabel='x', ylabel='y')\nplt.show()"),
    ("markdown", "`dataset(...)` publishes a table a chart draws in the reader's browser; "
     "`sweep(...)` one table per value of a parameter, for a slider."),
    ("code", "dataset('curve', x=x, y=x**2)\n"
     "sweep('scaled', 'a', [0.5, 1.0, 1.5, 2.0], lambda a: {'x': x, 'y': a * x**2})\n"
     "x[np.argmin(x**2)]"),
    ("markdown", "## The chart\n\nMove the slider to scale the curve:\n\n```chart\ntype: line\n"
     "data: scaled\nx: x\ny: y\ncontrol: a\ntitle: The parabola y = a·x²\n"
     "alt: A parabola that gets steeper as a grows.\n```"),
)  # fmt: skip


def notebook_text(title: str, tags: list[str], date: dt.date) -> str:
    """The starter notebook, as Jupyter writes it (nbformat 4, fixed cell ids)."""
    from nbformat import v4, writes

    front = post_text(title, tags, date).split("---\n")[1]
    cells = [v4.new_raw_cell(f"---\n{front}---")]
    for kind, source in NOTEBOOK_CELLS:
        cells.append(
            v4.new_markdown_cell(source) if kind == "markdown" else v4.new_code_cell(source)
        )
    notebook = v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"
    text: str = writes(notebook)
    return text + "\n"


def today() -> dt.date:
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    if value.isdigit():
        return dt.datetime.fromtimestamp(int(value), dt.UTC).date()
    return dt.date.today()  # an author's new post is dated the day it is started


def target_path(source: Path, slug: str, date: dt.date, suffix: str = ".md") -> Path:
    if is_jekyll_site(source):
        return source / "_posts" / f"{date.isoformat()}-{slug}{suffix}"
    return source / "content" / "posts" / f"{slug}{suffix}"


def run(args: argparse.Namespace) -> int:
    source: Path = args.source
    if not source.is_dir():
        print(f"lessonpress: error: --source {source} is not a folder", file=sys.stderr)
        return 2
    title = str(args.title).strip()
    slug = slugify(args.slug or title)
    if not title or not slug:
        print("lessonpress: error: the title needs letters or digits", file=sys.stderr)
        return 2
    tags = [t.strip() for t in str(args.tags).split(",") if t.strip()]
    date = args.date or today()
    notebook = bool(getattr(args, "notebook", False))
    path = target_path(source, slug, date, ".ipynb" if notebook else ".md")
    shown = path.relative_to(source).as_posix()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(
                notebook_text(title, tags, date) if notebook else post_text(title, tags, date)
            )
    except FileExistsError:
        print(
            f"{shown}: already exists; not overwritten (choose another title or --slug)",
            file=sys.stderr,
        )
        return 1
    print(f"created {shown}")
    return 0
