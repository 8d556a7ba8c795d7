"""The up-to-date check (issue 9): a rebuild with nothing changed touches nothing and says so;
any change to what a build reads or wrote makes it build for real."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from generator import cli
from generator.output import manifest
from tests.helpers import build_site, write_files

POST = """---
title: First
date: 2024-01-02
tags: [a]
---
Hello **world**.
"""
SECOND = """---
title: Second
date: 2024-01-03
---
More text.
"""
UP_TO_DATE = "up to date"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Files the test just wrote are "racy" for two seconds; the racy rule has its own test.
    monkeypatch.setattr(manifest, "RACY_NS", 0)
    return write_files(
        tmp_path / "src",
        {"content/first.md": POST, "content/second.md": SECOND, "site.yml": "title: T\n"},
    )


def build(site: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = cli.main(["build", "--source", str(site), "--out", str(site / "site"), *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_nothing_changed_touches_nothing_and_repeats_the_warnings(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, first = build(site, capsys)
    assert code == 0 and UP_TO_DATE not in first
    assert "site URL unknown" in first  # a warning the build gives
    before = snapshot(site / "site")
    code, again = build(site, capsys)
    assert code == 0, again
    assert UP_TO_DATE in again
    assert "built 2 posts" in again
    assert "site URL unknown" in again  # warnings are said again, not lost
    assert snapshot(site / "site") == before


@pytest.mark.parametrize(
    "change",
    [
        "edit a post",
        "add a post",
        "delete a post",
        "edit the config",
        "add a template",
        "add a static file",
        "delete an output file",
        "edit an output file",
    ],
)
def test_any_change_builds_for_real(
    site: Path, capsys: pytest.CaptureFixture[str], change: str
) -> None:
    assert build(site, capsys)[0] == 0
    out = site / "site"
    if change == "edit a post":
        (site / "content/first.md").write_text(POST.replace("world", "there"), encoding="utf-8")
    elif change == "add a post":
        (site / "content/third.md").write_text(SECOND.replace("Second", "Third"), "utf-8")
    elif change == "delete a post":
        (site / "content/second.md").unlink()
    elif change == "edit the config":
        (site / "site.yml").write_text("title: Renamed\n", encoding="utf-8")
    elif change == "add a template":
        write_files(site, {"templates/partials/footer.html": "<footer>mine</footer>\n"})
    elif change == "add a static file":
        write_files(site, {"static/extra.css": "body{}\n"})
    elif change == "delete an output file":
        (out / "index.html").unlink()
    else:
        (out / "index.html").write_text("tampered", encoding="utf-8")
    code, log = build(site, capsys)
    assert code == 0, log
    assert UP_TO_DATE not in log
    # What a clean build of the same sources writes, byte for byte.
    clean = build_site(site, site.parent / "clean")
    assert clean.returncode == 0, clean.stderr
    assert {k: v[0] for k, v in snapshot(out).items()} == {
        k: v[0] for k, v in snapshot(site.parent / "clean").items()
    }
    if change == "edit a post":
        assert "there" in (out / "posts/first/index.html").read_text(encoding="utf-8")


def test_options_that_change_the_output_are_part_of_the_check(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_files(site, {"content/draft.md": "---\ntitle: D\ndraft: true\n---\nx\n"})
    assert build(site, capsys)[0] == 0
    assert not (site / "site/posts/draft/index.html").exists()
    code, log = build(site, capsys, "--drafts")
    assert code == 0 and UP_TO_DATE not in log
    assert (site / "site/posts/draft/index.html").exists()
    code, log = build(site, capsys, "--drafts")
    assert UP_TO_DATE in log
    code, log = build(site, capsys, "--drafts", "--rerun")  # --rerun always runs
    assert code == 0 and UP_TO_DATE not in log


def test_a_failed_build_forgets_the_record(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert build(site, capsys)[0] == 0
    good = (site / "content/first.md").read_bytes()
    (site / "content/first.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    code, log = build(site, capsys)
    assert code == 1 and "content/first.md:2:" in log
    assert not (site / ".lessonpress" / manifest.NAME).exists()
    (site / "content/first.md").write_bytes(good)  # back to the very same bytes
    code, log = build(site, capsys)
    assert code == 0 and UP_TO_DATE not in log


def test_files_changed_just_before_a_build_are_not_trusted(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file written in the same clock tick as the build started might change again
    # without its mtime moving, so such a build records nothing and the next one builds.
    monkeypatch.setattr(manifest, "RACY_NS", 60_000_000_000)
    assert build(site, capsys)[0] == 0
    assert not (site / ".lessonpress" / manifest.NAME).exists()
    code, log = build(site, capsys)
    assert code == 0 and UP_TO_DATE not in log
    # Once the sources are older than the window, the record is kept and used.
    old = time.time() - 120
    for path in site.rglob("*"):
        os.utime(path, (old, old))
    monkeypatch.setattr(manifest, "RACY_NS", 1_000_000)
    time.sleep(0.01)
    assert build(site, capsys)[0] == 0
    assert UP_TO_DATE in build(site, capsys)[1]
