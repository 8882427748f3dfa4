"""The witness's HTTP interface, a plain WSGI application (no Flask: a witness is a small,
separate service an outside party runs), and a threaded server for it.

- ``POST /add-checkpoint`` (tlog-witness): see :mod:`server.witness.core`. The body must
  come with a ``Content-Length`` (411 without) of at most ``MAX_BODY_BYTES`` (413).
- ``GET /<sha256 of the origin, hex>/checkpoint``: the latest cosigned checkpoint.
- ``GET /`` : the witness's verifier key, one line.

A client cannot hold the witness: each connection has ``KELISIM_WITNESS_REQUEST_TIMEOUT``
seconds (default 10) in all to send its request (every read waits at most what is left, and
at the deadline the connection is shut), and at most ``KELISIM_WITNESS_MAX_CONNECTIONS``
(default 64) are served at once: one more is answered 503 and closed.

Anything else is 404 (405 for another method on a known path), as JSON errors.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import socketserver
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from server.witness.core import MAX_BODY_BYTES, Answer, Witness, error_answer

__all__ = ["WitnessApp", "serve"]

_DIGITS = re.compile(r"[0-9]{1,12}")  # ASCII only: str.isdigit() also takes "²" and "١"
_CHECKPOINT = re.compile(r"/([0-9a-f]{64})/checkpoint")
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 409: "Conflict", 411: "Length Required",
            413: "Content Too Large", 422: "Unprocessable Content",
            500: "Internal Server Error", 503: "Service Unavailable"}
REQUEST_TIMEOUT = 10.0
MAX_CONNECTIONS = 64


class WitnessApp:
    """WSGI callable over one :class:`Witness`."""

    def __init__(self, witness: Witness) -> None:
        self.witness = witness

    def __call__(self, environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        answer = self._route(environ)
        start(f"{answer.status} {_REASONS.get(answer.status, '')}",
              [("Content-Type", answer.content_type),
               ("Content-Length", str(len(answer.body))),
               ("Cache-Control", "no-store")])
        return [answer.body]

    def _route(self, environ: dict[str, Any]) -> Answer:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/add-checkpoint":
            if method != "POST":
                return error_answer(405, "method", "add-checkpoint is a POST")
            return self._post(environ)
        match = _CHECKPOINT.fullmatch(path)
        if match or path == "/":
            if method not in ("GET", "HEAD"):
                return error_answer(405, "method", f"{path} is a GET")
            if match:
                return self.witness.latest_checkpoint(match.group(1))
            vkey = self.witness.signer.verifier.vkey() + "\n"
            return Answer(200, "text/plain; charset=utf-8", vkey.encode())
        return error_answer(404, "not_found", f"no {path[:100]!r} here")

    def _post(self, environ: dict[str, Any]) -> Answer:
        length = environ.get("CONTENT_LENGTH") or ""
        if not _DIGITS.fullmatch(length):
            return error_answer(411, "length_required", "send a Content-Length")
        if int(length) > MAX_BODY_BYTES:
            return error_answer(413, "too_large",
                                f"the body is larger than {MAX_BODY_BYTES} bytes",
                                limit=MAX_BODY_BYTES)
        try:
            body = environ["wsgi.input"].read(int(length))
        except OSError:  # TimeoutError: the request's deadline passed
            body = b""
        if len(body) != int(length):  # or the deadline shut the connection
            return error_answer(400, "incomplete", "the body ended before its Content-Length")
        return self.witness.add_checkpoint(body)


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_timeout = REQUEST_TIMEOUT
    slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):  # full: say so at once, hold nothing
            try:
                request.settimeout(1.0)
                request.sendall(_BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


_BUSY_BODY = (b'{"error":{"code":"busy","message":"too many connections, try again later",'
              b'"details":{}}}')
_BUSY = (b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\n"
         b"Content-Length: %d\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY))


class _Quiet(WSGIRequestHandler):
    """One request per connection (HTTP/1.0), within the server's ``request_timeout``
    in all."""

    def setup(self) -> None:
        limit: float = self.server.request_timeout  # type: ignore[attr-defined]
        self._cut = threading.Timer(limit, self._shut)  # all reads together...
        self._cut.daemon = True
        self._cut.start()
        super().setup()
        self.connection.settimeout(limit)  # ...and each one

    def _shut(self) -> None:
        with contextlib.suppress(OSError):
            self.request.shutdown(socket.SHUT_RDWR)

    def finish(self) -> None:
        self._cut.cancel()
        with contextlib.suppress(OSError):  # the deadline shut the connection
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


def _limit(name: str, default: float) -> float:
    text = os.environ.get(name, "")
    if not text:
        return default
    if not re.fullmatch(r"[0-9]{1,6}(\.[0-9]{1,3})?", text) or float(text) <= 0:
        raise ValueError(f"{name} must be a positive number, not {text[:40]!r}")
    return float(text)


def serve(witness: Witness, host: str, port: int, ready: Callable[[str], None]) -> None:
    """Serve until interrupted; ``ready(url)`` once listening."""
    class Server(_Server):
        request_timeout = _limit("KELISIM_WITNESS_REQUEST_TIMEOUT", REQUEST_TIMEOUT)
        slots = threading.BoundedSemaphore(
            int(_limit("KELISIM_WITNESS_MAX_CONNECTIONS", MAX_CONNECTIONS)))

    with make_server(host, port, WitnessApp(witness), server_class=Server,
                     handler_class=_Quiet) as httpd:
        ready(f"http://{host}:{httpd.server_port}")
        httpd.serve_forever()
