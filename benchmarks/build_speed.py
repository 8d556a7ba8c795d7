"""Build-speed benchmark (issue 9): lessonpress against Hugo on the shared corpus.

For each N it writes ``make_corpus.py --n N`` (src and hugo peers), then measures,
as the median of ``--runs`` runs:

- clean build: no output folder and no caches (``.lessonpress/`` removed);
- clean output, warm cache: the output folder removed, caches kept;
- no-op rebuild: nothing changed (checks the output is byte-identical to a clean build);
- edit one post: one post's text changed (checks the result is byte-identical to a clean
  build of the edited sources, so index, tags, feed and neighbours were all updated);
- the CPU time (user + system, all processes) of both clean builds: with 2 cores, a
  build whose CPU time is more than twice Hugo's wall time cannot match Hugo's wall time;
- Hugo 0.111 clean build (taking turns with lessonpress's clean builds, so both see the
  same machine) and rebuild of the same corpus (when ``hugo`` is installed);
- peak memory (max RSS of the build process and its workers);
- ``lessonpress --help`` start-up time, and whether numpy/torch were imported;
- a CPU probe before and after each row, and before each edit (a fixed Python loop):
  this shared VM's speed drifts by up to 2x within minutes, and every figure moves with it.

Run: ``python benchmarks/build_speed.py [--n 100 1000 10000] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "make_corpus.py"  # the repo's own copy


def run(cmd: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """Wall time and CPU time (user + system, workers included) of one command, in seconds.

    The disk is flushed first: the files a clean build's ``rm -rf`` just deleted are
    otherwise discarded (ext4 ``discard``) while the next build runs, and slow it by up to
    seconds."""
    os.sync()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return elapsed, cpu


def peak_rss(cmd: list[str]) -> int:
    """Max RSS in KiB of a command and its children, via GNU time when present."""
    gnu_time = shutil.which("time") or "/usr/bin/time"
    if not Path(gnu_time).exists():
        return 0
    result = subprocess.run(
        [gnu_time, "-f", "%M", *cmd], capture_output=True, text=True, check=False
    )
    lines = [line for line in result.stderr.strip().splitlines() if line.strip().isdigit()]
    return int(lines[-1]) if lines else 0


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def make_site(n: int, root: Path) -> tuple[Path, Path]:
    corpus = root / f"corpus{n}"
    if not corpus.exists():
        subprocess.run(
            [
                sys.executable,
                str(CORPUS),
                "--n",
                str(n),
                "--out",
                str(corpus),
                "--peers",
                "src,hugo",
            ],
            check=True,
            capture_output=True,
        )
    site = root / f"site{n}"
    if not site.exists():
        (site / "content").mkdir(parents=True)
        shutil.copytree(corpus / "src", site / "content" / "posts")
        (site / "site.yml").write_text("title: Bench\nbase_url: https://bench.example.org/\n")
    return site, corpus / "hugo"


def lessonpress(site: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "generator", "build", "--source", str(site), "--out", str(out),
            "-q", *extra]  # fmt: skip


def clean(site: Path, out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(site / ".lessonpress", ignore_errors=True)
    for leftover in out.parent.glob(f".lessonpress-*-{out.name}*"):
        shutil.rmtree(leftover, ignore_errors=True)


def cpu_probe() -> float:
    """Seconds for a fixed pure-Python loop: how fast this (shared, virtual) machine is
    right now. On the 2-core VM of issue 9 it takes ~0.86 s when quiet and up to ~1.6 s
    when the host is busy; every other figure of the row moves with it."""
    code = "import time\nt=time.perf_counter()\nx=0\nfor i in range(10_000_000): x+=i\n"
    code += "print(time.perf_counter()-t)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return float(result.stdout)


def median(values: list[float]) -> float:
    return statistics.median(values)


def bench(n: int, runs: int, root: Path) -> dict[str, float | str]:
    site, hugo_site = make_site(n, root)
    out = root / f"out{n}"
    row: dict[str, float | str] = {"n": n}
    probes = [cpu_probe()]

    # Clean builds of lessonpress and Hugo take turns, so that both see the same machine:
    # on a shared VM the speed drifts by tens of percent within minutes.
    hugo = shutil.which("hugo")
    hugo_out = root / f"hugo_out{n}"
    cold, hugo_clean, cold_cpu, hugo_cpu = [], [], [], []
    for _ in range(runs):
        clean(site, out)
        wall, cpu = run(lessonpress(site, out))
        cold.append(wall)
        cold_cpu.append(cpu)
        if hugo:
            shutil.rmtree(hugo_out, ignore_errors=True)
            shutil.rmtree(hugo_site / "resources", ignore_errors=True)
            wall, cpu = run([hugo, "--quiet", "-d", str(hugo_out)], cwd=hugo_site)
            hugo_clean.append(wall)
            hugo_cpu.append(cpu)
    row["clean"] = median(cold)
    row["cpu"] = f"{median(cold_cpu):.1f}/{median(hugo_cpu):.1f}" if hugo else "-"
    reference = digest(out)

    warm = []
    for _ in range(runs):
        shutil.rmtree(out)
        warm.append(run(lessonpress(site, out))[0])
    row["clean_warm_cache"] = median(warm)

    noop = [run(lessonpress(site, out))[0] for _ in range(runs)]
    row["noop"] = median(noop)
    row["noop_identical"] = "yes" if digest(out) == reference else "NO"

    single = root / f"single{n}"
    shutil.rmtree(single, ignore_errors=True)
    run(lessonpress(site, single, "-j", "1", "--rerun"))
    row["single_process_identical"] = "yes" if digest(single) == reference else "NO"
    shutil.rmtree(single, ignore_errors=True)

    post = sorted((site / "content" / "posts").glob("*.md"))[n // 2]
    original = post.read_text()
    edits, edit_probes = [], []
    for i in range(runs):
        edit_probes.append(cpu_probe())  # how fast the machine is just before this edit
        post.write_text(original.replace("\n\n", f"\n\nEdited paragraph {i}.\n\n", 1))
        edits.append(run(lessonpress(site, out))[0])
    pairs = zip(edits, edit_probes, strict=True)
    row["edit_runs"] = ", ".join(f"{e:.2f} (probe {p:.2f})" for e, p in pairs)
    # The edited site must be exactly what a clean build of the edited sources gives.
    fresh = root / f"fresh{n}"
    clean(site, fresh)
    run(lessonpress(site, fresh))
    row["edit_identical"] = "yes" if digest(out) == digest(fresh) else "NO"
    shutil.rmtree(fresh, ignore_errors=True)
    post.write_text(original)
    run(lessonpress(site, out))
    row["edit_one"] = median(edits)

    clean(site, out)
    row["peak_mb"] = peak_rss(lessonpress(site, out)) / 1024

    probes.append(cpu_probe())
    row["cpu_probe"] = f"{min(probes):.2f}-{max(probes):.2f}"
    if hugo:
        row["hugo_clean"] = median(hugo_clean)
        hugo_noop = [run([hugo, "--quiet", "-d", str(hugo_out)], cwd=hugo_site)[0]
                     for _ in range(runs)]  # fmt: skip
        row["hugo_noop"] = median(hugo_noop)
        row["ratio"] = float(row["clean"]) / float(row["hugo_clean"])
        row["ratio_warm"] = float(row["clean_warm_cache"]) / float(row["hugo_clean"])
    return row


def startup() -> tuple[float, bool]:
    times = []
    for _ in range(7):
        times.append(run([sys.executable, "-m", "generator", "--help"], cwd=REPO)[0])
    probe = subprocess.run(
        [sys.executable, "-c", "import sys; from generator.cli import main; "
         "main(['--help']) if False else None; "
         "print('numpy' in sys.modules or 'torch' in sys.modules)"],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    return median(times), probe.stdout.strip() == "True"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/lessonpress-bench"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    # Byte-compile the package as `pip install` does, even where PYTHONDONTWRITEBYTECODE is set.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "generator")], check=True)
    print(f"machine: {os.cpu_count()} cores; median of {args.runs} runs; seconds")
    header = ("N", "clean", "clean out+warm cache", "no-op", "edit one", "Hugo clean",
              "Hugo no-op", "ratio LP/Hugo", "ratio warm cache", "peak MB", "no-op identical",
              "-j1 identical", "edit = clean build", "clean CPU s LP/Hugo",
              "CPU probe s")  # fmt: skip
    print(" | ".join(header))
    rows = []
    for n in args.n:
        r = bench(n, args.runs, args.work)
        rows.append(r)

        def cell(key: str, fmt: str = "{:.2f}", r: dict[str, float | str] = r) -> str:
            value = r.get(key, "-")
            return fmt.format(value) if isinstance(value, float) else str(value)

        print(" | ".join([str(n), cell("clean"), cell("clean_warm_cache"), cell("noop"),
                          cell("edit_one"), cell("hugo_clean"), cell("hugo_noop"), cell("ratio"),
                          cell("ratio_warm"),
                          cell("peak_mb", "{:.0f}"), cell("noop_identical"),
                          cell("single_process_identical"), cell("edit_identical"),
                          cell("cpu"), cell("cpu_probe")]),
              flush=True)  # fmt: skip
    for r in rows:
        print(f"edit one post, N={r['n']}, each run: {r['edit_runs']}")
    help_time, heavy = startup()
    print(
        f"lessonpress --help: {help_time * 1000:.0f} ms (median of 7, includes interpreter start)"
    )
    print(f"numpy/torch imported by the CLI: {'YES' if heavy else 'no'}")


if __name__ == "__main__":
    main()
