"""Highlighted code and typeset math kept between builds (generator.render.fragments)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from generator.render.fragments import Fragments, fragment_key
from generator.render.highlight import Highlighter
from generator.render.texmath import KeptLatex, render_latex
from tests.helpers import REPO_ROOT, build_site, generator_env, site_files, write_files

POST = """---
title: Slopes
date: 2024-03-01
---

The loss is $L(w) = \\frac{1}{n}\\sum_i (y_i - w x_i)^2$.

```python
def loss(w, xs, ys):
    return sum((y - w * x) ** 2 for x, y in zip(xs, ys)) / len(xs)
```

$$
\\nabla_w L = -\\frac{2}{n} \\sum_i x_i (y_i - w x_i)
$$
"""

# Builds the site in this process, then says which of the slow makers it imported.
PROBE = (
    "import sys; from generator.cli import main; code = main(sys.argv[1:]); "
    "print('IMPORTED', sorted(m for m in ('pygments.lexers', 'pygments.formatters', "
    "'latex2mathml') if m in sys.modules)); sys.exit(code)"
)


def _probe_build(src: Path, out: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "build", "--source", str(src), "--out", str(out), "-q"],
        capture_output=True, text=True, env=generator_env(), cwd=REPO_ROOT, timeout=600,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_an_edited_post_reuses_its_code_and_math_and_matches_a_clean_build(tmp_path: Path) -> None:
    src = write_files(tmp_path / "src", {"content/posts/slopes.md": POST})
    out = tmp_path / "site"
    first = _probe_build(src, out)
    assert "pygments.lexers" in first and "latex2mathml" in first  # a cold build makes them
    assert (src / ".lessonpress" / "fragments" / "entries.sqlite3").is_file()

    (src / "content/posts/slopes.md").write_text(
        POST.replace("The loss is", "Edited: the loss is"), encoding="utf-8"
    )
    assert _probe_build(src, out) == "IMPORTED []"  # the body was re-rendered from kept parts
    page = (out / "posts/slopes/index.html").read_text(encoding="utf-8")
    assert "Edited: the loss is" in page and '<span class="k">def</span>' in page
    assert "<math" in page

    fresh = tmp_path / "fresh"
    clean = write_files(
        tmp_path / "clean",
        {"content/posts/slopes.md": (src / "content/posts/slopes.md").read_text()},
    )
    result = build_site(clean, fresh)
    assert result.returncode == 0, result.stderr
    assert site_files(out) == site_files(fresh)


def test_a_damaged_store_only_costs_time(tmp_path: Path) -> None:
    src = write_files(
        tmp_path / "src",
        {"content/posts/slopes.md": POST, ".lessonpress/fragments/entries.sqlite3": b"not sqlite"},
    )
    result = build_site(src, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert '<span class="k">def</span>' in (tmp_path / "site/posts/slopes/index.html").read_text()


def test_the_writing_process_writes_and_a_forked_worker_hands_back(tmp_path: Path) -> None:
    store = Fragments(tmp_path)
    store.keep("code:a", "<b>A</b>")
    store.close()
    assert Fragments(tmp_path).get("code:a") == "<b>A</b>"

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # a render worker: reads through its own connection, writes nothing
        os.close(read_end)
        ok = store.get("code:a") == "<b>A</b>"
        store.keep("code:b", "<i>B</i>")
        handed = store.drain() == {"code:b": b"<i>B</i>"}
        os.write(write_end, b"ok" if ok and handed else b"no")
        os._exit(0)
    os.close(write_end)
    assert os.read(read_end, 2) == b"ok"
    os.waitpid(pid, 0)
    assert store.get("code:b") is None
    store.put_all({"code:b": b"<i>B</i>"})
    store.close()
    assert Fragments(tmp_path).get("code:b") == "<i>B</i>"


def test_keys_name_the_maker_and_kept_values_equal_fresh_ones(tmp_path: Path) -> None:
    assert fragment_key("code", "pygments-2.20", "python", "x") != fragment_key(
        "code", "pygments-2.21", "python", "x"
    )
    assert fragment_key("code", "v", "py", "thon") != fragment_key("code", "v", "pyt", "hon")
    store = Fragments(tmp_path)
    made = Highlighter(store).block("x = 1\n", "python")
    kept = Highlighter(store).block("x = 1\n", "python")  # a new process's highlighter
    assert kept == made
    assert KeptLatex(store)("x^2", False) == render_latex("x^2", False)
    assert KeptLatex(store)("x^2", False) == render_latex("x^2", False)
    assert KeptLatex(store)("\\frac{", True) == render_latex("\\frac{", True)  # a problem too
    assert Fragments(None).get("anything") is None
