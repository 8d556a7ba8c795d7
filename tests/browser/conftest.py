"""Real-browser fixtures: Playwright for Python (sync API) driving Debian's /usr/bin/chromium.

Every test under tests/browser/ gets the ``browser`` marker. Without Chromium these tests skip on
a developer machine and fail in CI (``CI`` set), so CI can never pass by skipping them.

Fixtures:
  browser      one headless Chromium for the whole session
  serve_dir    serve_dir(path, prefix="/") -> base URL ending in "/", over HTTP on 127.0.0.1
  browser_log  what went wrong in ``page``: console errors, page errors, failed requests,
               HTTP errors and requests to other hosts (which are blocked); .assert_clean()
  page         a fresh page in a fresh context, wired to ``browser_log``
  example_site the example site (``content/`` + ``site.yml``), built once into a temporary folder
"""

from __future__ import annotations

import http.server
import os
import posixpath
import re
import socketserver
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.helpers import BrowserLog, build_example_site

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
BROWSER_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Remember each phase's report so the page fixture can screenshot a failed test.
    report = yield
    setattr(item, f"_report_{report.when}", report)
    return report


# -- the browser ------------------------------------------------------------------------


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing (install Debian's chromium: `make deps-browser`)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; browser tests must run in CI", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


# -- the example site -------------------------------------------------------------------


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's own site, built from a copy (so no cache or output lands in the repo)."""
    pytest.importorskip("torch", reason="the example lesson's cells use torch, an optional extra")
    out, result = build_example_site(tmp_path_factory.mktemp("example"))
    assert result.returncode == 0, result.stdout + result.stderr
    return out


# -- serving a folder -------------------------------------------------------------------


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The browser drops connections it no longer needs; that is not a test failure.
        pass


def _handler_for(root: Path, prefix: str) -> type[http.server.SimpleHTTPRequestHandler]:
    """A handler serving ``root`` at URL ``prefix`` (e.g. "/lessons/"); 404.html for misses."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map: ClassVar[dict[str, str]] = {
            **http.server.SimpleHTTPRequestHandler.extensions_map,
            ".js": "text/javascript",
            ".mjs": "text/javascript",
            ".json": "application/json",
            ".svg": "image/svg+xml",
            ".webmanifest": "application/manifest+json",
            ".wasm": "application/wasm",
        }

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def translate_path(self, path: str) -> str:
            url_path = urllib.parse.urlsplit(path).path
            decoded = urllib.parse.unquote(url_path)
            if decoded + "/" == prefix:
                decoded = prefix
            if not decoded.startswith(prefix):
                return str(root / ".outside-the-served-prefix")  # never exists: a plain 404
            inner = posixpath.normpath("/" + decoded[len(prefix) :])
            parts = [p for p in inner.split("/") if p and p not in (".", "..")]
            full = root.joinpath(*parts)
            return str(full) + ("/" if url_path.endswith("/") else "")

        def send_error(
            self, code: int, message: str | None = None, explain: str | None = None
        ) -> None:
            page_404 = root / "404.html"
            if code == 404 and page_404.is_file():
                body = page_404.read_bytes()
                self.send_response(404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
                return
            super().send_error(code, message, explain)

        def end_headers(self) -> None:
            # Each test sees what is on disk now, not what an earlier build left in a cache.
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

    return Handler


def _normalise_prefix(prefix: str) -> str:
    prefix = "/" + prefix.strip("/")
    return prefix if prefix == "/" else prefix + "/"


@pytest.fixture
def serve_dir() -> Iterator[Callable[..., str]]:
    """``serve_dir(path, prefix="/")`` -> ``"http://127.0.0.1:PORT/prefix/"``.

    Serves the folder until the test ends; call it more than once for several sites."""
    servers: list[tuple[socketserver.BaseServer, threading.Thread]] = []

    def serve(path: str | os.PathLike[str], prefix: str = "/") -> str:
        root = Path(path).resolve()
        if not root.is_dir():
            raise FileNotFoundError(f"serve_dir: {root} is not a folder")
        prefix = _normalise_prefix(prefix)
        server = _QuietServer(("127.0.0.1", 0), _handler_for(root, prefix))
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        servers.append((server, thread))
        port = server.server_address[1]
        return f"http://127.0.0.1:{port}{prefix}"

    yield serve
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- a page that records what went wrong ------------------------------------------------


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


def _is_local(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme not in ("http", "https", "ws", "wss") or parts.hostname in LOCAL_HOSTS


@pytest.fixture
def page(browser: Any, browser_log: BrowserLog, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A new page (own context: no shared cache, storage or cookies) that fills ``browser_log``.

    Requests to any host but 127.0.0.1 are aborted and recorded: a site must load nothing from
    another host.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)

    def route(route: Any) -> None:
        url = route.request.url
        if _is_local(url):
            route.continue_()
        else:
            browser_log.external_requests.append(f"external request (blocked): {url}")
            route.abort()

    context.route("**/*", route)
    page = context.new_page()

    def on_console(message: Any) -> None:
        if message.type == "error":
            location = message.location or {}
            where = location.get("url", "")
            if where:
                where = f" ({where}:{location.get('lineNumber', 0) + 1})"
            browser_log.console_errors.append(f"console: {message.text}{where}")

    def on_request_failed(req: Any) -> None:
        # Blocked external requests are already recorded. ERR_ABORTED is the page itself
        # cancelling a request, as a navigation does with the old page's pending favicon;
        # a missing file is an HTTP error (below), a dead server another net:: error.
        if _is_local(req.url) and req.failure != "net::ERR_ABORTED":
            browser_log.failed_requests.append(f"request failed: {req.url} ({req.failure})")

    def on_response(response: Any) -> None:
        if response.status >= 400:
            browser_log.http_errors.append(f"HTTP {response.status}: {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: browser_log.page_errors.append(f"page error: {error}"))
    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)
    try:
        yield page
    finally:
        report = getattr(request.node, "_report_call", None)
        if report is not None and report.failed:
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
            try:
                page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)
            except Exception as error:  # a screenshot is a debugging aid, never a second failure
                print(f"could not save a screenshot: {error}")
        context.close()
