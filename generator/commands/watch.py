"""Serve support: what to watch, and the hub that tells open pages a build finished.

Part of ``lessonpress serve``; it sits beside the pipeline, not inside it. It
knows which source folders a site has and which paths are never sources (the
output folder, ``.lessonpress``), but nothing about posts, templates or HTTP.
"""

from __future__ import annotations

import os
import queue
import secrets
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from generator import paths
from generator.errors import Diagnostic
from generator.paths import never_input

# Files editors write next to the one being saved.
IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".pyc", ".pyo", ".DS_Store")
IGNORED_NAMES = frozenset({"4913", ".DS_Store"})

# watchfiles groups events that arrive within this many ms of each other.
STEP_MS = 20


# --------------------------------------------------------------------------- the hub


@dataclass(frozen=True)
class Snapshot:
    """What every open page should know: which build it shows and what went wrong since."""

    version: int  # bumped on every change, so waiters can tell they missed nothing
    stamp: str  # "<server token>-<generation>": the build a page was served from
    errors: tuple[Diagnostic, ...]  # of the last build; () when it succeeded
    closed: bool


class ReloadHub:
    """Thread-safe state shared by the builder (main thread) and the HTTP threads."""

    def __init__(self, base_path: str = "/") -> None:
        self._token = secrets.token_hex(4)  # a restarted server never matches an old page
        self._cond = threading.Condition()
        self._version = 0
        self._generation = 0
        self._errors: tuple[Diagnostic, ...] = ()
        self._closed = False
        self.base_path = base_path

    def snapshot(self) -> Snapshot:
        with self._cond:
            return self._snapshot()

    def _snapshot(self) -> Snapshot:
        stamp = f"{self._token}-{self._generation}"
        return Snapshot(self._version, stamp, self._errors, self._closed)

    def built(self, base_path: str | None = None) -> None:
        """A build succeeded and its files are in place: open pages reload."""
        with self._cond:
            if base_path is not None:
                self.base_path = base_path
            self._generation += 1
            self._errors = ()
            self._bump()

    def failed(self, diagnostics: Iterable[Diagnostic]) -> None:
        """A build failed; the previous files are still served, pages show the errors."""
        with self._cond:
            self._errors = tuple(diagnostics)
            self._bump()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._bump()

    def _bump(self) -> None:
        self._version += 1
        self._cond.notify_all()

    def wait(self, version: int, timeout: float) -> Snapshot:
        """The state once it differs from ``version`` (or after ``timeout`` seconds)."""
        with self._cond:
            self._cond.wait_for(lambda: self._version != version, timeout)
            return self._snapshot()


# --------------------------------------------------------------------------- watching


@dataclass(frozen=True)
class WatchPlan:
    """Top-level files are watched through the root (not recursively); folders recursively."""

    root: Path
    out: Path
    folders: tuple[Path, ...]


def plan(root: Path, out: Path) -> WatchPlan:
    """Every top-level folder of the site except hidden, ignored and output ones.

    Declared ``inputs:`` must lie inside the site, so this covers them as well as
    ``content/``, ``templates/``, ``static/``, ``_posts/``, ``_includes/`` ...
    """
    root, out = root.resolve(), out.resolve()
    folders = []
    for entry in sorted(root.iterdir()):
        if never_input(entry.name, top=True):
            continue
        if entry.is_dir() and entry.resolve() != out:
            folders.append(entry)
    return WatchPlan(root, out, tuple(folders))


def is_source_change(path: str, root: Path, out: Path) -> bool:
    """False for the output and state folders, hidden paths and editors' scratch files."""
    target = Path(path)
    if target == out or out in target.parents:
        return False
    try:
        parts = target.relative_to(root).parts
    except ValueError:
        return False
    if not parts or never_input(parts[0], top=True):
        return False
    name = parts[-1]
    if any(p.startswith(".") for p in parts) or name in IGNORED_NAMES:
        return False
    return not name.endswith(IGNORED_SUFFIXES) and "__pycache__" not in parts


class Watcher:
    """Two watchfiles threads (the root's own files, and its folders) feeding one queue."""

    def __init__(self, root: Path, out: Path) -> None:
        self.root, self.out = root.resolve(), out.resolve()
        self.changes: queue.Queue[set[str]] = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.plan = plan(self.root, self.out)

    def start(self) -> None:
        self._spawn((self.root,), recursive=False)
        if self.plan.folders:
            self._spawn(self.plan.folders, recursive=True)

    def _spawn(self, paths: tuple[Path, ...], *, recursive: bool) -> None:
        thread = threading.Thread(
            target=self._run, args=(paths, recursive), name="lessonpress-watch", daemon=True
        )
        thread.start()
        self._threads.append(thread)

    def _run(self, paths: tuple[Path, ...], recursive: bool) -> None:
        import watchfiles

        def keep(_change: object, path: str) -> bool:
            return is_source_change(path, self.root, self.out)

        try:
            for batch in watchfiles.watch(
                *paths, watch_filter=keep, step=STEP_MS, debounce=400,
                stop_event=self._stop, recursive=recursive, raise_interrupt=False,
                rust_timeout=500,
            ):  # fmt: skip
                self.changes.put({path for _, path in batch})
        except (OSError, RuntimeError) as exc:  # a watched folder vanished: replan
            if not self._stop.is_set():
                self.changes.put({f"{paths[0]} (watch stopped: {exc})"})

    def next(self, timeout: float = 0.25) -> set[str] | None:
        """The paths changed since the last call, waiting up to ``timeout``; None if none."""
        try:
            found = self.changes.get(timeout=timeout)
        except queue.Empty:
            return None
        while True:  # take everything already queued: one rebuild for all of it
            try:
                found |= self.changes.get_nowait()
            except queue.Empty:
                return found

    def needs_replan(self) -> bool:
        """True once a top-level folder appeared or disappeared."""
        return plan(self.root, self.out).folders != self.plan.folders

    def restart(self) -> None:
        self.stop()
        self._stop = threading.Event()
        self._threads = []
        self.plan = plan(self.root, self.out)
        self.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)


def describe(paths: Iterable[str], root: Path) -> str:
    """``content/posts/a.md`` or ``content/posts/a.md and 3 more`` for the progress line."""
    rels = []
    for path in sorted(paths):
        try:
            rels.append(Path(path).relative_to(root).as_posix())
        except ValueError:
            rels.append(path)
    if not rels:
        return "sources"
    more = f" and {len(rels) - 1} more" if len(rels) > 1 else ""
    return rels[0] + more


def temporary_out() -> Path:
    """A fresh private folder for the preview, in RAM (/dev/shm) where there is one.

    A rebuild rewrites every output file; on a tmpfs that costs a few ms, on a busy
    disk it can cost more than the whole rest of the build.
    """
    shm = Path("/dev/shm")
    ram = shm if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None
    folder = tempfile.mkdtemp(prefix="lessonpress-serve-", dir=ram)
    return Path(folder) / "site"


def state_dir(root: Path) -> Path:
    return paths.state_dir(Path(os.path.abspath(root)))
