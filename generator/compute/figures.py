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
import re
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
    """The figure's title, else its axes' titles (empty when it has none), as text: a
    title's ``$\\hat{\\theta}$`` reads θ̂ to a screen reader, not as TeX."""
    suptitle = getattr(figure, "_suptitle", None)
    if suptitle is not None and suptitle.get_text().strip():
        return plain_text(str(suptitle.get_text().strip()))
    titles = [ax.get_title().strip() for ax in figure.get_axes() if ax.get_title().strip()]
    return plain_text("; ".join(titles))


GREEK = {
    name: chr(code)
    for name, code in (
        ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4),
        ("epsilon", 0x3B5), ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8), ("iota", 0x3B9),
        ("kappa", 0x3BA), ("lambda", 0x3BB), ("mu", 0x3BC), ("nu", 0x3BD), ("xi", 0x3BE),
        ("pi", 0x3C0), ("rho", 0x3C1), ("sigma", 0x3C3), ("tau", 0x3C4), ("phi", 0x3C6),
        ("chi", 0x3C7), ("psi", 0x3C8), ("omega", 0x3C9), ("Gamma", 0x393), ("Delta", 0x394),
        ("Theta", 0x398), ("Lambda", 0x39B), ("Sigma", 0x3A3), ("Phi", 0x3A6), ("Omega", 0x3A9),
    )
}  # fmt: skip
_ACCENTS = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303", "dot": "\u0307", "vec": "\u20d7"}
_ACCENT = re.compile(
    r"\\(hat|bar|tilde|dot|vec|widehat|overline)\s*(?:\{([^{}]*)\}|(\\[A-Za-z]+|[A-Za-z0-9]))"
)
_WRAPPER = re.compile(r"\\(?:mathrm|textrm|text|mathbf|mathit|mathsf|operatorname)\s*\{([^{}]*)\}")
_COMMAND = re.compile(r"\\([A-Za-z]+)")


def plain_text(title: str) -> str:
    """matplotlib mathtext (``$...$``) in ``title`` as readable Unicode text."""
    if "$" not in title:
        return title

    def accent(found: re.Match[str]) -> str:
        mark = _ACCENTS.get(found.group(1).replace("wide", "").replace("overline", "bar"), "")
        body = found.group(2) if found.group(2) is not None else found.group(3)
        return _COMMAND.sub(lambda m: GREEK.get(m.group(1), m.group(1)), body) + mark

    text = title.replace("$", "")
    text = _WRAPPER.sub(r"\1", text)
    text = _ACCENT.sub(accent, text)
    text = _COMMAND.sub(lambda m: GREEK.get(m.group(1), m.group(1)), text)
    return " ".join(text.replace("{", "").replace("}", "").split())
