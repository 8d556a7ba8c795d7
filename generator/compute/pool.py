"""Compute stage, build side: the zygote and the workers it forks, driven over one socket.

:class:`WorkerPool` starts one zygote per build (:mod:`generator.compute.worker`), asks it
for a worker per post, streams each post's cells to it, enforces timeouts and memory
limits, and kills every process a post started when it ends. Knows nothing of caching.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.compute import wire
from generator.compute import worker as _worker
from generator.errors import Diagnostic
from generator.model import Post, SiteConfig
from generator.paths import state_dir

Progress = Callable[[str], None]

# Modules worth importing once in the zygote when an uncached post imports them.
# Only well-behaved libraries: a module that starts threads at import would make forking unsafe.
PRELOADABLE = (
    "numpy", "torch", "scipy", "pandas", "sklearn", "sympy", "statsmodels", "matplotlib",
    "ipywidgets",
)  # fmt: skip
# torch.optim imports torch._dynamo (~2 s) on first use: pay that once too when cells mention it.
PRELOAD_WHEN = {"torch._dynamo": ("torch", "optim"), "matplotlib.pyplot": ("matplotlib", "pyplot")}
OUTPUT_LIMIT = 200_000  # bytes of stdout+stderr kept per cell
STARTUP_TIMEOUT = 120.0  # seconds for a worker to fork and reach its first cell
WHERE_GRACE = 1.0  # seconds a timed-out worker has to say which line it was running

_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); import json; "
    "from generator.compute.worker import zygote_main; "
    "zygote_main(int(sys.argv[2]), json.loads(sys.argv[3]))"
)


@dataclass
class Job:
    post: Post
    key: str
    modules: frozenset[str]
    cell_keys: tuple[str, ...] = ()  # per cell: caches its interact frames
    id: str = ""
    sock: socket.socket | None = None
    buffer: bytearray = field(default_factory=bytearray)
    pid: int | None = None
    exit_code: int | None = None
    started: float = 0.0
    deadline: float | None = None
    cell: int | None = None
    timed_out: float | None = None
    where: int | None = None  # the .md line a timed-out cell was running
    done: bool = False
    outputs: dict[int, str] = field(default_factory=dict)
    displays: dict[int, list[dict[str, str]]] = field(default_factory=dict)
    wires: list[dict[str, Any]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    failed: bool = False


TMP_PREFIX = "lessonpress-compute-"


def remove_stale_temp_dirs() -> None:
    """Temp folders of builds that were killed (their process is gone) are removed."""
    root = Path(tempfile.gettempdir())
    for folder in root.glob(f"{TMP_PREFIX}*-*"):
        pid = folder.name[len(TMP_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(folder, ignore_errors=True)


def memory_limit(config: SiteConfig, workers: int) -> int:
    """Bytes of heap per worker: ``compute_memory_mb`` from site config, else a share of RAM."""
    if config.compute_memory_mb is not None:
        return config.compute_memory_mb * 2**20
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 4 * 2**30
    return max(2**30, total * 3 // 4 // workers)


def _cell_timeout(post: Post, config: SiteConfig, position: int) -> float:
    option = post.cells[position].options.timeout
    if option is not None:
        return option
    return post.timeout if post.timeout is not None else config.timeout


def _seconds(value: float) -> str:
    return f"{value:g}"


class WorkerPool:
    """Runs jobs, ``count`` at a time, in workers forked by one zygote."""

    def __init__(
        self,
        config: SiteConfig,
        site_root: Path,
        jobs: list[Job],
        count: int,
        progress: Progress | None,
        *,
        frame_jobs: int = 1,
        frame_cache: Path | None = None,
    ) -> None:
        self.frame_jobs = frame_jobs  # processes an interact's frames are computed in
        self.frame_cache = frame_cache
        self.config = config
        self.site_root = site_root
        self.pending = deque(jobs)
        self.count = count
        self.progress = progress
        self.threads = max(1, (os.cpu_count() or 1) // count)
        self.memory = memory_limit(config, count)
        self.running: dict[str, Job] = {}
        self.selector = selectors.DefaultSelector()
        remove_stale_temp_dirs()
        self.tmp = tempfile.TemporaryDirectory(prefix=f"{TMP_PREFIX}{os.getpid()}-")
        self.control_buffer = b""
        modules = set().union(*(job.modules for job in jobs))
        preload = sorted(modules & set(PRELOADABLE))
        sources = [cell.source for job in jobs for cell in job.post.cells]
        preload += [
            extra
            for extra, (parent, word) in PRELOAD_WHEN.items()
            if parent in preload and any(word in source for source in sources)
        ]
        if any(job.post.notebook for job in jobs):  # notebooks run in IPython's shell
            preload.append("IPython.core.interactiveshell")
        self.zygote, self.control = self._start_zygote(preload)
        self.selector.register(self.control, selectors.EVENT_READ, None)
        self.next_id = 0

    def _start_zygote(self, preload: list[str]) -> tuple[subprocess.Popen[bytes], socket.socket]:
        ours, theirs = socket.socketpair()
        package_parent = str(Path(_worker.__file__).resolve().parents[2])  # holds generator/
        threads = str(self.threads)
        env = {
            **os.environ,
            "PYTHONHASHSEED": "0",  # set and dict-of-str order must not vary between builds
            "OMP_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
        }
        stderr = open(Path(self.tmp.name) / "zygote.log", "wb")  # noqa: SIM115
        try:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    _BOOT,
                    package_parent,
                    str(theirs.fileno()),
                    json.dumps(preload),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                pass_fds=[theirs.fileno()],
                cwd=self.tmp.name,
                env=env,
            )
        finally:
            stderr.close()
            theirs.close()
        return process, ours

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *_: object) -> None:
        for job in self.running.values():
            _kill(job)
            if job.sock is not None:
                job.sock.close()
        self.control.close()  # the zygote sees EOF, kills what is left and exits
        try:
            self.zygote.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.zygote.kill()
            self.zygote.wait()
        self.selector.close()
        self.tmp.cleanup()

    # ------------------------------------------------------------------ loop

    def run(self) -> None:
        while self.pending or self.running:
            while self.pending and len(self.running) < self.count:
                self._start(self.pending.popleft())
            events = self.selector.select(self._wait())
            for key, _ in events:
                if key.data is None:
                    self._read_control()
                else:
                    self._read_job(key.data)
            self._check_deadlines()
            for job in [j for j in self.running.values() if j.done or j.exit_code is not None]:
                self._finish(job)

    def _wait(self) -> float | None:
        deadlines = [j.deadline for j in self.running.values() if j.deadline is not None]
        return max(0.0, min(deadlines) - time.monotonic()) if deadlines else None

    def _start(self, job: Job) -> None:
        self.next_id += 1
        job.id = f"{self.next_id:0{_worker.JOB_ID_SIZE}d}"
        ours, theirs = socket.socketpair()
        job.sock = ours
        job.started = time.monotonic()
        job.deadline = job.started + STARTUP_TIMEOUT
        self.running[job.id] = job
        ours.setblocking(False)
        self.selector.register(ours, selectors.EVENT_READ, job)
        try:
            socket.send_fds(self.control, [job.id.encode()], [theirs.fileno()])
            frame = wire.encode_frame(self._spec(job.post, job.modules, job.cell_keys))
            ours.setblocking(True)  # the worker reads its spec first thing
            ours.settimeout(STARTUP_TIMEOUT)
            ours.sendall(frame)
            ours.setblocking(False)
        except OSError as exc:
            self._pool_failed(f"compute worker could not start: {exc}")
        finally:
            theirs.close()

    def _spec(
        self, post: Post, modules: frozenset[str], cell_keys: tuple[str, ...]
    ) -> dict[str, Any]:
        return {
            "rel": post.rel,
            "source": str(post.source),
            "post_dir": str(post.source.parent),
            "site_root": str(self.site_root),
            "seed": post.run_seed,
            "seed_modules": sorted(modules & {"numpy", "torch"}),
            "digits": self.config.float_digits,
            "threads": self.threads,
            "memory_limit": self.memory,
            "output_limit": OUTPUT_LIMIT,
            "cells": [
                {
                    "source": c.source,
                    "line": c.line,
                    "raises": c.options.raises,
                    "frames": c.options.frames or self.config.interact_frames,
                    "key": cell_keys[i] if i < len(cell_keys) else "",
                }
                for i, c in enumerate(post.cells)
            ],
            "frame_jobs": self.frame_jobs,
            "frame_cache": str(self.frame_cache) if self.frame_cache else "",
            "notebook": bool(post.notebook),
            "shell": post.shell,
            "figure_format": post.figure_format,
            "ipython_dir": str(state_dir(self.site_root) / "ipython"),
        }

    def _read_control(self) -> None:
        try:
            chunk = self.control.recv(1 << 16)
        except OSError:
            chunk = b""
        if not chunk:
            self._pool_failed(self._zygote_problem())
            return
        self.control_buffer += chunk
        *lines, self.control_buffer = self.control_buffer.split(b"\n")
        for line in lines:
            kind, job_id, number = line.decode().split()
            job = self.running.get(job_id)
            if job is None:
                continue
            if kind == "S":
                job.pid = int(number)
            else:
                self._drain(job)
                job.exit_code = int(number)

    def _zygote_problem(self) -> str:
        log = Path(self.tmp.name) / "zygote.log"
        detail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
        return "the compute worker pool died" + (f": {detail[0]}" if detail else "")

    def _pool_failed(self, message: str) -> None:
        for job in list(self.running.values()):
            self._drain(job)
            if not job.done:
                self._fail(job, job.post.cells[job.cell or 0].line, message)
            job.exit_code = job.exit_code if job.exit_code is not None else -1
            self._finish(job)
        for job in self.pending:
            self._fail(job, job.post.cells[0].line, message)
        self.pending.clear()

    def _read_job(self, job: Job) -> None:
        if job.sock is None:
            # Drained and closed already: one select() can report both the worker's exit
            # (on the control socket, which drains it) and its socket being readable.
            return
        try:
            chunk = job.sock.recv(1 << 20)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self.selector.unregister(job.sock)
            job.sock.close()
            job.sock = None
            return
        job.buffer += chunk
        self._handle(job)

    def _drain(self, job: Job) -> None:
        """Read what a worker wrote before it exited (its exit may arrive first)."""
        while job.sock is not None:
            self._read_job(job)
            if job.sock is not None and not _readable(job.sock):
                return

    def _handle(self, job: Job) -> None:
        try:
            messages = wire.decode_frames(job.buffer)
        except ValueError:
            self._fail(job, 0, "the worker sent a malformed message")
            _kill(job)
            return
        for message in messages:
            self._message(job, message)

    def _message(self, job: Job, message: dict[str, Any]) -> None:
        kind = message.get("t")
        post = job.post
        if job.timed_out is not None:  # only its last words count now
            if kind == "where":
                job.where = int(message["line"]) if message.get("line") else None
                job.deadline = None
                _kill(job)
            return
        if kind == "cell" or kind == "beat":  # beat: an interact's frame is done
            job.cell = int(message["i"])
            job.deadline = time.monotonic() + _cell_timeout(post, self.config, job.cell)
        elif kind == "out":
            job.outputs[int(message["i"])] = str(message["text"])
            job.displays[int(message["i"])] = [
                {k: str(d.get(k, "")) for k in ("mime", "data", "alt")}
                for d in message.get("displays", ())
                if isinstance(d, dict)
            ]
            job.deadline = time.monotonic() + STARTUP_TIMEOUT
        elif kind == "error":
            self._fail(job, int(message["line"]), str(message["msg"]))
        elif kind == "warn":
            job.diagnostics.append(
                Diagnostic(post.rel, int(message["line"]), str(message["msg"]), "warning")
            )
        elif kind == "done":
            job.wires = list(message["datasets"])
            job.done = True

    def _check_deadlines(self) -> None:
        now = time.monotonic()
        for job in self.running.values():
            if job.deadline is None or now < job.deadline:
                continue
            if job.timed_out is None:
                # Ask the worker which line it is running (it answers "where"), then end it.
                job.timed_out = (
                    STARTUP_TIMEOUT
                    if job.cell is None
                    else _cell_timeout(job.post, self.config, job.cell)
                )
                job.deadline = now + WHERE_GRACE
                if job.pid is not None and job.cell is not None:
                    with contextlib.suppress(OSError):
                        os.kill(job.pid, signal.SIGUSR1)
                continue
            job.deadline = None
            _kill(job)

    def _fail(self, job: Job, line: int, message: str) -> None:
        job.failed = True
        job.diagnostics.append(Diagnostic(job.post.rel, line, message))

    def _finish(self, job: Job) -> None:
        self._drain(job)
        _kill(job)  # also reaps whatever the cells left running
        if job.sock is not None:
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(job.sock)
            job.sock.close()
            job.sock = None
        self.running.pop(job.id, None)
        post = job.post
        line = post.cells[job.cell].line if job.cell is not None else post.cells[0].line
        if job.done:
            pass
        elif job.timed_out is not None:
            what = "cell" if job.cell is not None else "worker start"
            message = f"{what} timed out after {_seconds(job.timed_out)} s"
            if job.where is not None:  # the line it was running when it was stopped
                line = job.where
                message += _quoted(post, line)
            self._fail(job, line, message)
        elif not job.failed:
            self._fail(job, line, _death(job.exit_code))
        elapsed = time.monotonic() - job.started
        state = "failed" if job.failed else f"computed in {elapsed:.2f} s"
        if self.progress is not None:
            self.progress(f"{post.rel}: {state}")


def _quoted(post: Post, line: int) -> str:
    """``line`` of the post's cells, to show under a diagnostic (empty if not a cell's)."""
    for cell in post.cells:
        lines = cell.source.split("\n")
        if cell.line <= line < cell.line + len(lines) and lines[line - cell.line].strip():
            return f"\n    {lines[line - cell.line].strip()}"
    return ""


def _death(code: int | None) -> str:
    if code is None or code == -1:
        return "worker died while running this cell"
    if code < 0:
        try:
            name = f" {signal.Signals(-code).name}"
        except ValueError:
            name = ""
        hint = " (out of memory?)" if -code == signal.SIGKILL else ""
        return f"worker died (signal {-code}{name}) while running this cell{hint}"
    return f"worker died (exit code {code}) while running this cell"


def _kill(job: Job) -> None:
    if job.pid is not None:
        with contextlib.suppress(OSError):
            os.killpg(job.pid, signal.SIGKILL)


def _readable(sock: socket.socket) -> bool:
    with selectors.DefaultSelector() as probe:
        probe.register(sock, selectors.EVENT_READ)
        return bool(probe.select(0))
