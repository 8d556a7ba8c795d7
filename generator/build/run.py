"""Build stage: the one way a command runs a build into a folder -- lock, memo, writer, build.

``lessonpress build`` and ``lessonpress serve`` both call :func:`run_build`; only
``build`` keeps a record between processes (the saved memo and the manifest that
lets an unchanged site skip the build), ``serve`` keeps its memo in memory.
Author errors come back as diagnostics, never as an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from generator.build.memo import Memo, load_memo, save_memo
from generator.errors import BuildError, Diagnostic
from generator.model import BuildOptions, Post
from generator.output.manifest import Manifest, Recorded
from generator.output.writer import FolderWriter, build_lock, check_out_dir
from generator.paths import state_dir

if TYPE_CHECKING:
    from generator.build.pipeline import BuildReport


@dataclass(frozen=True)
class BuildRun:
    """How a build into a folder went."""

    written: bool  # the folder holds this build's site (or, if up_to_date, the last one)
    posts: int
    files: int
    diagnostics: tuple[Diagnostic, ...]
    up_to_date: bool = False  # nothing changed since the last good build: nothing was done
    built_posts: tuple[Post, ...] = ()

    @property
    def failed(self) -> bool:
        return any(d.is_error for d in self.diagnostics)


def run_build(
    options: BuildOptions,
    out: Path,
    *,
    memo: Memo | None = None,
    progress: Callable[[str], None] | None = None,
    remember: bool = True,
) -> BuildRun:
    """Build ``options.source`` into ``out``; a failed build leaves ``out`` as it was.

    With ``remember`` (``lessonpress build``), a site unchanged since the last good build
    is not built again, and the memo is loaded from and saved to the state folder. A
    long-running caller passes its own ``memo`` (kept in memory) and ``remember=False``.
    """
    source = options.source
    state = state_dir(source.resolve())
    try:
        check_out_dir(out, source)
        with build_lock(state):
            manifest = Manifest(source, out, [options.drafts, options.mode]) if remember else None
            if manifest is not None:
                recorded = manifest.up_to_date() if options.mode != "rerun" else None
                if recorded is not None:
                    return _unchanged(recorded)
                manifest.start()
            if memo is None:
                memo = load_memo(state) if remember else Memo()
            writer = FolderWriter(out, state=state, written=memo.written)
            report = _build(options, writer, progress, memo)
            if remember and not report.failed:
                save_memo(state, memo)
                assert manifest is not None
                manifest.finish(Recorded(len(report.posts), report.files, report.diagnostics))
    except BuildError as exc:
        return BuildRun(False, 0, 0, exc.diagnostics)
    return BuildRun(True, len(report.posts), report.files, report.diagnostics, False, report.posts)


def _unchanged(recorded: Recorded) -> BuildRun:
    return BuildRun(True, recorded.posts, recorded.files, recorded.diagnostics, up_to_date=True)


def _build(
    options: BuildOptions,
    writer: FolderWriter,
    progress: Callable[[str], None] | None,
    memo: Memo,
) -> BuildReport:
    from generator.build.pipeline import build  # the heavy modules: only when there is work

    return build(options, writer, progress, memo)
