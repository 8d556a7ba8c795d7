#!/usr/bin/env python3
"""How long from saving a post to the open browser tab showing it, under ``lessonpress serve``.

Builds a 200-post site from the shared benchmark corpus, starts ``serve`` in a
subprocess, opens one post in headless Chromium (Playwright driving
/usr/bin/chromium), then repeatedly edits that post's text and measures
edit saved -> reloaded page's DOMContentLoaded with the new text (browser clock
and Python clock are the same system clock). Also prints the rebuild times
``serve`` reported, so the build's share of the latency is visible.

    python3 benchmarks/serve_reload.py [--posts 200] [--edits 10] [--keep DIR]
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "make_corpus.py"  # the repo's own copy
CHROMIUM = "/usr/bin/chromium"
TARGET_MS = 300.0

LAUNCH = """
import sys
from generator.cli import main
sys.exit(main(["serve", *sys.argv[1:]]))
"""

# Records when each page load shows its content (DOMContentLoaded), on the system clock.
MARK_LOAD = """
document.addEventListener("DOMContentLoaded", () => {
  window.__shownAt = performance.timeOrigin + performance.now();
});
"""


def make_site(root: Path, posts: int) -> Path:
    corpus = root / "corpus"
    subprocess.run(
        [sys.executable, str(CORPUS), "--n", str(posts), "--out", str(corpus), "--peers", "src"],
        check=True, capture_output=True,
    )  # fmt: skip
    site = root / "site"
    target = site / "content" / "posts"
    target.mkdir(parents=True)
    for md in sorted((corpus / "src").glob("*.md")):
        shutil.copy(md, target / md.name)
    (site / "site.yml").write_text("title: Benchmark\n", encoding="utf-8")
    return site


class ServeProcess:
    def __init__(self, site: Path, jobs: int | None) -> None:
        self.log = site.parent / "serve.log"
        self.log_file = open(self.log, "wb")  # noqa: SIM115
        args = [sys.executable, "-c", LAUNCH, "--source", str(site), "--port", "0"]
        if jobs:
            args += ["-j", str(jobs)]
        self.process = subprocess.Popen(
            args, cwd=REPO, stdout=subprocess.PIPE, stderr=self.log_file, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = re.search(r"(http://\S+)", line)
        if not found:
            raise SystemExit(f"serve did not start: {line!r}\n{self.text()}")
        self.url = found.group(1)

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def build_times(self) -> list[float]:
        return [float(m) for m in re.findall(r"files in (\d+) ms", self.text())]

    def wait_built(self, count: int, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while len(self.build_times()) < count:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"serve did not build:\n{self.text()}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log_file.close()


def measure(site: Path, serve: ServeProcess, edits: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    post = sorted((site / "content" / "posts").glob("*.md"))[7]
    original = post.read_text(encoding="utf-8")
    page_url = f"{serve.url}posts/{post.stem}/"
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.add_init_script(MARK_LOAD)
        page.goto(page_url)
        time.sleep(1.0)  # let the event stream connect and the machine settle
        for n in range(edits):
            token = f"Edit-token-{n}-{time.time_ns()}"
            saved_at = time.time() * 1000
            post.write_text(f"{original}\n\n{token}\n", encoding="utf-8")
            page.wait_for_function(
                "t => document.body && document.body.innerText.includes(t)",
                arg=token, timeout=30_000, polling=10,
            )  # fmt: skip
            shown_at = page.evaluate("window.__shownAt")
            results.append(shown_at - saved_at)
            print(f"edit {n + 1:2d}: {shown_at - saved_at:6.0f} ms", flush=True)
            time.sleep(0.6)
        browser.close()
    post.write_text(original, encoding="utf-8")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("-j", "--jobs", type=int, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="build the site here and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="lessonpress-serve-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        site = make_site(root, args.posts)
        serve = ServeProcess(site, args.jobs)
        try:
            serve.wait_built(1)
            print(f"first build: {serve.build_times()[0]:.0f} ms ({args.posts} posts)")
            latencies = measure(site, serve, args.edits)
            builds = serve.build_times()[1:]
        finally:
            serve.stop()
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    median = statistics.median(latencies)
    worst = max(latencies)
    print(
        f"edit saved -> page reloaded: median {median:.0f} ms, min {min(latencies):.0f} ms, "
        f"max {worst:.0f} ms over {len(latencies)} edits (target < {TARGET_MS:.0f} ms)"
    )
    if len(builds) == len(latencies):
        rest = [total - build for total, build in zip(latencies, builds, strict=True)]
        print(
            f"  of which rebuild: median {statistics.median(builds):.0f} ms; watch + push + "
            f"browser reload: median {statistics.median(rest):.0f} ms"
        )
    return 0 if median < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
