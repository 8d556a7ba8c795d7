"""Compute stage, worker side: the matplotlib backend that turns figures into outputs.

Workers set ``MPLBACKEND=module://generator.compute.figures``: every ``plt.show()``,
and every figure still open when a cell ends, becomes an SVG (or a PNG at twice the
figure's dpi, on request) that the page shows, with the figure's title as its alt
text. Both are byte-identical from build to build: no date in the SVG metadata, a
fixed hash salt for its element ids (matplotlib's ``svg.hashsalt``).

Figures join :data:`generator.compute.sink.captured`, the running cell's outputs.
Imported by matplotlib in workers only (the build process never draws).
"""

from __future__ import annotations

import base64
import io
from typing import Any

from matplotlib import rcParams
from matplotlib._pylab_helpers import Gcf
from matplotlib.backend_bases import FigureManagerBase
from matplotlib.backends.backend_agg import FigureCanvasAgg

from generator.compute import sink

BACKEND = "module://generator.compute.figures"
HASH_SALT = "lessonpress"

FigureCanvas = FigureCanvasAgg
FigureManager = FigureManagerBase


def show(*args: Any, **kwargs: Any) -> None:
    """``plt.show()``: every open figure becomes an output of the running cell."""
    flush()


def flush() -> None:
    """Turn every open figure into an output (in the order they were made), and close it."""
    for manager in Gcf.get_all_fig_managers():
        sink.captured.append(figure_output(manager.canvas.figure))
    Gcf.destroy_all()


def figure_output(figure: Any) -> dict[str, str]:
    """One figure as an output: SVG text or base64 PNG, and its alt text."""
    rcParams["svg.hashsalt"] = HASH_SALT
    buffer = io.BytesIO()
    if sink.figure_format == "png":  # drawn at twice the figure's dpi, for sharp screens
        figure.savefig(buffer, format="png", dpi=figure.dpi * 2, bbox_inches="tight")
        data, mime = base64.b64encode(buffer.getvalue()).decode("ascii"), "image/png"
    else:
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
        data, mime = buffer.getvalue().decode("utf-8"), "image/svg+xml"
    return {"mime": mime, "data": data, "alt": figure_title(figure)}


def figure_title(figure: Any) -> str:
    """The figure's title, else its axes' titles (empty when it has none)."""
    suptitle = getattr(figure, "_suptitle", None)
    if suptitle is not None and suptitle.get_text().strip():
        return str(suptitle.get_text().strip())
    titles = [ax.get_title().strip() for ax in figure.get_axes() if ax.get_title().strip()]
    return "; ".join(titles)
