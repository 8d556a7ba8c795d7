"""The browser fixtures themselves: serving under a prefix, and catching what a reader would see."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import BrowserLog, assert_no_browser_errors, write_files

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>ok</title>
<link rel="icon" href="data:,"></head>
<body><h1>Hello</h1><script src="app.js"></script></body></html>
"""


def _site(root: Path) -> Path:
    return write_files(
        root,
        {
            "index.html": PAGE,
            "app.js": "document.body.dataset.ran = 'yes';\n",
            "posts/one/index.html": PAGE.replace("app.js", "../../app.js"),
            "404.html": "<!doctype html><title>Not found</title><h1>Not here</h1>",
        },
    )


def test_serves_a_folder_at_the_root(
    serve_dir: Any, page: Any, browser_log: BrowserLog, tmp_path: Path
) -> None:
    base = serve_dir(_site(tmp_path))
    assert base.startswith("http://127.0.0.1:") and base.endswith("/")
    page.goto(base)
    assert page.locator("body").get_attribute("data-ran") == "yes"
    assert_no_browser_errors(browser_log)


def test_serves_a_folder_under_a_prefix(
    serve_dir: Any, page: Any, browser_log: BrowserLog, tmp_path: Path
) -> None:
    base = serve_dir(_site(tmp_path), prefix="/lessons/")
    assert base.endswith("/lessons/")
    page.goto(base + "posts/one")  # redirected to posts/one/, as static hosts do
    assert page.url == base + "posts/one/"
    assert page.locator("body").get_attribute("data-ran") == "yes"
    assert_no_browser_errors(browser_log)
    outside = base.removesuffix("lessons/") + "index.html"
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(outside, timeout=10)
    assert error.value.code == 404


def test_missing_page_gets_the_sites_404_page(
    serve_dir: Any, page: Any, browser_log: BrowserLog, tmp_path: Path
) -> None:
    base = serve_dir(_site(tmp_path))
    response = page.goto(base + "no/such/page/")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "Not here"
    assert browser_log.http_errors
    assert_no_browser_errors(browser_log, allow_http_errors=r"/no/such/page/")


def test_records_script_errors_and_blocks_other_hosts(
    serve_dir: Any, page: Any, browser_log: BrowserLog, tmp_path: Path
) -> None:
    broken = PAGE.replace(
        '<script src="app.js"></script>',
        '<script src="https://cdn.example.invalid/chart.js"></script>'
        "<script>console.error('boom'); undefinedFunction();</script>",
    )
    base = serve_dir(write_files(tmp_path, {"index.html": broken}))
    page.goto(base)
    problems = "\n".join(browser_log.problems())
    assert "boom" in problems
    assert "undefinedFunction" in problems
    assert "external request (blocked): https://cdn.example.invalid/chart.js" in problems
