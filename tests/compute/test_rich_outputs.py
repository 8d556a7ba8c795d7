"""Rich outputs: matplotlib figures for every post, IPython's behaviour for notebooks."""

from __future__ import annotations

from pathlib import Path

from nbformat.v4 import new_code_cell, new_markdown_cell

from tests.content.test_notebooks import json_line, notebook
from tests.helpers import build_site, site_files, write_files

FIGURE_POST = """---
title: Figures
---

```python {compute}
import sys
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.plot([0, 1, 2], [0, 1, 4])
ax.set_title("A parabola")
plt.show()
print("IPython imported:", "IPython" in sys.modules)
```

Some prose between the cells.

```python {compute}
plt.figure()
plt.plot([1, 2], [3, 4])
plt.suptitle("Left open")
```

```python {compute}
plt.figure()
plt.bar([1, 2], [3, 4])
```
"""


def test_figures_of_a_markdown_post_are_svg_files_beside_its_page(tmp_path: Path) -> None:
    src = write_files(tmp_path / "src", {"content/posts/figures.md": FIGURE_POST})
    out = tmp_path / "site"
    result = build_site(src, out)
    assert result.returncode == 0, result.stderr
    folder = out / "posts/figures"
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in folder.glob("*.svg")) == [
        "cell-1-1.svg",
        "cell-2-1.svg",
        "cell-3-1.svg",
    ]
    svg = (folder / "cell-1-1.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "dc:date" not in svg
    assert '<img src="cell-1-1.svg" alt="A parabola"' in page and 'loading="lazy"' in page
    assert 'alt="Left open"' in page  # a figure left open at the end of a cell is shown too
    assert '<img src="cell-3-1.svg" alt=""' in page  # no title: no alt text to give
    assert "IPython imported: False" in page  # a Markdown post never pays for IPython
    assert "base64" not in page
    # Byte-identical when every cell runs again.
    first = site_files(out)
    rerun = build_site(src, out, "--rerun")
    assert rerun.returncode == 0, rerun.stderr
    assert site_files(out) == first


def test_a_notebook_shows_values_display_html_latex_and_follows_magics(tmp_path: Path) -> None:
    text = notebook(
        new_markdown_cell("# IPython behaviour"),
        new_code_cell("%matplotlib inline\nimport numpy as np\nx = np.arange(4)\nx.sum()"),
        new_code_cell("x.mean();"),  # a trailing semicolon hides the value, as in Jupyter
        new_code_cell(
            "from IPython.display import HTML, Math, display\n"
            "display(HTML('<table class=\"df\"><tr><td>7</td></tr></table>'))\n"
            "display(Math(r'\\hat{\\theta} = 1.2'))\n"
            "class Table:\n"
            "    def _repr_html_(self):\n"
            "        return '<p class=\"mine\">rich</p>'\n"
            "Table()"
        ),
        new_code_cell(
            "%config InlineBackend.figure_format = 'retina'\n"
            "import matplotlib.pyplot as plt\n"
            "plt.plot([1, 2], [2, 1])\n"
            "plt.title('Retina');"
        ),
        new_code_cell("None"),
    )
    src = write_files(tmp_path / "src", {"content/posts/ipy.ipynb": text})
    out = tmp_path / "site"
    result = build_site(src, out)
    assert result.returncode == 0, result.stderr
    folder = out / "posts/ipy"
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "<code>np.int64(6)</code>" in page or "<code>6</code>" in page
    assert "1.5" not in page
    assert '<table class="df"><tr><td>7</td></tr></table>' in page
    assert '<p class="mine">rich</p>' in page
    assert page.count('<div class="math-display"><math') == 1
    png = folder / "cell-5-1.png"
    assert png.read_bytes().startswith(b"\x89PNG")  # retina: a PNG at twice the dpi...
    assert '<img src="cell-5-1.png" alt="Retina"' in page  # ...shown at its CSS size
    assert "<code>None</code>" not in page


def test_shell_commands_and_installs_are_errors_at_their_line(tmp_path: Path) -> None:
    shell = notebook(new_code_cell("x = 1\n!ls -la"))
    install = notebook(new_code_cell("%pip install requests"))
    result = build_site(
        write_files(
            tmp_path / "src",
            {"content/posts/shell.ipynb": shell, "content/posts/install.ipynb": install},
        ),
        tmp_path / "site",
    )
    assert result.returncode == 1
    line = json_line(shell, "!ls -la")
    assert f"shell.ipynb:{line}: cell 1, line 2: ShellCommandError: shell commands (!...)" in (
        result.stderr
    ), result.stderr
    assert "install.ipynb:" in result.stderr and "installing packages" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_output_over_the_limit_is_a_warning_not_a_huge_page(tmp_path: Path) -> None:
    text = notebook(
        new_code_cell("from IPython.display import HTML, display\ndisplay(HTML('x' * 6_000_000))")
    )
    out = tmp_path / "site"
    result = build_site(write_files(tmp_path / "src", {"content/posts/big.ipynb": text}), out)
    assert result.returncode == 0, result.stderr
    assert "is over the 5,000,000-character limit and is left out" in result.stderr
    assert (out / "posts/big/index.html").stat().st_size < 100_000


VIDEO_CELL = (
    "# @title Video 1: Linear regression\n"
    "from IPython.display import YouTubeVideo, IFrame, display\n"
    "video = YouTubeVideo(id='HumajfjJ37E', width=854, height=480, fs=1, rel=0)\n"
    "print(f'Video available at https://youtube.com/watch?v={video.id}')\n"
    "display(video)\n"
    "display(IFrame('https://player.bilibili.com/player.html?bvid=BV1tA411e7NU', 400, 300))"
)


def test_videos_and_iframes_wait_for_the_reader(tmp_path: Path) -> None:
    text = notebook(new_code_cell(VIDEO_CELL, metadata={"cellView": "form"}))
    out = tmp_path / "site"
    result = build_site(write_files(tmp_path / "src", {"content/posts/video.ipynb": text}), out)
    assert result.returncode == 0, result.stderr
    page = (out / "posts/video/index.html").read_text(encoding="utf-8")
    assert "<iframe" not in page
    assert page.count('<div class="lp-embed" data-src="https://') == 2
    assert 'data-src="https://www.youtube.com/embed/HumajfjJ37E' in page
    assert 'data-width="854" data-height="480"' in page
    assert "Video available at https://youtube.com/watch?v=HumajfjJ37E" in page
    assert "js/embeds.js" in page


def test_a_cell_tagged_raises_exception_shows_its_error_and_the_notebook_goes_on(
    tmp_path: Path,
) -> None:
    text = notebook(
        new_code_cell("values = [1, 2]\nvalues[5]", metadata={"tags": ["raises-exception"]}),
        new_code_cell("print('after the error', len(values))"),
    )
    out = tmp_path / "site"
    result = build_site(write_files(tmp_path / "src", {"content/posts/raises.ipynb": text}), out)
    assert result.returncode == 0, result.stderr
    page = (out / "posts/raises/index.html").read_text(encoding="utf-8")
    assert "IndexError: list index out of range" in page
    assert "after the error 2" in page


def test_check_warns_about_a_figure_without_a_title(tmp_path: Path) -> None:
    from generator.commands import check

    src = write_files(tmp_path / "src", {"content/posts/figures.md": FIGURE_POST})
    result = build_site(src, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    found = [str(d) for d in check.check_site(src) if "no title" in d.message]
    third_cell = FIGURE_POST.split("\n").index("plt.bar([1, 2], [3, 4])")  # 1-based: the line
    assert found == [
        f"content/posts/figures.md:{third_cell}: warning: a figure this cell draws has no "
        "title, so no alt text: give it one (ax.set_title or fig.suptitle) that says what it shows"
    ], found


def test_widgets_addresses_and_font_warnings_do_not_clutter_the_page(tmp_path: Path) -> None:
    text = notebook(
        new_code_cell(
            "import ipywidgets as widgets\nfrom IPython.display import display\n"
            "out = widgets.Output()\nwith out:\n    print('inside the output widget')\n"
            "display(widgets.Tab([out]))"
        ),
        new_code_cell("class Thing:\n    pass\nThing()"),
        new_code_cell(
            "import matplotlib.pyplot as plt\nwith plt.xkcd():\n"
            "    fig, ax = plt.subplots()\n    ax.plot([1, 2], [1, 2])\n    ax.set_title('Sketch')"
        ),
    )
    src = write_files(tmp_path / "src", {"content/posts/w.ipynb": text})
    out = tmp_path / "site"
    result = build_site(src, out)
    assert result.returncode == 0, result.stderr
    page = (out / "posts/w/index.html").read_text(encoding="utf-8")
    assert "Tab(" not in page and "inside the output widget" in page
    assert "widget" not in result.stderr  # a tab's contents are on the page: nothing is lost
    assert "&lt;__main__.Thing&gt;" in page and " at 0x" not in page
    warnings = [line for line in page.split("\n") if "findfont: Font family" in line]
    assert warnings and len(warnings) == len(set(warnings))  # once per family, not per glyph
    first = page
    assert build_site(src, out, "--rerun").returncode == 0
    assert (out / "posts/w/index.html").read_text(encoding="utf-8") == first


def test_front_matter_asks_for_png_figures_and_lets_shell_commands_run(tmp_path: Path) -> None:
    png_post = FIGURE_POST.replace("title: Figures", "title: Figures\nfigure_format: png")
    shell = notebook(
        new_markdown_cell("---\ntitle: Shell\nshell: true\n---"),
        new_code_cell("!echo from-the-shell\nfiles = !echo captured\nprint(files)"),
        new_code_cell("from IPython.display import Markdown\nMarkdown('**bold** and `code`')"),
    )
    src = write_files(
        tmp_path / "src",
        {"content/posts/figures.md": png_post, "content/posts/shell.ipynb": shell},
    )
    out = tmp_path / "site"
    result = build_site(src, out)
    assert result.returncode == 0, result.stderr
    assert (out / "posts/figures/cell-1-1.png").read_bytes().startswith(b"\x89PNG")
    assert not list((out / "posts/figures").glob("*.svg"))
    page = (out / "posts/shell/index.html").read_text(encoding="utf-8")
    assert "from-the-shell" in page and "[&#x27;captured&#x27;]" in page
    assert (
        '<div class="lp-output-markdown"><p><strong>bold</strong> and <code>code</code></p>' in page
    )
    bad = write_files(
        tmp_path / "bad", {"content/posts/x.md": "---\ntitle: X\nfigure_format: jpg\n---\n"}
    )
    result = build_site(bad, tmp_path / "bad-site")
    assert result.returncode == 1 and "x.md:3: 'figure_format' must be svg or png" in result.stderr


def test_a_live_widget_shown_on_its_own_is_left_out_with_a_warning(tmp_path: Path) -> None:
    text = notebook(
        new_code_cell("import ipywidgets as widgets\nwidgets.IntSlider(3, description='n')"),
    )
    src = write_files(tmp_path / "src", {"content/posts/w.ipynb": text})
    result = build_site(src, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    line = json_line(text, "import ipywidgets")
    assert (
        f"content/posts/w.ipynb:{line}: warning: cell 1, line 1: this cell displays an IntSlider"
        in result.stderr
    ), result.stderr
