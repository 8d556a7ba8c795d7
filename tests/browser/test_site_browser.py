"""The built example site in a real browser: the seed post's hand-written Chart.js embed,
the index linking to it, and a site living under a sub-path (base_url /lessons/)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO_ROOT, BrowserLog, build_site, check_seed_chart

SEED = REPO_ROOT / "content" / "posts" / "linear-regression.md"


def seed_site(root: Path, base_url: str) -> Path:
    src = root / "src"
    (src / "content" / "posts").mkdir(parents=True)
    shutil.copy(SEED, src / "content" / "posts" / "linear-regression.md")
    (src / "content" / "about.md").write_text("---\ntitle: About\nlayout: page\n---\nHi.\n")
    (src / "site.yml").write_text(f"title: Seed\nbase_url: {base_url}\n")
    out = root / "out"
    result = build_site(src, out)
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.parametrize("prefix", ["/", "/lessons/"])
def test_seed_post_draws_its_chart_and_the_index_links_to_it(
    tmp_path: Path, serve_dir: Any, page: Any, browser_log: BrowserLog, prefix: str
) -> None:
    base = "https://example.org" + prefix
    out = seed_site(tmp_path, base)
    url = serve_dir(out, prefix=prefix)
    page.goto(url)
    link = page.get_by_role("link", name="Linear Regression")
    assert link.count() == 1
    link.click()
    page.wait_for_load_state("load")
    assert page.url == url + "posts/linear-regression/"
    check_seed_chart(page)
    assert page.locator("link[rel=icon]").count() == 1
    browser_log.assert_clean()


def test_site_opened_from_disk_draws_the_seed_chart(
    tmp_path: Path, page: Any, browser_log: BrowserLog
) -> None:
    out = seed_site(tmp_path, "https://example.org/")
    page.goto((out / "posts" / "linear-regression" / "index.html").as_uri())
    check_seed_chart(page)
    browser_log.assert_clean()


def test_the_seed_chart_stays_readable_in_the_dark(
    tmp_path: Path, page: Any, browser_log: BrowserLog, serve_dir: Any
) -> None:
    import io

    from PIL import Image

    out = seed_site(tmp_path, "https://example.org/")
    page.emulate_media(color_scheme="dark")
    page.goto(serve_dir(out) + "posts/linear-regression/")
    check_seed_chart(page)
    page.wait_for_timeout(1200)  # Chart.js animates for about a second
    canvas = page.locator("#cropYieldChart")
    shot = Image.open(io.BytesIO(canvas.screenshot())).convert("L")
    darkest, lightest = shot.getextrema()
    # Its black line and grey labels on a white card of its own: contrast, not 1.17:1.
    assert lightest >= 250 and darkest <= 40, (darkest, lightest)
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(20, 23, 28)"
    browser_log.assert_clean()
