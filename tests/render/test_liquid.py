"""The Liquid subset of Jekyll post bodies: what renders, what is refused, and where."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import markdown
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import Diagnostic
from generator.placeholders import restore
from generator.render.liquid import render_liquid
from generator.render.texmath import protect_math
from tests.helpers import REPO_ROOT

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "jekyll_blog"
POST = "_posts/2021/2021-03-14-lr.md"
PAGE = {"title": "Linear <Regression>", "tags": ["ml", "stats"], "meta": {"level": "intro"}}
SITE = {"title": "Notes", "baseurl": "/lessons", "url": "https://notes.example.org"}


def write(root: Path, files: Mapping[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def render(
    root: Path,
    text: str,
    *,
    first_line: int = 1,
    stash: dict[str, str] | None = None,
    page: Mapping[str, Any] = PAGE,
) -> tuple[str, list[Diagnostic]]:
    return render_liquid(
        text,
        path=POST,
        first_line=first_line,
        page=page,
        site=SITE,
        include_dirs=[root / "_includes", root / "templates" / "includes"],
        post_dir=(root / POST).parent,
        site_root=root,
        stash={} if stash is None else stash,
    )


def messages(diagnostics: list[Diagnostic]) -> list[str]:
    return [str(d) for d in diagnostics]


def test_text_without_liquid_is_unchanged(tmp_path: Path) -> None:
    text = "# Title\n\nSome $x$ math and `code` { braces } % percent.\n"
    assert render(tmp_path, text) == (text, [])


def test_raw_keeps_its_contents_verbatim(tmp_path: Path) -> None:
    out, diagnostics = render(tmp_path, "a {% raw %}{{ page.title }} {% if x %}{% endraw %} b")
    assert out == "a {{ page.title }} {% if x %} b"
    assert diagnostics == []


def test_comment_is_removed_but_its_lines_are_kept(tmp_path: Path) -> None:
    out, diagnostics = render(
        tmp_path,
        "a\n{% comment %}\nsecret {{ x }}\n{% endcomment %}\nb {% comment %}x{% endcomment %}c",
    )
    assert out == "a\n\n\n\nb c"
    assert diagnostics == []


def test_page_and_site_lookups_are_escaped_and_missing_keys_are_empty(tmp_path: Path) -> None:
    text = "{{ page.title }} | {{ site.title }} | {{page.meta.level}} | {{ page.tags[1] }} | [{{ page.nope }}] [{{ page.meta.nope.deeper }}] {{ page.tags.size }}"
    out, diagnostics = render(tmp_path, text)
    assert out == "Linear &lt;Regression&gt; | Notes | intro | stats | [] [] 2"
    assert diagnostics == []


def test_values_print_like_liquid(tmp_path: Path) -> None:
    page = {"draft": False, "n": 3, "tags": ["a", "b"], "date": dt.date(2021, 3, 14)}
    out, _ = render(
        tmp_path, "{{ page.draft }} {{ page.n }} {{ page.tags }} {{ page.date }}", page=page
    )
    assert out == "false 3 ab 2021-03-14"


def test_supported_filters(tmp_path: Path) -> None:
    page = {"title": "Hello World", "date": dt.datetime(2021, 3, 14, 9, 30)}
    text = (
        '{{ "/img/a.png" | relative_url }} {{ "img/a.png" | absolute_url }} '
        "{{ page.title | upcase }} {{ page.title | slugify }} "
        '{{ page.nope | default: "none" }} {{ page.date | date: "%Y/%m" }} '
        '{{ page.title | append: "!" | downcase }}'
    )
    out, diagnostics = render(tmp_path, text, page=page)
    assert out == (
        "/lessons/img/a.png https://notes.example.org/lessons/img/a.png "
        "HELLO WORLD hello-world none 2021/03 hello world!"
    )
    assert diagnostics == []


def test_unsupported_filter_is_a_warning_and_ignored(tmp_path: Path) -> None:
    out, diagnostics = render(
        tmp_path, "line one\n{{ page.title | truncatewords: 2 }}", first_line=7
    )
    assert out == "line one\nLinear &lt;Regression&gt;"
    assert messages(diagnostics) == [
        f"{POST}:8: warning: unsupported Liquid filter 'truncatewords' ignored"
    ]


def test_unsupported_tags_are_warnings_and_stay_as_text(tmp_path: Path) -> None:
    text = "Intro\n\n{% for post in site.posts %}\n{{ post.title }}\n{% endfor %}\n{% post_url 2021-01-01-x %}"
    out, diagnostics = render(tmp_path, text, first_line=10)
    assert out == text
    assert messages(diagnostics) == [
        f"{POST}:12: warning: unsupported Liquid tag 'for'",
        f"{POST}:13: warning: unsupported Liquid variable 'post.title'",
        f"{POST}:14: warning: unsupported Liquid tag 'endfor'",
        f"{POST}:15: warning: unsupported Liquid tag 'post_url'",
    ]
    assert all(not d.is_error for d in diagnostics)


def test_whitespace_control_strips_around_supported_tags(tmp_path: Path) -> None:
    out, _ = render(
        tmp_path, "a   {{- page.tags[0] -}}   b\n{%- comment -%}x{%- endcomment -%}\n c"
    )
    assert out == "amlbc"


def test_unclosed_raw_is_an_error_with_its_line(tmp_path: Path) -> None:
    out, diagnostics = render(tmp_path, "a\nb {% raw %} {{ x }}\nc", first_line=4)
    assert out == "a\nb  {{ x }}\nc"
    assert messages(diagnostics) == [f"{POST}:5: 'raw' tag was never closed"]


def test_highlight_is_stashed_as_a_block_token_in_its_own_paragraph(tmp_path: Path) -> None:
    stash: dict[str, str] = {"LPMATH0001X": "<math>x</math>"}
    text = "Code:\n{% highlight python %}\ndef f(x):\n    return x\n{% endhighlight %}\nAfter."
    out, diagnostics = render(tmp_path, text, stash=stash)
    assert out == "Code:\n\nLPHL0002X\n\n\nAfter."
    assert out.count("\n") == text.count("\n")  # later passes still see real .md lines
    assert diagnostics == []
    html = stash["LPHL0002X"]
    assert html.startswith(
        '<div class="highlight"><pre><span></span><code><span class="k">def</span>'
    )
    rendered = restore(markdown.markdown(out), stash)
    assert rendered.startswith('<p>Code:</p>\n<div class="highlight">')
    assert "<p>LPHL" not in rendered


def test_highlight_with_linenos_uses_a_line_number_table(tmp_path: Path) -> None:
    stash: dict[str, str] = {}
    render(
        tmp_path, "{% highlight ruby linenos %}\nputs 1\nputs 2\n{% endhighlight %}", stash=stash
    )
    html = stash["LPHL0001X"]
    assert '<table class="highlighttable">' in html
    assert '<span class="normal">2</span>' in html


def test_highlight_inside_a_list_item_stays_in_the_item(tmp_path: Path) -> None:
    stash: dict[str, str] = {}
    text = (
        "1. Install:\n   {% highlight bash %}\n   pip install x\n   {% endhighlight %}\n2. Run it\n"
    )
    out, _ = render(tmp_path, text, stash=stash)
    assert out == "1. Install:\n   LPHL0001X\n2. Run it\n"
    html = restore(markdown.markdown(out), stash)
    assert '<li>Install:\n   <div class="highlight">' in html


def test_unknown_highlight_language_is_a_warning_and_plain_text(tmp_path: Path) -> None:
    stash: dict[str, str] = {}
    _, diagnostics = render(
        tmp_path,
        "x\n{% highlight klingon %}\nqapla'\n{% endhighlight %}",
        stash=stash,
        first_line=20,
    )
    assert messages(diagnostics) == [
        f"{POST}:21: warning: unknown highlight language 'klingon', shown as plain text"
    ]
    assert "qapla&#39;" in stash["LPHL0001X"]


def test_include_from_the_first_folder_that_has_it_with_parameters(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "_includes/note.html": '<div class="note">{{ include.text }} ({{ page.tags[0] }})</div>\n',
            "templates/includes/note.html": "never used",
            "templates/includes/only-here.html": "theme include",
        },
    )
    out, diagnostics = render(
        tmp_path,
        'A {% include note.html text="Mind the gap" %} B {% include only-here.html %}',
    )
    assert out == 'A <div class="note">Mind the gap (ml)</div> B theme include'
    assert diagnostics == []


def test_include_parameters_can_be_variables_and_file_names_can_be_liquid(tmp_path: Path) -> None:
    write(tmp_path, {"_includes/t.html": "[{{ include.who }}]"})
    out, diagnostics = render(
        tmp_path,
        "{% include {{ page.file }} who=page.meta.level %}",
        page={"file": "t.html", "meta": {"level": "intro"}},
    )
    assert (out, diagnostics) == ("[intro]", [])


def test_include_text_is_liquid_and_reports_its_own_lines(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "_includes/outer.md": "Outer\n{% include inner.md %}\n",
            "_includes/inner.md": "Inner\n\n{% assign x = 1 %}\n",
        },
    )
    out, diagnostics = render(tmp_path, "start\n{% include outer.md %}\nend")
    assert out == "start\nOuter\nInner\n\n{% assign x = 1 %}\nend"
    assert messages(diagnostics) == [
        "_includes/inner.md:3: warning: unsupported Liquid tag 'assign'"
    ]


def test_include_relative_is_relative_to_the_post(tmp_path: Path) -> None:
    write(tmp_path, {"_posts/2021/derivation.md": "For $x$: {{ page.tags[1] }}\n"})
    out, diagnostics = render(tmp_path, "See:\n\n{% include_relative derivation.md %}\n")
    assert (out, diagnostics) == ("See:\n\nFor $x$: stats\n", [])


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        (
            "{% include ../secret.txt %}",
            "include '../secret.txt' escapes the site folder ('..' is not allowed)",
        ),
        (
            "{% include_relative ../../_config.yml %}",
            "include_relative '../../_config.yml' escapes the site folder ('..' is not allowed)",
        ),
        (
            "{% include /etc/passwd %}",
            "include '/etc/passwd' must be a relative path inside the site",
        ),
        (
            "{% include missing.html %}",
            "include 'missing.html' not found in _includes, templates/includes",
        ),
        ("{% include %}", "include tag needs a file name"),
    ],
)
def test_unsafe_or_missing_includes_are_errors_with_their_line(
    tmp_path: Path, tag: str, message: str
) -> None:
    write(tmp_path, {"_includes/ok.html": "ok", "secret.txt": "secret"})
    out, diagnostics = render(tmp_path, f"one\ntwo {tag} three", first_line=30)
    assert out == "one\ntwo  three"
    assert messages(diagnostics) == [f"{POST}:31: {message}"]
    assert diagnostics[0].is_error


def test_include_through_a_symlink_out_of_the_site_is_refused(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {"secret.html": "top secret"})
    site = tmp_path / "site"
    (site / "_includes").mkdir(parents=True)
    os.symlink(outside / "secret.html", site / "_includes" / "leak.html")
    out, diagnostics = render(site, "{% include leak.html %}")
    assert out == ""
    assert messages(diagnostics) == [
        f"{POST}:1: include 'leak.html' escapes the site folder (a symlink)"
    ]


def test_an_include_that_includes_itself_stops(tmp_path: Path) -> None:
    write(tmp_path, {"_includes/loop.html": "x{% include loop.html %}"})
    out, diagnostics = render(tmp_path, "{% include loop.html %}")
    assert out == "x" * 10
    assert messages(diagnostics) == [
        "_includes/loop.html:1: includes nested more than 10 deep at 'loop.html'"
    ]


def test_liquid_then_math_reports_real_lines_after_comments_and_highlights(tmp_path: Path) -> None:
    text = "{% comment %}\na\nb\n{% endcomment %}\n{% highlight python %}\nx = 1\n{% endhighlight %}\nBad $\\foo$ here."
    stash: dict[str, str] = {}
    out, _ = render(tmp_path, text, first_line=5, stash=stash)
    _, diagnostics = protect_math(out, path=POST, first_line=5, stash=stash)
    assert [d.line for d in diagnostics] == [12]


TEMPLATE_TEXT = st.lists(
    st.sampled_from(
        [
            *"{}%-|:\"' \n.[]0ab",
            "{%",
            "%}",
            "{{",
            "}}",
            "raw",
            "endraw",
            "comment",
            "endcomment",
            "highlight",
            "endhighlight",
            "include",
            "include_relative",
            "page.",
            "site.",
            "linenos",
            " python",
            "..",
            "/",
            "note.html",
        ]
    ),
    max_size=60,
).map("".join)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(st.text(max_size=200), TEMPLATE_TEXT))
def test_render_liquid_never_raises(tmp_path: Path, text: str) -> None:
    write(tmp_path, {"_includes/note.html": "{{ include.text }} {% include note.html %}"})
    stash: dict[str, str] = {}
    out, diagnostics = render(tmp_path, text, stash=stash)
    for token in stash:
        assert out.count(token) == 1
    assert all(d.line >= 1 for d in diagnostics)


def _fixture_posts() -> list[Path]:
    posts = sorted((FIXTURE / "_posts").rglob("*.md")) + sorted((FIXTURE / "_drafts").glob("*.md"))
    return [p for p in posts if p.read_text(encoding="utf-8").startswith("---\n")]


def test_fixture_blog_has_at_least_fifteen_posts() -> None:
    assert len(_fixture_posts()) >= 15


@pytest.mark.parametrize("post", _fixture_posts(), ids=lambda p: p.name)
def test_fixture_posts_render_liquid_and_math_without_diagnostics(post: Path) -> None:
    source = post.read_text(encoding="utf-8")
    end = source.index("\n---\n", 4) + 5
    page = yaml.safe_load(source[4 : end - 5])
    first_line = source[:end].count("\n") + 1
    site = yaml.safe_load((FIXTURE / "_config.yml").read_text(encoding="utf-8"))
    rel = post.relative_to(FIXTURE).as_posix()
    stash: dict[str, str] = {}
    text, found = render_liquid(
        source[end:],
        path=rel,
        first_line=first_line,
        page=page,
        site=site,
        include_dirs=[FIXTURE / "_includes"],
        post_dir=post.parent,
        site_root=FIXTURE,
        stash=stash,
    )
    text, more = protect_math(text, path=rel, first_line=first_line, stash=stash)
    assert messages(found + more) == []
    html = restore(
        markdown.markdown(text, extensions=["tables", "md_in_html", "pymdownx.superfences"]), stash
    )
    assert "LPMATH" not in html and "LPHL" not in html
    assert not re.search(r"\{%-?\s*(end)?(raw|highlight|include|comment)", html)
