"""Which one of a Jupyter output's representations a page shows. Base module: knows no stage.

A Jupyter output is a *mime bundle*, ``{mime type: data}``, the same object in several
forms (a DataFrame as HTML and as text, a figure as PNG and as text). A page shows the
richest form it can, in this order, as Jupyter's own HTML export does. Both a cell run
at build time (compute stage) and an output stored in a notebook (content stage) go
through here.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from generator.model import Display

# An ipywidgets interact precomputed at build time: its controls and every frame, as JSON.
INTERACT = "application/vnd.lessonpress.interact+json"
PREFERRED = (
    "text/html", "image/svg+xml", "image/png", "image/jpeg", "text/latex", "text/markdown",
    "text/plain",
)  # fmt: skip


def best_display(
    data: Mapping[str, Any], metadata: Mapping[str, Any] | None = None
) -> Display | None:
    """The form of ``data`` a page shows; images other than SVG as base64 text."""
    for mime in PREFERRED:
        if mime not in data:
            continue
        value = data[mime]
        if isinstance(value, bytes):
            value = value.decode() if mime == "image/svg+xml" else base64.b64encode(value).decode()
        if isinstance(value, list):  # a stored notebook splits text into lines
            value = "".join(str(v) for v in value)
        if mime in ("image/png", "image/jpeg") and isinstance(value, str):
            value = "".join(value.split())  # stored base64 may be wrapped
        meta = (metadata or {}).get(mime, {})
        alt = meta.get("alt", "") if isinstance(meta, Mapping) else ""
        return Display(mime, str(value), str(alt))
    return None
