"""The orchestrator: content -> model -> compute -> render -> write, in one readable function.

Like MkDocs, every page is read and rendered before anything is written; the
writer is handed in, so tests can pass one that keeps the site in memory.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from generator.build.memo import Memo
from generator.content.config import load_config
from generator.content.notebooks import in_cell
from generator.content.posts import load_posts, sort_posts
from generator.errors import BuildError, Diagnostic, Diagnostics
from generator.model import (
    BuildOptions,
    ComputeResult,
    NotebookCell,
    OutputFile,
    Post,
    SiteConfig,
)
from generator.output.writer import Writer
from generator.paths import state_dir
from generator.render.bodies import render_bodies
from generator.render.feeds import render_feeds
from generator.render.pages import Renderer, TemplateProblem
from generator.theme import Theme, load_theme


@dataclass(frozen=True)
class BuildReport:
    """What a build made: its posts (so ``check`` need not parse them again), files, diagnostics."""

    posts: tuple[Post, ...] = ()
    files: int = 0
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def failed(self) -> bool:
        return any(d.is_error for d in self.diagnostics)


@dataclass
class _Gate:
    """Collects every stage's diagnostics; after a stage with errors the build stops,
    unless ``keep_going`` (then the site is written with the errors shown). A problem
    in a notebook also names its cell and the line in the cell."""

    keep_going: bool
    diags: Diagnostics = field(default_factory=Diagnostics)
    notebooks: dict[str, tuple[NotebookCell, ...]] = field(default_factory=dict)
    _located: int = 0

    def passed(self, found: Iterable[Diagnostic]) -> None:
        self.diags.extend(found)
        self.locate()
        if self.diags.errors and not self.keep_going:
            raise BuildError(self.diags)

    def locate(self) -> None:
        items = self.diags.items
        for i in range(self._located, len(items)):
            cells = self.notebooks.get(items[i].path)
            if cells:
                items[i] = in_cell(items[i], cells)
        self._located = len(items)


def build(
    options: BuildOptions,
    writer: Writer,
    progress: Callable[[str], None] | None = None,
    memo: Memo | None = None,
) -> BuildReport:
    """Build the site. Raises BuildError (nothing written) when any error was found.

    With ``keep_going`` a site with the failing posts' errors shown is still written,
    and the report says it failed. A long-running caller passes the same ``memo``
    to every build, so that each redoes only what changed.
    """
    root = options.source.resolve()
    gate = _Gate(options.keep_going)
    config = load_config(root)
    theme = load_theme(root)
    if memo is not None:
        memo.content.start((config, options.drafts, theme, _layout_names(root, theme)))
    posts, found = load_posts(
        root,
        config,
        layout_resolver(root, theme),
        drafts=options.drafts,
        memo=memo.content if memo else None,
    )
    gate.passed(found)  # a notebook's own problems name their cells already
    gate.notebooks = {p.rel: p.notebook for p in posts if p.notebook}
    posts = sort_posts(posts)
    results, found = _compute(posts, config, root, options, progress)
    gate.passed(found)
    files = _render(posts, results, config, theme, root, options, memo, gate)
    gate.passed(())
    # Everything is rendered; only now does anything touch the output folder.
    writer.write(files)
    return BuildReport(tuple(posts), len(files), tuple(gate.diags))


def _compute(
    posts: list[Post],
    config: SiteConfig,
    root: Path,
    options: BuildOptions,
    progress: Callable[[str], None] | None,
) -> tuple[dict[str, ComputeResult], list[Diagnostic]]:
    # A notebook with ``execute: false`` shows the outputs it saved: nothing to run.
    saved = {p.rel: ComputeResult(outputs=p.stored) for p in posts if p.stored is not None}
    run = [p for p in posts if p.stored is None]
    if not any(p.cells for p in run):
        return saved, []
    from generator.compute.run import compute_posts  # only a site with cells needs it

    results, found = compute_posts(
        run,
        config,
        root,
        jobs=options.jobs,
        cache_dir=state_dir(root) / "cache",
        mode=options.mode,
        progress=progress,
    )
    return results | saved, found


def _render(
    posts: list[Post],
    results: dict[str, ComputeResult],
    config: SiteConfig,
    theme: Theme,
    root: Path,
    options: BuildOptions,
    memo: Memo | None,
    gate: _Gate,
) -> list[OutputFile]:
    """Bodies, pages, search, feeds and the theme's files; a template error stops here."""
    diags = gate.diags
    state = state_dir(root)
    jobs = options.jobs or os.cpu_count() or 1
    renderer = Renderer(
        config,
        theme,
        root,
        template_cache=state / "templates",
        fragment_cache=state / "fragments",
        memo=memo.render if memo else None,
        written=memo.written if memo else None,
        jobs=jobs,
    )
    try:
        rendered = render_bodies(
            posts,
            [results.get(p.rel, ComputeResult()) for p in posts],
            renderer,
            jobs=jobs,
            cache_dir=state / "render",
            memo=memo.render if memo else None,
        )
        for item in rendered:
            diags.extend(item.diagnostics)
        try:
            files = renderer.render_site(rendered)
            files.extend(renderer.render_search(rendered))
        except TemplateProblem as problem:
            diags.extend(problem.diagnostics)
            gate.locate()
            raise BuildError(diags) from None
    finally:
        renderer.close()
    feed_files, found = render_feeds(config, rendered, memo=memo.render if memo else None)
    files.extend(feed_files)
    diags.extend(found)
    return _merge(files, _theme_files(theme, diags), diags)


def _layout_names(root: Path, theme: Theme) -> tuple[tuple[str, ...], ...]:
    """Which layouts exist: what ``layout_resolver`` answers depends on nothing else."""
    folders = [*theme.templates, root / "_layouts"]
    return tuple(
        tuple(sorted(p.name for p in folder.glob("*.html"))) if folder.is_dir() else ()
        for folder in folders
    )


def layout_resolver(root: Path, theme: Theme) -> Callable[[str], str | None]:
    """Map a front-matter ``layout`` to one of our templates (Jekyll names included)."""
    jekyll_layouts = root / "_layouts"

    def resolve(name: str) -> str | None:
        if any((folder / f"{name}.html").is_file() for folder in theme.templates):
            return name
        if name in ("default", "home"):
            return "page"
        if (jekyll_layouts / f"{name}.html").is_file():
            return "post"
        return None

    return resolve


def _theme_files(theme: Theme, diags: Diagnostics) -> list[OutputFile]:
    """static/ folders (site over theme) plus Chart.js with its licence."""
    files: dict[str, OutputFile] = {}
    for folder in theme.static:
        for path, rel in _walk_static(folder, diags):
            files[rel] = OutputFile(rel, path.read_bytes())
    for src, name in (
        (theme.chartjs, "chart.umd.js"),
        (theme.chartjs_license, "chart.js.LICENSE.md"),
    ):
        if not src.is_file():
            diags.error(
                str(src),
                0,
                "Chart.js is missing: run `npm ci` in the lessonpress checkout",
                code="static",
            )
            continue
        files[f"assets/vendor/{name}"] = OutputFile(f"assets/vendor/{name}", src.read_bytes())
    return [files[k] for k in sorted(files)]


def _walk_static(folder: Path, diags: Diagnostics) -> Iterator[tuple[Path, str]]:
    root = folder.resolve()
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not (here / d).is_symlink() or _warn_link(here / d, folder, diags)
        )
        for name in sorted(filenames):
            path = here / name
            if path.is_symlink():
                try:
                    path.resolve(strict=True).relative_to(root)
                except (OSError, ValueError, RuntimeError):
                    diags.error(
                        _static_rel(path, folder),
                        0,
                        "symlink points outside static/; refused",
                        code="static",
                    )
                    continue
            if path.is_file():
                yield path, path.relative_to(folder).as_posix()


def _warn_link(path: Path, folder: Path, diags: Diagnostics) -> bool:
    diags.error(
        _static_rel(path, folder), 0, "symlinked folders in static/ are not followed", code="static"
    )
    return False


def _static_rel(path: Path, folder: Path) -> str:
    return "static/" + path.relative_to(folder).as_posix()


def _merge(
    generated: list[OutputFile], static: list[OutputFile], diags: Diagnostics
) -> list[OutputFile]:
    """All output files, sorted; a static file wins over a generated one, with a warning."""
    seen = {item.path: item for item in generated}
    for item in static:
        if item.path in seen:
            diags.warning(
                f"static/{item.path}",
                0,
                "replaces the page the build generates there",
                code="static",
            )
        seen[item.path] = item
    return [seen[k] for k in sorted(seen)]


__all__ = ["BuildError", "BuildOptions", "BuildReport", "Post", "build"]
