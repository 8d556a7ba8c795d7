"""Content stage: a file's ``---`` YAML front matter, and each known key normalised.

The YAML is read by the one safe loader (:mod:`generator.yamlsafe`); each known key has
one small normalising function; unknown keys are kept for templates (``extra``), with a
warning when they look like a misspelt known key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from generator.errors import Diagnostics, closest
from generator.yamlsafe import YamlProblem, load_yaml

DATE_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M %z", "%Y-%m-%d %H:%M")
KNOWN_KEYS = {
    "title", "date", "layout", "tags", "tag", "categories", "category", "order", "permalink",
    "slug", "draft", "published", "description", "excerpt", "series", "inputs", "seed", "timeout",
    "execute", "shell", "figure_format",
}  # fmt: skip


@dataclass(frozen=True)
class FrontMatter:
    data: Mapping[str, Any]
    lines: Mapping[str, int]  # key -> .md line
    body: str
    body_line: int
    present: bool


class FrontMatterError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def split_front_matter(text: str, first_line: int = 1) -> FrontMatter:
    """Split ``---`` YAML front matter from the body; lines are 1-based .md lines
    (``first_line`` is the line ``text`` starts on: a notebook cell's is not 1)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return FrontMatter({}, {}, text, first_line, False)
    for end in range(1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            break
    else:
        raise FrontMatterError(
            first_line, f"front matter opened with '---' on line {first_line} is never closed"
        )
    try:
        data, key_lines = load_yaml("\n".join(lines[1:end]), first_line=first_line + 1)
    except YamlProblem as exc:
        raise FrontMatterError(exc.line, exc.message) from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise FrontMatterError(
            first_line + 1, f"front matter must be a mapping of keys, got a {_kind(data)}"
        )
    body = "\n".join(lines[end + 1 :])
    return FrontMatter(data, key_lines, body, end + first_line + 1, True)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


class FieldError(ValueError):
    pass


def _text(key: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        raise FieldError(f"'{key}' must be text, got {value!r}")
    if isinstance(value, int | float):
        raise FieldError(f"'{key}' must be text, got {value!r} (quote it: {key}: \"{value}\")")
    raise FieldError(f"'{key}' must be text, got a {_kind(value)}")


def _words(key: str, value: Any) -> tuple[str, ...]:
    """Tags/categories: a list, or Jekyll's space-separated string."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v for v in value.replace(",", " ").split() if v)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return tuple(str(v).strip() for v in value if str(v).strip())
    raise FieldError(f"'{key}' must be a list of words, got a {_kind(value)}")


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldError(f"'{key}' must be a number, got {value!r}")
    return float(value)


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldError(f"'{key}' must be true or false, got {value!r}")
    return value


def _date(key: str, value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            pass
        for fmt in DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
    raise FieldError(f"'{key}' is not a date: {value!r} (use YYYY-MM-DD)")


@dataclass
class Fields:
    """Mutable scratch space while normalising one file's front matter."""

    values: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def normalise(fm: FrontMatter, rel: str, diags: Diagnostics) -> Fields | None:
    result = Fields()
    ok = True
    for key, value in fm.data.items():
        key = str(key)
        line = fm.lines.get(key, 1)
        if key not in KNOWN_KEYS:
            hint = closest(key, sorted(KNOWN_KEYS), cutoff=0.8)
            if hint and hint not in fm.data:
                diags.warning(
                    rel, line, f"unknown key '{key}' (did you mean '{hint}'?)", code="content"
                )
            result.extra[key] = value
            continue
        try:
            result.values[key] = _normalise_field(key, value)
        except FieldError as exc:
            diags.error(rel, line, str(exc), code="content")
            ok = False
    return result if ok else None


def _normalise_field(key: str, value: Any) -> Any:
    if key in ("tags", "tag", "categories", "category"):
        return _words(key, value)
    if key in ("order", "timeout"):
        number = _number(key, value)
        if key == "timeout" and number <= 0:
            raise FieldError(f"'timeout' must be positive, got {value!r}")
        return number
    if key in ("draft", "published", "execute", "shell"):
        return _bool(key, value)
    if key == "date":
        return _date(key, value)
    if key == "seed":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise FieldError(f"'seed' must be a whole number ≥ 0, got {value!r}")
        return value
    if key == "inputs":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise FieldError("'inputs' must be a list of file paths")
        return tuple(value)
    if key == "figure_format":
        wanted = _text(key, value).strip().lower()
        if wanted not in ("svg", "png", "retina"):
            raise FieldError(f"'figure_format' must be svg or png, got {value!r}")
        return "svg" if wanted == "svg" else "png"
    return _text(key, value)
