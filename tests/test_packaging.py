"""Packaging: the wheel carries the default theme and Chart.js, and works outside the repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT, write_files

CHARTJS_DIST = REPO_ROOT / "node_modules" / "chart.js"
THEME = "generator/_theme"


def _run(
    args: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600
) -> str:
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


def _clean_env() -> dict[str, str]:
    """The environment of an author's shell: nothing pointing at this checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_ROOT_USER_ACTION"] = "ignore"
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (CHARTJS_DIST / "dist" / "chart.umd.js").is_file():
        pytest.fail("node_modules/chart.js is missing: run `npm ci` (or `make deps`) first")
    out = tmp_path_factory.mktemp("wheel")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            ".",
        ],
        cwd=REPO_ROOT,
        env=_clean_env(),
    )
    (built,) = out.glob("lessonpress-*.whl")
    return built


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_carries_every_theme_file(wheel: Path) -> None:
    names = _names(wheel)
    for folder in ("templates", "static"):
        files = [p for p in (REPO_ROOT / folder).rglob("*") if p.is_file()]
        assert files, f"the repository's {folder}/ is empty"
        for path in files:
            relative = path.relative_to(REPO_ROOT / folder).as_posix()
            assert f"{THEME}/{folder}/{relative}" in names


def test_wheel_carries_chartjs_and_its_licence(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        chart = archive.read(f"{THEME}/vendor/chart.umd.js")
        licence = archive.read(f"{THEME}/vendor/chart.js.LICENSE.md").decode("utf-8")
    assert chart == (CHARTJS_DIST / "dist" / "chart.umd.js").read_bytes()
    assert "MIT" in licence and "Chart.js" in licence


def test_wheel_holds_the_package_and_its_command(wheel: Path) -> None:
    names = _names(wheel)
    assert "generator/__init__.py" in names
    assert "generator/__main__.py" in names
    assert "generator/commands/reload.js" in names  # serve reads it beside its module
    assert not [n for n in names if n.startswith(("tests/", "node_modules/", "content/"))]
    with zipfile.ZipFile(wheel) as archive:
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        assert "lessonpress = generator.cli:program" in archive.read(entry_points).decode()


def test_chartjs_is_pinned_exactly_and_never_committed() -> None:
    package = json.loads((REPO_ROOT / "package.json").read_text(encoding="utf-8"))
    pinned = package["dependencies"]["chart.js"]
    assert pinned.startswith("4.") and pinned.replace(".", "").isdigit(), pinned
    lock = json.loads((REPO_ROOT / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/chart.js"]["version"] == pinned
    if not (REPO_ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    tracked = _run(["git", "ls-files"], cwd=REPO_ROOT).splitlines()
    assert not [f for f in tracked if f.startswith("node_modules/") or f.endswith("chart.umd.js")]


@pytest.mark.slow
def test_installed_wheel_builds_a_bare_site_outside_the_repository(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    env = _clean_env()
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, env=env)
    python = venv / "bin" / "python"
    # Dependencies come from the environment running the tests -- a virtualenv or not -- through
    # a .pth line (the .pth files there, this checkout's editable install among them, are not
    # run from such a path); only lessonpress itself goes into the new venv.
    purelib = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        cwd=tmp_path,
        env=env,
    )
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (Path(purelib.strip()) / "_test_dependencies.pth").write_text("\n".join(ours) + "\n")
    _run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--force-reinstall",
            str(wheel),
        ],
        cwd=tmp_path,
        env=env,
    )
    site = write_files(
        tmp_path / "author" / "blog",
        {"content/hello.md": "---\ntitle: Hello\ndate: 2024-05-01\n---\n\nHello, world.\n"},
    )
    assert REPO_ROOT not in site.parents

    where = _run(
        [str(python), "-c", "import generator; print(generator.__file__)"], cwd=site, env=env
    )
    assert Path(where.strip()).is_relative_to(venv), where

    out = tmp_path / "out"
    _run(
        [str(venv / "bin" / "lessonpress"), "build", "--source", ".", "--out", str(out)],
        cwd=site,
        env=env,
    )
    assert (out / "index.html").is_file()
    assert "Hello" in (out / "index.html").read_text(encoding="utf-8")
    chart = out / "assets" / "vendor" / "chart.umd.js"
    assert chart.read_bytes() == (CHARTJS_DIST / "dist" / "chart.umd.js").read_bytes()
    assert (out / "assets" / "vendor" / "chart.js.LICENSE.md").is_file()
    for path in (REPO_ROOT / "static").rglob("*"):
        if path.is_file():
            assert (out / path.relative_to(REPO_ROOT / "static")).is_file()
