"""The adversarial suite: every folder in tests/adversarial/ is one hostile site.

A case folder holds ``expected.yml``, the site's files under ``site/`` and,
for inputs awkward to commit (20 MB posts, NUL bytes, symlinks, Unicode
normalisation twins), a ``make.py`` whose ``make(site: Path) -> None`` writes
them at test time. Adding a case is adding a folder. ``expected.yml`` keys:

    about:    what the case is (required)
    exit:     the expected exit code (0 for legal input)
    stderr:   regexes; each must match a line of stderr
    absent:   regexes no stderr line may match
    outputs:  files the built site must hold (exit 0 only)
    out:      the --out argument, relative to the test folder (default: out)
    args:     extra build arguments
    timeout:  seconds before the build counts as hung (default 60)
    xfail:    a known bug, with where it lives; the case must still fail

Every build runs through the real CLI in a subprocess, from a scratch folder
holding ``src/`` (the site), ``out/`` (a previous site) and ``tmp/`` (TMPDIR).
Whatever the case, the runner checks: no traceback; every stderr line is a
``path[:line]: message`` diagnostic with a relative path; nothing is written
outside the output folder (the source folder stays as it was, apart from its
``.lessonpress/`` state, and no stray temporary file is left; the writer's
private ``.lessonpress-prev-out`` sibling is the one allowed exception); and a failed
build leaves the previous site byte for byte.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.output.writer import STAGE_PREFIX
from tests.helpers import REPO_ROOT, generator_env

CASES = REPO_ROOT / "tests" / "adversarial"
KNOWN_KEYS = {"about", "exit", "stderr", "absent", "outputs", "out", "args", "timeout", "xfail"}
STATE = ".lessonpress"
# A diagnostic: a relative path, an optional line, then the message.
DIAGNOSTIC = re.compile(r"^(?!/)[^\s:][^:]*?(:\d+)?: \S")
SUMMARY = re.compile(r"^(build failed: |built .* in \d)")
PREVIOUS_SITE = {
    "index.html": b"<!doctype html><title>previous build</title>\n",
    "posts/old/index.html": b"<p>an older post</p>\n",
    "data/blob.bin": bytes(range(256)) * 4,
}


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    about: str
    exit: int
    stderr: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    out: str = "out"
    args: tuple[str, ...] = ()
    timeout: float = 60.0
    xfail: str | None = None


def load_case(folder: Path) -> Case:
    spec = yaml.safe_load((folder / "expected.yml").read_text(encoding="utf-8"))
    unknown = set(spec) - KNOWN_KEYS
    assert not unknown, f"{folder.name}/expected.yml: unknown keys {sorted(unknown)}"
    return Case(
        name=folder.name,
        folder=folder,
        about=str(spec["about"]),
        exit=int(spec["exit"]),
        stderr=tuple(spec.get("stderr") or ()),
        absent=tuple(spec.get("absent") or ()),
        outputs=tuple(spec.get("outputs") or ()),
        out=str(spec.get("out", "out")),
        args=tuple(str(a) for a in spec.get("args") or ()),
        timeout=float(spec.get("timeout", 60)),
        xfail=spec.get("xfail"),
    )


def all_cases() -> list[Any]:
    params = []
    for folder in sorted(p for p in CASES.iterdir() if (p / "expected.yml").is_file()):
        case = load_case(folder)
        marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


# --------------------------------------------------------------------------- snapshots


def snapshot(root: Path, skip: tuple[Path, ...] = ()) -> dict[str, str]:
    """Every entry under ``root`` (symlinks not followed) -> a digest of what it is."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if here / d not in skip]
        for name in dirnames + filenames:
            path = here / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[rel] = "link:" + os.readlink(path)
            elif path.is_dir():
                found[rel] = "dir"
            else:
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def prepare(case: Case, scratch: Path) -> tuple[Path, Path]:
    """The scratch folder: src/ (the case's site), out/ (a previous site), tmp/."""
    src = scratch / "src"
    if (case.folder / "site").is_dir():
        shutil.copytree(case.folder / "site", src, symlinks=True)
    else:
        src.mkdir()
    maker = case.folder / "make.py"
    if maker.is_file():
        spec = importlib.util.spec_from_file_location(f"adversarial_{case.name}", maker)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.make(src)
    (scratch / "tmp").mkdir()
    out = scratch / "out"
    for rel, data in PREVIOUS_SITE.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    return src, out


def run_build(case: Case, scratch: Path) -> subprocess.CompletedProcess[str]:
    env = generator_env({"TMPDIR": str(scratch / "tmp"), "SOURCE_DATE_EPOCH": "1700000000"})
    command = [sys.executable, "-m", "generator", "build", "--source", "src", "--out", case.out]
    try:
        return subprocess.run(
            [*command, *case.args],
            cwd=scratch,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=case.timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case.name}: the build hung (no exit within {case.timeout:g} s)")


# --------------------------------------------------------------------------- the test


@pytest.mark.parametrize("case", all_cases())
def test_adversarial_case(case: Case, tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    src, out = prepare(case, scratch)
    # The writer keeps the previous site in a private sibling (STAGE_PREFIX) by design.
    keep = (out, src / STATE, scratch / f"{STAGE_PREFIX}out")
    before = snapshot(scratch, keep)
    previous = snapshot(out)

    started = time.monotonic()
    result = run_build(case, scratch)
    elapsed = time.monotonic() - started
    err = result.stderr
    shown = f"exit {result.returncode} after {elapsed:.1f} s; stderr:\n{err[-4000:]}"

    assert "Traceback" not in err, shown
    assert result.returncode == case.exit, shown
    lines = err.splitlines()
    for pattern in case.stderr:
        assert any(re.search(pattern, line) for line in lines), (
            f"no line matches {pattern!r}\n{shown}"
        )
    for pattern in case.absent:
        assert not any(re.search(pattern, line) for line in lines), f"{pattern!r} matched\n{shown}"
    for line in lines:
        if line.startswith((" ", "\t")) or SUMMARY.match(line):
            continue  # quoted source under a diagnostic, or the closing summary
        assert DIAGNOSTIC.match(line), f"not a path:line diagnostic: {line!r}\n{shown}"

    after = snapshot(scratch, keep)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"written outside the output folder: {changed[:10]}\n{shown}"
    if result.returncode != 0 and case.out == "out":
        assert snapshot(out) == previous, f"the previous site changed\n{shown}"
    if result.returncode == 0:
        for rel in case.outputs:
            assert (out / rel).is_file(), f"missing output {rel}\n{shown}"
        for path in out.rglob("*"):
            assert not path.is_symlink(), f"the site holds a symlink: {path}"
