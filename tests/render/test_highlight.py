"""The highlighter shared by code blocks and cells: output, titles, its caches."""

from __future__ import annotations

from generator.model import CellOutput
from generator.render import highlight
from generator.render.highlight import Highlighter, cell_html


def test_a_block_is_highlighted_focusable_and_remembered() -> None:
    h = Highlighter()
    first = h.block("x = 1 < 2\n", "Python")
    assert first.startswith('<div class="highlight"><pre tabindex="0"><span></span><code>')
    assert '<span class="n">x</span>' in first and "&lt;" in first
    assert h.block("x = 1 < 2\n", "python") is first  # same (language, code): no second pass


def test_unknown_or_missing_languages_are_plain_text() -> None:
    h = Highlighter()
    for language in ("", "no-such-language"):
        out = h.block("a <b> c\n", language)
        assert "a &lt;b&gt; c" in out and '<span class="n">' not in out


def test_a_title_is_escaped_and_does_not_poison_the_cache() -> None:
    h = Highlighter()
    titled = h.block("pass\n", "python", title="<fit>.py")
    assert '<span class="filename">&lt;fit&gt;.py</span>' in titled
    assert "filename" not in h.block("pass\n", "python")


def test_the_cache_is_bounded(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(highlight, "CACHE_LIMIT", 3)
    h = Highlighter()
    for i in range(10):
        h.block(f"x = {i}\n", "python")
    assert len(h._done) <= 3


def test_a_cell_shows_code_then_output_unless_hidden() -> None:
    h = Highlighter()
    out = CellOutput(0, text="1 < 2\n")
    shown = cell_html(h, "print(1)\n", out, hide_code=False, hide_output=False, anchor="cell-1")
    assert shown.startswith('<div class="lp-cell" id="cell-1"><div class="highlight">')
    assert '<pre class="lp-cell-output" aria-label="Output"><code>1 &lt; 2\n</code></pre>' in shown
    hidden = cell_html(h, "print(1)\n", out, hide_code=True, hide_output=True, anchor="c")
    assert hidden == '<div class="lp-cell" id="c"></div>'
