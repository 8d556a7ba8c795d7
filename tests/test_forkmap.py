"""Pages rendered on every core: the same bytes and the same diagnostics as one process."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.forkmap import PARALLEL_MIN, fork_map
from generator.render import pages as render

MANY = PARALLEL_MIN + 16


def many_posts(extra: dict[str, str] | None = None) -> dict[str, str]:
    files = {"site.yml": "title: Many\nbase_url: /\n"}
    for i in range(MANY):
        files[f"content/posts/p{i:02d}.md"] = (
            f"---\ntitle: Post {i}\ndate: 2024-01-{1 + i % 28:02d}\ntags: [t{i % 5}, all]\n"
            f"order: {i}\n---\n# Part {i}\n\nSome *text* about {i}.\n"
        )
    return files | (extra or {})


def digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class Boom(Exception):
    pass


def test_fork_map_keeps_order_and_runs_in_workers_only_when_there_are_many() -> None:
    def call(i: int) -> Callable[[], tuple[int, int]]:
        return lambda: (i * i, os.getpid())

    few = list(fork_map([call(i) for i in range(PARALLEL_MIN - 1)], jobs=2))
    assert [v for v, _ in few] == [i * i for i in range(PARALLEL_MIN - 1)]
    assert {pid for _, pid in few} == {os.getpid()}
    many = list(fork_map([call(i) for i in range(MANY)], jobs=2))
    assert [v for v, _ in many] == [i * i for i in range(MANY)]
    assert os.getpid() not in {pid for _, pid in many}
    assert list(fork_map([call(i) for i in range(MANY)], jobs=1))[-1][1] == os.getpid()


@pytest.mark.parametrize("jobs", [1, 2])
def test_fork_map_raises_the_first_failure_in_order(jobs: int) -> None:
    def call(i: int) -> Callable[[], int]:
        def run() -> int:
            if i in (30, 7):
                raise Boom(f"call {i}")
            return i

        return run

    with pytest.raises(Boom, match="call 7"):
        list(fork_map([call(i) for i in range(MANY)], jobs=jobs))


def test_pages_made_on_two_cores_are_the_pages_one_process_makes(
    make_site, run_build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def spy(work, jobs):  # type: ignore[no-untyped-def]
        calls.append(len(work))
        return fork_map(work, jobs)

    monkeypatch.setattr(render, "fork_map", spy)
    source = make_site(many_posts())
    assert run_build(source, out=tmp_path / "two").code == 0  # run_build passes -j 2
    assert max(calls) >= PARALLEL_MIN  # the post and tag pages went to the workers
    assert run_build(source, "-j", "1", "--rerun", out=tmp_path / "one").code == 0
    assert digest(tmp_path / "two") == digest(tmp_path / "one")
    page = (tmp_path / "two/posts/p05/index.html").read_text(encoding="utf-8")
    assert 'href="../../posts/p04/"' in page and 'href="../../posts/p06/"' in page


def test_every_template_error_is_reported_once_with_its_line(make_site, run_build) -> None:
    layout = (
        "{% extends 'base.html' %}\n{% block content %}\n"
        "{% if page.title in ('Post 30', 'Post 31') %}\n{{ page.missing_key }}\n{% endif %}\n"
        "{% endblock %}\n"
    )
    index = "{% extends 'base.html' %}\n{% block content %}\n{{ nothing.here }}\n{% endblock %}\n"
    source = make_site(many_posts({"templates/post.html": layout, "templates/index.html": index}))
    for jobs in ("2", "1"):  # the post pages are made in workers, then in one process
        built = run_build(source, "-j", jobs)
        assert built.code == 1
        assert built.err.count("templates/post.html:4: ") == 1  # two pages, one problem
        assert "missing_key" in built.err
        assert built.err.count("templates/index.html:3: ") == 1 and "nothing" in built.err
        assert "Traceback" not in built.err
        assert not (source.parent / "site").exists()
