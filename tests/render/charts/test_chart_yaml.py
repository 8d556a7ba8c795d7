"""A ```chart block's YAML is read by the same safe loader as front matter: every mistake is
``post.md:line: message``, the build exits 1 with all of them, and the previous site stays."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from tests.helpers import build_site, write_files

GOOD = "---\ntitle: Charts\n---\n\nIntro.\n\n```chart\ntype: line\ndata: {x: [1, 2], y: [3, 4]}\nx: x\ny: y\ncaption: A line\n```\n"
BOMB = "\n".join(
    ["options:", "  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"  {chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]" for i in range(8)]
)


def chart_post(body: str) -> str:
    """A post whose chart block (YAML ``body``) starts on line 8 of the file."""
    return f"---\ntitle: Bad chart\n---\n\nIntro.\n\n```chart\n{body}\n```\n"


def digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    src = write_files(
        tmp_path / "src",
        {"site.yml": "title: T\nbase_url: /\n", "content/posts/good.md": GOOD},
    )
    out = tmp_path / "out"
    first = build_site(src, out)
    assert first.returncode == 0, first.stderr
    return src, out, digest(out)


CASES = {
    "bad-date": (
        "type: line\ndata: {x: [1], y: [2]}\nx: x\ny: y\ncaption: 2024-13-45\n",
        12,
        "invalid YAML in chart: cannot read '2024-13-45' as timestamp",
    ),
    "bad-int-tag": (
        "type: line\nheight: !!int abc\n",
        9,
        "invalid YAML in chart: cannot read 'abc' as int",
    ),
    "python-tag": (
        "type: !!python/object:os.system line\n",
        8,
        "invalid YAML in chart: unsupported tag 'tag:yaml.org,2002:python/object:os.system'",
    ),
    "bad-float-tag": (
        "type: line\noptions: {a: !!float x}\n",
        9,
        "invalid YAML in chart: cannot read 'x' as float",
    ),
    "syntax": ("type: line\ndata: [1, 2\n", 9, "invalid YAML in chart:"),  # the [ that opens
}


@pytest.mark.parametrize("name", list(CASES))
def test_chart_yaml_mistake_is_a_diagnostic_at_its_line(
    site: tuple[Path, Path, dict[str, str]], name: str
) -> None:
    src, out, before = site
    body, line, message = CASES[name]
    write_files(src, {f"content/posts/{name}.md": chart_post(body)})
    result = build_site(src, out)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"content/posts/{name}.md:{line}: {message}"), result.stderr
    assert digest(out) == before  # the previous site is left as it was


def test_every_chart_mistake_of_a_build_is_reported_at_once(
    site: tuple[Path, Path, dict[str, str]],
) -> None:
    src, out, before = site
    for name, (body, _, _) in CASES.items():
        write_files(src, {f"content/posts/{name}.md": chart_post(body)})
    result = build_site(src, out)
    assert result.returncode == 1
    reported = {
        line.split(":", 1)[0] for line in result.stderr.splitlines() if ": invalid YAML" in line
    }
    assert reported == {f"content/posts/{name}.md" for name in CASES}
    assert digest(out) == before


def test_alias_bomb_under_options_is_refused_fast(site: tuple[Path, Path, dict[str, str]]) -> None:
    src, out, before = site
    write_files(src, {"content/posts/bomb.md": chart_post("type: line\n" + BOMB)})
    started = time.monotonic()
    result = build_site(src, out)
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stderr
    assert "content/posts/bomb.md:" in result.stderr
    assert "invalid YAML in chart: aliases expand to over" in result.stderr or (
        "too many YAML aliases" in result.stderr
    ), result.stderr
    assert elapsed < 15, f"took {elapsed:.1f} s"  # ~28 s before one loader served both
    assert digest(out) == before
