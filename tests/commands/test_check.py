"""``lessonpress check``: every problem it finds, at its exact file:line, through the real command."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from generator.cli import main
from generator.commands import check
from tests.helpers import REPO_ROOT, build_example_site, build_site
from tests.helpers import write_site as write_files

LESSON = """\
---
title: Lesson
---
Intro with [text](#section-one) fine and [](https://example.org/empty).

## Section one

A [good link](/posts/other/#part-b) and a [broken one](/posts/missing/).
A [bad anchor](/posts/other/#nope) and a [local bad anchor](#nowhere).
Same page [good anchor](#section-one).

#### Too deep

![](/img/ok.png)
![A missing picture](/img/missing.png)
![Beside the post](pic.png)
<img src="/img/ok.png">
<a href="/posts/other/"></a>
See [the source](other.md).

```chart
type: line
data: {x: [1, 2], y: [3, 4]}
x: x
y: y
```

```markdown
[](ignored-in-code) ![](also-ignored)
##### not a heading
```

Setext skip
===========

### After setext

`[](inside-code-span)` and <!-- [](in-a-comment) -->

<figure><canvas id="c1"></canvas><figcaption>Captioned.</figcaption></figure>
<canvas id="c2"></canvas>

Reference [text][ref].

[ref]: /nowhere/
"""

OTHER = """\
---
title: Other
---
## Part A

## Part B
"""


def _site(tmp_path: Path) -> Path:
    return write_files(
        tmp_path / "src",
        {
            "site.yml": "title: T\nbase_url: https://example.org/\n",
            "content/posts/lesson.md": LESSON,
            "content/posts/other.md": OTHER,
            "content/posts/pic.png": b"\x89PNG",
            "static/img/ok.png": b"\x89PNG",
        },
    )


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    code = main(["check", *argv])
    out = capsys.readouterr()
    return code, out.err.splitlines(), out.out


def test_reports_every_problem_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _site(tmp_path)
    code, err, _ = _run(capsys, "--source", str(site))
    p = "content/posts/lesson.md"
    assert err == [
        f"{p}:8: link to /posts/missing/ not found in the built site",
        f"{p}:9: anchor #nope not found in /posts/other/",
        f"{p}:9: anchor #nowhere not found in this page",
        f"{p}:15: image /img/missing.png not found in the built site",
        f"{p}:16: image pic.png not found in the built site "
        "(content/posts/pic.png exists, but only files in static/ are copied into the site)",
        f"{p}:19: link to other.md not found in the built site "
        "(content/posts/other.md is a source file: link to its page's URL instead)",
        f"{p}:45: link to /nowhere/ not found in the built site",
        f"{p}:4: warning: link to https://example.org/empty has no text",
        f"{p}:12: warning: heading level skips from h2 to h4 (use ### here)",
        f"{p}:14: warning: image /img/ok.png has no alt text",
        f"{p}:17: warning: image /img/ok.png has no alt text",
        f"{p}:18: warning: link to /posts/other/ has no text",
        f"{p}:21: warning: chart has no caption (add `caption:` or `title:`)",
        f"{p}:36: warning: heading level skips from h1 to h3 (use ## here)",
        f"{p}:41: warning: chart has no caption (wrap the canvas in <figure> with a <figcaption>)",
        "check failed: 7 error(s), 8 warning(s)",
    ]
    assert code == 1


def test_warnings_alone_pass_unless_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = write_files(
        tmp_path / "src",
        {
            "site.yml": "title: T\nbase_url: https://example.org/\n",
            "content/posts/a.md": "---\ntitle: A\n---\nSee [](https://example.org/).\n",
        },
    )
    code, err, out = _run(capsys, "--source", str(site))
    assert code == 0
    assert err == ["content/posts/a.md:4: warning: link to https://example.org/ has no text"]
    assert out.strip() == "check passed: 1 warning(s)"
    code, err, _ = _run(capsys, "--source", str(site), "--strict")
    assert code == 1
    assert err[0] == "content/posts/a.md:4: link to https://example.org/ has no text"


def test_reports_build_errors_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = write_files(
        tmp_path / "src",
        {
            "site.yml": "title: T\nbase_url: https://example.org/\n",
            "content/posts/a.md": "---\ntitle: A\ndate: not a date\n---\nBody.\n",
        },
    )
    code, err, _ = _run(capsys, "--source", str(site))
    assert code == 1
    assert err[0] == "content/posts/a.md:3: 'date' is not a date: 'not a date' (use YYYY-MM-DD)"


def test_never_runs_cells_and_needs_the_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "ran"
    post = textwrap.dedent(
        f"""\
        ---
        title: A
        ---
        Text.

        ```python {{compute}}
        open({str(marker)!r}, "w").write("x")
        dataset("d", x=[1, 2], y=[3, 4])
        ```

        ```chart
        data: d
        x: x
        y: y
        caption: C.
        ```
        """
    )
    site = write_files(
        tmp_path / "src",
        {"site.yml": "title: T\nbase_url: https://example.org/\n", "content/posts/a.md": post},
    )
    code, err, _ = _run(capsys, "--source", str(site))
    # Before any build: a note that the cells have not run, not a failure, and not the
    # chart's missing dataset it leads to.
    assert code == 0
    assert err == [
        "content/posts/a.md:7: warning: this cell and the ones after it have not run (no "
        "cached results): their outputs and charts are not checked; run lessonpress build",
    ]
    code, err, _ = _run(capsys, "--source", str(site), "--strict")
    assert code == 1 and err[-1] == "check failed: 1 error(s), 0 warning(s)"
    assert not marker.exists()


def test_seed_post_empty_links_are_warned_with_their_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = (REPO_ROOT / "content/posts/linear-regression.md").read_text(encoding="utf-8")
    site = write_files(
        tmp_path / "src",
        {
            "site.yml": "title: T\nbase_url: https://example.org/\n",
            "content/posts/linear-regression.md": seed,
        },
    )
    found = [str(d) for d in check.check_site(site) if d.code.startswith("check-")]
    assert found == [
        "content/posts/linear-regression.md:16: warning: link to https://github.com/NeuromatchAcademy/TA-applications#deep-learning-ta-application-video-instructions has no text",
        "content/posts/linear-regression.md:35: warning: link to https://www.sydney.edu.au/content/dam/students/documents/mathematics-learning-centre/introduction-to-differential-calculus.pdf has no text",
        "content/posts/linear-regression.md:40: warning: chart has no caption (wrap the canvas in <figure> with a <figcaption>)",
        "content/posts/linear-regression.md:82: warning: link to https://github.com/psymbio/learning_ml/tree/main/linear_regression has no text",
    ]
    # A site may accept some kinds of warning in a file it keeps as it was written.
    allow = "check:\n  allow:\n    content/posts/linear-regression.md: [link-text]\n"
    (site / "site.yml").write_text("title: T\nbase_url: https://example.org/\n" + allow)
    left = [d.code for d in check.check_site(site) if d.code.startswith("check-")]
    assert left == ["check-chart-caption"]


def test_the_example_site_passes_its_own_strict_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, result = build_example_site(tmp_path)
    assert result.returncode == 0, result.stderr
    capsys.readouterr()
    code, err, out = _run(capsys, "--source", str(tmp_path / "src"), "--strict")
    assert (code, err) == (0, []), err
    assert out.strip() == "check passed: 0 warning(s)"


def test_an_unknown_kind_in_the_allow_list_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    allow = "check:\n  allow:\n    content/posts/a.md: [link-txt]\n"
    site = write_files(
        tmp_path / "src", {"site.yml": "title: T\n" + allow, "content/posts/a.md": "# A\n"}
    )
    code, err, _ = _run(capsys, "--source", str(site))
    assert code == 1
    assert any("unknown warning kind 'link-txt'" in line for line in err), err


def test_after_a_failed_build_check_points_at_the_edited_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    post = "---\ntitle: A\n---\n\n```python {compute}\nx = 1\n```\n\n```python {compute}\ny = x + 1\n```\n"
    site = write_files(
        tmp_path / "src",
        {"site.yml": "title: T\nbase_url: https://example.org/\n", "content/posts/a.md": post},
    )
    assert build_site(site, tmp_path / "out").returncode == 0
    (site / "content/posts/a.md").write_text(post.replace("x + 1", "x + undefined"), "utf-8")
    assert build_site(site, tmp_path / "out").returncode == 1  # NameError in the second cell
    code, err, _ = _run(capsys, "--source", str(site))
    assert code == 0
    assert err[0].startswith("content/posts/a.md:10: warning: this cell and the ones after it")
