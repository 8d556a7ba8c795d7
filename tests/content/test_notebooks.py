"""Jupyter notebooks as posts: front matter, cells, tags, and diagnostics at the .ipynb line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from tests.helpers import build_site, write_files

FRONT = "---\ntitle: Fitting a line\ndate: 2024-05-01\ntags: [regression, model-fitting]\n---"


def notebook(*cells: Any, metadata: dict[str, Any] | None = None) -> str:
    """A notebook as Jupyter writes it (nbformat, one source line per JSON line)."""
    nb = new_notebook(cells=list(cells), metadata=metadata or {})
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"  # fixed ids: the same file every run
    return nbformat.writes(nb) + "\n"


def json_line(text: str, needle: str) -> int:
    """The 1-based line of the .ipynb text holding ``needle``."""
    return next(n for n, line in enumerate(text.split("\n"), start=1) if needle in line)


def build(tmp_path: Path, files: dict[str, str]) -> tuple[Any, Path]:
    src = write_files(tmp_path / "src", files)
    out = tmp_path / "site"
    return build_site(src, out), out


def test_a_notebook_is_a_post_with_its_markdown_math_and_computed_cells(tmp_path: Path) -> None:
    text = notebook(
        new_raw_cell(FRONT),
        new_markdown_cell(
            "# Tutorial 1: Linear regression with MSE\n\n**Week 1, Day 3: Model Fitting**\n\n"
            "The mean squared error is\n\n$$\n\\mathrm{MSE} = \\frac{1}{N}\\sum_{i=1}^N "
            "(y_i - \\theta x_i)^2\n$$\n\nwhere $\\theta$ is the slope."
        ),
        new_code_cell("import numpy as np\nnp.random.seed(2021)\nx = np.arange(5)\ny = 1.5 * x"),
        new_code_cell("print('MSE at theta=1:', float(np.mean((y - x) ** 2)))"),
        new_markdown_cell("## Section 1: Least squares\n\n- [x] a task\n- a list right after"),
    )
    result, out = build(tmp_path, {"content/posts/W1D3_Tutorial1.ipynb": text})
    assert result.returncode == 0, result.stderr
    page = (out / "posts/w1d3-tutorial1/index.html").read_text(encoding="utf-8")
    assert "<title>Fitting a line" in page
    assert 'id="tutorial-1-linear-regression-with-mse"' in page
    assert 'id="section-1-least-squares"' in page
    assert page.count('<math display="block"') == 1 and '<math display="inline"' in page
    assert "MSE at theta=1: 1.5" in page
    assert 'type="checkbox"' in page  # GFM task list: the cells are CommonMark
    assert 'href="../../tags/model-fitting/"' in page


def test_tags_and_colab_forms_hide_what_jupyter_book_and_colab_hide(tmp_path: Path) -> None:
    text = notebook(
        new_markdown_cell("# Tags"),
        new_code_cell(
            "# @title Figure settings\nimport numpy as np\nprint('settings applied')",
            metadata={"cellView": "form"},
        ),
        new_code_cell("print('only-the-output')", metadata={"tags": ["remove-input"]}),
        new_code_cell(
            "secret = 41\nprint('output' + '-hidden')", metadata={"tags": ["remove-output"]}
        ),
        new_code_cell("print('removed-cell')", metadata={"tags": ["remove-cell"]}),
        new_code_cell("this is not python ```", metadata={"tags": ["skip-execution"]}),
        new_code_cell("print(secret + 1)"),
    )
    result, out = build(tmp_path, {"content/posts/tags.ipynb": text})
    assert result.returncode == 0, result.stderr
    page = (out / "posts/tags/index.html").read_text(encoding="utf-8")
    assert "settings applied" in page and "Figure settings" not in page
    assert "only-the-output" in page and "print" not in page.split("only-the-output")[0][-400:]
    assert "secret" in page and "output-hidden" not in page  # remove-output
    assert "removed-cell" not in page
    assert '<span class="n">this</span>' in page  # shown as code, never run
    assert ">42\n<" in page  # every cell ran in one namespace, in order


def test_title_from_metadata_then_first_heading(tmp_path: Path) -> None:
    by_meta = notebook(
        new_markdown_cell("# Heading title"),
        metadata={"title": "Metadata title", "lessonpress": {"tags": ["nb"]}},
    )
    by_heading = notebook(new_markdown_cell("Intro.\n\n# Heading title\n\nText."))
    result, out = build(
        tmp_path, {"content/posts/meta.ipynb": by_meta, "content/posts/head.ipynb": by_heading}
    )
    assert result.returncode == 0, result.stderr
    assert "<title>Metadata title" in (out / "posts/meta/index.html").read_text()
    assert (out / "tags/nb/index.html").is_file()
    assert "<title>Heading title" in (out / "posts/head/index.html").read_text()


def test_errors_name_the_ipynb_line_the_cell_and_the_line_in_it(tmp_path: Path) -> None:
    text = notebook(
        new_markdown_cell("# Errors"),
        new_code_cell("a = 1\nb = 2\nprint(undefined_name)"),
        new_code_cell("print('never reached')"),
    )
    warned = notebook(new_markdown_cell("# Math\n\nBad math: $\\frac{1}{$ here."))
    result, _ = build(
        tmp_path,
        {"content/posts/W1D3_Tutorial2.ipynb": text, "content/posts/math.ipynb": warned},
    )
    assert result.returncode == 1
    error_line = json_line(text, "print(undefined_name)")
    assert (
        f"content/posts/W1D3_Tutorial2.ipynb:{error_line}: cell 2, line 3: NameError"
        in result.stderr
    ), result.stderr
    assert "Traceback" not in result.stderr
    result, _ = build(tmp_path / "warned", {"content/posts/math.ipynb": warned})
    assert result.returncode == 0, result.stderr
    math_line = json_line(warned, "Bad math")
    assert f"math.ipynb:{math_line}: warning: cell 1, line 3: could not render math" in (
        result.stderr
    )


def test_front_matter_problems_point_into_the_raw_cell(tmp_path: Path) -> None:
    text = notebook(new_raw_cell("---\ntitle: Broken\ntags: [a, b\n---"), new_markdown_cell("Hi"))
    result, out = build(tmp_path, {"content/posts/broken.ipynb": text})
    assert result.returncode == 1
    assert re.search(r"broken\.ipynb:(\d+): cell 1, line (\d+): ", result.stderr), result.stderr
    line = int(re.search(r"broken\.ipynb:(\d+):", result.stderr).group(1))  # type: ignore[union-attr]
    assert line in (json_line(text, "tags: [a, b"), json_line(text, "tags: [a, b") + 1)
    assert not out.exists()


def test_invalid_json_and_invalid_notebooks_are_diagnostics(tmp_path: Path) -> None:
    good = notebook(new_markdown_cell("# Fine"))
    broken_json = good.replace('"cells": [', '"cells": [,', 1)
    not_notebook = json.dumps({"cells": [{"cell_type": "code"}], "nbformat": 4}, indent=1)
    result, _ = build(
        tmp_path,
        {"content/posts/a.ipynb": broken_json, "content/posts/b.ipynb": not_notebook},
    )
    assert result.returncode == 1
    assert f"a.ipynb:{json_line(broken_json, '[,')}: not a notebook: the JSON is invalid" in (
        result.stderr
    )
    assert "b.ipynb:1: not a valid notebook" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_notebook_written_on_one_line_still_names_the_cell(tmp_path: Path) -> None:
    nb = new_notebook(cells=[new_markdown_cell("# One line"), new_code_cell("x = 1\nprint(y)")])
    text = json.dumps(nb)  # no indentation: every cell on line 1
    result, _ = build(tmp_path, {"content/posts/minified.ipynb": text})
    assert result.returncode == 1
    assert "cell 2, line 2: NameError" in result.stderr, result.stderr
    assert "does not put each source line on its own line" in result.stderr


def test_an_open_fence_in_a_markdown_cell_ends_with_the_cell(tmp_path: Path) -> None:
    text = notebook(
        new_markdown_cell("# Fence\n\n```python\nprint('shown as code')"),
        new_markdown_cell("## After the fence"),
    )
    result, out = build(tmp_path, {"content/posts/fence.ipynb": text})
    assert result.returncode == 0, result.stderr
    assert 'id="after-the-fence"' in (out / "posts/fence/index.html").read_text()


def test_notebooks_in_a_jekyll_blog_are_posts_only_in_posts(tmp_path: Path) -> None:
    text = notebook(new_raw_cell("---\ntitle: From a notebook\n---"), new_markdown_cell("Text"))
    result, out = build(
        tmp_path,
        {
            "_config.yml": "title: Blog\n",
            "_posts/2021-03-27-from-a-notebook.ipynb": text,
            "notes/scratch.ipynb": notebook(new_markdown_cell("# Not a page")),
        },
    )
    assert result.returncode == 0, result.stderr
    pages = [p.relative_to(out).as_posix() for p in out.rglob("index.html")]
    assert any("from-a-notebook" in p for p in pages), pages
    assert not any("scratch" in p for p in pages)


def test_execute_false_publishes_the_saved_outputs_and_says_so(tmp_path: Path) -> None:
    from nbformat.v4 import new_output

    png = (
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAFklEQVR4nGP8z8DwnwEIGBmgAAYAAP//"
        "AwAmAQL/Ls+dWgAAAABJRU5ErkJggg=="
    )
    cell = new_code_cell(
        "load_data_from_the_lab()  # not available at build time",
        outputs=[
            new_output("stream", name="stdout", text="loaded 3 sessions\n"),
            new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"}),
            new_output(
                "execute_result",
                data={"text/html": "<table><tr><td>saved</td></tr></table>", "text/plain": "t"},
                execution_count=1,
            ),
        ],
    )
    failing = new_code_cell(
        "1 / 0",
        outputs=[
            new_output(
                "error",
                ename="ZeroDivisionError",
                evalue="division by zero",
                traceback=["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"],
            )
        ],
    )
    text = notebook(new_raw_cell("---\ntitle: Lab data\nexecute: false\n---"), cell, failing)
    result, out = build(tmp_path, {"content/posts/lab.ipynb": text})
    assert result.returncode == 0, result.stderr
    folder = out / "posts/lab"
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "its cells were not run when the site was built" in page
    assert "loaded 3 sessions" in page
    assert (folder / "cell-2-1.png").read_bytes().startswith(b"\x89PNG")
    assert "<table><tr><td>saved</td></tr></table>" in page
    assert "ZeroDivisionError: division by zero" in page and "\x1b" not in page
    assert not (tmp_path / "src/.lessonpress/cache").exists()  # nothing ran


def test_execute_must_be_true_or_false(tmp_path: Path) -> None:
    text = notebook(new_raw_cell("---\ntitle: X\nexecute: sometimes\n---"), new_code_cell("1"))
    result, _ = build(tmp_path, {"content/posts/x.ipynb": text})
    assert result.returncode == 1
    assert "x.ipynb:" in result.stderr and "execute" in result.stderr, result.stderr


def test_latex_environments_and_open_details_read_as_in_jupyter(tmp_path: Path) -> None:
    text = notebook(
        new_markdown_cell(
            "# Environments\n\n<details>\n<summary>Click here for the derivation</summary>\n\n"
            "\\begin{equation}\n\\hat{\\theta} = \\frac{\\mathbf{x}^\\top \\mathbf{y}}"
            "{\\mathbf{x}^\\top \\mathbf{x}}\n\\end{equation}\n\n"
            "\\begin{align}\na &= b \\\\\nc &= d\n\\end{align}\n\nInline `\\begin{equation}` is code."
        ),
        new_markdown_cell("## After the details"),
    )
    result, out = build(tmp_path, {"content/posts/env.ipynb": text})
    assert result.returncode == 0, result.stderr
    page = (out / "posts/env/index.html").read_text(encoding="utf-8")
    assert page.count('<div class="math-display"><math display="block">') == 2
    assert "\\begin{align}" not in page and "<code>\\begin{equation}</code>" in page
    body = page.split('<div class="post-body">')[1]
    assert body.index("</details>") < body.index('id="after-the-details"')


def test_hide_input_and_hide_output_fold_behind_a_toggle_and_fig_alt_describes(
    tmp_path: Path,
) -> None:
    text = notebook(
        new_code_cell("print('folded ' + 'code ran')", metadata={"tags": ["hide-input"]}),
        new_code_cell("print('folded ' + 'output')", metadata={"tags": ["hide-output"]}),
        new_code_cell(
            "#| fig-alt: A rising line through three points\n"
            "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.title('Ignored title')"
        ),
    )
    result, out = build(tmp_path, {"content/posts/fold.ipynb": text})
    assert result.returncode == 0, result.stderr
    page = (out / "posts/fold/index.html").read_text(encoding="utf-8")
    assert '<details class="lp-fold"><summary>Show code</summary><div class="highlight">' in page
    code = page.index("Show code")
    assert page.index("folded code ran") > code  # the output is not folded with the code
    assert re.search(
        r'<details class="lp-fold"><summary>Show output</summary><pre[^>]*><code>folded output',
        page,
    )
    assert 'alt="A rising line through three points"' in page


def test_a_notebook_uses_the_compute_cache_frozen_and_rerun(tmp_path: Path) -> None:
    text = notebook(new_code_cell("import random\nprint('drawn', random.random())"))
    result, out = build(tmp_path, {"content/posts/cache.ipynb": text})
    assert result.returncode == 0, result.stderr
    src = tmp_path / "src"
    page = (out / "posts/cache/index.html").read_text(encoding="utf-8")
    frozen = build_site(src, out, "--frozen")
    assert frozen.returncode == 0, frozen.stderr  # cached: nothing runs
    rerun = build_site(src, out, "--rerun")
    assert rerun.returncode == 0, rerun.stderr
    assert (out / "posts/cache/index.html").read_text(encoding="utf-8") == page  # seeded
    edited = text.replace("print('drawn'", "print('drawn again'")
    (src / "content/posts/cache.ipynb").write_text(edited, encoding="utf-8")
    stale = build_site(src, out, "--frozen")
    assert stale.returncode == 1
    assert re.search(r"cache\.ipynb:\d+: cell 1, line 1: .*cached", stale.stderr), stale.stderr


def test_dollars_with_spaces_inside_are_math_in_a_notebook_as_in_jupyter(tmp_path: Path) -> None:
    cell = new_markdown_cell(
        "# Spaces\n\nThe curve $y = x^2 - x - 2 $ and $ \\hat{\\mathbf{y}} = \\mathbf{X}\\hat\\theta$;"
        " it costs $5 and $10."
    )
    result, out = build(tmp_path, {"content/posts/spaced.ipynb": notebook(cell)})
    assert result.returncode == 0, result.stderr
    page = (out / "posts/spaced/index.html").read_text(encoding="utf-8")
    assert page.count('<math display="inline"') == 2 and "$y" not in page
    assert "costs $5 and $10." in page


def test_a_call_chain_names_the_notebooks_cells(tmp_path: Path) -> None:
    from nbformat.v4 import new_code_cell as code

    text = notebook(
        new_markdown_cell("# Chain"),
        code("def ratio(a, b):\n    return a / b"),
        code("print('start')\nratio(1, 0)"),
    )
    result, _ = build(tmp_path, {"content/posts/chain.ipynb": text})
    assert result.returncode == 1
    inner, outer = json_line(text, "return a / b"), json_line(text, "ratio(1, 0)")
    p = "content/posts/chain.ipynb"
    assert f"{p}:{inner}: cell 2, line 2: ZeroDivisionError: division by zero" in result.stderr
    assert f"      {p}:{outer} (cell 3, line 2), in the cell: ratio(1, 0)\n" in result.stderr
    assert f"      {p}:{inner} (cell 2, line 2), in ratio(): return a / b" in result.stderr
