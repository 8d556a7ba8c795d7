"""The CommonMark + GFM engine (comrak) for content/ posts, on real small sites.

Each test writes a site, runs content -> render as a build does and reads the body
HTML; the dialect tests build through the CLI.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.render.commonmark import protect_embeds
from tests.helpers import REPO_ROOT, render_posts, run_generator, write_site

SEED = REPO_ROOT / "content" / "posts" / "linear-regression.md"  # the seed, unchanged


def body_of(tmp_path: Path, text: str, **files: str) -> tuple[str, object]:
    _renderer, rendered = render_posts(
        tmp_path, {"content/posts/p.md": "---\ntitle: P\n---\n" + text, **files}
    )
    return rendered[0].html, rendered[0]


# --------------------------------------------------------------------------- CommonMark lists


def test_a_list_right_after_a_paragraph_line_is_a_list(tmp_path: Path) -> None:
    html, _ = body_of(tmp_path, "Steps:\n- outer\n- second\n")
    assert "<p>Steps:</p>\n<ul>\n<li>outer</li>\n<li>second</li>\n</ul>" in html


def test_two_space_nested_lists_nest(tmp_path: Path) -> None:
    html, _ = body_of(tmp_path, "- outer\n  - inner\n    - innermost\n")
    assert re.search(r"<li>outer\n<ul>\n<li>inner\n<ul>\n<li>innermost</li>", html), html


# --------------------------------------------------------------------------- headings


def test_headings_get_ids_anchors_and_a_toc(tmp_path: Path) -> None:
    html, rendered = body_of(
        tmp_path, "## Loss\n\n## Loss\n\n## Train & test split\n\n### Heading {#custom .wide}\n"
    )
    assert '<h2 id="loss">Loss<a class="headerlink" href="#loss"' in html
    assert '<h2 id="loss_1">' in html  # duplicates numbered, as the kramdown path does
    assert '<h2 id="train-test-split">' in html
    assert '<h3 id="custom" class="wide">Heading<a class="headerlink" href="#custom"' in html
    toc = rendered.toc  # type: ignore[attr-defined]
    assert [(e.level, e.id) for e in toc] == [
        (2, "loss"),
        (2, "loss_1"),
        (2, "train-test-split"),
        (3, "custom"),
    ]
    assert toc[2].title == "Train &amp; test split"


def test_math_in_a_heading_is_mathml_in_the_page_and_the_toc(tmp_path: Path) -> None:
    html, rendered = body_of(tmp_path, "## The slope $\\theta$ and the MSE\n")
    heading = re.search(r"<h2 id=\"([^\"]+)\">(.*?)</h2>", html, re.S)
    assert heading is not None
    assert heading.group(1) == "the-slope-θ-and-the-mse"  # the slug reads the math's text
    assert "<math" in heading.group(2)
    assert "<math" in rendered.toc[0].title  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- GFM extensions


def test_footnotes_have_kramdown_ids(tmp_path: Path) -> None:
    html, _ = body_of(tmp_path, "Claim.[^a]\n\n[^a]: Source.\n")
    assert re.search(r'<sup class="footnote-ref"><a href="#fn:\w+" id="fnref:\w+"', html), html
    assert re.search(r'<li id="fn:\w+">', html), html
    assert "fn-" not in html and "fnref-" not in html


def test_task_lists_tables_strikethrough_and_autolinks(tmp_path: Path) -> None:
    html, _ = body_of(
        tmp_path,
        "- [ ] todo\n- [x] done\n\n| l | c | r |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n\n"
        "~~old~~ and https://example.org/x\n\nTerm\n\n: Its definition.\n",
    )
    assert 'class="task-list-item-checkbox" disabled="" /> todo' in html
    assert 'checked="" disabled="" /> done' in html
    assert '<th style="text-align: left;">l</th>' in html
    assert '<td style="text-align: center;">2</td>' in html
    assert '<td style="text-align: right;">3</td>' in html
    assert " align=" not in html
    assert "<del>old</del>" in html
    assert '<a href="https://example.org/x">https://example.org/x</a>' in html
    assert "<dt>Term</dt>" in html and "<dd>" in html


def test_fenced_code_is_highlighted_with_its_title(tmp_path: Path) -> None:
    html, _ = body_of(
        tmp_path,
        '```python title="fit.py"\ndef f(x):\n    return x < 2\n```\n\n```\nplain <b>\n```\n',
    )
    assert '<div class="highlight"><span class="filename">fit.py</span>' in html
    assert '<span class="k">def</span>' in html
    assert '<span class="o">&lt;</span>' in html  # the code's own "<", escaped once
    assert "plain &lt;b&gt;" in html
    assert '<pre tabindex="0">' in html


def test_raw_html_passes_through(tmp_path: Path) -> None:
    html, _ = body_of(tmp_path, '<div class="raw"><span>raw html</span></div>\n\nAfter.\n')
    assert '<div class="raw"><span>raw html</span></div>' in html


# --------------------------------------------------------------------------- embeds


def test_the_seed_posts_chart_embed_is_kept_whole(tmp_path: Path) -> None:
    seed = SEED.read_text(encoding="utf-8")
    script = seed[seed.index("<script>") : seed.index("</script>") + len("</script>")]
    assert "\n\n" in script  # the seed's script has blank lines: engines split it
    html, _ = body_of(tmp_path, "Intro.\n\n" + script + "\n\nAfter.\n")
    assert script in html
    assert "<p>After.</p>" in html


def test_an_embed_inside_a_fence_is_code_not_html() -> None:
    embeds: dict[str, str] = {}
    text = "```html\n<canvas id='c'></canvas>\n<script>\n\nx()\n</script>\n```\n"
    assert protect_embeds(text, embeds) == text
    assert embeds == {}


def test_an_embed_keeps_line_numbers_for_later_diagnostics(tmp_path: Path) -> None:
    text = "<canvas id='c'></canvas>\n<script>\nvar a = 1;\n\nvar b = 2;\n</script>\n\nBad $\\frac{$ math.\n"
    _renderer, rendered = render_posts(
        tmp_path, {"content/posts/p.md": "---\ntitle: P\n---\n" + text}
    )
    lines = [d.line for d in rendered[0].diagnostics]
    assert lines, "the broken math has a diagnostic"
    assert 11 in lines, rendered[0].diagnostics  # line 8 of the body, after 3 front-matter lines


# --------------------------------------------------------------------------- dialects


KRAMDOWN_ONLY = "Steps:\n- outer\n"  # Python-Markdown keeps this one paragraph


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({}, "commonmark"),
        ({"site.yml": "markdown: kramdown\n"}, "kramdown"),
        ({"site.yml": "markdown: commonmark\n"}, "commonmark"),
    ],
)
def test_site_yml_chooses_the_dialect(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    html, _ = body_of(tmp_path, KRAMDOWN_ONLY, **files)
    assert ("<ul>" in html) == (expected == "commonmark"), html


def test_a_jekyll_site_is_kramdown_unless_its_config_says_gfm(tmp_path: Path) -> None:
    post = "---\ntitle: P\n---\n" + KRAMDOWN_ONLY
    for config, lists in (("title: B\n", False), ("markdown: GFM\n", True)):
        root = tmp_path / str(lists)
        write_site(root, {"_config.yml": config, "_posts/2020-01-02-p.md": post})
        result = run_generator("build", "--source", str(root), "--out", str(root / "_site"))
        assert result.returncode == 0, result.stderr
        page = next((root / "_site").rglob("p/index.html")).read_text(encoding="utf-8")
        assert ("<li>outer</li>" in page) == lists, page


def test_an_unknown_dialect_is_a_diagnostic(tmp_path: Path) -> None:
    write_site(tmp_path, {"site.yml": "title: S\nmarkdown: commonmrak\n", "content/p.md": "hi\n"})
    result = run_generator("build", "--source", str(tmp_path), "--out", str(tmp_path / "site"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert re.search(r"^site\.yml:2: .*commonmrak.*commonmark", result.stderr, re.M), result.stderr
    write_site(tmp_path / "j", {"_config.yml": "markdown: redcarpet\n"})
    result = run_generator("build", "--source", str(tmp_path / "j"), "--out", str(tmp_path / "js"))
    assert result.returncode == 1
    assert re.search(r"^_config\.yml:1: .*redcarpet", result.stderr, re.M), result.stderr
