"""ipywidgets' interact, interactive and interact_manual precomputed at build time: every
point of the controls' grid becomes a frame, in Markdown posts and notebooks alike."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from tests.content.test_notebooks import json_line, notebook
from tests.helpers import build_site, interact_frames, site_files, write_files

pytest.importorskip("ipywidgets")

SITE = {"site.yml": "title: T\nbase_url: https://example.org/\n"}

FUNCTION_FORM = """---
title: Waves
---

Prose before.

```python {compute}
from ipywidgets import interact

def describe(n, kind="a", flag=False):
    print(f"n={n} kind={kind} flag={flag}")

interact(describe, n=(0, 4, 1), kind=["a", "b"], flag=True)
```
"""


def frame_text(data: dict[str, Any], flat: int) -> str:
    return str(data["frames"][data["index"][flat]])


def build(tmp_path: Path, files: dict[str, str], *args: str) -> tuple[Any, Path]:
    src = write_files(tmp_path / "src", {**SITE, **files})
    out = tmp_path / "site"
    return build_site(src, out, *args), out


def test_function_form_with_abbreviations_gets_a_frame_per_combination(tmp_path: Path) -> None:
    result, out = build(tmp_path, {"content/posts/waves.md": FUNCTION_FORM})
    assert result.returncode == 0, result.stderr
    page_dir = out / "posts/waves"
    page = (page_dir / "index.html").read_text(encoding="utf-8")
    assert page.count("data-lp-control") == 3
    assert '<label for="cell-1-1-n">n</label>' in page and 'max="4"' in page
    assert '<select id="cell-1-1-kind"' in page and '<option value="0" selected>a</option>' in page
    assert '<input type="checkbox" id="cell-1-1-flag" data-lp-control data-size="2" checked' in page
    # The first frame is in the page: the widgets' own values (n=2, a, True).
    assert "n=2 kind=a flag=True" in page
    data = interact_frames(page_dir, "cell-1-1")
    assert len(data["index"]) == 5 * 2 * 2 and len(data["frames"]) == 20
    for n in range(5):
        for k, kind in enumerate("ab"):
            for f, flag in enumerate((False, True)):
                flat = (n * 2 + k) * 2 + f  # the first control varies slowest
                assert f"n={n} kind={kind} flag={flag}\n" in frame_text(data, flat)
    assert 'src="/js/interact.js"' in page or "js/interact.js" in page
    assert "Computed when this page was built: 20 different outputs." in page


NOTEBOOK_FORMS = [
    new_markdown_cell("# Forms of interact"),
    new_code_cell(
        "import ipywidgets as widgets\nimport matplotlib.pyplot as plt\n%matplotlib inline"
    ),
    new_code_cell(
        "@widgets.interact(theta_hat=widgets.FloatSlider(1.0, min=0.0, max=2.0, step=0.5))\n"
        "def plot(theta_hat):\n"
        "    fig, ax = plt.subplots()\n"
        "    ax.plot([0, 1], [0, theta_hat])\n"
        "    ax.set_title(f'slope {theta_hat:.1f}')"
    ),
    new_code_cell(
        "def square(x=3):\n    print(x * x)\n\nw = widgets.interactive(square, x=(1, 3))\nw"
    ),
    new_code_cell(
        "@widgets.interact_manual(word=['one', 'two'])\ndef shout(word):\n    print(word.upper())"
    ),
]


def test_a_notebook_uses_the_decorator_interactive_and_interact_manual(tmp_path: Path) -> None:
    text = notebook(*NOTEBOOK_FORMS)
    result, out = build(tmp_path, {"content/posts/forms.ipynb": text})
    assert result.returncode == 0, result.stderr
    page_dir = out / "posts/forms"
    page = (page_dir / "index.html").read_text(encoding="utf-8")
    # The decorator: 5 slopes, each its own figure, titled; the first is slope 1.0.
    slopes = interact_frames(page_dir, "cell-3-1")
    assert [re.search(r'alt="([^"]+)"', f).group(1) for f in slopes["frames"]] == [  # type: ignore[union-attr]
        f"slope {s}" for s in ("0.0", "0.5", "1.0", "1.5", "2.0")
    ]
    assert 'alt="slope 1.0"' in page and len(list(page_dir.glob("cell-3-1-*.svg"))) == 5
    # interactive(...) shown as the cell's value: what its function prints is each frame.
    squares = interact_frames(page_dir, "cell-4-1")
    assert [re.sub(r"<.*?>", "", f).strip() for f in squares["frames"]] == ["1", "4", "9"]
    # interact_manual: a button runs it, as in Jupyter.
    assert '<button type="button" class="lp-interact-run" disabled>Run Interact</button>' in page
    assert 'data-manual="true"' in page
    shouts = interact_frames(page_dir, "cell-5-1")
    assert ["ONE" in f for f in shouts["frames"]] == [True, False]
    assert "Traceback" not in page and "interactive(" not in page and "VBox(" not in page


def test_a_grid_over_budget_is_thinned_with_a_warning_and_the_build_succeeds(
    tmp_path: Path,
) -> None:
    post = """---
title: Big
---

```python {compute}
from ipywidgets import interact, FloatSlider

@interact(mu=FloatSlider(0.0, min=-2.0, max=2.0, step=0.1), sigma=(0.5, 2.0, 0.1))
def show(mu, sigma):
    print(f"{mu:.1f} {sigma:.1f}")
```

```python {compute}
#| frames: 700
@interact(mu=FloatSlider(0.0, min=-2.0, max=2.0, step=0.1), sigma=(0.5, 2.0, 0.1))
def show_all(mu, sigma):
    print(f"{mu:.1f} {sigma:.1f}")
```
"""
    config = "title: T\nbase_url: https://example.org/\ninteract_frames: 100\n"
    result, out = build(tmp_path, {"site.yml": config, "content/posts/big.md": post})
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "combinations" in line]
    assert len(warnings) == 1, result.stderr
    assert warnings[0].startswith("content/posts/big.md:6: warning: interact has 656 combinations")
    assert "budget of 100" in warnings[0] and "of 41 values" in warnings[0]
    page_dir = out / "posts/big"
    thinned = interact_frames(page_dir, "cell-1-1")
    assert len(thinned["index"]) <= 100
    assert "-2.0 0.5" in frame_text(thinned, 0) and "2.0 2.0" in frame_text(thinned, -1)
    assert (
        len(interact_frames(page_dir, "cell-2-1")["index"]) == 656
    )  # its own budget: the full grid
    page = (page_dir / "index.html").read_text(encoding="utf-8")
    assert "of the 656 combinations of the controls" in page


def test_an_error_in_one_frame_names_the_line_and_the_values(tmp_path: Path) -> None:
    post = """---
title: Broken
---

```python {compute}
from ipywidgets import interact

def inverse(x):
    return 1 / x

interact(inverse, x=(0, 3))
```
"""
    result, _ = build(tmp_path, {"content/posts/broken.md": post})
    assert result.returncode == 1
    assert "content/posts/broken.md:9: ZeroDivisionError: division by zero " in result.stderr
    assert "(in the interact frame for x=0)" in result.stderr
    assert "Traceback" not in result.stderr


def test_unseeded_random_numbers_are_seeded_per_frame_and_the_page_says_so(tmp_path: Path) -> None:
    post = """---
title: Noise
---

```python {compute}
import numpy as np
from ipywidgets import interact

@interact(n=(1, 3))
def noisy(n):
    print(np.round(np.random.rand(n), 6))
```
"""
    result, out = build(tmp_path, {"content/posts/noise.md": post})
    assert result.returncode == 0, result.stderr
    page = (out / "posts/noise/index.html").read_text(encoding="utf-8")
    assert "Random numbers are drawn from the same seed at every position" in page
    data = interact_frames(out / "posts/noise", "cell-1-1")
    first = [re.search(r"\[([\d. ]+)", f).group(1).split() for f in data["frames"]]  # type: ignore[union-attr]
    assert first[0][0] == first[1][0] == first[2][0]  # the same seed for every frame
    before = site_files(out)
    rerun = build_site(tmp_path / "src", out, "--rerun")
    assert rerun.returncode == 0, rerun.stderr
    assert site_files(out) == before


COUNTED = """---
title: Counted
---

```python {compute}
import os
from ipywidgets import interact

@interact(k=(0, 5))
def count(k):
    with open("calls.txt", "a") as f:
        f.write(f"{os.getpid()} {k}\\n")
    print(k * k)
```

```python {compute}
print("LATER")
```
"""


def test_frames_run_in_parallel_and_are_cached_one_by_one(tmp_path: Path) -> None:
    result, out = build(tmp_path, {"content/posts/counted.md": COUNTED}, "-j", "2")
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "src/content/posts/calls.txt").read_text().split("\n")[:-1]
    # Once for the widget's own value (in the worker, as Jupyter does), then each other point.
    assert sorted(int(c.split()[1]) for c in calls) == [0, 1, 2, 3, 4, 5]
    assert len({c.split()[0] for c in calls}) >= 2  # more than one process
    # A later cell changes: the post runs again, but its frames come from the cache.
    post = tmp_path / "src/content/posts/counted.md"
    post.write_text(COUNTED.replace("LATER", "LATER, EDITED"), encoding="utf-8")
    again = build_site(tmp_path / "src", out)
    assert again.returncode == 0, again.stderr
    calls_after = (tmp_path / "src/content/posts/calls.txt").read_text().split("\n")[:-1]
    assert len(calls_after) == len(calls) + 1  # only the widget's own call, as in Jupyter
    assert "LATER, EDITED" in (out / "posts/counted/index.html").read_text(encoding="utf-8")
    data = interact_frames(out / "posts/counted", "cell-1-1")
    assert [re.sub(r"<.*?>", "", f).strip() for f in data["frames"]] == [
        str(k * k) for k in range(6)
    ]


def test_a_notebook_frame_error_names_cell_and_line(tmp_path: Path) -> None:
    text = notebook(
        new_markdown_cell("# Fails"),
        new_code_cell("import ipywidgets as widgets"),
        new_code_cell("@widgets.interact(k=(0, 2))\ndef pick(k):\n    return [10, 20][k]"),
    )
    result, _ = build(tmp_path, {"content/posts/fails.ipynb": text})
    assert result.returncode == 1
    line = json_line(text, "return [10, 20][k]")
    assert f"content/posts/fails.ipynb:{line}: cell 3, line 3: IndexError" in result.stderr
    assert "(in the interact frame for k=2)" in result.stderr


CHARTED = """---
title: Charted
---

```python {compute}
import numpy as np
from ipywidgets import interact, FloatSlider

x = np.linspace(0, 1, 3)

@interact(slope=FloatSlider(1.0, min=0.0, max=2.0, step=0.5))
def fit(slope):
    dataset("line", x=x, y=slope * x)
    print(f"slope {slope}")
```

```chart
type: line
id: line-chart
data: line
x: x
y: y
control: slope
initial: 1.0
```
"""


def test_a_dataset_published_by_the_function_is_a_sweep_over_its_control(tmp_path: Path) -> None:
    result, out = build(tmp_path, {"content/posts/charted.md": CHARTED})
    assert result.returncode == 0, result.stderr
    sweep = json.loads((out / "data/charted/line.json").read_text(encoding="utf-8"))
    assert sweep["param"] == "slope" and sweep["values"] == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert [t["y"][-1] for t in sweep["tables"]] == [0.0, 0.5, 1.0, 1.5, 2.0]
    page = (out / "posts/charted/index.html").read_text(encoding="utf-8")
    assert 'data-datasets="[&quot;line&quot;]"' in page  # the chart follows the controls


def test_a_dataset_missing_from_some_frames_is_an_error(tmp_path: Path) -> None:
    post = CHARTED.replace(
        '    dataset("line", x=x, y=slope * x)',
        '    if slope > 0:\n        dataset("line", x=x, y=slope * x)',
    )
    result, _ = build(tmp_path, {"content/posts/charted.md": post})
    assert result.returncode == 1
    assert "dataset 'line' must be published once by every frame of the interact" in result.stderr
    assert "the frame for slope=0.0 published it 0 times" in result.stderr


def test_check_warns_about_an_untitled_figure_in_an_interact_at_its_cell(tmp_path: Path) -> None:
    from generator.commands import check

    post = """---
title: Untitled
---

```python {compute}
import matplotlib.pyplot as plt
from ipywidgets import interact

@interact(k=(1, 2))
def bars(k):
    plt.bar([1, 2], [k, 1])
```
"""
    result, _ = build(tmp_path, {"content/posts/untitled.md": post})
    assert result.returncode == 0, result.stderr
    found = [str(d) for d in check.check_site(tmp_path / "src") if "no title" in d.message]
    assert [f.split(": warning")[0] for f in found] == ["content/posts/untitled.md:6"], found


def test_frames_are_the_same_whichever_processes_compute_them(tmp_path: Path) -> None:
    post = """---
title: Same
---

```python {compute}
import numpy as np
import matplotlib.pyplot as plt
from ipywidgets import interact

@interact(n=(1, 6))
def draw(n):
    fig, ax = plt.subplots()
    ax.plot(np.random.rand(n * 10))
    ax.set_title(f"{n} x 10 random numbers")
```
"""
    result, out = build(tmp_path, {"content/posts/same.md": post}, "-j", "1")
    assert result.returncode == 0, result.stderr
    one = site_files(out)
    again = build_site(tmp_path / "src", out, "--rerun", "-j", "2")
    assert again.returncode == 0, again.stderr
    assert site_files(out) == one


def test_a_frame_that_hangs_times_out_and_leaves_nothing_running(tmp_path: Path) -> None:
    post = """---
title: Hangs
---

```python {compute timeout=2}
import os, time
from ipywidgets import interact

@interact(k=(0, 3))
def wait(k):
    if k == 3:
        with open("hung.pid", "w") as f:
            f.write(str(os.getpid()))
        time.sleep(1000)
    print(k)
```
"""
    result, _ = build(tmp_path, {"content/posts/hangs.md": post})
    assert result.returncode == 1
    # The worker was waiting for its frames, in the interact call: that line is named.
    assert (
        "content/posts/hangs.md:9: cell timed out after 2 s\n    @interact(k=(0, 3))"
        in result.stderr
    ), result.stderr
    pid = int((tmp_path / "src/content/posts/hung.pid").read_text())
    assert not Path(f"/proc/{pid}").exists() or " Z " in Path(f"/proc/{pid}/stat").read_text()
