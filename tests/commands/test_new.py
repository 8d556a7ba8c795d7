"""``lessonpress new``: a starter lesson that builds as it is, and is never written over."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from generator.cli import main
from generator.commands import check
from tests.helpers import Built
from tests.helpers import write_site as write_files


def _new(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["new", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_files(tmp_path / "src", {"site.yml": "title: T\nbase_url: https://example.org/\n"})


def test_new_post_builds_with_its_cell_and_charts(
    site: Path, capsys: pytest.CaptureFixture[str], run_build: Callable[..., Built]
) -> None:
    code, out, _ = _new(
        capsys, "Gradient Descent: a “first” look", "--tags", "ml, optimisation",
        "--source", str(site), "--date", "2024-05-06",
    )  # fmt: skip
    assert code == 0
    assert out == "created content/posts/gradient-descent-a-first-look.md\n"
    text = (site / "content/posts/gradient-descent-a-first-look.md").read_text()
    assert text.startswith(
        '---\ntitle: "Gradient Descent: a “first” look"\ndate: 2024-05-06\n'
        'tags: ["ml", "optimisation"]\n'
    )
    assert "```python {compute}" in text and 'dataset("curve"' in text and "```chart" in text
    built = run_build(site)
    assert built.code == 0, built.err
    page = built.read("posts/gradient-descent-a-first-look/index.html")
    assert page.count('class="lp-chart"') == 2
    assert "minimum of x² at x =" in page
    assert (built.site / "data/gradient-descent-a-first-look/curve.json").is_file()
    # Once built, the cache holds its results: check passes without running anything.
    assert [str(d) for d in check.check_site(site)] == []


def test_new_refuses_to_overwrite(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = write_files(site, {"content/posts/taken.md": "---\ntitle: Mine\n---\nKeep me.\n"})
    code, _, err = _new(capsys, "Taken", "--source", str(target))
    assert code == 1
    assert err == (
        "content/posts/taken.md: already exists; not overwritten (choose another title or --slug)\n"
    )
    assert (site / "content/posts/taken.md").read_text() == "---\ntitle: Mine\n---\nKeep me.\n"
    code, out, _ = _new(capsys, "Taken", "--slug", "taken-2", "--source", str(site))
    assert code == 0 and out == "created content/posts/taken-2.md\n"


def test_new_on_a_jekyll_site_writes_into_posts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = write_files(tmp_path / "j", {"_config.yml": "title: J\n", "_posts/.keep": ""})
    code, out, _ = _new(capsys, "Hello", "--source", str(site), "--date", "2023-01-02")
    assert code == 0 and out == "created _posts/2023-01-02-hello.md\n"


def test_title_without_letters_is_a_usage_error(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _new(capsys, "???", "--source", str(site))
    assert code == 2 and "needs letters or digits" in err


def test_new_notebook_builds_with_its_figure_dataset_and_chart(
    site: Path, capsys: pytest.CaptureFixture[str], run_build: Callable[..., Built]
) -> None:
    import nbformat

    code, out, _ = _new(
        capsys, "Fitting a parabola", "--notebook", "--tags", "ml", "--source", str(site),
        "--date", "2024-05-06",
    )  # fmt: skip
    assert code == 0
    assert out == "created content/posts/fitting-a-parabola.ipynb\n"
    path = site / "content/posts/fitting-a-parabola.ipynb"
    nbformat.validate(nbformat.read(path, as_version=4))  # a notebook Jupyter opens as it is
    assert path.read_text().count('"id": "cell-') == 6
    built = run_build(site)
    assert built.code == 0, built.err
    page = built.read("posts/fitting-a-parabola/index.html")
    assert "<title>Fitting a parabola" in page
    assert '<img src="cell-3-1.svg" alt="The parabola y = x²"' in page
    assert page.count('class="lp-chart"') == 1
    assert (built.site / "data/fitting-a-parabola/scaled.json").is_file()
    assert _new(capsys, "Fitting a parabola", "--notebook", "--source", str(site))[0] == 1
