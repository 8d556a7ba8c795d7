r"""Render stage: TeX math to MathML at build time, behind placeholder tokens.

``protect_math`` runs on a post body before Python-Markdown. Each math span
(``$…$``, ``\(…\)`` inline; ``$$…$$``, ``\[…\]`` display) becomes an
alphanumeric token such as ``LPMATH0001X`` that Markdown leaves alone, and the
MathML goes into a shared ``stash`` (:mod:`generator.placeholders`), whose ``restore``
swaps the HTML back in after Markdown. Code (fenced, spans, ``<pre>``/``<script>``…) is
never touched. This module knows nothing about posts, templates or files.

Dollar rules follow pandoc: an opening ``$`` is followed by a non-space, a
closing ``$`` is preceded by a non-space and not followed by a digit, so "$5 and
$10" stays text. ``$$…$$`` is a display block when it stands on its own lines;
in the middle of a sentence it is inline (kramdown, Jekyll's default, means that).
"""

from __future__ import annotations

import functools
import html
import importlib.util
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from generator import __version__
from generator.errors import Diagnostic
from generator.placeholders import TOKEN, put
from generator.render.fragments import Fragments, fragment_key

# LaTeX to ``(mathml, "")`` or ``("", reason)``.
LatexRenderer = Callable[[str, bool], tuple[str, str]]
MATH_FORMAT = 1  # bump when the MathML made of a formula changes

# --- scanning --------------------------------------------------------------------------

_SCAN = re.compile(
    # A line start or a lookahead naming every other branch's first character: other
    # positions fail at once (three times faster than trying each branch on every
    # character of a post, and linear on lines of 10,000 spaces).
    r"(?:^|(?=[`<{\\$]))"
    r"(?:(?P<fence>^[ \t]*+(?:>[ \t]*+)*+(?P<fchars>`{3,}|~{3,}))"
    r"|(?P<tag><(?P<tname>script|style|pre|code|textarea|math)\b[^>]*>)"
    r"|(?P<comment><!--)"
    r"|(?P<liquid>\{%-?[ \t]*highlight\b)"
    r"|(?P<ticks>`+)"
    r"|(?P<bs>\\+)"
    r"|(?P<dollar>\$\$?))",
    re.M | re.I,
)
# Math environments MathJax typesets without delimiters (its processEnvironments).
_ENV_OPEN = re.compile(
    r"\\begin\{((?:equation|align|flalign|alignat|gather|multline|eqnarray)\*?)\}(?:\{\d+\})?"
)
_CLOSE_TAG = {
    name: re.compile(rf"</{name}\s*>", re.I)
    for name in ("script", "style", "pre", "code", "textarea", "math")
}
_END_HIGHLIGHT = re.compile(r"\{%-?[ \t]*endhighlight[ \t]*-?%\}")
_BLANK_LINE = re.compile(r"\n[ \t>]*\n")
_PREFIX = re.compile(
    r"(?P<quote>[ \t]*(?:>[ \t]*)*)(?P<marker>(?:[-*+]|\d{1,9}[.)])[ \t]+)?[ \t]*\Z"
)

_PREFIX_START = re.compile(r"(?P<quote>[ \t]*(?:>[ \t]*)*)(?P<marker>(?:[-*+]|\d{1,9}[.)])[ \t]+)?")
_LIST_ITEM = re.compile(r"[ \t]*(?:>[ \t]*)*(?:[-*+]|\d{1,9}[.)])[ \t]+\S")

Kind = Literal["inline", "display", "text"]


@dataclass(frozen=True)
class _Span:
    """A piece of the source to replace: math (with its LaTeX) or literal text."""

    start: int
    end: int
    kind: Kind
    payload: str  # LaTeX for math, replacement for text
    delimiter: str = "$"  # "$", "$$", "\\(", "\\["


def protect_math(
    text: str,
    *,
    path: str,
    first_line: int,
    stash: dict[str, str],
    latex: LatexRenderer | None = None,
    environments: bool = False,
    spaced_dollars: bool = False,
) -> tuple[str, list[Diagnostic]]:
    """Replace math in a Markdown ``text`` with placeholder tokens stashed as MathML.

    ``first_line`` is the .md line of ``text``'s first line; diagnostics (LaTeX we
    cannot render) carry real .md lines. Never raises on any input.
    """
    spans = _find_spans(text, environments, spaced_dollars)
    if not spans:
        return text, []
    typeset = latex or render_latex
    diagnostics: list[Diagnostic] = []
    out: list[str] = []
    last = 0
    for span in spans:
        if span.kind == "text":
            out.append(text[last : span.start])
            out.append(span.payload)
            last = span.end
            continue
        own_line = span.kind == "display" and _stands_alone(text, span)
        source = text[span.start : span.end]
        display = span.kind == "display" and (own_line or span.delimiter != "$$")
        mathml, problem = typeset(span.payload, display)
        if problem:
            line = first_line + text.count("\n", 0, span.start)
            shown = source if len(source) <= 60 else source[:57] + "..."
            diagnostics.append(
                Diagnostic(
                    path,
                    line,
                    f"could not render math: {problem} in {shown}",
                    "warning",
                    code="math",
                )
            )
            mathml = f'<code class="math-source">{html.escape(source)}</code>'
        if own_line:
            token = put(stash, "MATH", f'<div class="math-display">{mathml}</div>').token
            last = _emit_display(text, span, token, last, out)
        else:
            out.append(text[last : span.start])
            out.append(put(stash, "MATH", mathml).token)
            last = span.end
    out.append(text[last:])
    return "".join(out), diagnostics


def _stands_alone(text: str, span: _Span) -> bool:
    """Display math with only list/quote markers before it and nothing after on its line."""
    line_start = text.rfind("\n", 0, span.start) + 1
    line_end = _line_end(text, span.end)
    return (
        _PREFIX.match(text, line_start, span.start) is not None
        and not text[span.end : line_end].strip()
    )


def _emit_display(text: str, span: _Span, token: str, last: int, out: list[str]) -> int:
    """Write ``token`` as its own paragraph, keeping list indentation; return the new ``last``.

    Inside a list item the token stays a lazy continuation line instead (a blank
    line and less than four spaces would end the item in Python-Markdown);
    ``restore`` then splits the paragraph around the block.
    """
    line_start = text.rfind("\n", 0, span.start) + 1
    line_end = _line_end(text, span.end)
    head = text[line_start : span.start]
    prefix = _PREFIX.match(head)
    quote = prefix.group("quote").strip() if prefix else ""
    in_list = bool(prefix and prefix.group("marker")) or in_list_item(text, line_start)
    out.append(text[last:line_start])
    if not in_list and line_start > 0 and _has_text(text, _line_start(text, line_start - 1)):
        out.append(quote + "\n")
    out.append(head + token)
    if not in_list and line_end < len(text) and _has_text(text, line_end + 1):
        out.append("\n" + quote)
    return line_end


def in_list_item(text: str, line_start: int) -> bool:
    """Does a list marker start the line at ``line_start`` or one above it, in one paragraph?"""
    if _LIST_ITEM.match(text, line_start):
        return True
    while line_start > 0:
        line_start = _line_start(text, line_start - 1)
        line = text[line_start : _line_end(text, line_start)]
        if not line.strip(" \t>"):
            return False
        if _LIST_ITEM.match(line):
            return True
    return False


def continuation_indent(head: str) -> str:
    """The prefix that continues the block ``head`` starts (list markers become spaces)."""
    found = _PREFIX_START.match(head)
    if found is None:
        return ""
    marker = found.group("marker") or ""
    return found.group("quote") + " " * len(marker)


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end


def _has_text(text: str, line_start: int) -> bool:
    return bool(text[line_start : _line_end(text, line_start)].strip(" \t>"))


def _find_spans(text: str, environments: bool = False, spaced_dollars: bool = False) -> list[_Span]:
    """Math and escapes in ``text``. ``environments``: bare ``\\begin{equation}`` is math;
    ``spaced_dollars``: ``$ x $`` is math, as MathJax in Jupyter reads it."""
    spans: list[_Span] = []
    pos = 0
    while True:
        match = _SCAN.search(text, pos)
        if match is None:
            return spans
        if environments and match.lastgroup == "bs" and text.startswith("\\begin{", match.start()):
            found = _environment(text, match.start())
            if found is not None:
                spans.append(found)
                pos = found.end
                continue
        if spaced_dollars and match.lastgroup == "dollar" and match.end() - match.start() == 1:
            pos = _dollars(text, match.start(), match.end(), spans, spaced=True)
            continue
        pos = _step(text, match, spans)


def _environment(text: str, start: int) -> _Span | None:
    """``\\begin{equation}`` ... ``\\end{equation}`` (align, gather... too) written bare,
    as MathJax in Jupyter reads it: display math."""
    opened = _ENV_OPEN.match(text, start)
    if opened is None:
        return None
    name = opened.group(1)
    close = text.find(f"\\end{{{name}}}", opened.end())
    if close < 0:
        return None
    inner = text[opened.end() : close]
    family = name.rstrip("*")
    if "&" not in inner and "\\\\" not in inner:
        family = "equation"  # one row: its formula alone (and latex2mathml reads more of it)
    if family in ("gather", "multline"):
        inner = f"\\begin{{gathered}}{inner}\\end{{gathered}}"
    elif family != "equation":
        inner = f"\\begin{{aligned}}{inner}\\end{{aligned}}"
    return _Span(start, close + len(name) + 6, "display", inner, "\\[")


def _step(text: str, match: re.Match[str], spans: list[_Span]) -> int:
    """Handle one interesting spot; return where scanning goes on."""
    group = match.lastgroup
    start, end = match.start(), match.end()
    if group == "fence":
        return _skip_fence(text, match)
    if group == "tag":
        closing = _CLOSE_TAG[match.group("tname").lower()].search(text, end)
        if closing:
            return closing.end()
        return len(text) if match.group("tname").lower() in ("script", "style") else end
    if group == "comment":
        close = text.find("-->", end)
        return end if close < 0 else close + 3
    if group == "liquid":
        closing = _END_HIGHLIGHT.search(text, end)
        return closing.end() if closing else end
    if group == "ticks":
        return _skip_code_span(text, start, end)
    if group == "bs":
        return _backslashes(text, start, end, spans)
    return _dollars(text, start, end, spans)


def _skip_fence(text: str, match: re.Match[str]) -> int:
    chars = match.group("fchars")
    closing = re.compile(rf"^[ \t]*(?:>[ \t]*)*{re.escape(chars[0])}{{{len(chars)},}}[ \t]*$", re.M)
    found = closing.search(text, _line_end(text, match.end()))
    return found.end() if found else len(text)


def _skip_code_span(text: str, start: int, end: int) -> int:
    # Python-Markdown code spans: a run of n backticks up to the next run of n on the same line.
    closing = re.compile(rf"(?<!`){'`' * (end - start)}(?!`)")
    found = closing.search(text, end, _line_end(text, end))
    return found.end() if found else end


def _backslashes(text: str, start: int, end: int, spans: list[_Span]) -> int:
    count = end - start
    after = text[end : end + 1]
    if count <= 2 and after in ("(", "["):
        # \( \[ and the \\( \\[ that kramdown users write to get \( past Markdown.
        opener = text[start : end + 1]
        closer = opener[:-1] + (")" if after == "(" else "]")
        found = _close_math(text, end + 1, closer)
        if found is not None:
            kind: Kind = "inline" if after == "(" else "display"
            spans.append(_Span(start, found + len(closer), kind, text[end + 1 : found], opener))
            return found + len(closer)
    if count % 2 == 1 and after:
        if after == "$":
            spans.append(_Span(end - 1, end + 1, "text", "$"))
        return end + 1
    return end


def _dollars(text: str, start: int, end: int, spans: list[_Span], spaced: bool = False) -> int:
    if end - start == 2:
        found = _close_math(text, end, "$$")
        if found is None or not text[end:found].strip():
            return end
        spans.append(_Span(start, found + 2, "display", text[end:found], "$$"))
        return found + 2
    if end >= len(text) or (text[end].isspace() and not spaced):
        return end
    found = _close_inline_dollar(text, end, spaced)
    if found is None:
        return end
    spans.append(_Span(start, found + 1, "inline", text[end:found], "$"))
    return found + 1


def _close_math(text: str, begin: int, closer: str) -> int | None:
    """Index of the unescaped ``closer`` before the next blank line, if the content is math."""
    limit = _paragraph_end(text, begin)
    pos = begin
    while True:
        found = text.find(closer, pos, limit)
        if found < 0:
            return None
        if not _escaped(text, found):
            return None if TOKEN.search(text, begin, found) else found
        pos = found + 1


def _close_inline_dollar(text: str, begin: int, spaced: bool = False) -> int | None:
    # pandoc: the first unescaped "$" ends the span; it must follow a non-space and
    # precede no digit, otherwise there is no math at all ("$5 and $10").
    limit = _paragraph_end(text, begin)
    found = text.find("$", begin, limit)
    while found > 0 and _escaped(text, found):
        found = text.find("$", found + 1, limit)
    if found <= begin or text[found + 1 : found + 2].isdigit():
        return None
    if not text[begin:found].strip() or (text[found - 1].isspace() and not spaced):
        return None
    return None if TOKEN.search(text, begin, found) else found


def _paragraph_end(text: str, begin: int) -> int:
    blank = _BLANK_LINE.search(text, begin)
    return blank.start() if blank else len(text)


def _escaped(text: str, pos: int) -> bool:
    count = 0
    while pos - count - 1 >= 0 and text[pos - count - 1] == "\\":
        count += 1
    return count % 2 == 1


# --- LaTeX -> MathML -------------------------------------------------------------------

_COMMENT = re.compile(r"(?<!\\)%[^\n]*")
_ARG_OP = re.compile(
    r"\\(?:operatorname\*?|operatornamewithlimits|mathop|mathrm|text|textrm)\s*\{\s*"
    r"(?:\\(?:mathrm|rm|text|textrm|operatorname\*?)\s*)?\{?\s*"
    r"arg\s*(?:\\[,;:! ]|~|\s)*(max|min)\s*\}?\s*\}"
)
_ARG_MAX = re.compile(r"\\arg\s*\\(max|min)(?![A-Za-z])")
_ARG = re.compile(r"\\arg(?![A-Za-z])")
_OPNAME_STAR = re.compile(r"\\operatorname\*")
_OPNAME_SPACED = re.compile(r"\\operatorname\s*\{([^{}]*[^A-Za-z{}][^{}]*)\}")
_DROP = re.compile(r"\\label\s*\{[^{}]*\}|\\nonumber\b|\\notag\b")
_RENAME = (
    (re.compile(r"\\bm(?![A-Za-z])"), r"\\boldsymbol"),
    (re.compile(r"\\sim(?![A-Za-z])"), r"\\thicksim"),  # latex2mathml's \sim is a "~" <mi>
    (re.compile(r"\\\\\s*\[[-+0-9.]+\s*[a-z]{2}\]"), r"\\\\"),  # "\\[2pt]" -> "\\"
    (re.compile(r"\\begin\{(aligned|alignedat|eqnarray\*?)\}"), r"\\begin{align*}"),
    (re.compile(r"\\end\{(aligned|alignedat|eqnarray\*?)\}"), r"\\end{align*}"),
    (re.compile(r"\\begin\{(gather\*?|gathered|multline\*?)\}"), r"\\begin{gathered}"),
    (re.compile(r"\\end\{(gather\*?|gathered|multline\*?)\}"), r"\\end{gathered}"),
)
_ENTITY = re.compile(r"&amp;(#x[0-9A-Fa-f]+|#[0-9]+);")
_UNKNOWN = re.compile(r"\\[A-Za-z]+")
_ERRORS = {
    "NoAvailableTokensError": "unbalanced braces or a command missing its argument",
    "MissingSuperScriptOrSubscriptError": "'^' or '_' without an argument",
    "DoubleSubscriptsError": "double subscript",
    "DoubleSuperscriptsError": "double superscript",
    "ExtraLeftOrMissingRightError": r"\left without a matching \right",
    "MissingEndError": r"\begin without a matching \end",
    "NumeratorNotFoundError": "fraction without a numerator",
    "DenominatorNotFoundError": "fraction without a denominator",
    "LimitsMustFollowMathOperatorError": r"\limits must follow an operator",
}


def normalize_latex(latex: str) -> str:
    r"""Rewrite what latex2mathml lacks into what it knows (``\arg\max`` -> ``\argmax``...)."""
    latex = _COMMENT.sub("", latex)
    latex = _ARG_OP.sub(r"\\arg\1", latex)
    latex = _ARG_MAX.sub(r"\\arg\1", latex)
    latex = _ARG.sub(r"\\operatorname{arg}", latex)
    latex = _OPNAME_STAR.sub(r"\\operatorname", latex)
    latex = _OPNAME_SPACED.sub(r"\\mathop{\\mathrm{\1}}", latex)
    latex = _DROP.sub("", latex)
    for pattern, replacement in _RENAME:
        latex = pattern.sub(replacement, latex)
    return latex.strip()


@functools.lru_cache(maxsize=8192)
def render_latex(latex: str, display: bool) -> tuple[str, str]:
    """``(mathml, "")`` or ``("", reason)``; pure, so cached for the whole process."""
    import xml.etree.ElementTree as ET

    from latex2mathml.converter import convert_to_element  # ~40 ms: only when math is drawn

    source = normalize_latex(latex)
    try:
        element = convert_to_element(source, display="block" if display else "inline")
    except RecursionError:
        return "", "nesting too deep"
    except Exception as error:  # latex2mathml raises many kinds on bad input
        name = type(error).__name__
        return "", _ERRORS.get(name, f"{name} {error}".strip())
    element.attrib.pop("xmlns", None)
    for node in element.iter():
        if node.tag == "merror":
            return "", "the converter reported an error"
        if node.tag in ("mi", "mo") and node.text and _UNKNOWN.fullmatch(node.text):
            return "", f"unknown command {node.text}"
    # latex2mathml puts character references in text nodes; ElementTree escapes their "&".
    return _ENTITY.sub(r"&\1;", ET.tostring(element, encoding="unicode")), ""


class KeptLatex:
    """:func:`render_latex` through the fragment store: a formula an earlier build typeset
    is not typeset again, and a build whose formulas are all kept never imports latex2mathml."""

    def __init__(self, fragments: Fragments) -> None:
        self.fragments = fragments
        self._done: dict[tuple[str, bool], tuple[str, str]] = {}

    def __call__(self, latex: str, display: bool) -> tuple[str, str]:
        found = self._done.get((latex, display))
        if found is None:
            stored = fragment_key("math", _converter(), "display" if display else "inline", latex)
            kept = self.fragments.get(stored)
            if kept is not None:
                mathml, problem = json.loads(kept)
                found = (str(mathml), str(problem))
            else:
                found = render_latex(latex, display)
                self.fragments.keep(stored, json.dumps(found))
            if len(self._done) >= 8192:
                self._done.clear()
            self._done[(latex, display)] = found
        return found


@functools.cache
def _converter() -> str:
    """Which lessonpress and latex2mathml make the MathML: the converter's files, read
    without importing it (its ``__init__`` alone costs ~30 ms)."""
    spec = importlib.util.find_spec("latex2mathml")
    parts = [__version__, str(MATH_FORMAT)]
    if spec is not None and spec.origin:
        for path in sorted(Path(spec.origin).parent.iterdir()):
            if path.is_file():
                stat = path.stat()
                parts.append(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "/".join(parts)
