"""Notebook benchmark (issue 19): lessonpress against ``jupyter nbconvert --execute``.

Writes N notebooks in the style of Neuromatch Academy's model-fitting tutorials (numpy,
matplotlib figures, form cells, markdown with math; the generator is this file, so it
runs from any clone), then measures, side by side on the same machine:

- lessonpress cold build: no ``.lessonpress/`` and no output folder;
- lessonpress cached rebuild after editing one markdown cell of one notebook;
- ``jupyter nbconvert --to html --execute`` of the same notebooks (one command, as an
  author would run it), taking turns with the cold builds.

nbconvert and ipykernel are not lessonpress dependencies: install them where
``--nbconvert`` points (default: ``jupyter-nbconvert`` on PATH), e.g. in a virtualenv made
with ``python -m venv --system-site-packages /tmp/nbc && /tmp/nbc/bin/pip install nbconvert
ipykernel``.

    python benchmarks/notebook_speed.py --n 12 --runs 3 --nbconvert /tmp/nbc/bin/jupyter-nbconvert

``--notebooks DIR`` measures the notebooks in DIR instead (real course notebooks, e.g.
Neuromatch's W1D3 tutorials); the edit changes the first markdown cell of the first one.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _cell(kind: str, source: str, number: int, **extra: object) -> dict[str, object]:
    lines = source.split("\n")
    cell: dict[str, object] = {
        "cell_type": kind,
        "id": f"c{number:03d}",
        "metadata": extra.pop("metadata", {}),
        "source": [line + "\n" for line in lines[:-1]] + [lines[-1]],
    }
    if kind == "code":
        cell |= {"execution_count": None, "outputs": []}
    return cell


def notebook(index: int) -> dict[str, object]:
    """One tutorial: simulated data, an MSE sweep, a least-squares fit and residuals."""
    slope = 0.8 + 0.05 * index
    parts = [
        (
            "markdown",
            f"# Tutorial {index}: Model fitting with a slope of {slope:.2f}\n\n"
            "**Model fitting, benchmark lesson**\n\n---\n\n# Tutorial objectives\n\n"
            "- simulate data\n- compute the MSE\n- fit by least squares",
        ),
        (
            "code",
            "# @title Imports\nimport numpy as np\nimport matplotlib.pyplot as plt",
            {"cellView": "form"},
        ),
        (
            "code",
            "# @title Figure settings\n%matplotlib inline\n"
            "plt.rcParams.update({'figure.figsize': (6, 4)})",
            {"cellView": "form"},
        ),
        ("markdown", "# Section 1: Data\n\n$$\ny_i = \\theta x_i + \\epsilon_i\n$$"),
        (
            "code",
            f"np.random.seed({index})\ntheta = {slope}\nx = 10 * np.random.rand(50)\n"
            "y = theta * x + np.random.randn(50)\nfig, ax = plt.subplots()\nax.scatter(x, y)\n"
            "ax.set(title='Simulated data', xlabel='x', ylabel='y')\nplt.show()",
        ),
        (
            "markdown",
            "# Section 2: MSE\n\n$$\n\\mathrm{MSE} = \\frac{1}{N}\\sum_i (y_i - "
            "\\hat\\theta x_i)^2\n$$",
        ),
        (
            "code",
            "def mse(x, y, theta_hat):\n    return np.mean((y - theta_hat * x) ** 2)\n\n"
            "theta_hats = np.linspace(0, 2, 101)\nerrors = [mse(x, y, t) for t in theta_hats]\n"
            "fig, ax = plt.subplots()\nax.plot(theta_hats, errors)\n"
            "ax.set(title='MSE by slope', xlabel='theta_hat', ylabel='MSE')\nplt.show()",
        ),
        ("markdown", "# Section 3: Least squares\n\n$\\hat\\theta = x^\\top y / x^\\top x$"),
        (
            "code",
            "theta_hat = (x @ y) / (x @ x)\nfig, ax = plt.subplots()\nax.scatter(x, y)\n"
            "ax.plot(x, theta_hat * x, color='r')\nax.set(title='Fit')\nplt.show()\ntheta_hat",
        ),
        (
            "code",
            "residuals = y - theta_hat * x\nfig, ax = plt.subplots()\n"
            "ax.hist(residuals, bins=15)\nax.set(title='Residuals')\nplt.show()\n"
            "print(f'MSE {mse(x, y, theta_hat):.3f}')",
        ),
    ]
    cells = []
    for number, part in enumerate(parts):
        kind, source, *rest = part
        cells.append(_cell(kind, source, number, metadata=rest[0] if rest else {}))
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip


def write_corpus(n: int, root: Path, real: Path | None = None) -> Path:
    site = root / "site"
    shutil.rmtree(site, ignore_errors=True)
    posts = site / "content" / "posts"
    posts.mkdir(parents=True)
    (site / "site.yml").write_text("title: Notebook benchmark\nbase_url: https://example.org/\n")
    if real is not None:
        for path in sorted(real.glob("*.ipynb")):
            shutil.copy(path, posts / path.name)
        return site
    for i in range(n):
        text = json.dumps(notebook(i), indent=1, ensure_ascii=False) + "\n"
        (posts / f"W1D3_Tutorial{i:02d}.ipynb").write_text(text, encoding="utf-8")
    return site


def timed(cmd: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=12)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/lessonpress-nbbench"))
    parser.add_argument(
        "--nbconvert", default=shutil.which("jupyter-nbconvert") or "jupyter-nbconvert"
    )
    parser.add_argument("--notebooks", type=Path, help="measure these notebooks instead")
    args = parser.parse_args()
    site = write_corpus(args.n, args.work, args.notebooks)
    out = args.work / "out"
    build = [sys.executable, "-m", "generator", "build", "--source", str(site), "--out", str(out),
             "-q"]  # fmt: skip
    notebooks = sorted(str(p) for p in (site / "content" / "posts").glob("*.ipynb"))
    html = args.work / "nbconvert"
    cold, nbconvert = [], []
    for _ in range(args.runs):
        shutil.rmtree(site / ".lessonpress", ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        cold.append(timed(build, cwd=REPO))
        shutil.rmtree(html, ignore_errors=True)
        convert = [args.nbconvert, "--to", "html", "--execute", "--output-dir", str(html)]
        nbconvert.append(timed([*convert, *notebooks]))
    edits = []
    target = site / "content" / "posts" / Path(notebooks[0]).name
    original = target.read_text(encoding="utf-8")
    data = json.loads(original)
    prose = next(c for c in data["cells"] if c["cell_type"] == "markdown")
    for i in range(args.runs):
        prose["source"] = [*prose["source"][:-1], prose["source"][-1] + f" (edit {i})"]
        target.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", "utf-8")
        edits.append(timed(build, cwd=REPO))
    target.write_text(original, encoding="utf-8")
    c, j, e = (statistics.median(v) for v in (cold, nbconvert, edits))
    print(f"machine: {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} "
          f"cores; {len(notebooks)} notebooks; median of {args.runs} runs; seconds")  # fmt: skip
    print("lessonpress cold | nbconvert --execute | ratio | lessonpress edit one | edit/cold")
    print(f"{c:.2f} | {j:.2f} | {c / j:.2f} | {e:.2f} | {e / c:.1%}")
    print("cold runs:", ", ".join(f"{v:.2f}" for v in cold),
          "; nbconvert runs:", ", ".join(f"{v:.2f}" for v in nbconvert))  # fmt: skip


if __name__ == "__main__":
    main()
