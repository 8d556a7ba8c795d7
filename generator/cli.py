"""Command line: ``lessonpress build|serve|new|check``.

Parses arguments, calls the orchestrator, prints diagnostics. Exit codes:
0 built, 1 content errors (all reported), 2 usage error, 130 interrupted.
Heavy modules are imported only once a command runs, so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Callable

    from generator.build.pipeline import BuildReport
    from generator.errors import Diagnostic
    from generator.memo import Memo
    from generator.model import BuildOptions
    from generator.output.manifest import Recorded
    from generator.output.writer import Writer


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

    new = commands.add_parser("new", help="write a new lesson with a starter cell and chart")
    new.add_argument("title", help="the lesson's title")
    new.add_argument("--tags", default="", help="comma-separated tags, e.g. ml,regression")
    new.add_argument("--source", type=Path, default=Path("."), help="site folder (default: .)")
    new.add_argument("--slug", default=None, help="file and URL name (default: from the title)")
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
    return parser


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
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    """Import a command's module only when it runs, so start-up stays fast."""
    if args.command == "build":
        return run_build(args)
    if args.command == "serve":
        from generator.commands import serve

        return serve.run(args)
    if args.command == "new":
        from generator.commands import new as scaffold

        return scaffold.run(args)
    from generator.commands import check

    return check.run(args)


def run_build(args: argparse.Namespace) -> int:
    from generator.errors import BuildError
    from generator.memo import load_memo, save_memo
    from generator.model import BuildOptions
    from generator.output.manifest import Manifest, Recorded
    from generator.output.writer import FolderWriter, build_lock, check_out_dir

    source: Path = args.source
    if not source.is_dir():
        print(f"lessonpress: error: --source {source} is not a folder", file=sys.stderr)
        return 2
    out: Path = args.out if args.out is not None else source / "site"
    mode: Literal["normal", "frozen", "rerun"] = (
        "frozen" if args.frozen else "rerun" if args.rerun else "normal"
    )
    options = BuildOptions(
        source=source, drafts=args.drafts, jobs=args.jobs, mode=mode, keep_going=args.keep_going
    )
    progress = _progress if args.verbose else None
    started = time.perf_counter()
    manifest = Manifest(source, out, [options.drafts, options.mode])
    try:
        check_out_dir(out, source)
        with build_lock(source.resolve() / ".lessonpress"):
            recorded = manifest.up_to_date() if mode != "rerun" else None
            if recorded is not None:
                return _up_to_date(recorded, out, started, quiet=args.quiet)
            manifest.start()
            state = source.resolve() / ".lessonpress"
            memo = load_memo(state)  # what the last build kept: redo only what changed
            writer = FolderWriter(out, state=state, memo=memo)
            report = _build(options, writer, progress, memo)
            if not report.failed:
                save_memo(state, memo)
                manifest.finish(Recorded(report.posts, report.files, tuple(report.diagnostics)))
    except BuildError as exc:
        print_diagnostics(exc.diagnostics, quiet=args.quiet)
        errors = sum(d.is_error for d in exc.diagnostics)
        print(f"build failed: {errors} error(s); {out} was left as it was", file=sys.stderr)
        return 1
    print_diagnostics(report.diagnostics, quiet=args.quiet)
    if report.failed:
        print(f"built {out} with errors (--keep-going)", file=sys.stderr)
        return 1
    if not args.quiet:
        elapsed = time.perf_counter() - started
        print(f"built {report.posts} posts, {report.files} files into {out} in {elapsed:.2f} s")
    return 0


def _build(
    options: BuildOptions,
    writer: Writer,
    progress: Callable[[str], None] | None,
    memo: Memo,
) -> BuildReport:
    from generator.build.pipeline import build  # the heavy modules: only when there is work to do

    return build(options, writer, progress, memo)


def _up_to_date(recorded: Recorded, out: Path, started: float, *, quiet: bool) -> int:
    """Nothing changed since the last good build: say what it said, touch nothing."""
    print_diagnostics(recorded.diagnostics, quiet=quiet)
    if not quiet:
        elapsed = time.perf_counter() - started
        print(
            f"built {recorded.posts} posts, {recorded.files} files into {out} in {elapsed:.2f} s"
            " (up to date: nothing changed)"
        )
    return 0


def _progress(message: str) -> None:
    print(message, file=sys.stderr)


def print_diagnostics(diagnostics: Sequence[Diagnostic], *, quiet: bool = False) -> None:
    """All diagnostics, errors first, each as ``path:line: message``."""
    shown = sorted(diagnostics, key=lambda d: (not d.is_error, d.path, d.line))
    for diag in shown:
        if quiet and not diag.is_error:
            continue
        print(str(diag), file=sys.stderr)
