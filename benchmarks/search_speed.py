"""Search benchmark (issue 8): query time over a 1,000-post index in a real browser.

Builds a small site, replaces its search index with 1,000 synthetic posts of ~1,500
words, serves it on 127.0.0.1 and times queries in Debian's chromium (the search page
reports each query's time in ``data-search-ms``). Target: under 100 ms per query.
Run: ``python benchmarks/search_speed.py``.
"""

from __future__ import annotations

import functools
import http.server
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
QUERIES = ("gradient", "matrix tensor", "w12", "loss descent w7", "nothingmatches")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def make_site(root: Path) -> Path:
    src = root / "src"
    (src / "content").mkdir(parents=True)
    (src / "content" / "a.md").write_text("---\ntitle: A\n---\nGradient descent.\n")
    (src / "site.yml").write_text("title: Bench\nbase_url: https://bench.example.org/\n")
    out = root / "out"
    subprocess.run([sys.executable, "-m", "generator", "build", "--source", str(src),
                    "--out", str(out), "-q"], check=True, cwd=REPO)  # fmt: skip
    rng = random.Random(1)
    words = [f"w{i}" for i in range(3000)] + ["gradient", "descent", "matrix", "tensor", "loss"]
    docs = [
        {
            "u": f"posts/p{i}/",
            "t": f"Lesson {i} " + " ".join(rng.choices(words, k=4)),
            "h": [[f"h{j}", " ".join(rng.choices(words, k=3))] for j in range(6)],
            "x": " ".join(rng.choices(words, k=1500)),
        }
        for i in range(1000)
    ]
    (out / "search-index.json").write_text(json.dumps({"v": 1, "docs": docs}))
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = make_site(Path(tmp))
        handler = functools.partial(QuietHandler, directory=str(out))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/search/"
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu"],
            )
            page = browser.new_page()
            page.goto(url)
            page.wait_for_selector("html[data-search-ready='1000']")
            print("query | median ms of 5 | max ms")
            for query in QUERIES:
                times = []
                for _ in range(5):
                    page.locator("#lp-search-input").fill("")
                    page.locator("#lp-search-input").fill(query)
                    ms = page.locator("#lp-search-results").get_attribute("data-search-ms")
                    times.append(float(ms or "nan"))
                print(f"{query} | {statistics.median(times):.1f} | {max(times):.1f}")
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
