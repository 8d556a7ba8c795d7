"""Compute stage, worker side: a cell's rich outputs, and IPython's behaviour for notebooks.

Every post's cells get figures (:mod:`generator.compute.figures`). A notebook's cells
also behave as in Jupyter, by IPython's own machinery: an ``InteractiveShell`` turns
``%magics`` and ``!commands`` into calls (its input transformer), shows the value of a
cell's last expression (its display hook and formatters: ``_repr_html_``, pandas'
tables, ``_repr_svg_``, ``_repr_latex_``...), and ``display()`` publishes through it.
Here its publisher and hook collect those outputs instead of printing them. A
Markdown post never imports IPython.

Outputs go to :mod:`generator.compute.sink`.
"""

from __future__ import annotations

import ast
import base64
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from generator.compute import sink
from generator.outputs import INTERACT, best_display

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# Widgets that only hold others (Jupyter's video tabs, output areas): what they hold shows.
CONTAINERS = {"Tab", "Accordion", "Stack", "Box", "HBox", "VBox", "GridBox", "Output"}
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]{6,}>")
_NO_INSTALL = (
    "installing packages while the site builds is not allowed: add them to its environment"
)
BLOCKED_MAGICS = {"pip": _NO_INSTALL, "conda": _NO_INSTALL, "mamba": _NO_INSTALL}


def add_bundle(data: Mapping[str, Any], metadata: Mapping[str, Any] | None = None) -> None:
    """Keep the best form of a Jupyter mime bundle (``{mime: data}``).

    A widget (an ipywidgets slider, tab or output area) needs a live kernel: its text form
    (``Tab(children=...)``) says nothing to a reader, so it is not shown; what its outputs
    displayed is. A default ``repr`` shows a memory address that changes from run to run:
    it is left out, so the page is the same every build."""
    if INTERACT in data:  # an interact, precomputed (generator.compute.frames)
        sink.captured.append({"mime": INTERACT, "data": str(data[INTERACT]), "alt": ""})
        return
    if WIDGET_VIEW in data:
        name = str(data.get("text/plain", "")).split("(", 1)[0].strip()
        if name and name not in CONTAINERS:  # a container's contents show without it
            sink.dropped.append(name)
        return
    found = best_display(data, metadata)
    if found is not None:
        value = _ADDRESS.sub(">", found.data) if found.mime == "text/plain" else found.data
        sink.captured.append({"mime": found.mime, "data": value, "alt": found.alt})


class ShellCommandError(RuntimeError):
    pass


class Notebook:
    """An IPython shell over a notebook's namespace, its outputs going to the sink."""

    def __init__(self, namespace: dict[str, Any], ipython_dir: Path, *, shell: bool) -> None:
        os.environ["IPYTHONDIR"] = str(ipython_dir)  # not the author's ~/.ipython
        from IPython.core.displayhook import DisplayHook
        from IPython.core.displaypub import DisplayPublisher
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets import Type
        from traitlets.config import Config

        class Publisher(DisplayPublisher):
            def publish(self, data: Any, metadata: Any = None, *args: Any, **kwargs: Any) -> None:
                add_bundle(data, metadata)

            def clear_output(self, wait: bool = False) -> None:
                return None

        class Hook(DisplayHook):
            def start_displayhook(self) -> None:
                return None

            def write_output_prompt(self) -> None:
                return None

            def write_format_data(self, format_dict: Any, md_dict: Any = None) -> None:
                add_bundle(format_dict, md_dict)

            def finish_displayhook(self) -> None:
                return None

        class Shell(InteractiveShell):
            displayhook_class = Type(Hook)
            display_pub_class = Type(Publisher)

        config = Config()
        config.HistoryManager.enabled = False
        config.InteractiveShell.colors = "NoColor"
        made: Any = Shell.instance(config=config, user_ns=namespace)
        self.shell = made
        if not shell:  # ``shell: true`` in the front matter lets !commands run
            self.shell.system = self.shell.getoutput = _no_shell
        line_magics = self.shell.magics_manager.magics["line"]
        self._original_config = line_magics["config"]
        # Figures are always shown inline: %matplotlib inline says what already happens.
        line_magics["matplotlib"] = lambda line="": None
        line_magics["config"] = self._config
        for name, reason in BLOCKED_MAGICS.items():
            line_magics[name] = _blocked(reason)
        formatters = self.shell.display_formatter.formatters
        for mime in ("image/svg+xml", "image/png"):
            formatters[mime].for_type_by_name("matplotlib.figure", "Figure", _figure(mime))

    def transform(self, source: str) -> str:
        """The cell as Python: magics and ``!commands`` become calls (lines kept)."""
        result: str = self.shell.transform_cell(source)
        return result

    def show(self, value: Any) -> None:
        """What Jupyter shows for a cell whose last line is the expression ``value``."""
        self.shell.displayhook(value)

    def _config(self, line: str = "") -> Any:
        """``%config``: the inline backend's figure format is ours to follow."""
        name, _, value = line.partition("=")
        if name.strip().startswith("InlineBackend.figure_format"):
            wanted = value.strip().strip("'\"{}[] ").lower()
            sink.figure_format = "png" if wanted in ("png", "retina", "png2x") else "svg"
            return None
        return self._original_config(line)


def _figure(mime: str) -> Any:
    def render(figure: Any) -> Any:
        from generator.compute.figures import figure_output

        made = figure_output(figure)
        if made["mime"] != mime:
            return None
        data = made["data"] if mime == "image/svg+xml" else base64.b64decode(made["data"])
        return data, {"alt": made["alt"]}

    return render


def _no_shell(*args: Any, **kwargs: Any) -> Any:
    raise ShellCommandError(
        "shell commands (!...) do not run while the site builds: do that work in Python, "
        "or set shell: true in the front matter"
    )


def _blocked(reason: str) -> Any:
    def magic(line: str = "") -> None:
        raise ShellCommandError(reason)

    return magic


def once_per_message(logger: str) -> None:
    """Let ``logger`` say each distinct message once (``findfont: Font family 'xkcd' not
    found`` comes thousands of times from one ``plt.xkcd()`` figure)."""
    import logging

    seen: set[str] = set()

    def first_time(record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message in seen:
            return False
        seen.add(message)
        return True

    logging.getLogger(logger).addFilter(first_time)


def shows_value(tree: ast.Module, source: str) -> bool:
    """Jupyter shows a cell's last expression, unless a ``;`` ends the cell."""
    return (
        bool(tree.body)
        and isinstance(tree.body[-1], ast.Expr)
        and not (source.rstrip().endswith(";"))
    )
