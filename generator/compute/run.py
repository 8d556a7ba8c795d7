"""Compute stage: run each post's cells in an isolated worker, or reuse the cache.

model -> **compute** -> render. :func:`compute_posts` looks every post up in
the cache (:mod:`generator.compute.cache`); the rest run in workers forked from one
zygote per build (:mod:`generator.compute.worker`), which imports numpy/torch once
so no post pays for them. The build process itself never imports numpy or
torch, and a fully cached build starts no process at all.

A worker is its own process group: a timeout kills it and everything it
started with one ``killpg``. Whatever a worker does -- raise, exit, segfault,
run out of memory, loop -- only its post fails, with a diagnostic at a line
of the .md file. This module knows nothing about Markdown or the output folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from generator.compute import cache, datasets
from generator.errors import Diagnostic
from generator.model import CellOutput, ComputeResult, Dataset, Display, Post, SiteConfig

if TYPE_CHECKING:  # the worker pool loads only when some post must run
    from generator.compute.pool import Job

Mode = Literal["normal", "frozen", "rerun"]
Progress = Callable[[str], None]

FROZEN_MISSING = "no cached results (stale or missing); run a normal build"


def compute_posts(
    posts: Sequence[Post],
    config: SiteConfig,
    site_root: Path,
    *,
    jobs: int | None = None,
    cache_dir: Path | None,
    mode: Mode = "normal",
    progress: Progress | None = None,
) -> tuple[dict[str, ComputeResult], list[Diagnostic]]:
    """Results keyed by ``post.rel``, and every diagnostic (errors and warnings)."""
    site_root = Path(site_root).resolve()
    results: dict[str, ComputeResult] = {}
    diagnostics: list[Diagnostic] = []
    env = cache.environment()
    if cache_dir is not None:
        cache.remove_stale_temps(cache_dir)
    todo: list[tuple[Post, str, frozenset[str], tuple[str, ...]]] = []
    for post in posts:
        if not post.cells:
            results[post.rel] = ComputeResult()
            continue
        scan = cache.scan_imports(post, site_root)
        key = cache.post_key(post, config, site_root, scan, env)
        cached = None
        if mode != "rerun" and cache_dir is not None:
            cached = _from_cache(post, cache_dir, key, mode, diagnostics)
        if cached is not None:
            results[post.rel] = cached
            _say(progress, f"{post.rel}: cached")
        elif mode == "frozen":
            keys = cache.cell_keys(post, config, site_root, scan, env)
            line = _first_changed(post, keys, cache_dir)
            diagnostics.append(
                Diagnostic(post.rel, line, FROZEN_MISSING, code="compute-frozen-missing")
            )
        else:
            todo.append(
                (post, key, scan.modules, cache.cell_keys(post, config, site_root, scan, env))
            )
    if todo:
        from generator.compute.pool import Job, WorkerPool

        running = [Job(*job) for job in todo]
        cores = jobs or os.cpu_count() or 1
        count = max(1, min(cores, len(running)))
        frame_cache = cache_dir / "frames" if cache_dir is not None else None
        with WorkerPool(
            config, site_root, running, count, progress, frame_jobs=cores, frame_cache=frame_cache
        ) as pool:
            pool.run()
        for job in running:
            results[job.post.rel] = _result(job)
            diagnostics.extend(job.diagnostics)
            if not job.failed and cache_dir is not None:
                cache.store(cache_dir, job.post.rel, job.key, _payload(job))
    return results, diagnostics


def _first_changed(post: Post, keys: Sequence[str], cache_dir: Path | None) -> int:
    """The line of the first cell that differs from the post's last cached run (its first
    cell when nothing was cached): where the author's edit is."""
    stored = cache.stored_cell_keys(cache_dir, post.rel) if cache_dir is not None else []
    for cell, key, old in zip(post.cells, keys, [*stored, *[""] * len(keys)], strict=False):
        if key != old:
            return cell.line
    return post.cells[0].line


def _say(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)


def _from_cache(
    post: Post, cache_dir: Path, key: str, mode: Mode, diagnostics: list[Diagnostic]
) -> ComputeResult | None:
    status, entry = cache.load(cache_dir, post.rel, key)
    if status == "corrupt":
        message = "cache entry is corrupt; " + ("ignored" if mode == "frozen" else "recomputing")
        diagnostics.append(Diagnostic(post.rel, 0, message, "warning"))
    if entry is None:
        return None
    try:
        outputs = tuple(
            CellOutput(int(o["index"]), str(o["text"]), _displays(o.get("displays", ())))
            for o in entry["outputs"]
        )
        found = _datasets(post, entry["datasets"])
    except (KeyError, TypeError, ValueError):
        diagnostics.append(
            Diagnostic(post.rel, 0, "cache entry is malformed; recomputing", "warning")
        )
        return None
    return ComputeResult(outputs=outputs, datasets=found, cached=True)


def _displays(wires: Sequence[Mapping[str, Any]]) -> tuple[Display, ...]:
    return tuple(Display(str(w["mime"]), str(w["data"]), str(w.get("alt", ""))) for w in wires)


def _datasets(post: Post, wires: Sequence[Mapping[str, Any]]) -> dict[str, Dataset]:
    """Wire dicts as datasets; ``line`` from the post as it is now (prose may have moved)."""
    found: dict[str, Dataset] = {}
    for wire in wires:
        position = int(wire["cell"])
        line = post.cells[position].line if 0 <= position < len(post.cells) else 0
        dataset = datasets.dataset_from_wire(wire, line)
        found[dataset.name] = dataset
    return found


def _result(job: Job) -> ComputeResult:
    cells = job.post.cells
    outputs = tuple(
        CellOutput(cells[i].index, text, _displays(job.displays.get(i, ())))
        for i, text in sorted(job.outputs.items())
        if i < len(cells)
    )
    try:
        found = _datasets(job.post, job.wires)
    except (KeyError, TypeError, ValueError) as exc:
        job.failed = True
        job.diagnostics.append(Diagnostic(job.post.rel, 0, f"malformed dataset from worker: {exc}"))
        found = {}
    return ComputeResult(outputs=outputs, datasets=found, cached=False)


def _payload(job: Job) -> dict[str, Any]:
    cells = job.post.cells
    return {
        "outputs": [
            {"index": cells[i].index, "text": text, "displays": job.displays.get(i, [])}
            for i, text in sorted(job.outputs.items())
        ],
        "datasets": job.wires,
        "cell_keys": list(job.cell_keys),
    }
