"""Diagnostics shared by every stage.

An author's mistake is a :class:`Diagnostic` (``path:line: message``), never a
traceback. Stages collect diagnostics and the orchestrator reports them all at
once; :class:`BuildError` carries a batch of them across a stage boundary.
This module knows nothing about any stage.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, TextIO

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in one file. ``line`` is 1-based; 0 means the whole file."""

    path: str
    line: int
    message: str
    severity: Severity = "error"
    # A stable rule id ("content", "chart", "compute-frozen-missing", ...): tools match it,
    # never the message text, which may change.
    code: str = field(default="", kw_only=True, compare=False)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_json(self) -> dict[str, str | int]:
        """The form editors and CI annotations read (``--diagnostics json``)."""
        return {
            "path": self.path,
            "line": self.line,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }


def print_diagnostics(
    diagnostics: Sequence[Diagnostic],
    *,
    quiet: bool = False,
    form: Literal["text", "json"] = "text",
    stream: TextIO | None = None,
) -> None:
    """All diagnostics, errors first: each as ``path:line: message``, or one JSON object a line."""
    out = sys.stderr if stream is None else stream
    shown = sorted(diagnostics, key=lambda d: (not d.is_error, d.path, d.line))
    for diag in shown:
        if quiet and not diag.is_error:
            continue
        print(json.dumps(diag.to_json()) if form == "json" else str(diag), file=out)


def closest(word: object, choices: Iterable[object], *, cutoff: float = 0.6) -> str | None:
    """The choice an author most likely meant by ``word``, or None.

    Near spellings first (difflib), then slips of case or separators ("xLabel", "x-label").
    """
    options = [str(c) for c in choices]
    match = difflib.get_close_matches(str(word), options, n=1, cutoff=cutoff)
    if match:
        return match[0]
    folded = {_fold(o): o for o in options}
    return folded.get(_fold(str(word)))


def did_you_mean(word: object, choices: Iterable[object], *, cutoff: float = 0.6) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or ``""``."""
    hint = closest(word, choices, cutoff=cutoff)
    return f" (did you mean '{hint}'?)" if hint else ""


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


class BuildError(Exception):
    """Raised by a stage that cannot go on; carries every diagnostic found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


@dataclass
class Diagnostics:
    """A collector: stages append, the orchestrator reads them all at the end."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, path: str, line: int, message: str, *, code: str) -> None:
        self.items.append(Diagnostic(path, line, message, "error", code=code))

    def warning(self, path: str, line: int, message: str, *, code: str) -> None:
        self.items.append(Diagnostic(path, line, message, "warning", code=code))

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.items.extend(diagnostics)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.is_error]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise BuildError(self.items)
