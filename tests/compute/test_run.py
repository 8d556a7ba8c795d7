"""Compute stage: real workers, real numpy and torch, exact .md lines in diagnostics."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import cast

import pytest

from generator.compute.datasets import dataset_to_json
from generator.compute.run import compute_posts
from generator.errors import Diagnostic
from generator.model import CellOptions, ComputeResult, Post, SiteConfig
from tests.helpers import REPO_ROOT, build_site, line_of, write_files, write_post

CONFIG = SiteConfig(timeout=20)


def compute(posts: list[Post], root: Path, config: SiteConfig = CONFIG, **kw: object):  # type: ignore[no-untyped-def]
    kw.setdefault("cache_dir", None)
    return compute_posts(posts, config, root, **kw)  # type: ignore[arg-type]


def errors_for(diags: list[Diagnostic], post: Post) -> list[Diagnostic]:
    return [d for d in diags if d.path == post.rel and d.is_error]


# One parallel build of many posts, most of them failing in their own way: every test
# below reads its post's result, and the build as a whole shows one failure stays local.
@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("site")
    (root / "content/posts").mkdir(parents=True)
    (root / "content/posts/lesson_utils.py").write_text(
        "def explode(x):\n    return x / 0\n", encoding="utf-8"
    )
    marker = root / "sleeper.pid"
    posts = {
        "numeric": write_post(
            root,
            "numeric",
            "import numpy as np\nimport torch\nxs = np.linspace(0, 1, 5)\nprint('xs', xs)",
            "w = torch.tensor([1.5, 2.0, 3.25, 4.0, 5.0], requires_grad=True)\n"
            "dataset('table', x=xs, w=w * 2, n=np.arange(5), i=torch.arange(5),\n"
            "        f64=torch.tensor([0.1] * 5, dtype=torch.float64), b=xs > 0.5)",
            "sweep('curves', 'slope', [1, 2, 3], lambda a: {'x': [0, 1], 'y': [0, a * 1.5]})\n"
            "import sys\nprint('to stderr', file=sys.stderr)",
        ),
        "shared": write_post(
            root, "shared", "a = 41", "def inc(v):\n    return v + 1", "print(inc(a))"
        ),
        "raises": write_post(root, "raises", "x = 1", "y = 2\nprint('before')\n1/0\nz = 3"),
        "deep": write_post(root, "deep", "from lesson_utils import explode\nexplode(3)"),
        "syntax": write_post(root, "syntax", "x = 1\ny = (\n"),
        "exits": write_post(root, "exits", "import os\nprint('bye')\nos._exit(3)"),
        "segfault": write_post(root, "segfault", "import ctypes\nctypes.string_at(0)"),
        "loops": write_post(
            root,
            "loops",
            "import subprocess\n"
            "p = subprocess.Popen(['sleep', '1000'])\n"
            f"open({str(marker)!r}, 'w').write(str(p.pid))",
            ("while True:\n    pass", CellOptions(timeout=1)),
        ),
        "nan": write_post(
            root,
            "nan",
            "import numpy as np",
            "y = np.array([1.0, np.nan])\ndataset('loss', epoch=[1, 2], y=y)",
        ),
        "inf": write_post(
            root,
            "inf",
            "import torch\nsweep('s', 'k', [1, 2], lambda k: {'v': torch.ones(1) / (k - 2)})",
        ),
        "unserialisable": write_post(
            root, "unserialisable", "import datetime\ndataset('d', t=[datetime.date(2024, 1, 1)])"
        ),
        "duplicate": write_post(root, "duplicate", "dataset('d', x=[1])", "dataset('d', x=[2])"),
        "loud": write_post(root, "loud", "print('x' * 100_000_000)\nprint('after')"),
        "greedy": write_post(root, "greedy", "blob = bytearray(8 * 2**30)"),
        "empty": write_post(root, "empty"),
    }
    config = SiteConfig(timeout=20, compute_memory_mb=3000)
    started = time.monotonic()
    results, diags = compute(list(posts.values()), root, config, jobs=2)
    return posts, results, diags, marker, time.monotonic() - started


def test_outputs_and_datasets_appear(site) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("torch")  # its cells use torch, an optional extra
    posts, results, diags, *_ = site
    result = results["content/posts/numeric.md"]
    assert errors_for(diags, posts["numeric"]) == []
    assert result.outputs[0].text == "xs [0.   0.25 0.5  0.75 1.  ]\n"
    assert result.outputs[2].text == "to stderr\n"
    table = result.datasets["table"]
    assert table.kind == "table"
    assert dict(table.columns) == {
        "x": (0.0, 0.25, 0.5, 0.75, 1.0),
        "w": (3.0, 4.0, 6.5, 8.0, 10.0),
        "n": (0, 1, 2, 3, 4),
        "i": (0, 1, 2, 3, 4),
        "f64": (0.1,) * 5,
        "b": (False, False, False, True, True),
    }
    assert all(type(v) is int for v in table.columns["i"])
    assert table.line == posts["numeric"].cells[1].line
    curves = result.datasets["curves"]
    assert (curves.kind, curves.param, curves.values) == ("sweep", "slope", (1, 2, 3))
    assert [dict(t) for t in curves.tables][2] == {"x": (0, 1), "y": (0, 4.5)}
    assert curves.line == posts["numeric"].cells[2].line


def test_cells_share_one_namespace(site) -> None:  # type: ignore[no-untyped-def]
    _, results, *_ = site
    assert [o.text for o in results["content/posts/shared.md"].outputs] == ["", "", "42\n"]


def test_post_without_cells_starts_nothing(site) -> None:  # type: ignore[no-untyped-def]
    _, results, *_ = site
    assert results["content/posts/empty.md"] == ComputeResult()


def test_reports_line_of_failing_cell(site) -> None:  # type: ignore[no-untyped-def]
    posts, results, diags, *_ = site
    post = posts["raises"]
    [error] = errors_for(diags, post)
    assert error.line == line_of(post, 1, "1/0")
    assert error.message == "ZeroDivisionError: division by zero\n    1/0"
    assert str(error).startswith(f"content/posts/raises.md:{error.line}: ZeroDivisionError")
    assert results[post.rel].outputs[-1].text == "before\n"


def test_error_in_local_module_points_at_the_calling_line(site) -> None:  # type: ignore[no-untyped-def]
    posts, _, diags, *_ = site
    [error] = errors_for(diags, posts["deep"])
    assert error.line == line_of(posts["deep"], 0, "explode(3)")
    assert "ZeroDivisionError: division by zero (raised in content/posts/lesson_utils.py:2)" in (
        error.message
    )


def test_syntax_error_line(site) -> None:  # type: ignore[no-untyped-def]
    posts, _, diags, *_ = site
    [error] = errors_for(diags, posts["syntax"])
    assert error.message.startswith("SyntaxError:")
    assert posts["syntax"].cells[0].line <= error.line <= posts["syntax"].cells[0].line + 2


def test_os_exit_fails_only_its_post(site) -> None:  # type: ignore[no-untyped-def]
    posts, _, diags, *_ = site
    [error] = errors_for(diags, posts["exits"])
    assert (error.line, error.message) == (
        posts["exits"].cells[0].line,
        "worker died (exit code 3) while running this cell",
    )


def test_segfault_fails_only_its_post(site) -> None:  # type: ignore[no-untyped-def]
    posts, _, diags, *_ = site
    [error] = errors_for(diags, posts["segfault"])
    assert error.line == posts["segfault"].cells[0].line
    assert "worker died (signal 11 SIGSEGV) while running this cell" in error.message


def test_timeout_kills_worker_and_its_children(site) -> None:  # type: ignore[no-untyped-def]
    posts, _, diags, marker, _ = site
    [error] = errors_for(diags, posts["loops"])
    # Reported at the line that was running when the worker was stopped, shown.
    assert (error.line, error.message) == (
        posts["loops"].cells[1].line,
        "cell timed out after 1 s\n    while True:",
    )
    pid = int(marker.read_text())
    assert not _alive(pid), "the cell's `sleep 1000` outlived the build"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_nan_names_post_dataset_and_column(site) -> None:  # type: ignore[no-untyped-def]
    posts, _, diags, *_ = site
    [error] = errors_for(diags, posts["nan"])
    assert error.line == line_of(posts["nan"], 1, "dataset(")
    assert "dataset 'loss' of content/posts/nan.md column 'y' (row 1) contains NaN" in error.message


def test_infinity_in_a_sweep(site) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("torch")  # its cells use torch, an optional extra
    posts, _, diags, *_ = site
    [error] = errors_for(diags, posts["inf"])
    assert error.line == line_of(posts["inf"], 0, "sweep(")
    assert "sweep 's' of content/posts/inf.md at k=2 column 'v' (row 0) contains inf" in (
        error.message
    )


def test_unserialisable_value_names_its_type(site) -> None:  # type: ignore[no-untyped-def]
    posts, _, diags, *_ = site
    [error] = errors_for(diags, posts["unserialisable"])
    assert "cannot serialise a value of type datetime.date" in error.message


def test_duplicate_dataset_name(site) -> None:  # type: ignore[no-untyped-def]
    posts, _, diags, *_ = site
    [error] = errors_for(diags, posts["duplicate"])
    assert error.line == posts["duplicate"].cells[1].line
    assert "duplicate dataset name 'd'" in error.message


def test_huge_output_is_truncated(site) -> None:  # type: ignore[no-untyped-def]
    posts, results, diags, *_ = site
    assert errors_for(diags, posts["loud"]) == []
    [output] = results["content/posts/loud.md"].outputs
    assert len(output.text) < 250_000
    assert "[output truncated: 99,800,00" in output.text


def test_memory_exhaustion_is_a_memory_error(site) -> None:  # type: ignore[no-untyped-def]
    posts, _, diags, *_ = site
    [error] = errors_for(diags, posts["greedy"])
    assert error.message.startswith("MemoryError (the worker's memory limit is 3000 MB)")


def test_failures_stay_local_in_a_parallel_build(site) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("torch")  # its cells use torch, an optional extra
    posts, results, diags, _, elapsed = site
    failing = {
        "raises",
        "deep",
        "syntax",
        "exits",
        "segfault",
        "loops",
        "nan",
        "inf",
        "unserialisable",
        "duplicate",
        "greedy",
    }
    assert {Path(d.path).stem for d in diags if d.is_error} == failing
    assert set(results) == {p.rel for p in posts.values()}
    assert elapsed < 30


def test_torch_imports_under_the_memory_limit(tmp_path: Path) -> None:
    pytest.importorskip("torch")  # its cells use torch, an optional extra
    # Not found by the import scan, so the zygote does not preload it: the worker imports torch
    # itself, under its memory limit.
    post = write_post(
        tmp_path, "hidden", "torch = __import__('to' + 'rch')\nprint(torch.ones(2).sum().item())"
    )
    config = SiteConfig(compute_memory_mb=1024)
    results, diags = compute([post], tmp_path, config)
    assert diags == []
    assert results[post.rel].outputs[0].text == "2.0\n"


def test_cells_run_in_the_post_folder_and_see_its_seed(tmp_path: Path) -> None:
    (tmp_path / "content/posts").mkdir(parents=True)
    (tmp_path / "content/posts/data.csv").write_text("1,2\n", encoding="utf-8")
    post = write_post(
        tmp_path,
        "io",
        "print(open('data.csv').read().strip())\nimport random\nprint(random.random())",
        seed=7,
    )
    import random

    expected = random.Random(7).random()
    results, diags = compute([post], tmp_path)
    assert diags == []
    assert results[post.rel].outputs[0].text == f"1,2\n{expected}\n"


def test_leftover_child_processes_are_reported_and_killed(tmp_path: Path) -> None:
    marker = tmp_path / "pid"
    post = write_post(
        tmp_path,
        "orphans",
        "import subprocess\n"
        "p = subprocess.Popen(['sleep', '1000'])\n"
        f"open({str(marker)!r}, 'w').write(str(p.pid))",
    )
    _, diags = compute([post], tmp_path)
    assert [(d.line, d.severity) for d in diags] == [(post.cells[0].line, "warning")]
    assert "left child processes running" in diags[0].message
    deadline = time.monotonic() + 5
    while _alive(int(marker.read_text())) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(int(marker.read_text()))


DETERMINISTIC = """
import random, numpy as np, torch
words = sorted(set('the quick brown fox jumps over the lazy dog'.split()), key=hash)
x = torch.randn(50)
dataset('noise', a=np.random.rand(50), b=x, c=[random.random() for _ in range(50)])
dataset('words', w=words)
"""


def test_two_builds_give_byte_identical_datasets(tmp_path: Path) -> None:
    pytest.importorskip("torch")  # its cells use torch, an optional extra
    posts = [write_post(tmp_path, f"p{i}", DETERMINISTIC) for i in range(3)]
    runs = []
    for _ in range(2):
        results, diags = compute(posts, tmp_path, jobs=2)
        assert diags == []
        runs.append([dataset_to_json(ds) for r in results.values() for ds in r.datasets.values()])
    assert runs[0] == runs[1]
    assert runs[0][0] != runs[0][2], "posts get different seeds"


def test_the_build_process_never_imports_numpy_or_torch(tmp_path: Path) -> None:
    pytest.importorskip("torch")  # its cells use torch, an optional extra
    script = textwrap.dedent(
        f"""
        import json, sys
        from pathlib import Path
        from tests.helpers import write_post
        from generator.compute.run import compute_posts
        from generator.model import SiteConfig
        root = Path({str(tmp_path)!r})
        post = write_post(root, "t", "import torch, numpy\\ndataset('d', x=torch.ones(2))")
        report = []
        for _ in range(2):
            results, diags = compute_posts([post], SiteConfig(), root, cache_dir=root / "cache")
            report.append([results[post.rel].cached, [str(d) for d in diags]])
        report.append(sorted(m for m in ("torch", "numpy") if m in sys.modules))
        print(json.dumps(report))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout) == [[False, []], [True, []], []]


def test_temp_folders_of_killed_builds_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from generator.compute.pool import TMP_PREFIX, remove_stale_temp_dirs

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = tmp_path / f"{TMP_PREFIX}2147483646-abc"
    alive = tmp_path / f"{TMP_PREFIX}{os.getpid()}-abc"
    dead.mkdir()
    alive.mkdir()
    remove_stale_temp_dirs()
    assert not dead.exists() and alive.exists()


def test_detached_children_are_killed_too(tmp_path: Path) -> None:
    marker = tmp_path / "pids"
    post = write_post(
        tmp_path,
        "daemons",
        "import os, subprocess\n"
        "a = subprocess.Popen(['sleep', '1000'], start_new_session=True)\n"
        "r, w = os.pipe()\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        os.write(w, str(os.getpid()).encode()); os.execvp('sleep', ['sleep', '1000'])\n"
        "    os._exit(0)\n"
        "os.wait()\n"
        "b = os.read(r, 32).decode()\n"
        f"open({str(marker)!r}, 'w').write(f'{{a.pid}} {{b}}')",
    )
    compute([post], tmp_path)
    pids = [int(p) for p in marker.read_text().split()]
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in pids)


def test_a_worker_socket_reported_after_its_exit_drained_it_is_ignored(tmp_path: Path) -> None:
    """One select() can report a worker's exit (which drains and closes its socket) and
    then that socket as readable; the second report must not crash the build."""
    from generator.compute import pool as compute

    pool = object.__new__(compute.WorkerPool)  # only the job bookkeeping is exercised
    job = compute.Job(post=cast(Post, None), key="k", modules=frozenset())
    assert job.sock is None  # as _drain leaves it
    pool._read_job(job)
    assert (job.buffer, job.done, job.failed) == (bytearray(), False, False)


def test_a_timeout_names_the_line_running_inside_a_function(tmp_path: Path) -> None:
    post = (
        "---\ntitle: Slow\n---\n\n```python {compute}\nimport time\n\n"
        "def train(steps):\n    for step in range(steps):\n        time.sleep(0.5)\n```\n\n"
        "```python {compute timeout=1}\nprint('start')\ntrain(100)\n```\n"
    )
    site = write_files(tmp_path / "src", {"content/posts/slow.md": post})
    result = build_site(site, tmp_path / "out")
    assert result.returncode == 1
    line = post.split("\n").index("        time.sleep(0.5)") + 1
    assert f"content/posts/slow.md:{line}: cell timed out after 1 s\n    time.sleep(0.5)" in (
        result.stderr
    ), result.stderr


CHAIN_POST = """---
title: Means
---

```python {compute}
import numpy as np

def mean(values):
    return sum(values) / len(values)

def report(groups):
    return [mean(g) for g in groups]
```

```python {compute}
print(report([[1, 2], []]))
```
"""


def test_an_error_inside_functions_shows_the_authors_call_chain(tmp_path: Path) -> None:
    site = write_files(tmp_path / "src", {"content/posts/means.md": CHAIN_POST})
    result = build_site(site, tmp_path / "out")
    assert result.returncode == 1
    lines = CHAIN_POST.split("\n")
    at = {text.strip(): n for n, text in enumerate(lines, start=1)}
    p = "content/posts/means.md"
    assert (
        f"{p}:{at['return sum(values) / len(values)']}: ZeroDivisionError: division by zero\n"
        "  the call chain, outermost first:\n"
        f"      {p}:{at['print(report([[1, 2], []]))']}, in the cell: print(report([[1, 2], []]))\n"
        f"      {p}:{at['return [mean(g) for g in groups]']}, in report(): "
        "return [mean(g) for g in groups]\n"
        f"      {p}:{at['return sum(values) / len(values)']}, in mean(): "
        "return sum(values) / len(values)\n"
    ) in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_library_frames_are_folded_in_the_call_chain(tmp_path: Path) -> None:
    post = """---
title: Inverse
---

```python {compute}
import numpy as np

def inverse(m):
    return np.linalg.inv(m)

inverse(np.zeros((2, 2)))
```
"""
    result = build_site(
        write_files(tmp_path / "src", {"content/posts/inv.md": post}), tmp_path / "out"
    )
    assert result.returncode == 1
    assert "LinAlgError: Singular matrix" in result.stderr
    assert "in inverse(): return np.linalg.inv(m)\n      ... " in result.stderr
    assert "frames in numpy" in result.stderr and "site-packages" not in result.stderr
