"""Write stage: the atomic swap and the file-by-file update of the private stage folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.errors import BuildError
from generator.memo import digest, stat_sig
from generator.model import OutputFile
from generator.output.writer import (
    WRITE_THREADS_MIN,
    FolderWriter,
    check_out_dir,
    stage_dir,
    sync_folder,
)


def files(**items: str) -> list[OutputFile]:
    return [OutputFile(k.replace("__", "/"), v.encode()) for k, v in items.items()]


def tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_sync_writes_only_what_changed_and_removes_the_rest(tmp_path: Path) -> None:
    sync_folder(tmp_path, files(a="1", b__c="2", d__e__f="3"))
    kept = os.stat(tmp_path / "a")
    sync_folder(tmp_path, files(a="1", b__c="changed", g="new"))
    assert tree(tmp_path) == {"a": "1", "b/c": "changed", "g": "new"}
    assert os.stat(tmp_path / "a").st_mtime_ns == kept.st_mtime_ns  # untouched
    assert not (tmp_path / "d").exists()  # emptied folders go too


def test_sync_turns_a_file_into_a_folder_and_back(tmp_path: Path) -> None:
    sync_folder(tmp_path, files(x="file"))
    sync_folder(tmp_path, files(x__index="page"))
    assert tree(tmp_path) == {"x/index": "page"}
    sync_folder(tmp_path, files(x="file again"))
    assert tree(tmp_path) == {"x": "file again"}


def test_many_files_are_written_from_threads_each_exactly_once_and_recorded(
    tmp_path: Path,
) -> None:
    many = [
        OutputFile(f"posts/p{i}/index.html" if i % 3 else f"p{i}.txt", f"page {i}".encode())
        for i in range(3 * WRITE_THREADS_MIN)
    ]
    (tmp_path / "stale").write_text("old")
    record: dict[str, tuple[tuple[int, int, int, int], bytes]] = {}
    sync_folder(tmp_path, many, record)
    assert tree(tmp_path) == {f.path: f.data.decode() for f in many}
    assert record == {f.path: (stat_sig(str(tmp_path / f.path)), digest(f.data)) for f in many}
    changed = [*many[1:], OutputFile(many[0].path, b"changed")]
    sync_folder(tmp_path, changed, record)  # only the changed file is written again
    assert tree(tmp_path)[many[0].path] == "changed"
    assert record[many[0].path][1] == digest(b"changed")


def test_a_write_error_in_a_thread_is_raised(tmp_path: Path) -> None:
    many = [OutputFile(f"d{i}/f", b"x") for i in range(2 * WRITE_THREADS_MIN)]
    many[7] = OutputFile("d7/" + "n" * 300, b"x")  # longer than a file name may be
    with pytest.raises(OSError, match="too long"):
        sync_folder(tmp_path, many)


def test_sync_repairs_a_half_written_file(tmp_path: Path) -> None:
    sync_folder(tmp_path, files(a="complete contents"))
    (tmp_path / "a").write_text("complete")  # as if a build was killed mid-write
    sync_folder(tmp_path, files(a="complete contents"))
    assert tree(tmp_path) == {"a": "complete contents"}


def test_swap_keeps_the_previous_site_privately_for_the_next_build(tmp_path: Path) -> None:
    out = tmp_path / "site"
    writer = FolderWriter(out)
    writer.write(files(index="one"))
    writer.write(files(index="two"))
    assert tree(out) == {"index": "two"}
    assert tree(stage_dir(out)) == {"index": "one"}
    writer.write(files(index="three", other="x"))
    assert tree(out) == {"index": "three", "other": "x"}


@pytest.mark.parametrize("name", [".", "content"])
def test_out_dir_refuses_the_source_and_content(tmp_path: Path, name: str) -> None:
    (tmp_path / "content").mkdir()
    with pytest.raises(BuildError):
        check_out_dir(tmp_path / name, tmp_path)


def test_previous_site_is_kept_in_the_state_folder_not_beside_the_output(tmp_path: Path) -> None:
    out, state = tmp_path / "site", tmp_path / "src" / ".lessonpress"
    writer = FolderWriter(out, state=state)
    writer.write(files(index="one"))
    writer.write(files(index="two"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "src"]
    assert tree(stage_dir(out, state)) == {"index": "one"}
    assert stage_dir(out, state).parent == state / "previous"
