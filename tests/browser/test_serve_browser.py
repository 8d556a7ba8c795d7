"""``lessonpress serve`` in a real browser: edits reload the open tab, errors show an overlay."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.commands.test_serve import BROKEN_AT, BROKEN_POST, POST, Serve, make_site

OVERLAY = "#lessonpress-overlay li"


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[Serve, Path]]:
    site = make_site(tmp_path / "site")
    serve = Serve(site)
    try:
        serve.wait_for("built 1 posts")
        yield serve, site
    finally:
        serve.stop()


def test_edit_reloads_tab_and_errors_show_an_overlay_until_fixed(
    serving: tuple[Serve, Path], page: Any, browser_log: Any
) -> None:
    serve, site = serving
    post = site / "content/posts/hello.md"
    page.set_default_timeout(10_000)
    page.goto(f"http://127.0.0.1:{serve.port}/posts/hello/")
    page.get_by_text("First version.").wait_for()
    page.evaluate("window.__sameTab = true")  # gone after a reload

    post.write_text(POST.format(body="Second version."), encoding="utf-8")
    page.get_by_text("Second version.").wait_for()
    assert page.evaluate("window.__sameTab === undefined")

    post.write_text(BROKEN_POST, encoding="utf-8")
    overlay = page.locator(OVERLAY)
    overlay.first.wait_for()
    assert overlay.first.inner_text().startswith(BROKEN_AT)
    assert page.get_by_text("Second version.").is_visible()  # the last good page stays

    page.reload()  # a page opened while the build is broken shows the overlay too
    overlay.first.wait_for()
    assert page.get_by_text("Second version.").is_visible()

    post.write_text(POST.format(body="Third version."), encoding="utf-8")
    page.get_by_text("Third version.").wait_for()
    assert page.locator(OVERLAY).count() == 0
    # Reloading aborts the page's open event stream; nothing else may go wrong.
    problems = [p for p in browser_log.problems() if "/__lessonpress/events" not in p]
    assert not problems, problems
