"""First-chart time (issue 23): how long until a reader sees the first chart drawn.

Builds the example site (or takes ``--site``, a built one), serves it on 127.0.0.1 and
opens each page in Debian's Chromium: on localhost as it is, and on a throttled phone
profile (4x slower CPU, 150 ms round trips, 1.6 Mbit/s down: Chrome's "Fast 3G"). The time
is from navigation start until the first ``figure.lp-chart`` says it is drawn
(``data-lp-ready``), median of ``--runs`` fresh loads with an empty cache.

Goal: < 300 ms on localhost, < 2 s throttled.

    python benchmarks/first_chart.py [--runs 5] [--page posts/linear-regression-interactive/]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FIRST = """() => new Promise((done) => {
  const ready = () => document.querySelector('figure.lp-chart[data-lp-ready]');
  const check = () => ready() ? done(performance.now()) : requestAnimationFrame(check);
  check();
})"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def first_chart_ms(browser: Any, url: str, throttled: bool) -> float:
    context = browser.new_context()
    page = context.new_page()
    if throttled:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 150, "downloadThroughput": 200_000,
             "uploadThroughput": 90_000},
        )  # fmt: skip
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    page.goto(url, wait_until="commit")
    found = float(page.evaluate(FIRST))
    context.close()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build the example)")
    parser.add_argument("--page", action="append", help="page to open, e.g. posts/x/")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    site = args.site
    if site is None:
        site = Path(tempfile.mkdtemp(prefix="lessonpress-first-chart-")) / "site"
        build = [sys.executable, "-m", "generator", "build", "--source", str(REPO), "--out",
                 str(site), "-q"]  # fmt: skip
        subprocess.run(build, check=True, cwd=REPO)
    pages = args.page or ["posts/linear-regression-interactive/", "posts/crop-yield-data/"]
    from playwright.sync_api import sync_playwright

    server, base = serve(site)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            print(
                f"{'page':42} {'localhost ms':>13} {'throttled ms':>13}   (median of {args.runs})"
            )
            for page in pages:
                local = [first_chart_ms(browser, base + page, False) for _ in range(args.runs)]
                slow = [first_chart_ms(browser, base + page, True) for _ in range(args.runs)]
                print(f"{page:42} {statistics.median(local):13.0f} {statistics.median(slow):13.0f}")
            browser.close()
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
