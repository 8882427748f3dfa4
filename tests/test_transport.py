"""HttpTransport against a real local HTTP server that misbehaves on purpose."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from client_sdk import HttpTransport, NetworkError, OversizeError, SlowRetrievalError


class Handler(BaseHTTPRequestHandler):
    stop = threading.Event()

    def log_message(self, *args: object) -> None:
        pass

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
        elif self.path == "/silent":  # headers never come
            self.stop.wait(10)
        elif self.path == "/missing":
            self.send_response(404)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
        else:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    Handler.stop.set()
    server.shutdown()
    server.server_close()


def test_ok_and_conditional_get(base: str) -> None:
    t = HttpTransport()
    resp = t.fetch(f"{base}/ok", max_bytes=100)
    assert (resp.status, resp.body, resp.etag) == (200, b'{"ok": true}', '"v1"')
    assert t.fetch(f"{base}/ok", max_bytes=100, etag='"v1"').status == 304
    assert t.fetch(f"{base}/missing", max_bytes=100).status == 404


def test_drip_hits_the_overall_deadline(base: str) -> None:
    t = HttpTransport(connect_timeout=1, read_timeout=1, deadline=1.5)
    start = time.monotonic()
    with pytest.raises(SlowRetrievalError) as exc:
        t.fetch(f"{base}/drip", max_bytes=10_000_000)
    assert time.monotonic() - start < 3
    assert exc.value.url == f"{base}/drip"


def test_silent_server_hits_the_read_timeout(base: str) -> None:
    t = HttpTransport(connect_timeout=1, read_timeout=0.5, deadline=5)
    start = time.monotonic()
    with pytest.raises(SlowRetrievalError):
        t.fetch(f"{base}/silent", max_bytes=100)
    assert time.monotonic() - start < 2


def test_endless_data_is_capped(base: str) -> None:
    with pytest.raises(OversizeError) as exc:
        HttpTransport(deadline=10).fetch(f"{base}/endless", max_bytes=1_000_000)
    assert exc.value.limit == 1_000_000


def test_content_length_over_the_cap_fails_before_reading(base: str) -> None:
    with pytest.raises(OversizeError, match="Content-Length 52428800 is over the cap"):
        HttpTransport().fetch(f"{base}/big", max_bytes=1_000_000)


def test_http_errors_and_refused_connections(base: str) -> None:
    with pytest.raises(NetworkError) as exc:
        HttpTransport().fetch(f"{base}/error", max_bytes=100)
    assert exc.value.status == 503
    with pytest.raises(NetworkError, match="ConnectionRefusedError"):
        HttpTransport(connect_timeout=1).fetch("http://127.0.0.1:9/x", max_bytes=100)
    with pytest.raises(NetworkError, match="unsupported URL"):
        HttpTransport().fetch("ftp://example.kz/x", max_bytes=100)
