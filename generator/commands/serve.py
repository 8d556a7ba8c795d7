"""Command ``lessonpress serve``: build, serve the output folder, rebuild on change, reload the tab.

Beside the pipeline, not part of it: every rebuild is :func:`generator.build.run.run_build`,
so a failed build leaves the last good site in place; :mod:`generator.commands.httpserve`
serves that folder and tells open pages to reload or to show the errors.
"""

from __future__ import annotations

import argparse
import errno
import shutil
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from generator.build.memo import Memo, load_memo
from generator.commands.httpserve import LessonServer, host_text
from generator.commands.watch import ReloadHub, Watcher, describe, state_dir, temporary_out

if TYPE_CHECKING:
    from rich.console import Console

    from generator.errors import Diagnostic


# --------------------------------------------------------------------------- the command


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C (exit 130). Exit 1 if the port is busy, 2 on a bad folder."""
    from rich.console import Console

    from generator.errors import BuildError
    from generator.output.writer import check_out_dir

    console = Console(stderr=True, highlight=False)
    source: Path = args.source
    if not source.is_dir():
        print(f"lessonpress: error: --source {source} is not a folder", file=sys.stderr)
        return 2
    root = source.resolve()
    out: Path = args.out.absolute() if args.out is not None else temporary_out()
    try:
        check_out_dir(out, root)
    except BuildError as exc:
        print(f"lessonpress: error: {exc}", file=sys.stderr)
        return 2
    try:
        return _serve(root, out, args, console)
    finally:
        if args.out is None:
            shutil.rmtree(out.parent, ignore_errors=True)


def _serve(root: Path, out: Path, args: argparse.Namespace, console: Console) -> int:
    hub = ReloadHub(_base_path(root))
    try:
        server = LessonServer((args.host, args.port), out, hub)
    except OSError as exc:
        print(f"lessonpress: error: {_bind_problem(exc, args.host, args.port)}", file=sys.stderr)
        return 1
    # Start from what the last `lessonpress build` kept: the first build redoes only changes.
    rebuilder = Rebuilder(root, out, args, hub, console, load_memo(state_dir(root)))
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), name="lessonpress-http")
    thread.start()
    watcher = Watcher(root, out)
    on_term = signal.signal(signal.SIGTERM, _terminate)
    try:
        print(f"serving {server.url} (Ctrl-C to stop)", flush=True)
        console.print(f"[dim]output folder: {out}[/]")
        watcher.start()
        rebuilder.rebuild("starting")
        if args.open:
            import webbrowser

            webbrowser.open(server.url)
        _watch(watcher, rebuilder)
    except KeyboardInterrupt:
        console.print("stopped")
        return 130
    finally:
        signal.signal(signal.SIGTERM, on_term)
        watcher.stop()
        hub.close()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    return 0


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # `kill` stops as cleanly as Ctrl-C: workers killed, temp removed


def _watch(watcher: Watcher, rebuilder: Rebuilder) -> None:
    while True:
        changed = watcher.next()
        if changed is None:
            continue
        if watcher.needs_replan():
            watcher.restart()
        rebuilder.rebuild(describe(changed, rebuilder.root) + " changed")


@dataclass
class Rebuilder:
    """Rebuilds on request and tells the hub and the terminal how it went."""

    root: Path
    out: Path
    args: argparse.Namespace
    hub: ReloadHub
    console: Console
    # What each build keeps for the next (parsed posts, bodies, pages, written files).
    memo: Memo = field(default_factory=Memo)

    def rebuild(self, reason: str) -> None:
        from generator.build.run import run_build
        from generator.errors import Diagnostic
        from generator.model import BuildOptions

        options = BuildOptions(source=self.root, drafts=self.args.drafts, jobs=self.args.jobs)
        started = time.perf_counter()
        self.console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {reason}: building …")
        try:
            done = run_build(
                options, self.out, memo=self.memo, progress=self._progress, remember=False
            )
        except Exception as exc:  # our bug: keep serving the last good site, say so loudly
            self.console.print_exception()
            message = f"internal error: {exc!r} (see terminal)"
            self._failed([Diagnostic("lessonpress", 0, message, code="internal")])
            return
        if not done.written:
            self._failed(done.diagnostics)
            return
        self.hub.built(_base_path(self.root))
        for diag in done.diagnostics:
            self.console.print(f"[yellow]{_escape(str(diag))}[/]")
        elapsed = (time.perf_counter() - started) * 1000
        self.console.print(
            f"[green]built[/] {done.posts} posts, {done.files} files in {elapsed:.0f} ms"
        )

    def _failed(self, diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> None:
        shown = sorted(diagnostics, key=lambda d: (not d.is_error, d.path, d.line))
        self.hub.failed([d for d in shown if d.is_error] or shown)
        for diag in shown:
            self.console.print(f"[red]{_escape(str(diag))}[/]")
        self.console.print("[red]build failed[/]; still serving the last good site")

    def _progress(self, message: str) -> None:
        self.console.print(f"  [dim]{_escape(message)}[/]")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _base_path(root: Path) -> str:
    from generator.content.config import load_config
    from generator.errors import BuildError

    try:
        return load_config(root).base_path
    except BuildError:
        return "/"


def _bind_problem(exc: OSError, host: str, port: int) -> str:
    where = f"{host_text(host)}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return f"{where} is already in use (another `lessonpress serve`?); try --port {port + 1}"
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on {where}; use a port above 1023"
    if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        return f"cannot listen on {where}: no such address on this machine"
    return f"cannot listen on {where}: {exc.strerror or exc}"
