"""Build-time math: what becomes MathML, what stays text, and where problems are reported."""

from __future__ import annotations

import re
import time

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.errors import Diagnostic
from generator.placeholders import restore
from generator.render.texmath import protect_math, render_latex

MARKDOWN_EXTENSIONS = ["tables", "md_in_html", "sane_lists", "pymdownx.superfences"]


def protect(text: str, first_line: int = 1) -> tuple[str, dict[str, str], list[Diagnostic]]:
    stash: dict[str, str] = {}
    out, diagnostics = protect_math(
        text, path="content/posts/lr.md", first_line=first_line, stash=stash
    )
    return out, stash, diagnostics


def page(text: str) -> str:
    """The whole render path: math out, Markdown, math back in."""
    out, stash, _ = protect(text)
    return restore(markdown.markdown(out, extensions=MARKDOWN_EXTENSIONS), stash)


COMMON_LESSON_LATEX = [
    r"\frac{a}{b}",
    r"\sum_{i=1}^{n} x_i",
    r"\hat{y}_i",
    r"\sqrt{x^2 + 1}",
    r"\log p(x)",
    r"\arg\max_{\theta} L(\theta)",
    r"\arg\min_{w} J(w)",
    r"\operatorname*{arg\,max}_\theta f",
    r"\mu",
    r"\sigma^2",
    r"x \geq 0",
    r"\frac{\partial L}{\partial w}",
    r"e^{-\frac{(x-\mu)^2}{2\sigma^2}}",
    r"\{ 1, 2, 3 \}",
    r"\prod_{i=1}^{n} p_i",
    r"\bar{x}",
    r"\mathbf{X}^\top \mathbf{y}",
    r"\boldsymbol{\beta}",
    r"\bm{\theta}",
    r"\mathcal{N}(\mu, \sigma^2)",
    r"\mathbb{E}[X]",
    r"\lVert \mathbf{x} \rVert_2",
    r"\nabla_\theta J",
    r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}",
    r"\begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}",
    r"\begin{aligned} a &= b \\ c &= d \end{aligned}",
    r"\binom{n}{k}",
    r"\lim_{h \to 0} \frac{f(x+h) - f(x)}{h}",
    r"\operatorname{Var}(X)",
    r"x \label{eq:1}",
]


@pytest.mark.parametrize("latex", COMMON_LESSON_LATEX)
def test_common_lesson_latex_renders_to_mathml_without_errors(latex: str) -> None:
    out, stash, diagnostics = protect(f"Here ${latex}$ it is.")
    assert diagnostics == []
    html = stash[re.search(r"LPMATH\d+X", out).group(0)]  # type: ignore[union-attr]
    assert html.startswith('<math display="inline">')
    assert "merror" not in html
    assert "\\" not in html  # no command was left unconverted


def test_arg_max_is_a_single_operator() -> None:
    mathml, problem = render_latex(r"\arg\max_{\theta} p(x \mid \theta)", True)
    assert problem == ""
    assert '<mo movablelimits="true">arg&#x02009;max</mo>' in mathml


def test_text_inside_math_is_escaped_html() -> None:
    mathml, _ = render_latex(r"\text{a<b & c}", False)
    assert "<mtext>a&lt;b&#x000A0;&amp;&#x000A0;c</mtext>" in mathml


def test_inline_math_becomes_a_token_in_the_text() -> None:
    out, stash, diagnostics = protect("The mean $\\mu$ is here.")
    assert out == "The mean LPMATH0001X is here."
    assert stash["LPMATH0001X"].startswith('<math display="inline"><mrow><mi>&#x003BC;</mi>')
    assert diagnostics == []


def test_dollar_amounts_are_not_math() -> None:
    text = "It costs $5 and $10, or $5.50 with tax. Pay $20 now, $ 30 later."
    assert protect(text)[0] == text


def test_escaped_dollar_is_a_literal_dollar() -> None:
    out, stash, _ = protect(r"A price of \$5 and \$x\$ are text.")
    assert out == "A price of $5 and $x$ are text."
    assert stash == {}


def test_closing_dollar_followed_by_a_digit_is_not_math() -> None:
    assert protect("from $a$5 to")[0] == "from $a$5 to"


@pytest.mark.parametrize(
    "text",
    [
        "Code `$x$` and ``a $y$ b`` spans.",
        "```\n$x$ and $$y$$\n```",
        "~~~python\ncost = '$x$'\n~~~",
        "- item\n\n    ```bash\n    echo $HOME$PATH\n    ```",
        "<pre>$x$</pre>",
        "<script>var a = $('#x'); b = $z$;</script>",
        "<style>a::after { content: '$x$'; }</style>",
        "<!-- $x$ -->",
        "{% highlight bash %}\necho $x$\n{% endhighlight %}",
    ],
)
def test_math_in_code_and_raw_html_is_left_alone(text: str) -> None:
    out, stash, _ = protect(text)
    assert out == text
    assert stash == {}


def test_placeholders_of_other_passes_are_never_inside_math() -> None:
    text = "$a LPBLOCK0001X b$ and $c$"
    out, _, _ = protect(text)
    assert out == "$a LPBLOCK0001X b$ and LPMATH0001X"


def test_underscores_and_asterisks_in_math_never_reach_markdown() -> None:
    html = page("Both $x_1 * y_1 * z_1$ and $a_{i}b_{j}$ and $x*y*z$ stay math.")
    assert "<em>" not in html
    assert html.count("<math ") == 3


def test_display_block_becomes_its_own_paragraph() -> None:
    text = "The loss is\n$$\nL = \\sum_i (y_i - \\hat{y}_i)^2\n$$\nwhere y is the target."
    out, stash, _ = protect(text)
    assert out == "The loss is\n\nLPMATH0001X\n\nwhere y is the target."
    assert stash["LPMATH0001X"].startswith('<div class="math-display"><math display="block">')
    assert stash["LPMATH0001X"].endswith("</math></div>")


def test_display_in_a_list_item_stays_in_the_item() -> None:
    text = "1. The loss is\n   $$\n   L = \\frac{1}{n}\n   $$\n2. Next step\n"
    out, _, _ = protect(text)
    assert out == "1. The loss is\n   LPMATH0001X\n2. Next step\n"
    html = page(text)
    assert re.search(r'<li>The loss is\s*<div class="math-display"><math display="block">', html)
    assert "<li>Next step</li>" in html


def test_display_after_a_list_marker_keeps_the_marker() -> None:
    out, _, _ = protect("- $$x^2$$\n- b\n")
    assert out == "- LPMATH0001X\n- b\n"


def test_display_in_a_loose_list_item_splits_the_paragraph() -> None:
    html = page("- a\n\n- we need\n  $$x$$\n  more\n")
    assert '<p>we need\n  </p><div class="math-display">' in html
    assert "<p>\n  more</p>" in html


def test_display_in_a_blockquote_keeps_the_quote() -> None:
    out, _, _ = protect("> quote\n> $$x^2$$\n> more")
    assert out == "> quote\n>\n> LPMATH0001X\n>\n> more"
    assert '<blockquote>\n<p>quote</p>\n<div class="math-display">' in page(
        "> quote\n> $$x^2$$\n> more"
    )


def test_double_dollars_mid_sentence_are_inline_math_like_kramdown() -> None:
    out, stash, _ = protect("where $$x_i$$ is the input")
    assert out == "where LPMATH0001X is the input"
    assert stash["LPMATH0001X"].startswith('<math display="inline">')


def test_backslash_delimiters() -> None:
    out, stash, _ = protect("Inline \\(a+b\\) then\n\\[\nc = d\n\\]\nand mid-line \\[e\\] too.")
    assert out == "Inline LPMATH0001X then\n\nLPMATH0002X\n\nand mid-line LPMATH0003X too."
    assert stash["LPMATH0001X"].startswith('<math display="inline">')
    assert stash["LPMATH0002X"].startswith('<div class="math-display"><math display="block">')
    assert stash["LPMATH0003X"].startswith('<math display="block">')


def test_double_backslash_delimiters_that_kramdown_users_write() -> None:
    out, _, _ = protect("Inline \\\\(a\\\\) here.")
    assert out == "Inline LPMATH0001X here."


def test_tokens_count_from_the_size_of_a_shared_stash() -> None:
    stash = {"LPHL0001X": "<div>code</div>"}
    out, _ = protect_math("$a$ $b$", path="p.md", first_line=1, stash=stash)
    assert out == "LPMATH0002X LPMATH0003X"
    out, _ = protect_math("$c$", path="p.md", first_line=1, stash=stash)
    assert out == "LPMATH0004X"


def test_reports_the_md_line_of_math_it_cannot_render() -> None:
    text = "Intro.\n\nFine $x$ here.\n\n$$\n\\frac{a}{\n$$\n\nand $\\foo{x}$ too."
    _, _, diagnostics = protect(text, first_line=8)
    assert [str(d) for d in diagnostics] == [
        "content/posts/lr.md:12: warning: could not render math: "
        "unbalanced braces or a command missing its argument in $$\n\\frac{a}{\n$$",
        "content/posts/lr.md:16: warning: could not render math: unknown command \\foo "
        "in $\\foo{x}$",
    ]
    assert all(d.severity == "warning" for d in diagnostics)


def test_math_it_cannot_render_is_shown_as_escaped_source() -> None:
    _, stash, _ = protect("Bad $x^{<}$ and $\\frac{a<b}{$.")
    assert stash["LPMATH0002X"] == '<code class="math-source">$\\frac{a&lt;b}{$</code>'
    html = page("A\n\n$$\n\\foo\n$$\n")
    assert '<div class="math-display"><code class="math-source">$$\n\\foo\n$$</code></div>' in html


def test_restore_puts_blocks_in_place_of_their_paragraph_and_inline_html_in_text() -> None:
    stash = {"LPMATH0001X": '<div class="math-display">D</div>', "LPMATH0002X": "<math>i</math>"}
    html = "<p>LPMATH0001X</p>\n<p>a LPMATH0002X b</p>\n<p>LPMATH0002X</p>\n<li>LPMATH0001X</li>"
    assert restore(html, stash) == (
        '<div class="math-display">D</div>\n<p>a <math>i</math> b</p>\n'
        '<p><math>i</math></p>\n<li><div class="math-display">D</div></li>'
    )


def test_restore_leaves_unknown_tokens_and_tokens_inside_tags() -> None:
    stash = {"LPMATH0001X": "<math>i</math>"}
    html = '<p><img alt="LPMATH0001X"> LPCELL0001X LPLPMATH0001X</p>'
    assert restore(html, stash) == '<p><img alt="LPMATH0001X"> LPCELL0001X LP<math>i</math></p>'


def test_restore_splits_a_paragraph_around_a_block_and_reads_each_token_in_context() -> None:
    stash = {"LPMATH0001X": '<div class="math-display">D</div>', "LPMATH0002X": "<math>i</math>"}
    # A block token inside a paragraph splits it; the empty paragraph left is dropped.
    assert restore("<p>LPMATH0001X and text</p>", stash) == (
        '<div class="math-display">D</div><p> and text</p>'
    )
    # Whitespace around a lone token; two tokens in a tag, one after it; a "<" in an
    # attribute-less text position is not a tag.
    html = '<p>\n LPMATH0002X\t</p><a title="LPMATH0002X LPMATH0001X">LPMATH0002X</a>'
    assert restore(html, stash) == (
        '<p><math>i</math></p><a title="LPMATH0002X LPMATH0001X"><math>i</math></a>'
    )
    # A token alone whose text has a prefix glued to it ("LP$x$") is still restored.
    assert restore("<p>LPLPMATH0002X</p>", stash) == "<p>LP<math>i</math></p>"
    assert restore("<p>nothing here</p>", stash) == "<p>nothing here</p>"
    assert restore("LPMATH0002X", stash) == "<math>i</math>"


def test_output_is_deterministic() -> None:
    text = "$\\sum_{i=1}^n x_i$ and\n\n$$\\frac{1}{2}$$\n"
    assert protect(text) == protect(text)
    render_latex.cache_clear()
    assert protect(text) == protect(text)


def test_a_thousand_posts_are_fast() -> None:
    body = "\n\n".join(
        f"Paragraph {i} with $\\hat{{y}}_{i} = w x_{i} + b$ and $\\sigma^2$.\n\n"
        f"$$\n\\frac{{1}}{{n}} \\sum_{{j=1}}^{{n}} (y_j - \\hat{{y}}_j)^2 + {i}\n$$"
        for i in range(10)
    )
    started = time.perf_counter()
    for _ in range(1000):
        protect_math(body, path="p.md", first_line=1, stash={})
    assert time.perf_counter() - started < 10  # about 1 s on a laptop core


MATHY_TEXT = st.lists(
    st.sampled_from([*"$\\`~{}()[]<>!-_*^|#%&=+ \n\t>aLPBX0123456789", "LPBLOCK1X", "$$", "\n\n"]),
    max_size=80,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=st.one_of(st.text(max_size=200), MATHY_TEXT))
def test_protect_math_never_raises_and_every_token_is_placed_once(text: str) -> None:
    stash: dict[str, str] = {}
    out, diagnostics = protect_math(text, path="p.md", first_line=3, stash=stash)
    for token in stash:
        assert out.count(token) == 1
    for diagnostic in diagnostics:
        assert 3 <= diagnostic.line <= 3 + text.count("\n")
    restore(out, stash)
