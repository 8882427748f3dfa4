"""The witness's HTTP interface, a plain WSGI application (no Flask: a witness is a small,
separate service an outside party runs), and a threaded server for it.

- ``POST /add-checkpoint`` (tlog-witness): see :mod:`server.witness.core`. The body must
  come with a ``Content-Length`` (411 without) of at most ``MAX_BODY_BYTES`` (413).
- ``GET /<sha256 of the origin, hex>/checkpoint``: the latest cosigned checkpoint.
- ``GET /`` : the witness's verifier key, one line.

Anything else is 404 (405 for another method on a known path), as JSON errors.
"""

from __future__ import annotations

import re
import socketserver
import sys
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from server.witness.core import MAX_BODY_BYTES, Answer, Witness, error_answer

__all__ = ["WitnessApp", "serve"]

_CHECKPOINT = re.compile(r"/([0-9a-f]{64})/checkpoint")
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 409: "Conflict", 411: "Length Required",
            413: "Content Too Large", 422: "Unprocessable Content",
            500: "Internal Server Error"}


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
        if not length.isdigit():
            return error_answer(411, "length_required", "send a Content-Length")
        if int(length) > MAX_BODY_BYTES:
            return error_answer(413, "too_large",
                                f"the body is larger than {MAX_BODY_BYTES} bytes",
                                limit=MAX_BODY_BYTES)
        body = environ["wsgi.input"].read(int(length))
        return self.witness.add_checkpoint(body)


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


def serve(witness: Witness, host: str, port: int, ready: Callable[[str], None]) -> None:
    """Serve until interrupted; ``ready(url)`` once listening."""
    with make_server(host, port, WitnessApp(witness), server_class=_Server,
                     handler_class=_Quiet) as httpd:
        ready(f"http://{host}:{httpd.server_port}")
        httpd.serve_forever()
