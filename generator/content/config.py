"""Content stage: read ``site.yml`` (or Jekyll's ``_config.yml``) into a frozen SiteConfig.

Each known key has one small normalising function; unknown keys in ``site.yml``
are reported (with a suggestion), unknown keys in ``_config.yml`` are kept in
``extra`` (Jekyll configs carry plugin settings we do not use).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from generator.errors import BuildError, Diagnostic, Diagnostics, did_you_mean
from generator.model import SiteConfig
from generator.yamlsafe import YamlProblem, load_yaml

SITE_FILE = "site.yml"
JEKYLL_FILE = "_config.yml"

JEKYLL_PERMALINKS = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}


class ConfigValueError(ValueError):
    """A config value of the wrong shape; the message is shown to the author."""


def _text(value: Any) -> str:
    if isinstance(value, str | int | float):
        return str(value)
    raise ConfigValueError(f"must be text, got {type(value).__name__}")


def _positive_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigValueError(f"must be a positive number, got {value!r}")
    return float(value)


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigValueError(f"must be a positive whole number, got {value!r}")
    return value


def _permalink(value: Any) -> str:
    text = _text(value).strip()
    text = JEKYLL_PERMALINKS.get(text, text)
    if not text.startswith("/"):
        text = "/" + text
    return text


CHECK_KINDS = ("link-text", "heading", "chart-caption", "image-alt", "figure-alt")


def _check(value: Any) -> dict[str, tuple[str, ...]]:
    """``check: {allow: {content/posts/old.md: [link-text, chart-caption]}}``: warnings of
    ``lessonpress check`` a site accepts in a file (a post kept exactly as it was written)."""
    if not isinstance(value, Mapping) or set(value) - {"allow"}:
        raise ConfigValueError("must be a mapping with the key allow")
    allow = value.get("allow") or {}
    if not isinstance(allow, Mapping):
        raise ConfigValueError("allow must map file paths to lists of warning kinds")
    found: dict[str, tuple[str, ...]] = {}
    for path, kinds in allow.items():
        listed = [kinds] if isinstance(kinds, str) else kinds
        if not isinstance(listed, list) or not all(isinstance(k, str) for k in listed):
            raise ConfigValueError(f"allow: {path}: must be a list of warning kinds")
        unknown = [k for k in listed if k not in CHECK_KINDS]
        if unknown:
            raise ConfigValueError(
                f"allow: {path}: unknown warning kind {unknown[0]!r} "
                f"(one of {', '.join(CHECK_KINDS)})"
            )
        found[str(path)] = tuple(listed)
    return found


DIALECTS = ("commonmark", "kramdown")
# Jekyll's markdown: setting -> our dialect (jekyll-commonmark and its GitHub Pages flavour
# are CommonMark + GFM).
JEKYLL_MARKDOWN = {
    "kramdown": "kramdown",
    "commonmark": "commonmark",
    "commonmarkghpages": "commonmark",
    "gfm": "commonmark",
}


def _dialect(value: Any) -> str:
    text = _text(value).strip().lower()
    if text not in DIALECTS:
        raise ConfigValueError(
            f"must be one of {', '.join(DIALECTS)}, got {value!r}{did_you_mean(text, DIALECTS)}"
        )
    return text


def _jekyll_markdown(value: Any) -> str:
    text = _text(value).strip()
    found = JEKYLL_MARKDOWN.get(text.lower())
    if found is None:
        raise ConfigValueError(
            f"Markdown processor {text!r} is not one lessonpress has: use kramdown or CommonMark"
        )
    return found


def split_base_url(value: str) -> tuple[str, str]:
    """``https://x.org/lessons`` -> (``https://x.org``, ``/lessons/``); ``/a`` -> ("", "/a/")."""
    parts = urlsplit(value.strip())
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    path = parts.path if origin else value.strip()
    path = "/" + path.strip("/") + "/" if path.strip("/") else "/"
    return origin, path


# site.yml key -> (SiteConfig field, normaliser)
SITE_KEYS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "title": ("title", _text),
    "description": ("description", _text),
    "author": ("author", _text),
    "permalink": ("permalink", _permalink),
    "timeout": ("timeout", _positive_number),
    "float_digits": ("float_digits", _positive_int),
    "inline_data_limit": ("inline_data_limit", _positive_int),
    "interact_frames": ("interact_frames", _positive_int),
    "check": ("check_allow", _check),
    "compute_memory_mb": ("compute_memory_mb", _positive_int),
    "markdown": ("markdown", _dialect),
}


def load_config(root: Path) -> SiteConfig:
    """Read the site's config; raises BuildError with every problem found."""
    site_file = root / SITE_FILE
    if site_file.is_file():
        return _load(site_file, SITE_FILE, jekyll=False)
    jekyll_file = root / JEKYLL_FILE
    if jekyll_file.is_file():
        return _load(jekyll_file, JEKYLL_FILE, jekyll=True)
    return SiteConfig()


def _load(path: Path, rel: str, *, jekyll: bool) -> SiteConfig:
    diags = Diagnostics()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BuildError(
            [Diagnostic(rel, 0, f"not valid UTF-8 ({exc.reason})", code="config")]
        ) from None
    try:
        data, lines = load_yaml(text)
    except YamlProblem as exc:
        raise BuildError([Diagnostic(rel, exc.line, exc.message, code="config")]) from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise BuildError(
            [Diagnostic(rel, 1, "config must be a mapping of keys to values", code="config")]
        )
    values: dict[str, Any] = {"config_file": rel}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        line = lines.get(str(key), 1)
        if jekyll:
            _jekyll_key(str(key), value, values, extra, rel, line, diags)
        else:
            _site_key(str(key), value, values, rel, line, diags)
    diags.raise_if_errors()
    values["extra"] = extra
    return SiteConfig(**values)


def _site_key(
    key: str, value: Any, values: dict[str, Any], rel: str, line: int, diags: Diagnostics
) -> None:
    if key == "base_url":
        try:
            values["url"], values["base_path"] = split_base_url(_text(value))
        except ConfigValueError as exc:
            diags.error(rel, line, f"'{key}' {exc}", code="config")
        return
    if key == "url":
        try:
            values["url"] = _text(value).rstrip("/")
        except ConfigValueError as exc:
            diags.error(rel, line, f"'{key}' {exc}", code="config")
        return
    known = SITE_KEYS.get(key)
    if known is None:
        choices = [*SITE_KEYS, "base_url", "url"]
        suffix = did_you_mean(key, choices)
        diags.error(rel, line, f"unknown key '{key}' in {SITE_FILE}{suffix}", code="config")
        return
    field, normalise = known
    try:
        values[field] = normalise(value)
    except ConfigValueError as exc:
        diags.error(rel, line, f"'{key}' {exc}", code="config")


def _jekyll_key(
    key: str,
    value: Any,
    values: dict[str, Any],
    extra: dict[str, Any],
    rel: str,
    line: int,
    diags: Diagnostics,
) -> None:
    field = {"title": "title", "name": "title", "description": "description"}.get(key)
    try:
        if field and value is not None:
            if key == "name" and "title" in values:
                return
            values[field] = _text(value)
        elif key == "author" and value is not None:
            values["author"] = _text(value.get("name", "") if isinstance(value, Mapping) else value)
        elif key == "url" and value:
            values["url"] = _text(value).rstrip("/")
        elif key == "baseurl" and value:
            values["base_path"] = split_base_url(_text(value))[1]
        elif key == "permalink" and value:
            values["permalink"] = _permalink(value)
        elif key == "markdown" and value:
            values["markdown"] = _jekyll_markdown(value)
        else:
            extra[key] = value
    except ConfigValueError as exc:
        diags.error(rel, line, f"'{key}' {exc}", code="config")
