"""End to end: real small sites built by the real CLI into real folders."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest

from generator.output.writer import OLD_PREFIX, clean_leftovers
from tests.helpers import REPO_ROOT

REPO = REPO_ROOT
SEED = REPO / "content" / "posts" / "linear-regression.md"

SMALL = {
    "site.yml": "title: Test Lessons\nbase_url: /\n",
    "content/posts/first.md": "---\ntitle: First\ndate: 2024-01-02\ntags: [ml]\norder: 1\n---\n# Hello\n\nSome *text*.\n",
    "content/posts/second.md": "---\ntitle: Second\ndate: 2024-01-03\ntags: [ml, stats]\norder: 2\n---\nMore.\n",
    "content/about.md": "---\ntitle: About\nlayout: page\npermalink: /about/\n---\nAbout us.\n",
}


def digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_builds_posts_index_tags_and_assets(make_site, run_build) -> None:
    built = run_build(make_site(SMALL))
    assert built.code == 0, built.err
    for rel in [
        "index.html",
        "posts/first/index.html",
        "posts/second/index.html",
        "about/index.html",
        "tags/index.html",
        "tags/ml/index.html",
        "tags/stats/index.html",
        "404.html",
        "assets/vendor/chart.umd.js",
        "assets/vendor/chart.js.LICENSE.md",
        "favicon.svg",
        "css/site.css",
        "assets/highlight.css",
    ]:
        assert (built.site / rel).is_file(), rel
    index = built.read("index.html")
    assert index.index("First") < index.index("Second")  # sorted by order
    assert "About" not in index.split("<main")[1]  # pages are not listed as lessons
    post = built.read("posts/first/index.html")
    assert '<a class="next" rel="next" href="../../posts/second/">' in post
    assert "<em>text</em>" in post and "1 min read" in post
    assert 'href="../../tags/ml/"' in post
    assert "(2)" in built.read("tags/index.html").split("ml</a>")[1][:40]


def test_failed_build_keeps_previous_site(make_site, run_build) -> None:
    source = make_site(SMALL)
    assert run_build(source).code == 0
    before = digest(source.parent / "site")
    (source / "content/posts/second.md").write_text("---\norder: second\n---\n")
    (source / "content/posts/third.md").write_text("---\ntitle: [x\n---\n")
    built = run_build(source)
    assert built.code == 1
    assert "content/posts/second.md:2: 'order' must be a number, got 'second'" in built.err
    assert "content/posts/third.md:2: invalid YAML" in built.err
    assert "Traceback" not in built.err
    assert digest(source.parent / "site") == before


def test_same_sources_build_byte_identical_output(make_site, run_build, tmp_path: Path) -> None:
    source = make_site(SMALL)
    assert run_build(source, out=tmp_path / "a").code == 0
    assert run_build(source, out=tmp_path / "b").code == 0
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


def test_files_of_deleted_posts_do_not_survive(make_site, run_build) -> None:
    source = make_site(SMALL)
    run_build(source)
    (source / "content/posts/second.md").unlink()
    assert run_build(source).code == 0
    assert not (source.parent / "site/posts/second").exists()
    assert not [p for p in source.parent.iterdir() if p.name.startswith(OLD_PREFIX)]


@pytest.mark.parametrize("out", [".", "..", "content"])
def test_out_refuses_the_source_folder_and_its_parents(make_site, run_build, out: str) -> None:
    source = make_site(SMALL)
    built = run_build(source, out=source / out)
    assert built.code == 1
    assert "--out" in built.err
    assert (source / "content/posts/first.md").is_file()


def test_links_and_assets_respect_a_sub_path_base_url(make_site, run_build) -> None:
    files = dict(SMALL, **{"site.yml": "title: T\nbase_url: https://example.org/lessons/\n"})
    built = run_build(make_site(files))
    assert built.code == 0, built.err
    for rel, url in [
        ("posts/first/index.html", "/lessons/posts/first/"),
        ("index.html", "/lessons/"),
        ("tags/ml/index.html", "/lessons/tags/ml/"),
    ]:
        page = built.read(rel)
        for href in re.findall(r'(?:href|src)="([^"]+)"', page):
            if href.startswith(("#", "https://", "data:")):
                continue
            resolved = urljoin(url, href)
            assert resolved.startswith("/lessons/"), (rel, href)
            target = resolved.removeprefix("/lessons/")
            target = target + "index.html" if target.endswith("/") or not target else target
            assert (built.site / target).is_file(), (rel, href)
    assert 'href="/lessons/' in built.read("404.html")  # served for any path: absolute links


def test_pages_link_assets_relatively_so_they_open_from_disk(make_site, run_build) -> None:
    embed = "---\ntitle: E\n---\n<canvas id=c></canvas>\n<script>new Chart(c, {})</script>\n"
    built = run_build(make_site(SMALL | {"content/posts/embed.md": embed}))
    page = built.read("posts/embed/index.html")
    assert 'src="../../assets/vendor/chart.umd.js"' in page
    assert 'href="../../css/site.css"' in built.read("posts/first/index.html")


def test_only_pages_that_draw_charts_load_chartjs(make_site, run_build) -> None:
    chart = (
        "---\ntitle: C\n---\n```chart\ntype: line\ndata: {a: [1, 2], b: [3, 4]}\nx: a\ny: b\n```\n"
    )
    built = run_build(make_site(SMALL | {"content/posts/chart.md": chart}))
    assert built.code == 0, built.err
    for rel in ("posts/first/index.html", "index.html", "tags/ml/index.html"):
        assert "chart.umd.js" not in built.read(rel), rel  # text only: nothing to parse
    head = built.read("posts/chart/index.html").split("</head>")[0]
    for script in ("chart.umd.js", "lessonpress-charts.js", "print.js"):
        assert script in head


def test_site_templates_override_the_theme_file_by_file(make_site, run_build) -> None:
    files = dict(
        SMALL,
        **{
            "templates/page.html": "{% extends 'base.html' %}{% block content %}CUSTOM {{ page.title }}{% endblock %}"
        },
    )
    built = run_build(make_site(files))
    assert built.code == 0, built.err
    assert "CUSTOM About" in built.read("about/index.html")
    assert "CUSTOM" not in built.read("posts/first/index.html")


def test_template_error_reports_template_and_line(make_site, run_build) -> None:
    files = dict(
        SMALL,
        **{
            "templates/page.html": "{% extends 'base.html' %}\n{% block content %}\n{{ page.missing_key }}\n{% endblock %}\n"
        },
    )
    built = run_build(make_site(files))
    assert built.code == 1
    assert "templates/page.html:3: " in built.err and "missing_key" in built.err
    assert "Traceback" not in built.err


def test_template_syntax_error_reports_template_and_line(make_site, run_build) -> None:
    files = dict(
        SMALL,
        **{"templates/page.html": "{% extends 'base.html' %}\n{% block content %}\n{% if %}\n"},
    )
    built = run_build(make_site(files))
    assert built.code == 1
    assert "templates/page.html:3: " in built.err


def test_extra_front_matter_is_available_to_templates(make_site, run_build) -> None:
    files = dict(
        SMALL,
        **{
            "content/posts/first.md": "---\ntitle: First\npagestyle: wide\n---\nx\n",
            "templates/post.html": "{{ page.pagestyle | default('-') }}|{{ page.title }}",
        },
    )
    built = run_build(make_site(files))
    assert built.read("posts/first/index.html") == "wide|First"


def test_a_folder_with_only_content_builds_with_the_default_theme(make_site, run_build) -> None:
    built = run_build(make_site({"content/hello.md": "# Hello\n\nWorld\n"}))
    assert built.code == 0, built.err
    assert "World" in built.read("posts/hello/index.html")
    assert (built.site / "assets/vendor/chart.umd.js").is_file()


def test_seed_post_builds_unchanged_with_its_inline_chart(make_site, run_build) -> None:
    built = run_build(make_site({"content/posts/linear-regression.md": SEED.read_text()}))
    assert built.code == 0, built.err
    page = built.read("posts/linear-regression/index.html")
    assert "new Chart(ctx, {" in page and 'id="cropYieldChart"' in page
    head = page.split("</head>")[0]
    assert "chart.umd.js" in head  # Chart.js is loaded before the inline script runs
    assert "pagestyle" not in page  # extra keys do not leak into the page text


def test_markdown_features(make_site, run_build) -> None:
    body = """---
title: Features
---
## Section One

| a | b |
|---|---|
| 1 | 2 |

- [ ] todo
- [X] done

Text with a footnote.[^1]

```python
def f(x):
    return x * 2
```

<div class="raw"><span>raw html</span></div>

"quotes" stay straight.

[^1]: The note.
"""
    built = run_build(make_site({"content/f.md": body}))
    page = built.read("posts/f/index.html")
    assert '<h2 id="section-one">' in page
    assert "<table>" in page
    # GFM task lists, as GitHub and Jupyter render them (CommonMark engine)
    assert 'class="task-list-item-checkbox" disabled="" /> todo' in page
    assert 'class="task-list-item-checkbox" checked="" disabled="" /> done' in page
    assert 'href="#fn:1"' in page and 'id="fn:1"' in page  # kramdown-style footnote ids
    assert '<span class="k">def</span>' in page  # Pygments at build time
    assert '<div class="raw"><span>raw html</span></div>' in page
    assert '"quotes" stay straight' in page or "&quot;quotes&quot; stay straight" in page


def test_killed_build_leftovers_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    stale = tmp_path / f"{OLD_PREFIX}site-abc"  # a swap killed after the site was back
    stale.mkdir()
    (stale / "index.html").write_text("half")
    clean_leftovers(out)
    assert not stale.exists() and out.is_dir()


def test_help_on_every_command() -> None:
    import subprocess
    import sys

    for args in (["--help"], ["build", "--help"]):
        result = subprocess.run(
            [sys.executable, "-m", "generator", *args],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=dict(os.environ),
            check=False,
        )
        assert result.returncode == 0 and "usage: lessonpress" in result.stdout


def test_usage_error_exits_2() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--jobs", "0"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 2


def test_every_dataset_is_linked_for_download_and_named_cells_get_anchors(
    make_site, run_build
) -> None:
    post = """---
title: Data
---
```python {compute name=setup}
dataset("squares", x=[1, 2, 3], y=[1, 4, 9])
print("ok")
```
"""
    built = run_build(make_site({"content/posts/data-post.md": post}))
    assert built.code == 0, built.err
    page = built.read("posts/data-post/index.html")
    assert 'id="cell-setup"' in page
    assert 'href="../../data/data-post/squares.json" download' in page
    assert 'href="../../data/data-post/squares.csv" download' in page
    assert built.read("data/data-post/squares.csv").splitlines()[0] == "x,y"


def test_two_posts_publishing_data_under_one_slug_are_an_error(make_site, run_build) -> None:
    cell = '```python {compute}\ndataset("d", x=[1])\n```\n'
    built = run_build(
        make_site(
            {
                "content/a/lesson.md": f"---\ntitle: A\npermalink: /a/\n---\n{cell}",
                "content/b/lesson.md": f"---\ntitle: B\npermalink: /b/\n---\n{cell}",
            }
        )
    )
    assert built.code == 1
    assert (
        "content/b/lesson.md: publishes data to data/lesson/ like content/a/lesson.md" in built.err
    )


def test_a_static_file_replacing_a_generated_page_is_a_warning(make_site, run_build) -> None:
    built = run_build(make_site(dict(SMALL, **{"static/404.html": "mine"})))
    assert built.code == 0
    assert "static/404.html: warning: replaces the page the build generates there" in built.err
    assert built.read("404.html") == "mine"


def test_post_pages_show_a_table_of_contents(make_site, run_build) -> None:
    body = "---\ntitle: T\n---\n## One\n\n## Two\n\n### Two and a half\n\n## Three & more\n"
    built = run_build(make_site({"content/t.md": body}))
    page = built.read("posts/t/index.html")
    toc = page.split('<nav class="toc" aria-label="Contents">')[1].split("</nav>")[0]
    assert '<a href="#one">One</a>' in toc
    assert '<li class="toc-level-3"><a href="#two-and-a-half">Two and a half</a></li>' in toc
    assert "Three &amp; more" in toc


def test_category_pages_list_their_lessons_with_counts(make_site, run_build) -> None:
    files = dict(
        SMALL,
        **{
            "content/posts/third.md": "---\ntitle: Third\ncategory: Calculus\n---\nx\n",
            "content/posts/fourth.md": "---\ntitle: Fourth\ncategories: [Calculus, ML]\n---\nx\n",
        },
    )
    built = run_build(make_site(files))
    assert built.code == 0, built.err
    index = built.read("categories/index.html")
    assert (
        '<a class="tag" href="../categories/calculus/">Calculus</a> <span class="count">(2)</span>'
        in index
    )
    page = built.read("categories/calculus/index.html")
    assert "Lessons in “Calculus”" in page and "Third" in page and "Fourth" in page
    assert 'href="../../categories/calculus/">Calculus</a>' in built.read("posts/third/index.html")


def test_keep_going_writes_the_other_posts_and_still_exits_1(make_site, run_build) -> None:
    bad = "---\ntitle: Bad\n---\nText.\n\n```python {compute}\nx = 1\n1 / 0\n```\n"
    source = make_site(dict(SMALL, **{"content/posts/bad.md": bad}))
    built = run_build(source)
    assert built.code == 1 and not built.site.exists()
    assert "content/posts/bad.md:8: ZeroDivisionError: division by zero" in built.err
    built = run_build(source, "--keep-going")
    assert built.code == 1
    assert "content/posts/bad.md:8: ZeroDivisionError: division by zero" in built.err
    assert "First" in built.read("posts/first/index.html")
    assert "Text." in built.read("posts/bad/index.html")


def test_frozen_build_fails_when_results_are_not_cached(make_site, run_build) -> None:
    cell = "---\ntitle: C\n---\n```python {compute}\nprint('computed')\n```\n"
    source = make_site({"content/posts/c.md": cell})
    built = run_build(source, "--frozen")
    assert built.code == 1 and "content/posts/c.md:" in built.err
    assert run_build(source).code == 0
    built = run_build(source, "--frozen")
    assert built.code == 0, built.err
    assert "computed" in built.read("posts/c/index.html")
