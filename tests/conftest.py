"""Shared fixtures: real small sites in tmp_path, built through the real CLI."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from generator.cli import main
from tests.helpers import Built, write_site


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[[Mapping[str, str | bytes]], Path]:
    def make(files: Mapping[str, str | bytes]) -> Path:
        return write_site(tmp_path / "src", files)

    return make


@pytest.fixture
def run_build(capsys: pytest.CaptureFixture[str]) -> Callable[..., Built]:
    """Run ``lessonpress build`` in-process; returns exit code, output and the site folder."""

    def run(source: Path, *args: str, out: Path | None = None) -> Built:
        out = out or source.parent / "site"
        code = main(["build", "--source", str(source), "--out", str(out), "-j", "2", *args])
        captured = capsys.readouterr()
        return Built(code, captured.out, captured.err, out)

    return run
