"""Compute stage: the result cache under ``.lessonpress/cache/``.

A post's results are reused when nothing its cells can observe has changed.
The key hashes the cells (source and options), the seed, ``float_digits``, the
bytes of every ``inputs:`` file, the source of the site's own Python modules the
cells import (found next to the post or at the site root, followed through
their own imports) and the versions of Python, numpy, torch and lessonpress --
read from package metadata, so computing a key never imports numpy or torch.

One entry per post, written atomically (temp file + ``os.replace``); its first
line carries a sha256 of the rest, so a torn or edited entry reads as corrupt
and is recomputed. Each entry is missing, stale or fresh (after Observable
Framework's loader cache). Failures are never stored. This module knows
nothing about workers or rendering.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib.metadata
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from generator.model import Post, SiteConfig

FORMAT = 3  # 2: outputs carry rich displays; notebooks' cells run in IPython. 3: interacts
_MAGIC = b"lessonpress-cache"

Status = Literal["fresh", "stale", "missing", "corrupt"]


@dataclass(frozen=True)
class CodeScan:
    """What a post's cells import: top-level module names, and the local files behind them."""

    modules: frozenset[str]
    local_files: tuple[Path, ...]


def environment() -> dict[str, str]:
    """Versions that change results; read from metadata, nothing heavy is imported."""
    versions = {"python": sys.version, "implementation": platform.python_implementation()}
    for name in ("numpy", "torch", "matplotlib", "ipython", "ipywidgets"):  # figures, outputs
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "-"
    versions["lessonpress"] = _lessonpress_version()
    return versions


def _lessonpress_version() -> str:
    import generator

    version = getattr(generator, "__version__", None)
    if isinstance(version, str):
        return version
    try:
        return importlib.metadata.version("lessonpress")
    except importlib.metadata.PackageNotFoundError:
        return "0"


# --------------------------------------------------------------------------- imports


def imported_names(source: str) -> set[str]:
    """Top-level names of the absolute imports in ``source`` (empty if it does not parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def _local_module(name: str, search: Iterable[Path]) -> list[Path]:
    """The files of a site-local module or package ``name``, first match on ``search``."""
    for folder in search:
        single = folder / f"{name}.py"
        if single.is_file():
            return [single]
        package = folder / name
        if package.is_dir():
            files = sorted(p for p in package.rglob("*.py") if p.is_file())
            if files:
                return files
    return []


def scan_imports(post: Post, site_root: Path) -> CodeScan:
    """Follow the cells' imports through the site's own modules, as the worker's sys.path will."""
    search = list(dict.fromkeys((post.source.parent, site_root)))
    names: set[str] = set()
    for cell in post.cells:
        names |= imported_names(cell.source)
    seen: set[str] = set()
    files: dict[Path, None] = {}
    todo = sorted(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for path in _local_module(name, search):
            files[path] = None
            found = imported_names(path.read_text(encoding="utf-8", errors="replace"))
            names |= found
            todo.extend(sorted(found - seen))
    return CodeScan(frozenset(names), tuple(sorted(files)))


# --------------------------------------------------------------------------- key


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _display(path: Path, site_root: Path) -> str:
    with contextlib.suppress(ValueError):
        return path.relative_to(site_root).as_posix()
    return path.as_posix()


def post_key(
    post: Post, config: SiteConfig, site_root: Path, scan: CodeScan, env: Mapping[str, str]
) -> str:
    """The sha256 that decides whether a cached result still holds."""
    document = _context(post, config, site_root, scan, env)
    document["cells"] = [[c.source, asdict(c.options)] for c in post.cells]
    document["interact_frames"] = config.interact_frames
    text = json.dumps(document, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def cell_keys(
    post: Post, config: SiteConfig, site_root: Path, scan: CodeScan, env: Mapping[str, str]
) -> tuple[str, ...]:
    """Per cell, a sha256 of everything the namespace depends on when that cell has run:
    the cells up to it (and the post's modules, inputs, seed...). An ``interact`` frame
    is cached under its cell's key, so editing a later cell or the frame budget keeps it."""
    context = json.dumps(_context(post, config, site_root, scan, env), sort_keys=True)
    running = hashlib.sha256(context.encode())
    keys = []
    for cell in post.cells:
        options = {k: v for k, v in asdict(cell.options).items() if k != "frames"}
        running.update(json.dumps([cell.source, options], sort_keys=True).encode())
        keys.append(running.copy().hexdigest())
    return tuple(keys)


def _context(
    post: Post, config: SiteConfig, site_root: Path, scan: CodeScan, env: Mapping[str, str]
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "seed": post.run_seed,
        "notebook": bool(post.notebook),
        "shell": post.shell,
        "figure_format": post.figure_format,
        "float_digits": config.float_digits,
        "inputs": [[p, _digest(site_root / p)] for p in post.inputs],
        "modules": [[_display(p, site_root), _digest(p)] for p in scan.local_files],
        "environment": dict(env),
    }


# --------------------------------------------------------------------------- entries


def entry_path(cache_dir: Path, rel: str) -> Path:
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(rel).stem)[:60]
    return cache_dir / f"{stem}-{hashlib.sha256(rel.encode()).hexdigest()[:16]}.json"


def store(cache_dir: Path, rel: str, key: str, payload: Mapping[str, Any]) -> None:
    """Write an entry atomically: a crash leaves the old entry or the new one, never half."""
    body = json.dumps(
        {"rel": rel, "key": key, **payload}, ensure_ascii=False, allow_nan=False
    ).encode("utf-8")
    data = b"%s %d %s\n" % (_MAGIC, FORMAT, hashlib.sha256(body).hexdigest().encode()) + body
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, entry_path(cache_dir, rel))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def load(cache_dir: Path, rel: str, key: str) -> tuple[Status, dict[str, Any] | None]:
    """The stored payload for ``rel`` if its key matches ``key``."""
    try:
        data = entry_path(cache_dir, rel).read_bytes()
    except FileNotFoundError:
        return "missing", None
    except OSError:
        return "corrupt", None
    header, _, body = data.partition(b"\n")
    expected = b"%s %d %s" % (_MAGIC, FORMAT, hashlib.sha256(body).hexdigest().encode())
    if header != expected:
        return "corrupt", None
    try:
        entry = json.loads(body)
    except ValueError:
        return "corrupt", None
    if not isinstance(entry, dict) or entry.get("rel") != rel:
        return "corrupt", None
    if entry.get("key") != key:
        return "stale", None
    return "fresh", entry


def stored_cell_keys(cache_dir: Path, rel: str) -> list[str]:
    """The cell keys of ``rel``'s entry, fresh or stale (none if unreadable): which cells
    an entry was made from, to tell the author which cell changed since."""
    try:
        data = entry_path(cache_dir, rel).read_bytes()
        entry = json.loads(data.partition(b"\n")[2])
    except (OSError, ValueError):
        return []
    keys = entry.get("cell_keys") if isinstance(entry, dict) else None
    return [str(k) for k in keys] if isinstance(keys, list) else []


def remove_stale_temps(cache_dir: Path, older_than: float = 600.0) -> None:
    """Temp files left by a build killed mid-write (old enough not to be another build's)."""
    now = time.time()
    with contextlib.suppress(OSError):
        for tmp in cache_dir.glob(".tmp-*.json"):
            with contextlib.suppress(OSError):
                if now - tmp.stat().st_mtime > older_than:
                    tmp.unlink()
