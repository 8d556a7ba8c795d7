"""The render cache: one SQLite file; damage of any kind reads as a miss, never an error."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from generator import diskcache
from generator.diskcache import BATCH, FILE, DiskCache
from generator.render import commonmark
from tests.helpers import write_files


def test_entries_written_by_one_build_are_read_by_the_next(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path)
    assert cache.get("a") is None
    for i in range(BATCH + 3):  # more than one transaction
        cache.put(f"k{i}", f"body {i}".encode())
    cache.close()
    again = DiskCache(tmp_path)
    assert [again.get(f"k{i}") for i in range(BATCH + 3)] == [
        f"body {i}".encode() for i in range(BATCH + 3)
    ]
    again.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [FILE]  # one file, nothing beside it


def test_a_damaged_entry_is_a_miss(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path)
    cache.put("k", b"the body")
    cache.close()
    with sqlite3.connect(tmp_path / FILE) as db:
        (data,) = db.execute("SELECT body FROM entry").fetchone()
        db.execute("UPDATE entry SET body = ?", (data[:-1] + b"X",))
    assert DiskCache(tmp_path).get("k") is None


@pytest.mark.parametrize("garbage", [b"", b"not a database at all" * 100, b"SQLite format 3\0"])
def test_a_file_that_is_no_database_is_replaced(tmp_path: Path, garbage: bytes) -> None:
    (tmp_path / FILE).write_bytes(garbage)
    cache = DiskCache(tmp_path)
    assert cache.get("k") is None
    cache.put("k", b"fresh")
    cache.close()
    assert DiskCache(tmp_path).get("k") == b"fresh"


def test_a_locked_database_is_read_but_not_written_and_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = DiskCache(tmp_path)
    cache.put("k", b"kept")
    cache.close()
    monkeypatch.setattr(diskcache, "LOCK_WAIT", 0.1)
    holder = sqlite3.connect(tmp_path / FILE, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # as a hung process might hold it
    try:
        locked = DiskCache(tmp_path)
        assert locked.get("k") == b"kept"  # a writer does not block readers (WAL)
        locked.put("other", b"x")
        locked.close()  # could not write: given up after LOCK_WAIT, no error
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    later = DiskCache(tmp_path)
    assert later.get("k") == b"kept"  # not taken for a damaged database and removed
    assert later.get("other") is None


SITE = {
    "site.yml": "title: T\nbase_url: /\n",
    **{
        f"content/posts/p{i}.md": f"---\ntitle: P{i}\ndate: 2024-01-0{i + 1}\n---\n# P{i}\n\nText.\n"
        for i in range(3)
    },
}


def test_builds_cache_bodies_in_one_file_and_survive_a_damaged_one(
    tmp_path: Path, run_build, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_files(tmp_path / "src", SITE)
    first = run_build(source, out=tmp_path / "one")
    assert first.code == 0, first.err
    render = source / ".lessonpress" / "render"
    assert sorted(p.name for p in render.iterdir()) == [FILE]
    rendered: list[str] = []
    real = commonmark.CommonMarkRenderer.render

    def counting(self, post, **kw):  # type: ignore[no-untyped-def]
        rendered.append(post.rel)
        return real(self, post, **kw)

    monkeypatch.setattr(commonmark.CommonMarkRenderer, "render", counting)
    (source / ".lessonpress" / "memo.pickle").unlink()  # only the cache can help now
    assert run_build(source, out=tmp_path / "two").code == 0
    assert rendered == []  # every body came from the cache
    (render / FILE).write_bytes(b"\0garbage" * 64)
    (source / ".lessonpress" / "memo.pickle").unlink()
    third = run_build(source, out=tmp_path / "three")
    assert third.code == 0 and "Traceback" not in third.err
    assert len(rendered) == 3
    for name in ("two", "three"):
        for page in (tmp_path / "one").rglob("*.html"):
            twin = tmp_path / name / page.relative_to(tmp_path / "one")
            assert twin.read_bytes() == page.read_bytes()
