"""A notebook's video output in Chromium: nothing from YouTube loads until the reader clicks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from nbformat.v4 import new_code_cell

from tests.compute.test_rich_outputs import VIDEO_CELL
from tests.content.test_notebooks import notebook
from tests.helpers import BrowserLog, build_site, write_files


def test_a_video_loads_only_when_asked(
    tmp_path: Path, page: Any, browser_log: BrowserLog, serve_dir: Callable[..., str]
) -> None:
    text = notebook(new_code_cell(VIDEO_CELL, metadata={"cellView": "form"}))
    out = tmp_path / "site"
    result = build_site(write_files(tmp_path / "src", {"content/posts/video.ipynb": text}), out)
    assert result.returncode == 0, result.stderr
    page.goto(serve_dir(out) + "posts/video/")
    page.wait_for_load_state("networkidle")
    assert browser_log.external_requests == []  # a reader who does not click asks nothing
    assert page.locator("iframe").count() == 0
    button = page.get_by_role("button", name="Load it here").first
    button.focus()
    page.keyboard.press("Enter")  # the keyboard works as the mouse does
    frame = page.locator("iframe").first
    frame.wait_for()
    assert frame.get_attribute("src", timeout=2000).startswith(
        "https://www.youtube.com/embed/HumajfjJ37E"
    )
    assert frame.get_attribute("title") == "Embedded content from www.youtube.com"
    page.wait_for_timeout(300)
    assert browser_log.external_requests and all(
        "youtube.com" in url for url in browser_log.external_requests
    ), browser_log.external_requests
    browser_log.external_requests.clear()  # asked for, and blocked here (no network in tests)
    browser_log.failed_requests.clear()
    browser_log.assert_clean()
