"""Helpers shared by the test suite: write small real sites, run the real build command.

Tests import these as ``from tests.helpers import build_site, write_files, ...`` (run pytest as
``python -m pytest`` from the repository root, as the Makefile does).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.build.pipeline import layout_resolver
from generator.content.config import load_config
from generator.content.posts import load_posts, sort_posts
from generator.model import Cell, CellOptions, ComputeResult, Post
from generator.render.pages import Renderer
from generator.render.rendered import RenderedPost
from generator.theme import load_theme

REPO_ROOT = Path(__file__).resolve().parent.parent

# A build of a small site takes seconds; anything near this is a hang, not a slow build.
BUILD_TIMEOUT_SECONDS = 600


def write_files(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``{"content/a.md": "...", ...}`` under ``root`` (parents created); return ``root``."""
    for relative, data in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data, encoding="utf-8", newline="")
    return root


def site_files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its relative path: two builds compare byte for byte."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def generator_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child ``python -m generator``: this checkout's package comes first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    if extra:
        env.update(extra)
    return env


def run_generator(
    *args: str | os.PathLike[str],
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = BUILD_TIMEOUT_SECONDS,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m generator ARGS...`` in a real subprocess; never raises on a non-zero exit."""
    return subprocess.run(
        [sys.executable, "-m", "generator", *(os.fspath(a) for a in args)],
        cwd=cwd,
        env=generator_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def build_example_site(scratch: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The repository's own site (``content/`` + ``site.yml``) copied into ``scratch`` and
    built (so no cache or output lands in the repository): the output folder and the run."""
    src = scratch / "src"
    shutil.copytree(REPO_ROOT / "content", src / "content")
    shutil.copy2(REPO_ROOT / "site.yml", src / "site.yml")
    out = scratch / "site"
    return out, build_site(src, out)


def build_site(
    src: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *extra_args: str,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m generator build --source SRC --out OUT EXTRA...`` from inside SRC.

    Returns the CompletedProcess (``returncode``, ``stdout``, ``stderr``); asserting on it is the
    caller's job, e.g. ``assert result.returncode == 0, result.stderr``.
    """
    src_path = Path(src).resolve()
    out_path = Path(out).resolve()
    return run_generator(
        "build", "--source", src_path, "--out", out_path, *extra_args, cwd=src_path, env=env
    )


@dataclass
class BrowserLog:
    """Everything that went wrong while a page was open; empty lists mean a clean page."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    def problems(self, *, allow_http_errors: str | None = None) -> list[str]:
        """All problems as lines; ``allow_http_errors`` is a regex of URLs whose 4xx/5xx is expected
        (say, the missing page a 404 test visits; its console 'Failed to load' line is then ignored
        as well)."""
        allowed = re.compile(allow_http_errors) if allow_http_errors else None
        http = [e for e in self.http_errors if not (allowed and allowed.search(e))]
        console = self.console_errors
        if allowed and len(http) < len(self.http_errors):
            console = [c for c in console if not c.startswith("console: Failed to load resource")]
        return [
            *console,
            *self.page_errors,
            *self.failed_requests,
            *http,
            *self.external_requests,
        ]

    def assert_clean(self, *, allow_http_errors: str | None = None) -> None:
        problems = self.problems(allow_http_errors=allow_http_errors)
        assert not problems, "the browser reported problems:\n" + "\n".join(problems)


def assert_no_browser_errors(log: BrowserLog, *, allow_http_errors: str | None = None) -> None:
    """Fail the test if the page logged console errors, threw, or had a request fail."""
    log.assert_clean(allow_http_errors=allow_http_errors)


def canvas_has_ink(page: Any, selector: str) -> bool:
    return bool(
        page.evaluate(
            """(sel) => {
                const c = document.querySelector(sel);
                const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
                return false;
            }""",
            selector,
        )
    )


def check_seed_chart(page: Any) -> None:
    page.wait_for_function("() => window.Chart && Chart.getChart('cropYieldChart')")
    page.wait_for_timeout(1500)  # Chart.js animates for about a second
    info = page.evaluate(
        """() => {
            const chart = Chart.getChart('cropYieldChart');
            return {
                points: chart.data.datasets[0].data.length,
                x: chart.options.scales.x.title.text,
                y: chart.options.scales.y.title.text,
                xShown: chart.options.scales.x.title.display,
            };
        }"""
    )
    assert info == {
        "points": 9,
        "x": "Fertilizer Usage (Tonnes)",
        "y": "Crop Yield (Tonnes)",
        "xShown": True,
    }
    assert canvas_has_ink(page, "#cropYieldChart")


# --------------------------------------------------------------------------- sites as text


@dataclass
class Built:
    """What an in-process ``lessonpress build`` (the ``run_build`` fixture) returned."""

    code: int
    out: str
    err: str
    site: Path

    def read(self, rel: str) -> str:
        return (self.site / rel).read_text(encoding="utf-8")


def write_site(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Like :func:`write_files`, text dedented first (sites written inline in tests)."""
    return write_files(
        root,
        {
            rel: data if isinstance(data, bytes) else textwrap.dedent(data).lstrip("\n")
            for rel, data in files.items()
        },
    )


# --------------------------------------------------------------------------- rendering


def render_posts(
    root: Path, files: Mapping[str, str | bytes], *, drafts: bool = False
) -> tuple[Renderer, list[RenderedPost]]:
    """Write the site, then content -> render bodies (no cells) as a build does."""
    write_site(root, files)
    config = load_config(root)
    theme = load_theme(root)
    posts, diags = load_posts(root, config, layout_resolver(root, theme), drafts=drafts)
    assert not [d for d in diags if d.is_error], diags
    renderer = Renderer(config, theme, root)
    rendered = [renderer.render_post_body(p, ComputeResult()) for p in sort_posts(posts)]
    return renderer, rendered


# --------------------------------------------------------------------------- compute


CellSpec = str | tuple[str, CellOptions]


def write_post(
    root: Path, name: str, *cells: CellSpec, folder: str = "content/posts", **fields: object
) -> Post:
    """Write ``<folder>/<name>.md`` with prose around each cell; return its Post.

    Each cell sits in a ```python {compute} fence after a line of prose, so cell k's first
    code line is a real line of the file, as the content stage would report it.
    """
    lines = ["---", f"title: {name}", "---", "", f"# {name}"]
    built = []
    for index, spec in enumerate(cells):
        source, options = spec if isinstance(spec, tuple) else (spec, CellOptions())
        lines += ["", f"Prose before cell {index}.", "", "```python {compute}"]
        built.append(Cell(index, source, len(lines) + 1, options))
        lines += [*source.splitlines(), "```"]
    path = root / folder / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rel = path.relative_to(root).as_posix()
    return Post(
        source=path,
        rel=rel,
        title=name,
        date=None,
        slug=name,
        url=f"/posts/{name}/",
        body="",
        body_line=4,
        cells=tuple(built),
        **fields,  # type: ignore[arg-type]
    )


def line_of(post: Post, cell: int, text: str) -> int:
    """The .md line of the first line containing ``text`` in cell ``cell``."""
    source = post.cells[cell].source.splitlines()
    return post.cells[cell].line + next(i for i, line in enumerate(source) if text in line)


def interact_frames(page_dir: Path, ident: str) -> dict[str, Any]:
    """The frames script of interact ``ident`` beside a page, as data:
    ``{"frames": [html...], "index": [frame of each grid point...]}``."""
    code = (page_dir / f"{ident}-frames.js").read_text(encoding="utf-8")
    found = re.fullmatch(r"\(window\.lessonpressFrames = .*?\)\[(\".*?\")\] = (.*);\n", code, re.S)
    assert found is not None, code[:200]
    assert json.loads(found.group(1)) == ident
    data: dict[str, Any] = json.loads(found.group(2))
    return data
