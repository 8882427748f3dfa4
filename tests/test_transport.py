"""HttpTransport against a real local HTTP server that misbehaves on purpose."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from client_sdk import (
    ConsentClient,
    HttpTransport,
    NetworkError,
    OversizeError,
    Response,
    SlowRetrievalError,
)
from simulator import Simulator


class Handler(BaseHTTPRequestHandler):
    stop = threading.Event()

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        answer = json.dumps({"got": body.decode(), "type": self.headers.get("Content-Type"),
                             "auth": self.headers.get("Authorization")}).encode()
        self.send_response(201)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self) -> None:
        if self.path == "/ok":
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.send_header("ETag", '"v1"')
                self.end_headers()
                return
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/drip":  # one byte every 0.3 s, forever
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            while not self.stop.is_set():
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.3)
        elif self.path == "/endless":  # no Content-Length, data without end
            self.send_response(200)
            self.end_headers()
            chunk = b"y" * 65536
            while not self.stop.is_set():
                try:
                    self.wfile.write(chunk)
                except OSError:
                    return
        elif self.path == "/big":
            self.send_response(200)
            self.send_header("Content-Length", str(50 * 1024 * 1024))
            self.end_headers()
        elif self.path.startswith("/drip-headers"):  # a status line and headers, one byte a second
            head = (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Padding: "
                    + b"z" * 100 + b"\r\n\r\n{}")
            for byte in head:
                if self.stop.wait(1.0):
                    return
                try:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                except OSError:
                    return
        elif self.path == "/silent":  # headers never come
            self.stop.wait(10)
        elif self.path == "/missing":
            self.send_response(404)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
        elif self.path == "/teapot":
            body = b'{"error": {"code": "teapot"}}'
            self.send_response(418)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    # A worker may set this module up again after tearing it down (xdist hands out tests
    # longest first, not module by module): the handlers must not find it stopped.
    Handler.stop.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    Handler.stop.set()
    server.shutdown()
    server.server_close()


def get(t: HttpTransport, url: str, max_bytes: int = 100, **headers: str) -> Response:
    return t.request("GET", url, headers=headers, max_bytes=max_bytes)


def test_ok_and_conditional_get(base: str) -> None:
    t = HttpTransport()
    resp = get(t, f"{base}/ok")
    assert (resp.status, resp.body, resp.etag) == (200, b'{"ok": true}', '"v1"')
    assert resp.headers["content-length"] == "12"
    assert get(t, f"{base}/ok", **{"If-None-Match": '"v1"'}).status == 304
    assert get(t, f"{base}/missing").status == 404


def test_any_status_is_returned(base: str) -> None:
    t = HttpTransport()
    resp = get(t, f"{base}/teapot")
    assert (resp.status, resp.body) == (418, b'{"error": {"code": "teapot"}}')
    assert get(t, f"{base}/error").status == 503


def test_post(base: str) -> None:
    resp = HttpTransport().request("POST", f"{base}/x", body=b'{"a":1}',
                                   headers={"Authorization": "Bearer t"}, max_bytes=1000)
    assert resp.status == 201
    assert json.loads(resp.body) == {"got": '{"a":1}', "type": "application/json",
                                     "auth": "Bearer t"}


def test_drip_hits_the_overall_deadline(base: str) -> None:
    t = HttpTransport(connect_timeout=1, read_timeout=1, deadline=1.5)
    start = time.monotonic()
    with pytest.raises(SlowRetrievalError) as exc:
        get(t, f"{base}/drip", max_bytes=10_000_000)
    assert time.monotonic() - start < 3
    assert exc.value.url == f"{base}/drip"


def test_deadline_covers_status_line_and_headers(base: str) -> None:
    # One header byte a second: no single read waits longer than the read timeout, so
    # only the overall deadline can end it (it used to take as long as the server liked).
    t = HttpTransport(connect_timeout=1, read_timeout=5, deadline=8)
    start = time.monotonic()
    with pytest.raises(SlowRetrievalError, match="deadline 8"):
        get(t, f"{base}/drip-headers")
    elapsed = time.monotonic() - start
    assert elapsed < 8 + 4, elapsed  # generous: a loaded machine may be late, never 100 s


def test_refresh_deadline_covers_headers(base: str, tmp_path: Path) -> None:
    sim = Simulator()
    client = ConsentClient(base, "demo", sim.roots[0], tmp_path,
                           transport=HttpTransport(connect_timeout=1, read_timeout=5,
                                                   deadline=8))
    client.server_url = f"{base}/drip-headers?"
    start = time.monotonic()
    result = client.refresh()
    assert time.monotonic() - start < 8 + 4
    assert not result.ok and isinstance(result.error, SlowRetrievalError)


def test_silent_server_hits_the_read_timeout(base: str) -> None:
    t = HttpTransport(connect_timeout=1, read_timeout=0.5, deadline=5)
    start = time.monotonic()
    with pytest.raises(SlowRetrievalError):
        get(t, f"{base}/silent")
    assert time.monotonic() - start < 2


def test_endless_data_is_capped(base: str) -> None:
    with pytest.raises(OversizeError) as exc:
        get(HttpTransport(deadline=10), f"{base}/endless", max_bytes=1_000_000)
    assert exc.value.limit == 1_000_000


def test_content_length_over_the_cap_fails_before_reading(base: str) -> None:
    with pytest.raises(OversizeError, match="Content-Length 52428800 is over the cap"):
        get(HttpTransport(), f"{base}/big", max_bytes=1_000_000)


def test_refused_connections_and_bad_urls(base: str) -> None:
    with pytest.raises(NetworkError, match="ConnectionRefusedError"):
        get(HttpTransport(connect_timeout=1), "http://127.0.0.1:9/x")
    with pytest.raises(NetworkError, match="unsupported URL"):
        get(HttpTransport(), "ftp://example.kz/x")
    with pytest.raises(NetworkError, match="Invalid header value"):
        get(HttpTransport(), f"{base}/ok", Authorization="Bearer a\r\nX-Evil: 1")
