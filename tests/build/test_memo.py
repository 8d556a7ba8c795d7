"""A build memo (what ``serve`` keeps between rebuilds, issue 7) redoes only what changed,
and what it writes is always byte-identical to a fresh build of the same sources."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import cast

import pytest

from generator.build.memo import Memo
from generator.build.pipeline import BuildOptions, build
from generator.content import posts as content
from generator.memo import KeptFile
from generator.model import OutputFile
from generator.output.writer import FolderWriter
from generator.render import pages as render
from tests.helpers import write_files


def post(title: str, day: int, tags: str = "[a]", text: str = "Body text.") -> str:
    return f"---\ntitle: {title}\ndate: 2024-01-{day:02d}\ntags: {tags}\n---\n{text}\n"


SITE = {
    "site.yml": "title: T\nurl: https://example.org\n",
    "content/posts/one.md": post("One", 1),
    "content/posts/two.md": post("Two", 2),
    "content/posts/three.md": post("Three", 3, "[b]"),
}


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class Counter:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parsed: list[str] = []
        self.pages: list[str] = []
        parse, page = content.parse_post, render.Renderer._page_uncached

        def counting_parse(src, *args):  # type: ignore[no-untyped-def]
            self.parsed.append(src.rel)
            return parse(src, *args)

        def counting_page(self_, item, **kw):  # type: ignore[no-untyped-def]
            self.pages.append(item.post.rel)
            return page(self_, item, **kw)

        monkeypatch.setattr(content, "parse_post", counting_parse)
        monkeypatch.setattr(render.Renderer, "_page_uncached", counting_page)

    def reset(self) -> None:
        self.parsed.clear()
        self.pages.clear()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_files(tmp_path / "src", SITE)


def session_build(site: Path, memo: Memo) -> dict[str, bytes]:
    out = site / "site"
    state = site / ".lessonpress"
    build(
        BuildOptions(source=site), FolderWriter(out, state=state, written=memo.written), None, memo
    )
    return files(out)


def fresh_build(site: Path, name: str) -> dict[str, bytes]:
    """A new process's view: no memo, no caches."""
    copy = site.parent / name
    write_files(copy, {p.relative_to(site).as_posix(): p.read_bytes() for p in _sources(site)})
    build(BuildOptions(source=copy), FolderWriter(copy / "site", state=copy / ".lessonpress"))
    return files(copy / "site")


def _sources(site: Path) -> list[Path]:
    skip = (site / "site", site / ".lessonpress")
    return [
        p
        for p in site.rglob("*")
        if p.is_file() and not any(s == p or s in p.parents for s in skip)
    ]


def test_an_edit_reparses_and_rerenders_only_what_shows_it(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = Counter(monkeypatch)
    memo = Memo()
    session_build(site, memo)
    assert sorted(count.parsed) == sorted(f"content/posts/{n}.md" for n in ("one", "two", "three"))
    count.reset()
    session_build(site, memo)
    assert count.parsed == [] and count.pages == []  # nothing changed: nothing redone
    # A new title shows on the post and on its neighbours' previous/next links.
    (site / "content/posts/two.md").write_text(post("Deux", 2), encoding="utf-8")
    out = session_build(site, memo)
    assert count.parsed == ["content/posts/two.md"]
    assert sorted(count.pages) == sorted(f"content/posts/{n}.md" for n in ("one", "two", "three"))
    assert out == fresh_build(site, "fresh1")
    assert b"Deux" in out["index.html"] and b"Deux" in out["posts/one/index.html"]
    count.reset()
    # A body edit changes that post's page only (and the listings, feed and search).
    (site / "content/posts/one.md").write_text(post("One", 1, text="New words."), "utf-8")
    out = session_build(site, memo)
    assert count.parsed == ["content/posts/one.md"] and count.pages == ["content/posts/one.md"]
    assert out == fresh_build(site, "fresh2")
    assert b"New words" in out["search-index.json"] and b"New words" in out["feed.xml"]


@pytest.mark.parametrize(
    "change",
    ["retag a post", "delete a post", "add a post", "edit a template", "edit the config",
     "add a static file", "tamper with the output", "tamper with a page in both folders",
     "remove the output folder"],
)  # fmt: skip
def test_every_change_gives_what_a_fresh_build_gives(site: Path, change: str) -> None:
    memo = Memo()
    session_build(site, memo)
    session_build(site, memo)  # both folders the writer swaps are now known
    if change == "retag a post":
        (site / "content/posts/three.md").write_text(post("Three", 3, "[a, c]"), "utf-8")
    elif change == "delete a post":
        (site / "content/posts/two.md").unlink()
    elif change == "add a post":
        write_files(site, {"content/posts/four.md": post("Four", 4)})
    elif change == "edit a template":
        write_files(site, {"templates/post.html": "{{ page.title }}|{{ page.content }}\n"})
    elif change == "edit the config":
        (site / "site.yml").write_text("title: Renamed\nurl: https://example.org\n", "utf-8")
    elif change == "add a static file":
        write_files(site, {"static/css/extra.css": "p{}\n"})
    elif change == "tamper with the output":
        (site / "site/index.html").write_text("tampered", encoding="utf-8")
    elif change == "remove the output folder":
        shutil.rmtree(site / "site")
    else:  # the memo says "same page", but neither folder still holds its bytes
        (previous,) = (site / ".lessonpress/previous").iterdir()
        for folder in (site / "site", previous):
            (folder / "posts/one/index.html").write_text("tampered", encoding="utf-8")
        (site / "content/posts/three.md").write_text(post("Three", 3, "[b]", "New."), "utf-8")
    out = session_build(site, memo)
    assert out == fresh_build(site, "fresh")
    out = session_build(site, memo)  # and again, from the other folder
    assert out == fresh_build(site, "fresh-again")


def test_the_build_command_keeps_its_session_and_survives_a_damaged_one(site: Path) -> None:
    from generator.build.memo import FILE, load_memo
    from tests.helpers import build_site

    assert build_site(site, site / "site").returncode == 0
    saved = load_memo(site / ".lessonpress")
    assert (
        len(saved.content.parsed) == 3 and len(saved.render.bodies) == 3
    )  # the next build starts warm
    (site / "content/posts/two.md").write_text(post("Deux", 2), encoding="utf-8")
    result = build_site(site, site / "site")
    assert result.returncode == 0, result.stderr
    assert files(site / "site") == fresh_build(site, "fresh")
    # A damaged memo (right header, broken body) is a cold start, not a failure.
    path = site / ".lessonpress" / FILE
    header = path.read_bytes().split(b"\n", 1)[0]
    path.write_bytes(header + b"\n" + b"\x80\x05garbage")
    (site / "content/posts/one.md").write_text(post("Un", 1), encoding="utf-8")
    result = build_site(site, site / "site")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert files(site / "site") == fresh_build(site, "fresh-again")


def test_pages_are_remembered_by_digest_and_unchanged_ones_are_never_read(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memo = Memo()
    session_build(site, memo)
    session_build(site, memo)
    # What is kept between builds (and saved to disk) is a digest per file, not its bytes.
    assert memo.render.pages and all(len(d) == 32 for _, d in memo.render.pages.values())
    for records in memo.written.folders.values():
        assert all(len(d) == 32 for _, d in records.values())
    reads: list[str] = []
    data = KeptFile.data

    def counting(self: KeptFile) -> bytes:
        reads.append(self.path)
        return cast(bytes, data.__get__(self))

    monkeypatch.setattr(KeptFile, "data", property(counting))
    (site / "content/posts/two.md").write_text(post("Two", 2, text="Edited."), "utf-8")
    out = session_build(site, memo)
    assert reads == []  # both folders held every unchanged page already
    assert out == fresh_build(site, "fresh")
    session_build(site, memo)  # the other folder lacks only the edited post's page...
    assert reads == ["posts/two/index.html"]  # ...which is copied, not made again
    assert files(site / "site") == out


def test_a_kept_page_whose_folder_changes_before_it_is_written_is_made_again(
    site: Path,
) -> None:
    """Another site's build may swap a shared output folder between render and write."""
    memo = Memo()
    session_build(site, memo)
    session_build(site, memo)
    (previous,) = (site / ".lessonpress/previous").iterdir()
    inner = FolderWriter(site / "site", state=site / ".lessonpress", written=memo.written)

    class Meddling:
        def write(self, files: Iterable[OutputFile]) -> None:
            files = list(files)
            kept = [f for f in files if isinstance(f, KeptFile)]
            assert kept  # the unchanged pages come from the folders, not from the memo
            for folder in (site / "site", previous):  # both copies change under the build
                for item in kept:
                    (folder / item.path).write_text("meddled", encoding="utf-8")
            inner.write(files)

    (site / "content/posts/three.md").write_text(post("Three", 3, "[b]", "New."), "utf-8")
    build(BuildOptions(source=site), Meddling(), None, memo)
    assert files(site / "site") == fresh_build(site, "fresh")


def test_the_session_forgets_output_folders_that_are_gone(site: Path) -> None:
    memo = Memo()
    for name in ("one", "two"):
        out = site / name
        build(
            BuildOptions(source=site),
            FolderWriter(out, state=site / ".lessonpress", written=memo.written),
            None,
            memo,
        )
    shutil.rmtree(site / "one")
    session_build(site, memo)
    assert (
        str(site / "one") not in memo.written.folders and str(site / "two") in memo.written.folders
    )


def test_deleting_another_output_folder_does_not_make_every_page_again(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Output folders share no files (no hard links): removing one leaves the others'
    records valid, so an edit still re-renders only the edited post's page."""
    memo = Memo()
    session_build(site, memo)
    other = FolderWriter(site / "other", state=site / ".lessonpress", written=memo.written)
    build(BuildOptions(source=site), other, None, memo)
    shutil.rmtree(site / "other")
    count = Counter(monkeypatch)
    (site / "content/posts/three.md").write_text(post("Three", 3, "[b]", "New."), "utf-8")
    out = session_build(site, memo)
    assert count.pages == ["content/posts/three.md"]
    assert out == fresh_build(site, "fresh")
