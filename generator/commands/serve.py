"""``lessonpress serve``: build, serve the output folder, rebuild on change, reload the tab.

Beside the pipeline, not part of it: it calls :func:`generator.build.pipeline.build` with a
:class:`~generator.output.writer.FolderWriter`, so a failed build leaves the last good site
in place, and serves that folder read-only. Served HTML pages get a small script
(added at serve time, never written to the built files) that listens on a
server-sent-events channel: ``reload`` after a good build, ``build-error`` with the
diagnostics after a failed one (shown as an overlay until a build succeeds).

Security (the server listens on 127.0.0.1 unless ``--host`` says otherwise): only
files inside the output folder are served, symlinks included; requests whose
``Host`` is not this server are refused (DNS rebinding); the event channel refuses
other origins; redirects only ever add a trailing slash to a same-site path.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import hashlib
import ipaddress
import json
import mimetypes
import re
import shutil
import signal
import socket
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.build.memo import Memo, load_memo
from generator.commands.watch import (
    ReloadHub,
    Snapshot,
    Watcher,
    describe,
    state_dir,
    temporary_out,
)

if TYPE_CHECKING:
    from rich.console import Console

    from generator.errors import Diagnostic

EVENTS_PATH = "/__lessonpress/events"
CLIENT_PATH = "/__lessonpress/reload.js"
HEARTBEAT_SECONDS = 15.0
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
WILDCARD = frozenset({"0.0.0.0", "::", ""})

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".csv": "text/csv; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".xml": "application/xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".wasm": "application/wasm",
    ".pdf": "application/pdf",
    ".webmanifest": "application/manifest+json",
}

# The reload/overlay client. Plain ES5, no dependencies; the overlay lives in a
# shadow root so the site's CSS cannot hide or restyle it.
CLIENT_JS = r"""(function () {
  "use strict";
  var me = document.currentScript;
  var since = me ? me.getAttribute("data-since") || "" : "";
  var url = "/__lessonpress/events?since=" + encodeURIComponent(since);
  var source = new EventSource(url);
  var host = null;
  function hide() { if (host) { host.remove(); host = null; } }
  function show(errors) {
    hide();
    host = document.createElement("div");
    host.id = "lessonpress-overlay";
    host.setAttribute("role", "alert");
    var root = host.attachShadow({ mode: "open" });
    var style = document.createElement("style");
    style.textContent = ".box{position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;" +
      "z-index:2147483647;margin:0;padding:16px 20px;background:#2b0d0d;color:#ffe4e4;" +
      "font:14px/1.5 ui-monospace,Menlo,Consolas,monospace;box-shadow:0 -4px 24px #0008}" +
      "h2{margin:0 0 8px;font-size:15px;color:#ff9b9b}ul{margin:0;padding-left:18px}" +
      "li{white-space:pre-wrap}p{margin:8px 0 0;color:#d9b3b3}" +
      "button{float:right;background:none;border:1px solid #ff9b9b;color:inherit;" +
      "cursor:pointer;font:inherit}";
    var box = document.createElement("section");
    box.className = "box";
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "dismiss";
    close.addEventListener("click", hide);
    var title = document.createElement("h2");
    title.textContent = "lessonpress: the build failed";
    var list = document.createElement("ul");
    errors.forEach(function (e) {
      var item = document.createElement("li");
      item.textContent = e.text;
      list.appendChild(item);
    });
    var note = document.createElement("p");
    note.textContent = "This page is the last good build. Fix the file and save: it reloads.";
    box.append(close, title, list, note);
    root.append(style, box);
    document.documentElement.appendChild(host);
  }
  source.addEventListener("reload", function () { source.close(); location.reload(); });
  source.addEventListener("build-error", function (e) { show(JSON.parse(e.data).errors); });
  source.addEventListener("ok", hide);
})();
"""


# --------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class Found:
    """A file to send, or a same-site path to redirect to."""

    file: Path | None = None
    redirect: str | None = None


_ENCODED_SEPARATOR = re.compile(r"%(2f|5c|00)", re.IGNORECASE)


def resolve_request(out: Path, prefix: str, raw: str) -> Found | None:
    """Map a request path to a file inside ``out`` (served at URL ``prefix``); None is a 404.

    Percent-escapes are decoded once. ``..``, ``.``, empty segments (``//x``),
    encoded slashes, backslashes and NUL are refused outright; symlinks are
    followed and the result must still be inside ``out``.
    """
    path = raw.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/") or "\\" in path or _ENCODED_SEPARATOR.search(path):
        return None
    try:
        decoded = urllib.parse.unquote(path, errors="strict")
    except UnicodeDecodeError:
        return None
    if "\\" in decoded or "\x00" in decoded or decoded.startswith("//"):
        return None
    if prefix != "/" and decoded + "/" == prefix:
        return Found(redirect=prefix)
    if not decoded.startswith(prefix):
        return None
    rest = decoded[len(prefix) :]
    folder_wanted = rest == "" or rest.endswith("/")
    segments = rest[:-1].split("/") if folder_wanted else rest.split("/")
    if rest == "":
        segments = []
    if any(s in ("", ".", "..") for s in segments):
        return None
    return _locate(out, prefix, segments, folder_wanted)


def _locate(out: Path, prefix: str, segments: list[str], folder_wanted: bool) -> Found | None:
    try:
        top = out.resolve(strict=True)
        target = top.joinpath(*segments).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, a symlink loop, a name too long
        return None
    if target != top and top not in target.parents:
        return None  # a symlink leading out of the output folder
    if target.is_dir():
        if not folder_wanted:
            quoted = "/".join(urllib.parse.quote(s) for s in segments)
            return Found(redirect=f"{prefix}{quoted}/")
        index = target / "index.html"
        return Found(file=index) if index.is_file() else None
    if target.is_file() and not folder_wanted:
        return Found(file=target)
    return None


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def inject_client(html: bytes, stamp: str) -> bytes:
    """Add the reload script before ``</body>`` (or at the end)."""
    tag = f'<script src="{CLIENT_PATH}" data-since="{stamp}"></script>'.encode()
    lower = html.lower()
    at = lower.rfind(b"</body")
    if at < 0:
        at = lower.rfind(b"</html")
    return html + tag if at < 0 else html[:at] + tag + html[at:]


# --------------------------------------------------------------------------- hosts


def _host_text(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def host_allowed(header: str | None, host: str, port: int) -> bool:
    """Is ``Host: header`` this server? Loopback names are interchangeable; with a wildcard
    bind, IP literals, ``localhost`` and this machine's name are accepted."""
    if not header:
        return False
    header = header.strip().lower()
    split = urllib.parse.urlsplit("//" + header)
    try:
        name, given_port = split.hostname, split.port or 80
    except ValueError:
        return False
    if name is None or given_port != port or split.username or split.path:
        return False
    if host.lower() in LOOPBACK:
        return name in LOOPBACK
    if host in WILDCARD:
        if name in LOOPBACK or name in _machine_names():
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True
    return name == host.lower().strip("[]")


def _machine_names() -> set[str]:
    name = socket.gethostname().lower()
    return {name, f"{name}.local", socket.getfqdn().lower()}


def origin_allowed(origin: str | None, host: str, port: int) -> bool:
    """No Origin (same-origin EventSource) or an http origin naming this server."""
    if origin is None:
        return True
    parts = urllib.parse.urlsplit(origin.strip())
    return (
        parts.scheme == "http"
        and parts.path in ("", "/")
        and host_allowed(parts.netloc, host, port)
    )


# --------------------------------------------------------------------------- the server


class LessonServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # TIME_WAIT only; Linux still refuses a port someone listens on

    def __init__(self, address: tuple[str, int], out: Path, hub: ReloadHub) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.out = out
        self.hub = hub
        super().__init__(address, Handler)
        self.host = address[0]
        self.port = int(self.server_address[1])

    @property
    def url(self) -> str:
        shown = "127.0.0.1" if self.host in WILDCARD else _host_text(self.host)
        return f"http://{shown}:{self.port}{self.hub.base_path}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser closing a connection mid-response is routine, not an error to print.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    server: LessonServer
    protocol_version = "HTTP/1.1"
    server_version = "lessonpress"
    sys_version = ""

    def version_string(self) -> str:
        return "lessonpress"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal is for build progress

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, *, head: bool) -> None:
        server = self.server
        if not host_allowed(self.headers.get("Host"), server.host, server.port):
            self._plain(403, "Forbidden: this server only answers to its own address.", head)
            return
        path = self.path.split("?", 1)[0]
        if path == EVENTS_PATH:
            self._events(head)
            return
        if path == CLIENT_PATH:
            self._send(200, CLIENT_JS.encode(), CONTENT_TYPES[".js"], head)
            return
        stamp = server.hub.snapshot().stamp  # before reading: never miss a reload
        found = resolve_request(server.out, server.hub.base_path, self.path)
        if found is not None and found.redirect is not None:
            self.send_response(301)
            self.send_header("Location", found.redirect)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        file = found.file if found is not None else None
        if file is not None:
            try:
                body = file.read_bytes()
            except OSError:  # replaced by a build between resolve and read
                body = None
            if body is not None:
                kind = content_type(file)
                if kind.startswith("text/html"):
                    self._send(200, inject_client(body, stamp), kind, head)
                else:
                    self._send_asset(body, kind, head)
                return
        self._not_found(stamp, head)

    def _not_found(self, stamp: str, head: bool) -> None:
        page = self.server.out / "404.html"
        try:
            body = page.read_bytes() if page.is_file() and not page.is_symlink() else None
        except OSError:
            body = None
        if body is None:
            body = b"<!doctype html><title>Not found</title><h1>404 Not found</h1>"
        self._send(404, inject_client(body, stamp), CONTENT_TYPES[".html"], head)

    def _plain(self, code: int, text: str, head: bool) -> None:
        self._send(code, text.encode() + b"\n", CONTENT_TYPES[".txt"], head)

    def _send_asset(self, body: bytes, kind: str, head: bool) -> None:
        """CSS, scripts, data: revalidated on every load, so a reload re-downloads (and the
        browser re-compiles) only what a build changed. Every build rewrites every file, so
        the tag is the content's hash, not its mtime."""
        tag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        if self.headers.get("If-None-Match") == tag:
            self.send_response(304)
            self.send_header("ETag", tag)
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            return
        self._send(200, body, kind, head, etag=tag)

    def _send(self, code: int, body: bytes, kind: str, head: bool, etag: str | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", etag)
        self.send_header("Cache-Control", "no-cache" if etag else "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    # ------------------------------------------------------------------ events

    def _events(self, head: bool) -> None:
        server = self.server
        cross_site = self.headers.get("Sec-Fetch-Site") == "cross-site"
        if cross_site or not origin_allowed(self.headers.get("Origin"), server.host, server.port):
            self._plain(403, "Forbidden: the reload channel is for this site's pages only.", head)
            return
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        since = query.get("since", [""])[0]
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        if head:
            return
        with contextlib.suppress(ConnectionError, TimeoutError):  # the tab closed or reloaded
            self._stream(server.hub, since)

    def _stream(self, hub: ReloadHub, since: str) -> None:
        self._write("retry: 300\n\n")
        shown: tuple[Diagnostic, ...] = ()
        snap = hub.snapshot()
        while not snap.closed:
            if snap.stamp != since:
                self._write("event: reload\ndata: {}\n\n")
                return
            if snap.errors != shown:
                shown = snap.errors
                self._write(_error_event(snap) if shown else "event: ok\ndata: {}\n\n")
            before = snap.version
            snap = hub.wait(before, HEARTBEAT_SECONDS)
            if snap.version == before:
                self._write(": still here\n\n")  # finds closed tabs

    def _write(self, text: str) -> None:
        self.wfile.write(text.encode())
        self.wfile.flush()


def _error_event(snap: Snapshot) -> str:
    errors = [
        {"path": d.path, "line": d.line, "message": d.message, "text": str(d)} for d in snap.errors
    ]
    return "event: build-error\ndata: " + json.dumps({"errors": errors}) + "\n\n"


# --------------------------------------------------------------------------- the command


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C (exit 130). Exit 1 if the port is busy, 2 on a bad folder."""
    from rich.console import Console

    from generator.errors import BuildError
    from generator.output.writer import check_out_dir

    console = Console(stderr=True, highlight=False)
    source: Path = args.source
    if not source.is_dir():
        print(f"lessonpress: error: --source {source} is not a folder", file=sys.stderr)
        return 2
    root = source.resolve()
    out: Path = args.out.absolute() if args.out is not None else temporary_out()
    try:
        check_out_dir(out, root)
    except BuildError as exc:
        print(f"lessonpress: error: {exc}", file=sys.stderr)
        return 2
    try:
        return _serve(root, out, args, console)
    finally:
        if args.out is None:
            shutil.rmtree(out.parent, ignore_errors=True)


def _serve(root: Path, out: Path, args: argparse.Namespace, console: Console) -> int:
    hub = ReloadHub(_base_path(root))
    try:
        server = LessonServer((args.host, args.port), out, hub)
    except OSError as exc:
        print(f"lessonpress: error: {_bind_problem(exc, args.host, args.port)}", file=sys.stderr)
        return 1
    # Start from what the last `lessonpress build` kept: the first build redoes only changes.
    rebuilder = Rebuilder(root, out, args, hub, console, load_memo(state_dir(root)))
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), name="lessonpress-http")
    thread.start()
    watcher = Watcher(root, out)
    on_term = signal.signal(signal.SIGTERM, _terminate)
    try:
        print(f"serving {server.url} (Ctrl-C to stop)", flush=True)
        console.print(f"[dim]output folder: {out}[/]")
        watcher.start()
        rebuilder.rebuild("starting")
        if args.open:
            import webbrowser

            webbrowser.open(server.url)
        _watch(watcher, rebuilder)
    except KeyboardInterrupt:
        console.print("stopped")
        return 130
    finally:
        signal.signal(signal.SIGTERM, on_term)
        watcher.stop()
        hub.close()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    return 0


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # `kill` stops as cleanly as Ctrl-C: workers killed, temp removed


def _watch(watcher: Watcher, rebuilder: Rebuilder) -> None:
    while True:
        changed = watcher.next()
        if changed is None:
            continue
        if watcher.needs_replan():
            watcher.restart()
        rebuilder.rebuild(describe(changed, rebuilder.root) + " changed")


@dataclass
class Rebuilder:
    """Rebuilds on request and tells the hub and the terminal how it went."""

    root: Path
    out: Path
    args: argparse.Namespace
    hub: ReloadHub
    console: Console
    # What each build keeps for the next (parsed posts, bodies, pages, written files).
    memo: Memo = field(default_factory=Memo)

    def rebuild(self, reason: str) -> None:
        from generator.build.run import run_build
        from generator.errors import Diagnostic
        from generator.model import BuildOptions

        options = BuildOptions(source=self.root, drafts=self.args.drafts, jobs=self.args.jobs)
        started = time.perf_counter()
        self.console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {reason}: building …")
        try:
            done = run_build(
                options, self.out, memo=self.memo, progress=self._progress, remember=False
            )
        except Exception as exc:  # our bug: keep serving the last good site, say so loudly
            self.console.print_exception()
            message = f"internal error: {exc!r} (see terminal)"
            self._failed([Diagnostic("lessonpress", 0, message, code="internal")])
            return
        if not done.written:
            self._failed(done.diagnostics)
            return
        self.hub.built(_base_path(self.root))
        for diag in done.diagnostics:
            self.console.print(f"[yellow]{_escape(str(diag))}[/]")
        elapsed = (time.perf_counter() - started) * 1000
        self.console.print(
            f"[green]built[/] {done.posts} posts, {done.files} files in {elapsed:.0f} ms"
        )

    def _failed(self, diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> None:
        shown = sorted(diagnostics, key=lambda d: (not d.is_error, d.path, d.line))
        self.hub.failed([d for d in shown if d.is_error] or shown)
        for diag in shown:
            self.console.print(f"[red]{_escape(str(diag))}[/]")
        self.console.print("[red]build failed[/]; still serving the last good site")

    def _progress(self, message: str) -> None:
        self.console.print(f"  [dim]{_escape(message)}[/]")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _base_path(root: Path) -> str:
    from generator.content.config import load_config
    from generator.errors import BuildError

    try:
        return load_config(root).base_path
    except BuildError:
        return "/"


def _bind_problem(exc: OSError, host: str, port: int) -> str:
    where = f"{_host_text(host)}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return f"{where} is already in use (another `lessonpress serve`?); try --port {port + 1}"
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on {where}; use a port above 1023"
    if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        return f"cannot listen on {where}: no such address on this machine"
    return f"cannot listen on {where}: {exc.strerror or exc}"
