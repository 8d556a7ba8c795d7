"""``lessonpress serve``: a real server on 127.0.0.1, real sockets, real rebuilds.

The HTTP layer is tested on a hand-made output folder (no build needed); the
command itself runs as a real subprocess, edited and interrupted like an author would.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.commands.httpserve import LessonServer
from generator.commands.watch import ReloadHub
from tests.helpers import REPO_ROOT, generator_env, write_files

SECRET = "top secret outside the output folder"

# Runs the real `lessonpress serve` command line.
LAUNCH = """
import sys
from generator.cli import main
sys.exit(main(["serve", *sys.argv[1:]]))
"""

POST = """---
title: Hello
date: 2024-01-01
---
{body}
"""
BROKEN_POST = """---
title: Hello
date: 2024-01-01
tags: {a: 1}
---
Broken version.
"""
BROKEN_AT = "content/posts/hello.md:4: 'tags' must be a list of words"


# --------------------------------------------------------------------------- helpers


def request(
    port: int, raw_path: str, *, host: str | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """Send ``raw_path`` byte for byte (no client-side normalisation); return status, headers, body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("GET", raw_path, skip_host=True, skip_accept_encoding=True)
        if host != "":
            conn.putheader("Host", host or f"127.0.0.1:{port}")
        for key, value in (headers or {}).items():
            conn.putheader(key, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


class Events:
    """A raw server-sent-events connection; ``next()`` returns (event, data)."""

    def __init__(self, port: int, since: str, headers: dict[str, str] | None = None) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.sock.sendall(
            f"GET /__lessonpress/events?since={since} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n{extra}\r\n".encode()
        )
        self.file = self.sock.makefile("rb")
        self.status = int(self.file.readline().split()[1])
        while self.file.readline() not in (b"\r\n", b""):
            pass

    def next(self) -> tuple[str, str]:
        event, data = "", ""
        while True:
            line = self.file.readline().decode()
            if line == "":
                raise EOFError("the server closed the event stream")
            line = line.rstrip("\n")
            if line == "" and event:
                return event, data
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def stamp_of(html: bytes) -> str:
    found = re.search(rb'data-since="([^"]+)"', html)
    assert found, "the reload script was not injected"
    return found.group(1).decode()


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = write_files(tmp_path / "outside", {"secret.txt": SECRET})
    return folder


@pytest.fixture
def served(tmp_path: Path, outside: Path) -> Iterator[tuple[LessonServer, ReloadHub]]:
    out = write_files(
        tmp_path / "out",
        {
            "index.html": "<html><body><h1>Home</h1></body></html>",
            "posts/a/index.html": "<html><body>Post A</body></html>",
            "posts/empty/.keep": "",
            "app.js": "console.log(1)",
            "data/a.json": "{}",
            "data/a.csv": "x,y\n1,2\n",
            "icon.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
            "style.css": "body{}",
        },
    )
    os.symlink(outside / "secret.txt", out / "leak.txt")
    os.symlink(outside, out / "linkdir")
    os.symlink(out / "app.js", out / "alias.js")  # inside: allowed
    hub = ReloadHub()
    server = LessonServer(("127.0.0.1", 0), out, hub)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server, hub
    hub.close()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


# --------------------------------------------------------------------------- serving files


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/app.js", "text/javascript"),
        ("/data/a.json", "application/json"),
        ("/data/a.csv", "text/csv"),
        ("/icon.svg", "image/svg+xml"),
        ("/style.css", "text/css"),
        ("/", "text/html"),
        ("/alias.js", "text/javascript"),
    ],
)
def test_serves_files_with_their_content_type(served: tuple[LessonServer, ReloadHub], path: str,
                                              kind: str) -> None:  # fmt: skip
    status, headers, _ = request(served[0].port, path)
    assert status == 200
    assert headers["content-type"].startswith(kind)
    assert headers["x-content-type-options"] == "nosniff"


def test_injects_reload_script_into_pages_only(served: tuple[LessonServer, ReloadHub]) -> None:
    port = served[0].port
    _, _, page = request(port, "/posts/a/")
    assert page.endswith(b"</script></body></html>")
    assert b"/__lessonpress/reload.js" in page
    _, _, script = request(port, "/app.js")
    assert script == b"console.log(1)"
    built = (served[0].out / "posts/a/index.html").read_bytes()
    assert b"lessonpress" not in built  # injected at serve time, never written


def test_unchanged_assets_are_revalidated_not_resent(
    served: tuple[LessonServer, ReloadHub],
) -> None:
    port = served[0].port
    _, headers, _ = request(port, "/app.js")
    assert headers["cache-control"] == "no-cache"
    status, _, body = request(port, "/app.js", headers={"If-None-Match": headers["etag"]})
    assert (status, body) == (304, b"")
    (served[0].out / "app.js").write_text("console.log(2)", encoding="utf-8")
    status, _, body = request(port, "/app.js", headers={"If-None-Match": headers["etag"]})
    assert (status, body) == (200, b"console.log(2)")
    assert request(port, "/")[1]["cache-control"] == "no-store"  # pages carry the build stamp


def test_folder_without_slash_redirects_to_same_site_path(
    served: tuple[LessonServer, ReloadHub],
) -> None:
    status, headers, _ = request(served[0].port, "/posts/a")
    assert status == 301
    assert headers["location"] == "/posts/a/"


def test_folder_without_index_is_404(served: tuple[LessonServer, ReloadHub]) -> None:
    assert request(served[0].port, "/posts/empty/")[0] == 404


@pytest.mark.parametrize(
    "path",
    [
        "/../outside/secret.txt",
        "/posts/../../outside/secret.txt",
        "/%2e%2e/outside/secret.txt",
        "/%2E%2E/%2e%2e/outside/secret.txt",
        "/posts%2f..%2f..%2foutside%2fsecret.txt",
        "/..%2foutside%2fsecret.txt",
        "/..%5coutside%5csecret.txt",
        "/..\\outside\\secret.txt",
        "/%5c..%5coutside%5csecret.txt",
        "/secret.txt%00.html",
        "/%00",
        "/%ff%fe",
        "/./app.js",
        "//etc/passwd",
        "/etc/passwd",
        "/%2fetc%2fpasswd",
        "http://127.0.0.1/../outside/secret.txt",
        "/leak.txt",
        "/linkdir/secret.txt",
        "/linkdir/",
        "/linkdir",
        "*",
        "/" + "a" * 5000,
    ],
)
def test_nothing_outside_the_output_folder_is_served(
    served: tuple[LessonServer, ReloadHub], path: str
) -> None:
    port = served[0].port
    status, headers, body = request(port, path)
    assert status in (400, 404), (status, headers)
    assert SECRET.encode() not in body
    assert request(port, "/")[0] == 200  # and the server is still up


@pytest.mark.parametrize(
    "path",
    ["//evil.example", "//evil.example/", "///evil.example", "/\\evil.example",
     "/%2f%2fevil.example", "/%5cevil.example", "//evil.example/%2e%2e"],
)  # fmt: skip
def test_never_redirects_to_another_site(served: tuple[LessonServer, ReloadHub], path: str) -> None:
    status, headers, _ = request(served[0].port, path)
    assert status == 404
    assert "location" not in headers


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "127.0.0.1", "",
             "127.0.0.1:{port}@evil.example", "localhost.evil.example:{port}"],
)  # fmt: skip
def test_refuses_requests_for_another_host(
    served: tuple[LessonServer, ReloadHub], host: str
) -> None:
    port = served[0].port
    status, _, body = request(port, "/", host=host.format(port=port))
    assert status == 403
    assert b"Home" not in body


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}"])
def test_answers_to_its_loopback_names(served: tuple[LessonServer, ReloadHub], host: str) -> None:
    port = served[0].port
    assert request(port, "/", host=host.format(port=port))[0] == 200


# --------------------------------------------------------------------------- reload channel


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "http://evil.example"}, {"Origin": "http://127.0.0.1:1"}, {"Origin": "null"},
     {"Origin": "https://127.0.0.1:{port}"}, {"Sec-Fetch-Site": "cross-site"}],
)  # fmt: skip
def test_reload_channel_refuses_other_origins(
    served: tuple[LessonServer, ReloadHub], headers: dict[str, str]
) -> None:
    port = served[0].port
    filled = {k: v.format(port=port) for k, v in headers.items()}
    events = Events(port, "x", filled)
    try:
        assert events.status == 403
    finally:
        events.close()


def test_reload_channel_reports_failures_then_reload(
    served: tuple[LessonServer, ReloadHub],
) -> None:
    from generator.errors import Diagnostic

    server, hub = served
    since = stamp_of(request(server.port, "/")[2])
    events = Events(server.port, since, {"Origin": f"http://localhost:{server.port}"})
    try:
        assert events.status == 200
        hub.failed([Diagnostic("content/posts/a.md", 7, "boom")])
        event, data = events.next()
        assert event == "build-error"
        assert json.loads(data)["errors"][0]["text"] == "content/posts/a.md:7: boom"
        hub.built()
        assert events.next()[0] == "reload"
    finally:
        events.close()


def test_page_from_an_older_build_reloads_at_once(served: tuple[LessonServer, ReloadHub]) -> None:
    server, hub = served
    since = stamp_of(request(server.port, "/")[2])
    hub.built()  # a build finished before the page's script connected
    events = Events(server.port, since)
    try:
        assert events.next()[0] == "reload"
    finally:
        events.close()


# --------------------------------------------------------------------------- the command


class Serve:
    """``lessonpress serve`` in a real subprocess, stopped with Ctrl-C (SIGINT)."""

    def __init__(self, source: Path, *args: str) -> None:
        self.stderr_path = source.parent / "serve.err"
        self.stderr_file = open(self.stderr_path, "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, "--source", str(source), "--port", "0", "-j", "1",
             *args],
            cwd=REPO_ROOT, env=generator_env(), stdout=subprocess.PIPE,
            stderr=self.stderr_file, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, f"no address in {line!r}: {self.stderr()}"
        self.port = int(found.group(1))

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.stderr():
            assert time.monotonic() < deadline, f"waited for {text!r}:\n{self.stderr()}"
            assert self.process.poll() is None, f"serve exited:\n{self.stderr()}"
            time.sleep(0.02)

    def get(self, path: str) -> tuple[int, bytes]:
        status, _, body = request(self.port, path)
        return status, body

    def interrupt(self, timeout: float = 20) -> int:
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # lets serve remove its temporary folder
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        self.stderr_file.close()


def make_site(root: Path, body: str = "First version.") -> Path:
    return write_files(
        root, {"site.yml": "title: Test\n", "content/posts/hello.md": POST.format(body=body)}
    )


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[Serve, Path]]:
    site = make_site(tmp_path / "site")
    serve = Serve(site)
    try:
        serve.wait_for("built 1 posts")
        yield serve, site
    finally:
        serve.stop()


def test_edit_rebuilds_and_reloads_and_errors_keep_the_last_good_site(
    serving: tuple[Serve, Path],
) -> None:
    serve, site = serving
    post = site / "content/posts/hello.md"
    status, page = serve.get("/posts/hello/")
    assert status == 200 and b"First version." in page
    events = Events(serve.port, stamp_of(page))
    try:
        post.write_text(POST.format(body="Second version."), encoding="utf-8")
        assert events.next()[0] == "reload"
        status, page = serve.get("/posts/hello/")
        assert b"Second version." in page
    finally:
        events.close()

    events = Events(serve.port, stamp_of(page))
    try:
        post.write_text(BROKEN_POST, encoding="utf-8")
        event, data = events.next()
        assert event == "build-error"
        assert json.loads(data)["errors"][0]["text"].startswith(BROKEN_AT)
        assert b"Second version." in serve.get("/posts/hello/")[1]  # still the last good site
        post.write_text(POST.format(body="Third version."), encoding="utf-8")
        assert events.next()[0] == "reload"
        assert b"Third version." in serve.get("/posts/hello/")[1]
    finally:
        events.close()
    assert BROKEN_AT in serve.stderr()  # the terminal says it too


def test_output_and_state_folders_are_not_watched(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    serve = Serve(site, "--out", str(site / "preview"))
    try:
        serve.wait_for("built 1 posts")
        assert b"First version." in serve.get("/posts/hello/")[1]
        (site / ".lessonpress" / "note.txt").write_text("x", encoding="utf-8")
        (site / "preview" / "extra.txt").write_text("x", encoding="utf-8")
        (site / "preview" / "posts" / "extra.md").write_text("x", encoding="utf-8")
        time.sleep(0.5)
        assert serve.stderr().count("building") == 1
        (site / "content" / "posts" / "hello.md~").write_text("x", encoding="utf-8")
        (site / "content" / "posts" / ".hello.md.swp").write_text("x", encoding="utf-8")
        time.sleep(0.5)
        assert serve.stderr().count("building") == 1
    finally:
        serve.stop()


def test_default_output_is_temporary_and_removed_on_exit(serving: tuple[Serve, Path]) -> None:
    serve, site = serving
    found = re.search(r"output folder: (\S+)", serve.stderr())
    assert found, serve.stderr()
    out = Path(found.group(1))
    assert (out / "posts/hello/index.html").is_file()
    assert site not in out.parents
    assert serve.interrupt() in (0, 130)
    assert not out.exists()


def test_ctrl_c_stops_cleanly(serving: tuple[Serve, Path]) -> None:
    serve, _ = serving
    code = serve.interrupt()
    assert code in (0, 130)
    assert "Traceback" not in serve.stderr()


def test_kill_stops_cleanly_too(serving: tuple[Serve, Path]) -> None:
    serve, _ = serving
    serve.process.send_signal(signal.SIGTERM)
    assert serve.process.wait(timeout=20) in (0, 130)
    assert "Traceback" not in serve.stderr()


def test_second_serve_on_a_busy_port_says_so(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-c", LAUNCH, "--source", str(site), "--port", str(port)],
            cwd=REPO_ROOT, env=generator_env(), capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"127.0.0.1:{port} is already in use" in lines[0]
