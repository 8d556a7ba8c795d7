"""``lessonpress init DIR``: a new site that builds, passes its own strict check, and
carries a GitHub Pages workflow that keeps the computed results between runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator import __version__
from generator.cli import main
from tests.helpers import build_site


def test_init_writes_a_site_that_builds_and_passes_its_strict_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "lessons"
    assert main(["init", str(site), "--title", "Physics lessons"]) == 0
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()) == [
        ".github/workflows/pages.yml",
        ".gitignore",
        "content/posts/first-lesson.md",
        "requirements.txt",
        "site.yml",
    ]
    assert yaml.safe_load((site / "site.yml").read_text())["title"] == "Physics lessons"
    assert f"lessonpress[notebooks]=={__version__}" in (site / "requirements.txt").read_text()
    assert "/site/" in (site / ".gitignore").read_text()
    result = build_site(site, site / "site")
    assert result.returncode == 0, result.stderr
    assert (site / "site/posts/first-lesson/index.html").is_file()
    capsys.readouterr()
    assert main(["check", "--source", str(site), "--strict"]) == 0


def test_the_pages_workflow_builds_keeps_the_cache_and_deploys(tmp_path: Path) -> None:
    site = tmp_path / "lessons"
    assert main(["init", str(site)]) == 0
    flow = yaml.safe_load((site / ".github/workflows/pages.yml").read_text())
    steps = flow["jobs"]["build"]["steps"]
    cache = next(s for s in steps if str(s.get("uses", "")).startswith("actions/cache"))
    assert cache["with"]["path"] == ".lessonpress" and "restore-keys" in cache["with"]
    assert any(s.get("run") == "lessonpress build --out site" for s in steps)
    upload = next(s for s in steps if "upload-pages-artifact" in str(s.get("uses", "")))
    assert upload["with"]["path"] == "site"
    assert "deploy-pages" in str(flow["jobs"]["deploy"]["steps"])
    assert flow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}


def test_init_never_writes_into_a_folder_that_holds_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old/notes.md").write_text("mine")
    assert main(["init", str(tmp_path / "old")]) == 1
    assert "already exists and is not an empty folder" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "old").iterdir()) == ["notes.md"]
    (tmp_path / "empty").mkdir()
    assert main(["init", str(tmp_path / "empty")]) == 0  # an empty folder is fine
