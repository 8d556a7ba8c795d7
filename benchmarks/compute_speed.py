"""Compute-stage benchmark (issue 3).

Cold build of 20 posts that each import torch and fit a small regression, against
the time of one ``import torch`` (fresh interpreter) plus the cells' own compute
time; then the rebuild with everything cached. Run: ``python benchmarks/compute_speed.py``.
Targets: cold <= 2x (import + compute) on 2 cores; cached < 5% of cold, no torch import.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.compute.run import compute_posts
from generator.model import Cell, Post, SiteConfig

POSTS = 20
REGRESSION = textwrap.dedent(
    """
    x = torch.linspace(-1, 1, 200).unsqueeze(1)
    y = 3 * x - 0.5 + 0.1 * torch.randn_like(x)
    model = torch.nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for step in range(200):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    """
).strip()


def _python(code: str) -> float:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def import_torch_seconds() -> float:
    return min(
        _python(
            "import time; t = time.perf_counter(); import torch; print(time.perf_counter() - t)"
        )
        for _ in range(3)
    )


def compute_seconds() -> tuple[float, float]:
    """One post's cells after ``import torch``, single-threaded as in a worker: the first run
    (which includes what torch.optim imports lazily, ~2 s of torch._dynamo) and a warm run."""
    code = (
        "import time, torch; torch.set_num_threads(1); torch.manual_seed(0)\n"
        "runs = []\n"
        "for _ in range(2):\n"
        "    t = time.perf_counter()\n"
        + textwrap.indent(REGRESSION, "    ")
        + "\n    runs.append(time.perf_counter() - t)\n"
        "print(runs[0], runs[1])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, warm = map(float, out.stdout.split())
    return first, warm


def make_posts(root: Path) -> list[Post]:
    posts = []
    for i in range(POSTS):
        source = root / "content" / "posts" / f"regression-{i:02d}.md"
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text("regression\n", encoding="utf-8")
        cells = (
            Cell(0, "import time, torch", 10),
            Cell(1, f"started = time.perf_counter()\n{REGRESSION}", 14),
            Cell(
                2,
                "dataset('loss', step=list(range(len(losses))), loss=losses)\n"
                "dataset('timing', seconds=[time.perf_counter() - started])",
                30,
            ),
        )
        rel = source.relative_to(root).as_posix()
        posts.append(Post(source, rel, f"r{i}", None, f"r{i}", f"/posts/r{i}/", "", 1, cells=cells))
    return posts


def main() -> None:
    importing = import_torch_seconds()
    first, per_post = compute_seconds()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        posts = make_posts(root)
        cache_dir = root / ".lessonpress" / "cache"
        start = time.perf_counter()
        results, diags = compute_posts(posts, SiteConfig(), root, cache_dir=cache_dir)
        cold = time.perf_counter() - start
        assert not diags, diags
        in_build = sum(float(r.datasets["timing"].columns["seconds"][0]) for r in results.values())
        start = time.perf_counter()
        results, diags = compute_posts(posts, SiteConfig(), root, cache_dir=cache_dir)
        cached = time.perf_counter() - start
        assert not diags and all(r.cached for r in results.values())
    compute_total = first + per_post * (POSTS - 1)
    budget = 2 * (importing + compute_total)
    rows = [
        ("import torch (fresh interpreter)", importing),
        (
            f"cells' compute: first post {first:.2f} s + {POSTS - 1} x {per_post:.3f} s",
            compute_total,
        ),
        ("cells' compute as timed inside the build's workers", in_build),
        ("budget: 2 x (import + compute)", budget),
        (f"cold build, {POSTS} posts", cold),
        ("rebuild, all cached", cached),
    ]
    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:8.3f} s")
    print(f"{'cold / budget':<{width}}  {cold / budget:8.2f}   (target <= 1)")
    print(f"{'cached / cold':<{width}}  {cached / cold:8.2%}   (target < 5%)")
    print(f"{'torch imported by the build':<{width}}  {'torch' in sys.modules!s:>8}")


if __name__ == "__main__":
    main()
