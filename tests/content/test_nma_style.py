"""A tutorial notebook in the shape of Neuromatch Academy's (tests/fixtures/notebooks/):
Colab badge, slides and video cells built with ipywidgets, form cells, a retina figure
setting, a recap in an unclosed ``<details>`` with bare LaTeX environments, a student
exercise tagged ``raises-exception`` and an ``@widgets.interact`` explorer. It builds as
Jupyter shows it, with every heading, equation and figure, and the same bytes every run."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.helpers import REPO_ROOT, build_site, site_files, write_files

FIXTURE = REPO_ROOT / "tests/fixtures/notebooks/W9D9_Tutorial1.ipynb"


def test_an_nma_style_tutorial_builds_as_jupyter_shows_it(tmp_path: Path) -> None:
    src = write_files(tmp_path / "src", {"site.yml": "title: T\nbase_url: https://example.org/\n"})
    (src / "content/posts").mkdir(parents=True)
    shutil.copy(FIXTURE, src / "content/posts")
    out = tmp_path / "site"
    result = build_site(src, out)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr.replace("site URL unknown", ""), result.stderr
    folder = out / "posts/w9d9_tutorial1"
    if not folder.is_dir():
        folder = out / "posts/w9d9-tutorial1"
    page = (folder / "index.html").read_text(encoding="utf-8")
    body = page.split('<div class="post-body">')[1]

    assert "<title>Tutorial 1: Fitting a slope by least squares" in page
    headings = {h for _, h in re.findall(r"<h([1-6]) id=\"([^\"]+)\"", body)}
    assert {"tutorial-objectives", "setup", "section-1-mean-squared-error-mse",
            "coding-exercise-1-compute-mse", "interactive-demo-1-mse-explorer",
            "summary"} <= headings  # fmt: skip
    # Inline math, the equation and the align block of the recap: all MathML, no TeX left.
    assert body.count('<math display="block"') == 2 and body.count("<math") >= 9
    assert "\\begin{" not in body and "$" not in re.sub(r"<pre.*?</pre>", "", body, flags=re.S)
    # The recap's <details> closes with its cell, not at the end of the page.
    assert body.index("</details>") < body.index('id="coding-exercise-1-compute-mse"')
    # Two figures, PNG at twice the dpi (%config ... 'retina'), named by their cells.
    assert sorted(p.name for p in folder.glob("*.png")) == ["cell-12-1.png"]
    # The interact explorer: a slider over 21 frames (0.0 to 2.0 by 0.1), drawn as SVG,
    # its first frame in the page.
    assert 'alt="θ̂ = 1.00, MSE = 3.01"' in page
    assert 'type="range"' in page and 'max="20"' in page
    assert len(list(folder.glob("cell-17-1-*.svg"))) == 21
    # Form cells: output shown, code hidden; videos and slides wait for a click.
    assert "@title" not in page and "def display_videos" not in page
    assert "Video available at https://youtube.com/watch?v=abcdefghijk" in page
    assert page.count('<div class="lp-embed"') == 3 and "<iframe" not in page
    assert "Tab(" not in page and "interactive(" not in page
    # The student exercise raises, as it is meant to; the solution after it runs.
    assert "NotImplementedError: Student exercise: compute the mean squared error" in page
    assert "theta_hat of 1.0 has an MSE of 3.01" in page
    assert "Traceback" not in page

    first = site_files(out)
    rerun = build_site(src, out, "--rerun")
    assert rerun.returncode == 0, rerun.stderr
    assert site_files(out) == first
