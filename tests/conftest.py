"""Shared fixtures: real small sites in tmp_path, built through the real CLI."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.cli import main
from tests import helpers


@dataclass
class Built:
    code: int
    out: str
    err: str
    site: Path

    def read(self, rel: str) -> str:
        return (self.site / rel).read_text(encoding="utf-8")


def write_files(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Create a site from a dict of relative path -> text (dedented) or bytes."""
    return helpers.write_files(
        root,
        {
            rel: data if isinstance(data, bytes) else textwrap.dedent(data).lstrip("\n")
            for rel, data in files.items()
        },
    )


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[[Mapping[str, str | bytes]], Path]:
    def make(files: Mapping[str, str | bytes]) -> Path:
        return write_files(tmp_path / "src", files)

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
