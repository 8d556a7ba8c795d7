"""Compute stage, worker side: where a running cell's rich outputs collect.

Figures (:mod:`generator.compute.figures`) and, in notebooks, IPython's ``display()``
and last-expression hook (:mod:`generator.compute.rich`) append here, in the order
they are made: ``{"mime", "data" (base64 for images other than SVG), "alt"}``. The
worker takes them when the cell ends.
"""

from __future__ import annotations

captured: list[dict[str, str]] = []
# Widgets a cell displayed that need a live kernel (a slider shown on its own), by name.
dropped: list[str] = []
# How figures are drawn: "svg", or "png" at twice the figure's dpi (asked for by a
# notebook's %config InlineBackend.figure_format = 'retina').
figure_format = "svg"


def drain() -> list[dict[str, str]]:
    """The running cell's outputs, leaving none for the next cell."""
    found = list(captured)
    captured.clear()
    return found


def drain_dropped() -> list[str]:
    """The live widgets the running cell displayed, each named once."""
    found = list(dict.fromkeys(dropped))
    dropped.clear()
    return found
