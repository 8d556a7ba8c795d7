"""Screenshots of the flagship lesson, desktop and phone, light and dark.

    python scripts/screenshots.py [OUT_DIR] [--site DIR] [--page URL_PATH ...]

Builds the example site (``content/``) into a temporary folder unless ``--site`` names an
already built one, serves it on 127.0.0.1, and writes into OUT_DIR (default ``screenshots/``,
which git ignores), for each viewport and colour scheme: a full-page PNG, the same page cut
into screen-sized slices (``OUT_DIR/slices/``), one PNG per chart figure, and one per slider
chart with its slider moved to the end. Uses Debian's /usr/bin/chromium through Playwright;
never downloads a browser. Exits 1 if a page logged an error or scrolls sideways.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
PAGES = ("posts/linear-regression-interactive/", "posts/crop-yield-data/")
VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}
SCHEMES = ("light", "dark")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def build_site(out: Path) -> None:
    command = [sys.executable, "-m", "generator", "build", "--source", str(REPO), "--out", str(out)]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"the build failed:\n{result.stdout}{result.stderr}")


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def shoot(browser: Any, base: str, page_path: str, out: Path) -> list[str]:
    """Screenshots of one page in every viewport and scheme; returns the problems seen."""
    problems: list[str] = []
    stem = page_path.strip("/").split("/")[-1]
    for view, options in VIEWPORTS.items():
        for scheme in SCHEMES:
            name = f"{stem}-{view}-{scheme}"
            problems += _shoot_one(browser, base + page_path, options, scheme, out, name)
    return problems


def _shoot_one(
    browser: Any, url: str, options: dict[str, Any], scheme: str, out: Path, name: str
) -> list[str]:
    problems: list[str] = []
    context = browser.new_context(color_scheme=scheme, **options)
    page = context.new_page()

    def on_console(message: Any) -> None:
        if message.type == "error":
            problems.append(f"{name}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"{name}: {error}"))
    page.goto(url)
    page.evaluate("() => window.lessonpress && window.lessonpress.ready")
    page.wait_for_timeout(1500)  # let Chart.js finish any entry animation
    _slices(page, out / "slices", name)
    for figure in page.locator("figure.lp-chart").all():
        figure.screenshot(path=str(out / f"{name}-{figure.get_attribute('id')}.png"))
    _full_page(page, out / f"{name}.png")
    # Each slider at its last value too (for the lesson: the learning rate that diverges).
    for figure in page.locator("figure.lp-chart:has(input[type=range])").all():
        figure.locator("input[type=range]").focus()
        page.keyboard.press("End")
        page.wait_for_timeout(300)
        figure.screenshot(path=str(out / f"{name}-{figure.get_attribute('id')}-end.png"))
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        problems.append(f"{name}: the page scrolls sideways by {overflow}px")
    context.close()
    return problems


def _full_page(page: Any, path: Path) -> None:
    """The whole page in one PNG. The viewport is made as tall as the page first and the charts
    get time to redraw: Playwright's own full-page capture resizes the window at the moment of
    capture, and Chart.js clears a canvas it is about to redraw at the new size."""
    size = page.viewport_size
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": height})
    page.wait_for_timeout(1000)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    page.wait_for_timeout(1000)


def _slices(page: Any, folder: Path, name: str) -> None:
    """The page one screen at a time, as a reader scrolls it (a 13 000 px PNG is too tall to
    look at)."""
    folder.mkdir(exist_ok=True)
    screen, height = page.evaluate(
        "() => [window.innerHeight, document.documentElement.scrollHeight]"
    )
    for i, top in enumerate(range(0, height, screen)):
        page.evaluate("(top) => window.scrollTo(0, top)", top)
        page.wait_for_timeout(150)
        page.screenshot(path=str(folder / f"{name}-{i:02d}.png"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="screenshots", help="folder for the PNGs")
    parser.add_argument("--site", type=Path, help="an already built site (default: build one)")
    parser.add_argument("--page", action="append", help="URL path of a page (repeatable)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="lp-shots-") as tmp:
        site = args.site
        if site is None:
            site = Path(tmp) / "site"
            build_site(site)
        server, base = serve(site)
        problems: list[str] = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                for page_path in args.page or PAGES:
                    problems += shoot(browser, base, page_path, out)
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
    shots = sorted(out.glob("*.png"))
    print(f"{len(shots)} screenshots in {out}/")
    for problem in problems:
        print(f"problem: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
