"""Compute cache: what re-runs a post and what does not (real workers, no mocks)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from generator.compute import cache
from generator.compute.run import FROZEN_MISSING, compute_posts
from generator.model import Post, SiteConfig
from tests.helpers import write_post

CONFIG = SiteConfig(timeout=20)


class Site:
    """A site in tmp_path whose cells append to a log each time they really run."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache_dir = root / ".lessonpress/cache"
        self.log = root / "runs.log"

    def post(self, name: str, *cells: str, **fields: object) -> Post:
        tally = f"open({str(self.log)!r}, 'a').write({name!r} + '\\n')"
        return write_post(self.root, name, tally, *cells, **fields)

    def build(self, posts: list[Post], config: SiteConfig = CONFIG, mode: str = "normal"):  # type: ignore[no-untyped-def]
        self.log.write_text("", encoding="utf-8")
        results, diags = compute_posts(
            posts, config, self.root, cache_dir=self.cache_dir, mode=mode, jobs=2
        )  # type: ignore[arg-type]
        return results, diags, sorted(self.log.read_text(encoding="utf-8").split())


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path)


def test_unchanged_posts_do_not_run(site: Site) -> None:
    posts = [site.post("a", "print('a')\ndataset('d', x=[1.23456789])"), site.post("b", "x = 2")]
    first, diags, ran = site.build(posts)
    assert (diags, ran) == ([], ["a", "b"])
    second, diags, ran = site.build(posts)
    assert (diags, ran) == ([], [])
    assert all(r.cached for r in second.values())
    a = "content/posts/a.md"
    assert second[a].outputs == first[a].outputs
    assert second[a].datasets == first[a].datasets
    assert second[a].datasets["d"].columns["x"] == (1.23457,)


def test_prose_edit_keeps_cache_and_moves_dataset_line(site: Site) -> None:
    post = site.post("a", "dataset('d', x=[1])")
    site.build([post])
    cells = tuple(dataclasses.replace(c, line=c.line + 5) for c in post.cells)
    moved = dataclasses.replace(post, cells=cells, body="new prose", title="New title")
    results, _, ran = site.build([moved])
    assert ran == []
    assert results[post.rel].datasets["d"].line == post.cells[1].line + 5


def test_cell_edit_reruns_only_that_post(site: Site) -> None:
    a, b = site.post("a", "x = 1"), site.post("b", "x = 1")
    site.build([a, b])
    edited = site.post("a", "x = 2")
    assert site.build([edited, b])[2] == ["a"]


def test_cell_option_and_seed_changes_rerun(site: Site) -> None:
    post = site.post("a", "x = 1")
    site.build([post])
    cells = (
        *post.cells[:-1],
        dataclasses.replace(
            post.cells[-1], options=dataclasses.replace(post.cells[-1].options, hide_code=True)
        ),
    )
    assert site.build([dataclasses.replace(post, cells=cells)])[2] == ["a"]
    assert site.build([dataclasses.replace(post, cells=cells, seed=3)])[2] == ["a"]


def test_inputs_file_edit_reruns(site: Site) -> None:
    data = site.root / "content/posts/data.csv"
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text("1\n", encoding="utf-8")
    a = site.post("a", "print(open('data.csv').read())", inputs=("content/posts/data.csv",))
    b = site.post("b", "x = 1")
    site.build([a, b])
    assert site.build([a, b])[2] == []
    data.write_text("2\n", encoding="utf-8")
    results, _, ran = site.build([a, b])
    assert ran == ["a"]
    assert results[a.rel].outputs[1].text == "2\n\n"


def test_local_module_edit_reruns_only_posts_importing_it(site: Site) -> None:
    folder = site.root / "content/posts"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lesson_utils.py").write_text("from helpers import k\n", encoding="utf-8")
    (site.root / "helpers.py").write_text("k = 1\n", encoding="utf-8")  # at the site root
    (folder / "other.py").write_text("j = 1\n", encoding="utf-8")
    user = site.post("user", "from lesson_utils import k\nprint(k)")
    other = site.post("other", "import other")
    plain = site.post("plain", "import json")
    site.build([user, other, plain])
    (site.root / "helpers.py").write_text("k = 2\n", encoding="utf-8")
    results, diags, ran = site.build([user, other, plain])
    assert (diags, ran) == ([], ["user"])
    assert results[user.rel].outputs[1].text == "2\n"
    (folder / "other.py").write_text("j = 2\n", encoding="utf-8")
    assert site.build([user, other, plain])[2] == ["other"]


def test_float_digits_change_reruns(site: Site) -> None:
    post = site.post("a", "dataset('d', x=[1.23456789])")
    site.build([post])
    results, _, ran = site.build([post], dataclasses.replace(CONFIG, float_digits=3))
    assert ran == ["a"]
    assert results[post.rel].datasets["d"].columns["x"] == (1.23,)


def test_corrupt_entry_is_recomputed(site: Site) -> None:
    post = site.post("a", "x = 1")
    site.build([post])
    entry = cache.entry_path(site.cache_dir, post.rel)
    entry.write_bytes(entry.read_bytes()[:-5])  # torn write
    _, diags, ran = site.build([post])
    assert ran == ["a"]
    assert [(d.severity, d.message) for d in diags] == [
        ("warning", "cache entry is corrupt; recomputing")
    ]
    assert site.build([post])[2] == []


def test_failures_are_not_cached(site: Site) -> None:
    post = site.post("a", "1/0")
    assert site.build([post])[2] == ["a"]
    assert not cache.entry_path(site.cache_dir, post.rel).exists()
    _, diags, ran = site.build([post])
    assert ran == ["a"] and diags[0].message.startswith("ZeroDivisionError")


def test_frozen_never_executes(site: Site) -> None:
    cached, fresh = site.post("cached", "x = 1"), site.post("fresh", "x = 1")
    site.build([cached])
    results, diags, ran = site.build([cached, fresh], mode="frozen")
    assert ran == []
    assert results[cached.rel].cached
    assert [(d.path, d.line, d.message) for d in diags] == [
        (fresh.rel, fresh.cells[0].line, FROZEN_MISSING)
    ]
    stale = site.post("cached", "x = 2")
    _, diags, ran = site.build([stale], mode="frozen")
    assert ran == [] and [d.message for d in diags] == [FROZEN_MISSING]


def test_rerun_ignores_the_cache_and_refreshes_it(site: Site) -> None:
    post = site.post("a", "x = 1")
    site.build([post])
    results, _, ran = site.build([post], mode="rerun")
    assert ran == ["a"] and not results[post.rel].cached
    assert site.build([post])[2] == []


def test_entries_are_written_atomically_and_checked(site: Site) -> None:
    site.build([site.post("a", "x = 1")])
    names = [p.name for p in site.cache_dir.iterdir()]
    assert len(names) == 1 and names[0].startswith("a-") and names[0].endswith(".json")
    (site.cache_dir / ".tmp-leftover.json").write_bytes(b"half")
    status, _ = cache.load(site.cache_dir, "content/posts/a.md", "0" * 64)
    assert status == "stale"


def test_imported_names_and_scan(tmp_path: Path) -> None:
    assert cache.imported_names("import a.b, c\nfrom d.e import f\nfrom . import g\n") == {
        "a",
        "c",
        "d",
    }
    assert cache.imported_names("def broken(:\n") == set()
    (tmp_path / "content").mkdir()
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/__init__.py").write_text("from .sub import x\nimport numpy\n")
    (tmp_path / "pkg/sub.py").write_text("x = 1\n")
    post = write_post(tmp_path, "p", "import pkg", folder="content")
    scan = cache.scan_imports(post, tmp_path)
    assert scan.modules == {"pkg", "numpy"}
    assert [p.relative_to(tmp_path).as_posix() for p in scan.local_files] == [
        "pkg/__init__.py",
        "pkg/sub.py",
    ]
