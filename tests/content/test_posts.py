"""Content stage: discovery, front matter, URLs — with exact diagnostic positions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from generator.content.blocks import extract_blocks
from generator.content.config import load_config
from generator.content.frontmatter import split_front_matter
from generator.content.posts import load_posts
from generator.content.urls import PermalinkError, safe_url
from generator.errors import BuildError, Diagnostics
from generator.model import SiteConfig
from tests.helpers import write_site as write_files


def layouts(name: str) -> str | None:
    return name if name in {"post", "page"} else None


def load(root: Path, drafts: bool = False):
    return load_posts(root, SiteConfig(), layouts, drafts=drafts)


def messages(diags) -> list[str]:
    return [str(d) for d in diags]


def test_front_matter_keys_become_typed_fields(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "content/posts/lr.md": """
        ---
        title: Linear Regression
        date: 2024-03-01
        tags: [ml, stats]
        category: posts
        order: 1
        pagestyle: base
        description: Fitting lines.
        ---
        ## Why
        """
        },
    )
    (post,), diags = load(tmp_path)
    assert diags == []
    assert post.title == "Linear Regression"
    assert post.date == dt.datetime(2024, 3, 1)
    assert post.tags == ("ml", "stats")
    assert post.categories == ("posts",)
    assert post.order == 1.0
    assert post.url == "/posts/lr/"
    assert post.extra == {"pagestyle": "base"}
    assert post.body_line == 10


def test_reports_line_of_a_wrongly_typed_key(tmp_path: Path) -> None:
    write_files(
        tmp_path, {"content/posts/lr.md": "---\ntitle: A\ndate: 2024-01-01\norder: first\n---\nx\n"}
    )
    posts, diags = load(tmp_path)
    assert posts == []
    assert messages(diags) == ["content/posts/lr.md:4: 'order' must be a number, got 'first'"]


def test_invalid_yaml_reports_the_md_line(tmp_path: Path) -> None:
    write_files(tmp_path, {"content/a.md": "---\ntitle: ok\ntags: [a, b\n---\nbody\n"})
    _, diags = load(tmp_path)
    (diag,) = diags
    assert diag.path == "content/a.md"
    assert diag.line == 3  # the line of the unclosed list
    assert "invalid YAML" in diag.message


def test_all_errors_are_reported_in_one_run(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "content/a.md": "---\norder: x\n---\n",
            "content/b.md": "---\ntitle: [1]\n---\n",
        },
    )
    _, diags = load(tmp_path)
    assert [(d.path, d.line) for d in diags] == [("content/a.md", 2), ("content/b.md", 2)]


def test_bom_and_crlf_are_fine(tmp_path: Path) -> None:
    write_files(tmp_path, {"content/a.md": b"\xef\xbb\xbf---\r\ntitle: Hi\r\n---\r\nText\r\n"})
    (post,), diags = load(tmp_path)
    assert diags == [] and post.title == "Hi" and post.body == "Text\n"


def test_file_without_front_matter_is_a_post_titled_from_its_heading(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "content/notes/raw.md": "# Gradient Descent\n\nText.\n",
            "content/notes/plain-notes.md": "Just text.\n",
        },
    )
    posts, diags = load(tmp_path)
    assert diags == []
    assert sorted(p.title for p in posts) == ["Gradient Descent", "Plain notes"]


def test_jekyll_file_name_gives_date_and_slug(tmp_path: Path) -> None:
    write_files(tmp_path, {"content/_posts/2023-05-07-least-squares.md": "---\ntitle: LS\n---\n"})
    (post,), _ = load(tmp_path)
    assert post.date == dt.datetime(2023, 5, 7)
    assert post.slug == "least-squares"
    assert post.url == "/posts/least-squares/"


def test_misspelt_known_key_is_reported(tmp_path: Path) -> None:
    write_files(tmp_path, {"content/a.md": "---\ntitel: Hello\n---\n"})
    _, diags = load(tmp_path)
    assert messages(diags) == [
        "content/a.md:2: warning: unknown key 'titel' (did you mean 'title'?)"
    ]


def test_unclosed_front_matter(tmp_path: Path) -> None:
    write_files(tmp_path, {"content/a.md": "---\ntitle: x\nbody\n"})
    _, diags = load(tmp_path)
    assert messages(diags) == [
        "content/a.md:1: front matter opened with '---' on line 1 is never closed"
    ]


def test_front_matter_that_is_a_list(tmp_path: Path) -> None:
    write_files(tmp_path, {"content/a.md": "---\n- a\n- b\n---\n"})
    _, diags = load(tmp_path)
    assert messages(diags) == ["content/a.md:2: front matter must be a mapping of keys, got a list"]


def test_duplicate_urls_name_both_files_case_insensitively(tmp_path: Path) -> None:
    write_files(tmp_path, {"content/a/Intro.md": "x\n", "content/b/intro.md": "y\n"})
    _, diags = load(tmp_path)
    assert messages(diags) == [
        "content/b/intro.md: writes the same URL /posts/intro/ as content/a/Intro.md"
    ]


@pytest.mark.parametrize("permalink", ["/../../etc/", "/%2e%2e/x/", "/a\\b/", "//evil.example/"])
def test_permalink_cannot_leave_the_output_folder(tmp_path: Path, permalink: str) -> None:
    write_files(tmp_path, {"content/a.md": f"---\ntitle: A\npermalink: '{permalink}'\n---\n"})
    posts, diags = load(tmp_path)
    assert posts == []
    (diag,) = diags
    assert (diag.path, diag.line) == ("content/a.md", 3)
    assert diag.message.startswith("permalink")


def test_slug_cannot_leave_the_output_folder(tmp_path: Path) -> None:
    write_files(tmp_path, {"content/a.md": "---\nslug: ../../x\n---\n"})
    (post,), _ = load(tmp_path)
    assert post.url == "/posts/x/"


def test_safe_url_keeps_ordinary_paths() -> None:
    assert safe_url("/posts/a/") == "/posts/a/"
    assert safe_url("/2024/01/02/a.html") == "/2024/01/02/a.html"
    with pytest.raises(PermalinkError):
        safe_url("/a/../../b/")


def test_drafts_are_left_out_unless_asked(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {"content/a.md": "---\ndraft: true\n---\n", "content/b.md": "---\npublished: false\n---\n"},
    )
    assert load(tmp_path)[0] == []
    assert len(load(tmp_path, drafts=True)[0]) == 2


def test_layout_outside_templates_is_refused(tmp_path: Path) -> None:
    write_files(tmp_path, {"content/a.md": "---\nlayout: ../../etc/passwd\n---\n"})
    _, diags = load(tmp_path)
    assert messages(diags) == [
        "content/a.md:2: layout '../../etc/passwd' must be a template name in templates/"
    ]


def test_cells_and_charts_are_extracted_with_md_lines() -> None:
    body = "Intro\n\n```python {compute hide-code timeout=5}\nx = 1\nprint(x)\n```\n\n```chart\ntype: line\n```\n\n````md\n```python {compute}\nnot a cell\n```\n````\n"
    diags = Diagnostics()
    blocks = extract_blocks(body, 10, "content/a.md", diags)
    assert list(diags) == []
    (cell,) = blocks.cells
    assert (cell.line, cell.source, cell.options.hide_code, cell.options.timeout) == (
        13,
        "x = 1\nprint(x)",
        True,
        5.0,
    )
    (chart,) = blocks.charts
    assert (chart.line, chart.source) == (18, "type: line")
    assert blocks.body.count("\n") == body.count("\n")
    assert "LPCELL0X" in blocks.body and "LPCHART0X" in blocks.body and "not a cell" in blocks.body


def test_unknown_cell_option_is_reported_at_the_fence() -> None:
    diags = Diagnostics()
    extract_blocks("\n```python {compute hide-cod}\nx=1\n```\n", 5, "content/a.md", diags)
    assert messages(diags) == [
        "content/a.md:6: unknown cell option 'hide-cod' (did you mean 'hide-code'?)"
    ]


def test_plain_python_block_is_not_a_cell() -> None:
    blocks = extract_blocks("```python\nx = 1\n```\n", 1, "a.md", Diagnostics())
    assert blocks.cells == []


def test_split_front_matter_without_front_matter() -> None:
    fm = split_front_matter("# T\n")
    assert not fm.present and fm.body_line == 1


def test_site_config_unknown_key_is_reported(tmp_path: Path) -> None:
    write_files(tmp_path, {"site.yml": "title: T\nbase_ur: /x/\n"})
    with pytest.raises(BuildError) as info:
        load_config(tmp_path)
    assert [str(d) for d in info.value.diagnostics] == [
        "site.yml:2: unknown key 'base_ur' in site.yml (did you mean 'base_url'?)"
    ]


def test_site_config_base_url_with_origin(tmp_path: Path) -> None:
    write_files(tmp_path, {"site.yml": "base_url: https://example.org/lessons\n"})
    config = load_config(tmp_path)
    assert (config.url, config.base_path) == ("https://example.org", "/lessons/")


def test_jekyll_config_is_read_when_there_is_no_site_yml(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "_config.yml": "name: Blog\nbaseurl: /blog\nurl: https://x.org\npermalink: pretty\nplugins: [jekyll-feed]\n"
        },
    )
    config = load_config(tmp_path)
    assert (config.title, config.base_path, config.url) == ("Blog", "/blog/", "https://x.org")
    assert config.permalink == "/:categories/:year/:month/:day/:title/"
    assert config.extra["plugins"] == ["jekyll-feed"]


def test_site_config_compute_memory_limit(tmp_path: Path) -> None:
    write_files(tmp_path, {"site.yml": "compute_memory_mb: 2048\n"})
    assert load_config(tmp_path).compute_memory_mb == 2048
    write_files(tmp_path, {"site.yml": "compute_memory_mb: lots\n"})
    with pytest.raises(BuildError) as info:
        load_config(tmp_path)
    assert [str(d) for d in info.value.diagnostics] == [
        "site.yml:1: 'compute_memory_mb' must be a positive whole number, got 'lots'"
    ]
