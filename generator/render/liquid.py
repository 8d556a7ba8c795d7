"""Render stage: the small Liquid subset that Jekyll post bodies use.

A text pre-pass over a post body, before math and Markdown. It knows
``raw``, ``comment``, ``highlight`` (Pygments, stashed behind an ``LPHL0001X``
token restored by :func:`generator.placeholders.restore`), ``include``,
``include_relative`` and plain ``{{ page.x }}`` / ``{{ site.x }}`` lookups with a
few string filters. Nothing is ever evaluated as code: any other tag is a
warning and stays in the page as text. Line counts are kept where Liquid removes
text (comments, highlight blocks) so later passes report real .md lines; an
include adds the included file's lines. Knows nothing about templates or output.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from generator.errors import Diagnostic
from generator.placeholders import put
from generator.render.texmath import continuation_indent, in_list_item

MAX_INCLUDE_DEPTH = 10
_UNSUPPORTED = object()  # a variable we do not know: the tag stays as text

_TAG = re.compile(
    r"\{%-?[ \t\n]*(?P<name>[A-Za-z_]\w*)?(?P<args>(?:(?!\{%).)*?)-?%\}"
    r"|\{\{-?(?P<expr>(?:(?!\{[{%]).)*?)-?\}\}",
    re.S,
)
_END = {
    name: re.compile(rf"\{{%-?\s*end{name}\s*-?%\}}") for name in ("raw", "comment", "highlight")
}
_HIGHLIGHT_ARGS = re.compile(
    r"\s*([\w+#.-]+)((?:\s+[\w-]+(?:=(?:\"[^\"]*\"|'[^']*'|[\w-]+))?)*)\s*\Z"
)
_OPTION = re.compile(r"([\w-]+)(?:=(?:\"([^\"]*)\"|'([^']*)'|([\w-]+)))?")
_INCLUDE_ARGS = re.compile(r"\s*(?P<file>\{\{.*?\}\}|[^\s{}]+)(?P<params>.*)\Z", re.S)
_PARAM = re.compile(r"\s*([\w-]+)\s*=\s*(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[\w.\[\]\"'-]+)")
_PATH = re.compile(r"([A-Za-z_][\w-]*)((?:\.[\w-]+|\[\s*(?:\d+|\"[^\"]*\"|'[^']*')\s*\])*)\Z")
_STEP = re.compile(r"\.([\w-]+)|\[\s*(\d+)\s*\]|\[\s*\"([^\"]*)\"\s*\]|\[\s*'([^']*)'\s*\]")
_LITERAL = re.compile(r"\"([^\"]*)\"|'([^']*)'|(-?\d+(?:\.\d+)?)\Z")
_FILTER_SPLIT = re.compile(r"\"[^\"]*\"|'[^']*'|\||[^\"'|]+")
_LEXER_ALIASES = {
    "plaintext": "text",
    "plain": "text",
    "none": "text",
    "nohighlight": "text",
    "no-highlight": "text",
    "txt": "text",
    "terminal": "console",
    "yml": "yaml",
}


@dataclass(frozen=True)
class _Scope:
    """What Liquid can see while rendering one file (a post or an include)."""

    path: str
    page: Mapping[str, Any]
    site: Mapping[str, Any]
    include_dirs: tuple[Path, ...]
    base_dir: Path  # include_relative is relative to this folder
    site_root: Path
    stash: dict[str, str]
    include: Mapping[str, Any] | None = None
    depth: int = 0


def render_liquid(
    text: str,
    *,
    path: str,
    first_line: int,
    page: Mapping[str, Any],
    site: Mapping[str, Any],
    include_dirs: Sequence[Path],
    post_dir: Path,
    site_root: Path,
    stash: dict[str, str],
) -> tuple[str, list[Diagnostic]]:
    """Render the Liquid in a post body; ``first_line`` is the .md line of ``text``'s first line.

    Never raises on any text: problems are diagnostics (warnings for unsupported
    Liquid, errors for missing or unsafe includes and unclosed blocks).
    """
    scope = _Scope(path, page, site, tuple(include_dirs), post_dir, site_root, stash)
    run = _Run(text, first_line, scope)
    return run.render(), run.diagnostics


@dataclass
class _Run:
    """One left-to-right pass over one file's text."""

    text: str
    first_line: int
    scope: _Scope
    out: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def render(self) -> str:
        pos = 0
        while (match := _TAG.search(self.text, pos)) is not None:
            self.out.append(self.text[pos : match.start()])
            if match.group(0).startswith(("{%-", "{{-")):
                self._strip_output()
            pos = self._tag(match)
            if match.group(0).endswith(("-%}", "-}}")) and pos == match.end():
                pos = len(self.text) - len(self.text[pos:].lstrip())
        self.out.append(self.text[pos:])
        return "".join(self.out)

    def line(self, pos: int) -> int:
        return self.first_line + self.text.count("\n", 0, pos)

    def warn(self, pos: int, message: str) -> None:
        self.diagnostics.append(
            Diagnostic(self.scope.path, self.line(pos), message, "warning", code="liquid")
        )

    def error(self, pos: int, message: str) -> None:
        self.diagnostics.append(
            Diagnostic(self.scope.path, self.line(pos), message, "error", code="liquid")
        )

    def _strip_output(self) -> None:
        done = "".join(self.out).rstrip()
        self.out[:] = [done]

    def _tag(self, match: re.Match[str]) -> int:
        """Render one tag or output; return where the text goes on."""
        if match.group("name") is None and match.group("expr") is not None:
            self.out.append(self._output(match.group("expr"), match.start(), match.group(0)))
            return match.end()
        name = match.group("name") or ""
        args = match.group("args") or ""
        if name in _END:
            return self._block(name, args, match)
        if name in ("include", "include_relative"):
            self.out.append(self._include(name, args, match.start()))
            return match.end()
        self.warn(match.start(), f"unsupported Liquid tag '{name or match.group(0)}'")
        self.out.append(match.group(0))
        return match.end()

    def _block(self, name: str, args: str, match: re.Match[str]) -> int:
        end = _END[name].search(self.text, match.end())
        if end is None:
            self.error(match.start(), f"'{name}' tag was never closed")
            self.out.append(self.text[match.end() :] if name == "raw" else match.group(0))
            return len(self.text) if name == "raw" else match.end()
        body = self.text[match.end() : end.start()]
        after = end.end()
        if end.group(0).endswith("-%}"):
            after = len(self.text) - len(self.text[after:].lstrip())
        if name == "raw":
            self.out.append(body)
        elif name == "comment":
            self.out.append("\n" * self.text.count("\n", match.start(), end.end()))
        else:
            return self._place_block(
                self._highlight(args, body, match.start()), match.start(), end.end()
            )
        return after

    def _highlight(self, args: str, body: str, pos: int) -> str:
        parsed = _HIGHLIGHT_ARGS.match(args)
        if parsed is None:
            self.warn(pos, f"highlight tag needs a language: '{{% highlight{args}%}}'")
            language, options = "text", ""
        else:
            language, options = parsed.group(1), parsed.group(2)
        linenos, marked = False, ""
        for option in _OPTION.finditer(options):
            value = option.group(2) or option.group(3) or option.group(4) or ""
            if option.group(1) == "linenos":
                linenos = True
            elif option.group(1) == "mark_lines":
                marked = value
        code = re.sub(r"\A(?:\r?\n)+|(?:\r?\n)+\Z", "", body)
        rendered, known = highlight_code(code, language.lower(), linenos, marked)
        if not known:
            self.warn(pos, f"unknown highlight language '{language}', shown as plain text")
        return rendered

    def _place_block(self, block_html: str, start: int, end: int) -> int:
        """Put a block token in its own paragraph, keeping indentation and the line count.

        In a list item the token is a lazy continuation line instead (a blank line
        would end the item), which loses the block's lines from the count.
        Returns where the text goes on (text after the end tag moves to its own line).
        """
        done = "".join(self.out)
        line_start = done.rfind("\n") + 1
        head = done[line_start:]
        lazy = in_list_item(done, line_start)
        indent = continuation_indent(head)
        added = 0
        if head.strip():
            done += ("\n" if lazy else "\n\n") + indent
            added = 2
        elif not lazy and line_start > 0 and _last_line(done[: line_start - 1]).strip():
            done = done[:line_start] + "\n" + head
            added = 1
        token = put(self.scope.stash, "HL", block_html).token
        padding = 0 if lazy else max(self.text.count("\n", start, end) - added, 1)
        self.out[:] = [done, token, "\n" * padding]
        tail_end = self.text.find("\n", end)
        tail = self.text[end : len(self.text) if tail_end < 0 else tail_end]
        if not tail.strip():
            return end
        self.out.append("\n" + indent if lazy else indent)
        return end + len(tail) - len(tail.lstrip())

    def _include(self, name: str, args: str, pos: int) -> str:
        parsed = _INCLUDE_ARGS.match(args)
        if parsed is None:
            self.error(pos, f"{name} tag needs a file name")
            return ""
        file = parsed.group("file")
        if file.startswith("{{"):
            file = html.unescape(self._output(file[2:-2], pos, ""))
        file = file.strip("\"'")
        params = self._params(parsed.group("params"), pos)
        dirs = (self.scope.base_dir,) if name == "include_relative" else self.scope.include_dirs
        found = self._resolve(name, file, dirs, pos)
        if found is None:
            return ""
        if self.scope.depth >= MAX_INCLUDE_DEPTH:
            self.error(pos, f"includes nested more than {MAX_INCLUDE_DEPTH} deep at '{file}'")
            return ""
        try:
            content = found.read_text(encoding="utf-8").replace("\r\n", "\n")
        except (OSError, UnicodeDecodeError) as problem:
            self.error(pos, f"cannot read {name} '{file}': {problem}")
            return ""
        inner = replace(
            self.scope,
            path=_display_path(found, self.scope.site_root),
            base_dir=found.parent,
            include=params if name == "include" else self.scope.include,
            depth=self.scope.depth + 1,
        )
        run = _Run(content.removesuffix("\n"), 1, inner)
        rendered = run.render()
        self.diagnostics.extend(run.diagnostics)
        return rendered

    def _params(self, text: str, pos: int) -> dict[str, Any]:
        params: dict[str, Any] = {}
        rest = text
        while rest.strip():
            found = _PARAM.match(rest)
            if found is None:
                self.warn(pos, f"cannot read include parameters '{rest.strip()}'")
                break
            key, raw = found.group(1), found.group(2)
            if raw[0] in "\"'":
                params[key] = raw[1:-1]
            else:
                value = self._lookup(raw, pos)
                params[key] = None if value is _UNSUPPORTED else value
            rest = rest[found.end() :]
        return params

    def _resolve(self, name: str, file: str, dirs: Sequence[Path], pos: int) -> Path | None:
        parts = re.split(r"[/\\]", file)
        if not file or Path(file).is_absolute() or file[0] in "/\\" or re.match(r"[A-Za-z]:", file):
            self.error(pos, f"{name} '{file}' must be a relative path inside the site")
            return None
        if ".." in parts or "\x00" in file:
            self.error(pos, f"{name} '{file}' escapes the site folder ('..' is not allowed)")
            return None
        root = self.scope.site_root.resolve()
        for folder in dirs:
            try:
                if not (folder / file).is_file():
                    continue
                resolved = (folder / file).resolve()
                inside = resolved.is_relative_to(root) or resolved.is_relative_to(folder.resolve())
            except (OSError, RuntimeError) as problem:  # name too long, symlink loop
                self.error(pos, f"{name} '{file}' cannot be read: {problem}")
                return None
            if not inside:
                self.error(pos, f"{name} '{file}' escapes the site folder (a symlink)")
                return None
            return resolved
        where = ", ".join(_display_path(d, self.scope.site_root) for d in dirs) or "no folder"
        self.error(pos, f"{name} '{file}' not found in {where}")
        return None

    def _output(self, expr: str, pos: int, shown: str) -> str:
        """``{{ subject | filter: arg }}`` -> escaped text, or the tag itself if unsupported."""
        pieces = _split_filters(expr)
        if pieces is None or not pieces[0].strip():
            self.warn(pos, f"unsupported Liquid expression '{{{{{expr}}}}}'")
            return shown
        subject = pieces[0].strip()
        literal = _LITERAL.match(subject)
        value: Any = _literal(literal) if literal else self._lookup(subject, pos)
        if value is _UNSUPPORTED:
            return shown
        for piece in pieces[1:]:
            value = self._filter(piece, value, pos)
        return html.escape(_text(value))

    def _roots(self) -> dict[str, Any]:
        roots: dict[str, Any] = {"page": self.scope.page, "site": self.scope.site}
        if self.scope.include is not None:
            roots["include"] = self.scope.include
        return roots

    def _lookup(self, subject: str, pos: int) -> Any:
        """The value at ``page.a.b``; ``_UNSUPPORTED`` (with a warning) for other roots."""
        found = _PATH.match(subject.strip())
        roots = self._roots()
        if found is None or found.group(1) not in roots:
            self.warn(pos, f"unsupported Liquid variable '{subject.strip()}'")
            return _UNSUPPORTED
        value: Any = roots[found.group(1)]
        for step in _STEP.finditer(found.group(2)):
            key = step.group(1) or step.group(3) or step.group(4)
            value = _step(value, key if key is not None else int(step.group(2)))
        return value

    def _filter(self, piece: str, value: Any, pos: int) -> Any:
        name, _, arg_text = piece.partition(":")
        name = name.strip()
        args = [self._argument(a, pos) for a in _split_args(arg_text)] if arg_text else []
        apply = _FILTERS.get(name)
        if apply is None:
            self.warn(pos, f"unsupported Liquid filter '{name}' ignored")
            return value
        try:
            return apply(value, args, self.scope.site)
        except (TypeError, ValueError, IndexError) as problem:
            self.warn(pos, f"Liquid filter '{name}' failed: {problem}")
            return value

    def _argument(self, text: str, pos: int) -> Any:
        literal = _LITERAL.match(text.strip())
        if literal:
            return _literal(literal)
        value = self._lookup(text, pos)
        return None if value is _UNSUPPORTED else value


def _literal(match: re.Match[str]) -> str:
    return next(g for g in match.groups() if g is not None)


def _last_line(text: str) -> str:
    return text[text.rfind("\n") + 1 :]


def _split_filters(expr: str) -> list[str] | None:
    chunks = _FILTER_SPLIT.findall(expr)
    if sum(map(len, chunks)) != len(expr):  # an unbalanced quote
        return None
    pieces, current = [], ""
    for chunk in chunks:
        if chunk == "|":
            pieces.append(current)
            current = ""
        else:
            current += chunk
    pieces.append(current)
    if any(not p.strip() for p in pieces[1:]):
        return None
    return pieces


def _split_args(text: str) -> list[str]:
    return [a for a in re.findall(r"\"[^\"]*\"|'[^']*'|[^,\"']+", text) if a.strip()]


def _step(value: Any, key: str | int) -> Any:
    if isinstance(key, int):
        return (
            value[key]
            if isinstance(value, (list, tuple)) and -len(value) <= key < len(value)
            else None
        )
    if isinstance(value, Mapping):
        return value.get(key)
    if isinstance(value, (list, tuple, str)) and key in ("size", "first", "last"):
        if key == "size":
            return len(value)
        return (value[0] if key == "first" else value[-1]) if value else None
    return None


def _text(value: Any) -> str:
    """Liquid's way of printing a value (nil is empty, arrays are concatenated)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S ") + (value.strftime("%z") or "+0000")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "".join(_text(v) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(value, default=str, sort_keys=True)
    return str(value)


def _relative_url(value: Any, site: Mapping[str, Any]) -> str:
    url = _text(value)
    if "://" in url or url.startswith("//"):
        return url
    base = _text(site.get("baseurl")).strip("/")
    return ("/" + base if base else "") + "/" + url.lstrip("/")


def _date(value: Any, args: list[Any]) -> str:
    if value is None or value == "":
        return ""  # Liquid: a date filter on nil prints nothing
    if isinstance(value, str):
        value = (
            dt.datetime.fromisoformat(value.strip())
            if value.strip() != "now"
            else dt.datetime.now()
        )
    if not isinstance(value, dt.date):
        raise ValueError("not a date")
    return value.strftime(_text(args[0]) if args else "%Y-%m-%d")


_Filter = Callable[[Any, list[Any], Mapping[str, Any]], Any]
_FILTERS: dict[str, _Filter] = {
    "relative_url": lambda v, a, s: _relative_url(v, s),
    "absolute_url": lambda v, a, s: _text(s.get("url")).rstrip("/") + _relative_url(v, s),
    "upcase": lambda v, a, s: _text(v).upper(),
    "downcase": lambda v, a, s: _text(v).lower(),
    "capitalize": lambda v, a, s: _text(v).capitalize(),
    "strip": lambda v, a, s: _text(v).strip(),
    "escape": lambda v, a, s: v,  # output is always escaped once
    "xml_escape": lambda v, a, s: v,
    "markdownify": lambda v, a, s: v,  # the body goes through Markdown anyway
    "smartify": lambda v, a, s: v,
    "default": lambda v, a, s: v if v not in (None, "", False, [], {}) else (a[0] if a else ""),
    "size": lambda v, a, s: len(v) if isinstance(v, (str, list, tuple, Mapping)) else 0,
    "append": lambda v, a, s: _text(v) + _text(a[0]),
    "prepend": lambda v, a, s: _text(a[0]) + _text(v),
    "join": lambda v, a, s: (_text(a[0]) if a else " ").join(_text(x) for x in v),
    "slugify": lambda v, a, s: re.sub(r"[^a-z0-9]+", "-", _text(v).lower()).strip("-"),
    "date": lambda v, a, s: _date(v, a),
    "date_to_string": lambda v, a, s: _date(v, ["%d %b %Y"]),
    "date_to_long_string": lambda v, a, s: _date(v, ["%d %B %Y"]),
    "jsonify": lambda v, a, s: json.dumps(v, default=str),
}


def _display_path(path: Path, site_root: Path) -> str:
    try:
        return path.resolve().relative_to(site_root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


@functools.lru_cache(maxsize=1024)
def highlight_code(code: str, language: str, linenos: bool, marked: str = "") -> tuple[str, bool]:
    """Pygments HTML in pymdownx's shape (``div.highlight``); pure, so cached per process.

    Returns ``(html, known)``; an unknown language is highlighted as plain text.
    """
    known = True
    try:
        lexer = get_lexer_by_name(_LEXER_ALIASES.get(language, language))
    except ClassNotFound:
        lexer, known = get_lexer_by_name("text"), False
    lines = [int(n) for n in marked.split() if n.isdigit()]
    formatter = HtmlFormatter(
        cssclass="highlight", wrapcode=True, linenos="table" if linenos else False, hl_lines=lines
    )
    return highlight(code + "\n", lexer, formatter), known
