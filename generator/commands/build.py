"""Command ``lessonpress build``: build the site into its output folder and say how it went.

Exit codes: 0 built (or up to date), 1 content errors (all reported, the previous
site left as it was), 2 a usage error. The work is :func:`generator.build.run.run_build`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Literal

from generator.build.run import run_build
from generator.errors import print_diagnostics
from generator.model import BuildOptions


def run(args: argparse.Namespace) -> int:
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
    started = time.perf_counter()
    done = run_build(options, out, progress=_progress if args.verbose else None)
    print_diagnostics(done.diagnostics, quiet=args.quiet, form=args.diagnostics)
    if not done.written:
        errors = sum(d.is_error for d in done.diagnostics)
        print(f"build failed: {errors} error(s); {out} was left as it was", file=sys.stderr)
        return 1
    if done.failed:
        print(f"built {out} with errors (--keep-going)", file=sys.stderr)
        return 1
    if not args.quiet:
        elapsed = time.perf_counter() - started
        note = " (up to date: nothing changed)" if done.up_to_date else ""
        print(f"built {done.posts} posts, {done.files} files into {out} in {elapsed:.2f} s{note}")
    return 0


def _progress(message: str) -> None:
    print(message, file=sys.stderr)
