"""Compute stage, worker side: the zygote and the per-post worker it forks.

The build process starts one *zygote* per build (a fresh interpreter), which
imports the heavy modules the uncached posts need (numpy, torch...) once, then
forks one worker per post on request. A worker puts itself in its own session
(so a timeout can kill it and every process it started with one ``killpg``),
limits its memory, captures stdout/stderr at the file-descriptor level, seeds
the random generators and runs the post's cells in one namespace, reporting
over a socket in length-prefixed JSON frames:

    {"t": "cell", "i": k}                  cell k (position in the post) starts
    {"t": "out", "i": k, "text": ..., "displays": [...]}
                                           what cell k printed, and its rich outputs
                                           (figures; in notebooks display() and values)
    {"t": "warn" | "error", "line", "msg"} a diagnostic at a .md line
    {"t": "done", "datasets": [...]}       finished (after an error too)

Zygote <-> build process: the build sends 16-byte job ids with one file
descriptor attached (the worker's end of a socketpair); the zygote answers
``S <job> <pid>`` when it has forked and ``X <job> <exit code>`` when it has
reaped the worker (negative exit code: killed by that signal). When the build
process goes away the zygote kills every worker's process group and exits.

This module runs in the zygote and workers (the frames are :mod:`generator.compute.wire`'s);
the build process only reads its constants. It must not import numpy or torch at
module level.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import importlib
import os
import random
import resource
import selectors
import signal
import socket
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator.compute import datasets, frames, reaper, rich, sink
from generator.compute.capture import Capture
from generator.compute.tracebacks import call_chain, raised_in
from generator.compute.wire import encode_frame, recv_frame

JOB_ID_SIZE = 16
_PACKAGE = Path(__file__).resolve().parent


# --------------------------------------------------------------------------- zygote


def zygote_main(control_fd: int, preload: list[str]) -> None:
    """Import ``preload``, then fork a worker per request until the build process leaves."""
    # Ctrl-C, SIGTERM and SIGHUP are the build's to handle: a signal sent to the whole group
    # (a terminal, `timeout`) must not kill the zygote before it has ended every worker.
    # The zygote ends when the build process closes the control socket (or dies: kill -9).
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    # Processes a cell detaches (new session, double fork) come back to us when their
    # worker ends, instead of to init, so they can be ended too.
    reaper.become_subreaper()
    sys.path[:] = [p for p in sys.path if p not in ("", ".")]
    # Figures become outputs of the cell that drew them (see generator.compute.figures).
    os.environ["MPLBACKEND"] = "module://generator.compute.figures"
    for name in preload:
        # A module that fails here fails again, with a line number, in the cell.
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    control = socket.socket(fileno=control_fd)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ)
    selector.register(wake_r, selectors.EVENT_READ)
    jobs: dict[int, str] = {}
    started: list[int] = []
    try:
        while True:
            for key, _ in selector.select():
                if key.fileobj is control:
                    if not _fork_requested(control, (selector, wake_r, wake_w), jobs, started):
                        return
                else:
                    with contextlib.suppress(BlockingIOError):
                        os.read(wake_r, 4096)
            _reap(control, jobs)
    finally:
        for pid in started:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        reaper.end_descendants()  # and what detached itself from them


def _fork_requested(
    control: socket.socket,
    inherited: tuple[Any, int, int],
    jobs: dict[int, str],
    started: list[int],
) -> bool:
    message, fds, _, _ = socket.recv_fds(control, JOB_ID_SIZE, 1)
    if not message:
        return False
    while len(message) < JOB_ID_SIZE:
        more = control.recv(JOB_ID_SIZE - len(message))
        if not more:
            return False
        message += more
    job = message.decode("ascii").strip()
    zygote = os.getpid()
    pid = os.fork()
    if pid == 0:
        status = 70
        try:
            selector, wake_r, wake_w = inherited
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGHUP, signal.SIG_DFL)
            selector.close()
            for fd in (wake_r, wake_w, control.fileno()):
                os.close(fd)
            status = worker_main(fds[0], zygote)
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    for fd in fds:
        os.close(fd)
    jobs[pid] = job
    started.append(pid)
    control.sendall(f"S {job} {pid}\n".encode())
    return True


def _reap(control: socket.socket, jobs: dict[int, str]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        job = jobs.pop(pid, None)
        if job is not None:
            control.sendall(f"X {job} {os.waitstatus_to_exitcode(status)}\n".encode())
    # Anything else that is our child was left behind by a worker that has ended.
    for orphan in reaper.children(os.getpid()) - set(jobs):
        with contextlib.suppress(OSError):
            os.kill(orphan, signal.SIGKILL)


# --------------------------------------------------------------------------- worker


def _isolate(zygote: int) -> None:
    os.setsid()  # own process group: killpg reaches every process the cells start
    reaper.become_subreaper()  # and detached ones come back here, to be ended with it
    reaper.die_with_parent()
    if os.getppid() != zygote:
        os._exit(70)
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as f:
        f.write("1000")  # if memory runs out, the kernel takes a worker, not the build


def _limit_memory(limit: int) -> None:
    if limit <= 0:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


def worker_main(fd: int, zygote: int) -> int:
    _isolate(zygote)
    rich.once_per_message("matplotlib.font_manager")  # a missing font is said once, not per glyph
    sock = socket.socket(fileno=fd)
    spec = recv_frame(sock)
    _report_line_on_request(sock, str(spec["source"]))
    _limit_memory(int(spec["memory_limit"]))
    capture = Capture(int(spec["output_limit"]))
    runner = _Runner(spec, sock, capture)
    runner.run()
    sock.sendall(encode_frame({"t": "done", "datasets": runner.published}))
    # End whatever the cells left running (detached ones too), then the worker itself.
    reaper.kill_descendants()
    os.killpg(0, signal.SIGKILL)
    return 0


def _report_line_on_request(sock: socket.socket, filename: str) -> None:
    """On SIGUSR1 (a cell ran out of time), say which line of the post is running: the
    innermost frame of the post's own code, so a loop inside a function is found."""

    def where(signum: int, frame: Any) -> None:
        line = None
        while frame is not None:
            if frame.f_code.co_filename == filename:
                line = frame.f_lineno
                break
            frame = frame.f_back
        with contextlib.suppress(OSError):
            sock.sendall(encode_frame({"t": "where", "line": line}))

    signal.signal(signal.SIGUSR1, where)


class _Runner:
    """Runs one post's cells top to bottom in one namespace."""

    def __init__(self, spec: dict[str, Any], sock: socket.socket, capture: Capture) -> None:
        self.spec = spec
        self.sock = sock
        self.capture = capture
        self.filename = str(spec["source"])
        self.rel = str(spec["rel"])
        self.digits = int(spec["digits"])
        self.published: list[dict[str, Any]] = []
        self.first_line: dict[str, int] = {}
        self.cell: dict[str, Any] = {}
        self.position = 0
        self.children_seen: dict[int, int] = {}
        self.notebook: rich.Notebook | None = None
        self.shell: rich.Notebook | None = None  # for display() in a Markdown post's widgets
        self.frames = frames.Session(
            reseed=self._reseed,
            locate=lambda exc: self._describe(exc, int(self.cell["line"])),
            warn=lambda line, msg: self.send({"t": "warn", "line": line, "msg": msg}),
            beat=lambda: self.send({"t": "beat", "i": self.position}),
            line=lambda: int(self.cell["line"]),
            budget=lambda: int(self.cell.get("frames") or 300),
            cell_key=lambda: str(self.cell.get("key", "")),
            jobs=int(spec.get("frame_jobs", 1)),
            cache_dir=Path(str(spec["frame_cache"])) if spec.get("frame_cache") else None,
            shell=self._display_shell,
            publish=self._publish,
            digits=int(spec["digits"]),
        )
        self.namespace: dict[str, Any] = {}

    def send(self, message: dict[str, Any]) -> None:
        self.sock.sendall(encode_frame(message))

    def prepare(self) -> dict[str, Any]:
        post_dir, site_root = str(self.spec["post_dir"]), str(self.spec["site_root"])
        os.chdir(post_dir)
        sys.path[:0] = [p for p in dict.fromkeys((post_dir, site_root)) if p not in sys.path]
        sys.argv = [self.filename]
        _seed(int(self.spec["seed"]), list(self.spec["seed_modules"]), int(self.spec["threads"]))
        namespace = {
            "__name__": "__main__",
            "__builtins__": builtins,
            "dataset": self.dataset,
            "sweep": self.sweep,
        }
        sink.figure_format = str(self.spec.get("figure_format", "svg"))
        if self.spec.get("notebook"):
            ipython_dir = Path(str(self.spec["ipython_dir"]))
            self.notebook = rich.Notebook(namespace, ipython_dir, shell=bool(self.spec["shell"]))
        self.namespace = namespace
        frames.install(self.frames)
        return namespace

    def _display_shell(self) -> None:
        """A Markdown post that uses ipywidgets gets IPython's ``display()`` (ipywidgets
        needs IPython anyway); a notebook has it already."""
        if self.notebook is None and self.shell is None:
            ipython_dir = Path(str(self.spec["ipython_dir"]))
            self.shell = rich.Notebook(self.namespace, ipython_dir, shell=False)

    def _reseed(self) -> None:
        _seed(int(self.spec["seed"]), list(self.spec["seed_modules"]), int(self.spec["threads"]))

    def run(self) -> None:
        try:
            namespace = self.prepare()
        except ImportError as exc:  # a notebook, and IPython is not installed
            line = int(self.spec["cells"][0]["line"]) if self.spec["cells"] else 0
            message = (
                f"notebooks run their cells in IPython, which could not be imported ({exc}): "
                "install it with pip install 'lessonpress[notebooks]'"
            )
            self.send({"t": "error", "line": line, "msg": message})
            return
        for position, cell in enumerate(self.spec["cells"]):
            self.position, self.cell = position, cell
            self.send({"t": "cell", "i": position})
            failure = self._run_cell(cell, namespace)
            if failure is None and self.frames.errors:  # an interact's function raised
                failure = self.frames.errors[0]
            self.frames.errors.clear()
            if failure is not None and cell.get("raises"):
                print(failure[1].split("\n")[0], file=sys.stderr)  # shown, as Jupyter shows it
                failure = None
            displays = self._displays()
            text = self.capture.end_cell()
            self.send({"t": "out", "i": position, "text": text, "displays": displays})
            self._note_children(int(cell["line"]))
            for name in sink.drain_dropped():
                self.send({"t": "warn", "line": int(cell["line"]), "msg": _live_widget(name)})
            if failure is not None:
                self.send({"t": "error", "line": failure[0], "msg": failure[1]})
                return
        self._warn_children()

    def _run_cell(self, cell: dict[str, Any], namespace: dict[str, Any]) -> tuple[int, str] | None:
        line = int(cell["line"])
        source = str(cell["source"])
        if self.notebook is not None:
            try:
                source = self.notebook.transform(source)
            except Exception as exc:  # IPython's transformer raises on broken magics
                return line, self._quote(f"{type(exc).__qualname__}: {exc}", line)
        try:
            tree = ast.parse(source, self.filename, "exec")
        except SyntaxError as exc:
            at = line + (exc.lineno or 1) - 1
            return at, self._quote(f"SyntaxError: {exc.msg}", at)
        ast.increment_lineno(tree, line - 1)  # tracebacks then carry .md line numbers
        shown = None
        if self.notebook is not None and rich.shows_value(tree, source):
            shown = ast.Expression(tree.body.pop().value)  # type: ignore[attr-defined]
        try:
            exec(compile(tree, self.filename, "exec", dont_inherit=True), namespace)
            if shown is not None and self.notebook is not None:
                value = eval(compile(shown, self.filename, "eval", dont_inherit=True), namespace)
                self.notebook.show(value)
        except BaseException as exc:  # the author's error, reported as a diagnostic
            return self._describe(exc, line)
        return None

    def _displays(self) -> list[dict[str, str]]:
        """The cell's rich outputs, its figures still open included."""
        figures = sys.modules.get("generator.compute.figures")
        if figures is not None:  # matplotlib has drawn with our backend
            with contextlib.suppress(Exception):
                figures.flush()
        return sink.drain()

    def _describe(self, exc: BaseException, line: int) -> tuple[int, str]:
        frames = traceback.extract_tb(exc.__traceback__)
        ours = [i for i, f in enumerate(frames) if f.filename == self.filename]
        at = frames[ours[-1]].lineno or line if ours else line
        if isinstance(exc, datasets.DatasetError):
            message = str(exc)
        else:
            text = str(exc)
            message = type(exc).__qualname__ + (f": {text}" if text else "")
            if isinstance(exc, MemoryError):
                limit = int(self.spec["memory_limit"]) >> 20
                message += f" (the worker's memory limit is {limit} MB)"
            deeper = [f for f in (frames[ours[-1] + 1 :] if ours else []) if not _ours(f.filename)]
            if ours and deeper and deeper[-1].filename != self.filename:
                message += f" (raised in {raised_in(deeper[-1], str(self.spec['site_root']))})"
        return at, self._quote(message, at) + call_chain(
            frames, self.filename, self.rel, str(self.spec["site_root"]), self._code_at
        )

    def _code_at(self, line: int) -> str:
        """The post's code at ``line``, from its cells."""
        for cell in self.spec["cells"]:
            offset = line - int(cell["line"])
            lines = str(cell["source"]).split("\n")
            if 0 <= offset < len(lines):
                return lines[offset]
        return ""

    def _quote(self, message: str, at: int) -> str:
        lines = str(self.cell["source"]).splitlines()
        offset = at - int(self.cell["line"])
        if 0 <= offset < len(lines) and lines[offset].strip():
            return f"{message}\n    {lines[offset].strip()}"
        return message

    def _publish(self, wire: dict[str, Any]) -> None:
        if self.frames.collecting is not None:  # inside an interact's function: per frame
            if wire.get("kind") != "table":
                raise datasets.DatasetError(
                    "sweep() inside an interact function: publish a table with dataset(); "
                    "the interact makes it a sweep over its controls"
                )
            self.frames.collecting.append(wire)
            return
        name = str(wire["name"])
        if name in self.first_line:
            raise datasets.DatasetError(
                f"duplicate dataset name {name!r} in {self.rel} "
                f"(first published by the cell at line {self.first_line[name]})"
            )
        self.first_line[name] = int(self.cell["line"])
        wire["cell"] = self.position
        self.published.append(wire)

    def dataset(self, name: object, records: object = None, /, **columns: object) -> None:
        """Publish a table: ``dataset(name, x=[...], y=[...])`` or ``dataset(name, records)``."""
        self._publish(datasets.make_table(name, records, columns, self.digits, self.rel))

    def sweep(self, name: object, param: object, values: object, fn: Callable[[Any], Any]) -> None:
        """Publish one table per parameter value: ``fn(value)`` returns that table's columns."""
        self._publish(datasets.make_sweep(name, param, values, fn, self.digits, self.rel))

    def _note_children(self, line: int) -> None:
        for pid in reaper.running_children():
            self.children_seen.setdefault(pid, line)

    def _warn_children(self) -> None:
        alive = set(reaper.running_children())
        lines = sorted({line for pid, line in self.children_seen.items() if pid in alive})
        for line in lines:
            self.send(
                {
                    "t": "warn",
                    "line": line,
                    "msg": "cell left child processes running; "
                    "they were killed when the post finished",
                }
            )


def _live_widget(name: str) -> str:
    article = "an" if name[:1].lower() in "aeiou" else "a"
    return (
        f"this cell displays {article} {name} widget, which needs a live kernel: it is left out of "
        "the page; for controls that work on a static page, use ipywidgets' interact()"
    )


def _ours(filename: str) -> bool:
    return _PACKAGE in Path(filename).parents


def _seed(seed: int, modules: list[str], threads: int) -> None:
    """Seed random, numpy and torch (if the post uses them or they are preloaded)."""
    seed %= 2**32
    random.seed(seed)
    if "numpy" in modules or "numpy" in sys.modules:
        with contextlib.suppress(ImportError):
            numpy: Any = importlib.import_module("numpy")
            numpy.random.seed(seed)
    if "torch" in modules or "torch" in sys.modules:
        with contextlib.suppress(ImportError):
            torch: Any = importlib.import_module("torch")
            torch.manual_seed(seed)
            torch.set_num_threads(threads)
            with contextlib.suppress(RuntimeError):
                torch.set_num_interop_threads(threads)
