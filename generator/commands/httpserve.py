"""``lessonpress serve``'s HTTP side: the output folder served read-only, and the reload channel.

Served HTML pages get a small script (``reload.js``, added at serve time, never written
to the built files) that listens on a server-sent-events channel: ``reload`` after a
good build, ``build-error`` with the diagnostics after a failed one (shown as an
overlay until a build succeeds).

Security (the server listens on 127.0.0.1 unless ``--host`` says otherwise): only
files inside the output folder are served, symlinks included; requests whose
``Host`` is not this server are refused (DNS rebinding); the event channel refuses
other origins; redirects only ever add a trailing slash to a same-site path.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import mimetypes
import re
import socket
import sys
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.commands.watch import ReloadHub, Snapshot

if TYPE_CHECKING:
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

# The reload/overlay client (a file beside this module), read once on first request.
_CLIENT: list[bytes] = []


def client_js() -> bytes:
    if not _CLIENT:
        _CLIENT.append(Path(__file__).with_name("reload.js").read_bytes())
    return _CLIENT[0]


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


def host_text(host: str) -> str:
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
        shown = "127.0.0.1" if self.host in WILDCARD else host_text(self.host)
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
            self._send(200, client_js(), CONTENT_TYPES[".js"], head)
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
