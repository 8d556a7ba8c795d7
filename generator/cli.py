"""Command line: ``lessonpress build|serve|init|new|check``.

Parses arguments and hands them to the command's module in ``generator/commands/``.
Exit codes: 0 built, 1 content errors (all reported), 2 usage error, 128 + the signal
when stopped by one (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP or the parent's death).
Heavy modules are imported only once a command runs, so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime as dt
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _jobs(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lessonpress",
        description="Build static lesson sites with computed charts from Markdown.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    build = commands.add_parser("build", help="build the site into the output folder")
    build.add_argument("--source", type=Path, default=Path("."), help="site folder (default: .)")
    build.add_argument(
        "--out", type=Path, default=None, help="output folder (default: SOURCE/site)"
    )
    build.add_argument("--drafts", action="store_true", help="include drafts")
    build.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=None,
        help="posts computed in parallel (default: number of cores)",
    )
    build.add_argument(
        "--keep-going",
        action="store_true",
        help="write the site even when some posts fail (still exits 1)",
    )
    cache = build.add_mutually_exclusive_group()
    cache.add_argument(
        "--frozen",
        action="store_true",
        help="never run cells; fail if a post's cached results are missing or stale",
    )
    cache.add_argument("--rerun", action="store_true", help="ignore the cache and run every cell")
    verbosity = build.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    verbosity.add_argument("-v", "--verbose", action="store_true", help="print progress")
    _diagnostics_option(build)

    serve = commands.add_parser("serve", help="build, serve and rebuild on change (live preview)")
    serve.add_argument("--source", type=Path, default=Path("."), help="site folder (default: .)")
    serve.add_argument(
        "--out", type=Path, default=None, help="output folder (default: SOURCE/.lessonpress/serve)"
    )
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0: any free)")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    serve.add_argument("--open", action="store_true", help="open the site in a web browser")
    serve.add_argument("-j", "--jobs", type=_jobs, default=None, help="posts computed in parallel")
    serve.add_argument("--drafts", action="store_true", help="include drafts")

    init = commands.add_parser("init", help="start a new site in a folder (with a first lesson)")
    init.add_argument("folder", type=Path, help="the new site's folder (new or empty)")
    init.add_argument("--title", default=None, help="the site's title (default: the folder's name)")

    new = commands.add_parser("new", help="write a new lesson with a starter cell and chart")
    new.add_argument("title", help="the lesson's title")
    new.add_argument("--tags", default="", help="comma-separated tags, e.g. ml,regression")
    new.add_argument("--source", type=Path, default=Path("."), help="site folder (default: .)")
    new.add_argument("--slug", default=None, help="file and URL name (default: from the title)")
    new.add_argument(
        "--notebook", action="store_true", help="write a Jupyter notebook (.ipynb) instead"
    )
    new.add_argument(
        "--date",
        type=dt.date.fromisoformat,
        default=None,
        help="YYYY-MM-DD (default: SOURCE_DATE_EPOCH or today)",
    )

    check = commands.add_parser(
        "check", help="check the site without running cells: links, images, headings, charts"
    )
    check.add_argument("--source", type=Path, default=Path("."), help="site folder (default: .)")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument("--drafts", action="store_true", help="include drafts")
    _diagnostics_option(check)
    return parser


def _diagnostics_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--diagnostics",
        choices=("text", "json"),
        default="text",
        help="how problems are printed on stderr: path:line: message, or one JSON object a line"
        " (path, line, severity, code, message) for editors and CI annotations",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.version:
        from generator import __version__

        print(f"lessonpress {__version__}")
        return 0
    if args.command is None:
        parser.print_help()
        return 2
    stop = _StopSignals.install()
    try:
        return _dispatch(args)
    except Stopped as stopped:
        signum = stopped.signum
        name = "" if signum == signal.SIGINT else f" ({signal.Signals(signum).name})"
        print(f"interrupted{name}", file=sys.stderr)
        return 128 + signum
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if stop is not None:
            stop.uninstall()


def program() -> None:
    """The ``lessonpress`` program: :func:`main`, and it stops when the process that started
    it dies (as if its terminal hung up), so a dead parent never leaves a build running."""
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:  # nohup means: keep going
        _hang_up_with_parent()
    sys.exit(main())


class Stopped(KeyboardInterrupt):
    """Ctrl-C, SIGTERM or SIGHUP: stop (workers and what cells started are killed,
    temporary files removed, the previous site left as it was), exit 128 + the signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _StopSignals:
    """Ctrl-C, SIGTERM (timeout, CI cancellation, systemd) and SIGHUP end a command alike,
    by raising :class:`Stopped` in this process's main thread. A signal ignored when we
    started stays ignored (``nohup``; ``&`` in a script)."""

    def __init__(self) -> None:
        self.owner = os.getpid()
        self.previous: dict[int, Any] = {}
        self.unraisable = sys.unraisablehook

    @classmethod
    def install(cls) -> _StopSignals | None:
        if threading.current_thread() is not threading.main_thread():
            return None
        stop = cls()
        for signum in _STOP_SIGNALS:
            previous = signal.getsignal(signum)
            if previous is not signal.SIG_IGN:
                stop.previous[signum] = previous
                signal.signal(signum, stop.handle)
        sys.unraisablehook = stop.swallowed
        return stop

    def uninstall(self) -> None:
        for signum, previous in self.previous.items():
            signal.signal(signum, previous)
        sys.unraisablehook = self.unraisable

    def handle(self, signum: int, frame: object) -> None:
        if os.getpid() != self.owner:
            return  # a fork not yet on its own handlers (a render worker): its parent stops
        if _stopping():
            return  # `timeout` signals the build, then its group: let the first clean-up run
        raise Stopped(signum)

    def swallowed(self, unraisable: Any) -> None:
        """Where Python cannot raise (a ``__del__``, an at-fork hook) it prints and drops
        the exception: a stop landing there would be lost. The signal comes again a moment
        later, from another thread (from here it would be raised here, and dropped again)."""
        stopped = unraisable.exc_value
        if isinstance(stopped, Stopped) and os.getpid() == self.owner:
            again = threading.Timer(_AGAIN_SECONDS, os.kill, (self.owner, stopped.signum))
            again.daemon = True
            again.start()
        else:
            self.unraisable(unraisable)


_AGAIN_SECONDS = 0.05


def _stopping() -> bool:
    """Whether the code running now handles a stop (in an ``except``, ``finally``, ``__exit__``)."""
    problem = sys.exc_info()[1]
    while problem is not None:
        if isinstance(problem, Stopped):
            return True
        problem = problem.__context__
    return False


def _hang_up_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGHUP, 0, 0, 0)


_PR_SET_PDEATHSIG = 1


def _dispatch(args: argparse.Namespace) -> int:
    """Import a command's module only when it runs, so start-up stays fast."""
    if args.command == "build":
        from generator.commands import build

        return build.run(args)
    if args.command == "serve":
        from generator.commands import serve

        return serve.run(args)
    if args.command == "init":
        from generator.commands import init

        return init.run(args)
    if args.command == "new":
        from generator.commands import new as scaffold

        return scaffold.run(args)
    from generator.commands import check

    return check.run(args)
