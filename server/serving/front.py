"""What stands between granian and Flask.

:class:`Front` is the RSGI application `kelisim serve` runs (granian's native interface):

- a manifest, root or document that memory alone can answer is served from prebuilt bytes
  by :meth:`Front.answer_from_memory`, in granian's hand-off thread before the request
  reaches the event loop (server/serving/handoff.py; most app launches);
- a request body is read on the event loop, within BODY_READ_TIMEOUT and at most
  MAX_BODY_BYTES (chunked or not), before the request gets a thread: a client that sends
  its body slowly, or never, holds a socket, never a thread that public reads need;
- everything else runs the WSGI app (Flask behind :class:`server.serving.fastpath.FastPath`) in a
  pool of WORKER_THREADS threads per worker, with the whole body in memory; an answer
  without a Content-Length (the consent export) is streamed as it is made, never joined;
- console forms (``/admin``) have their own body limit (ADMIN_MAX_BODY_BYTES), and one over
  it reaches the console without its body, to be answered with the console's 413 page.

:class:`BodyLimit` enforces the same cap for plain WSGI servers (``server.wsgi:app``),
where a body arrives as a stream Flask would otherwise cut at the cap without a word.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask

from server.context import TOO_LARGE_KEY, Kelisim
from server.http.errors import error_body
from server.serving import handoff, watchdog
from server.serving.fastpath import WSGIApp, cached_lookup, etag_matches
from server.serving.published import Published

__all__ = ["TOO_LARGE_KEY", "BodyLimit", "Front"]

log = logging.getLogger(__name__)

Headers = list[tuple[str, str]]
# The body was not read to its end: the connection cannot carry another request.
_CLOSE = ("Connection", "close")


def _error(status: int, code: str, message: str) -> tuple[int, Headers, bytes]:
    body = error_body(code, message)
    return status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                    _CLOSE], body


def _too_large(limit: int) -> tuple[int, Headers, bytes]:
    return _error(413, "too_large", f"the request body is larger than {limit} bytes")


class _TooLarge(Exception):
    pass


def _is_console(path: str) -> bool:
    return path == "/admin" or path.startswith("/admin/")


class Front:
    """The RSGI application of one worker process."""

    def __init__(self, wsgi_app: WSGIApp, published: Published, *, max_body: int,
                 body_timeout: float, threads: int, admin_max_body: int | None = None
                 ) -> None:
        self.wsgi_app = wsgi_app
        self.published = published
        self.max_body = max_body
        self.admin_max_body = admin_max_body or max_body
        self.body_timeout = body_timeout
        self.threads = threads
        self._pool: ThreadPoolExecutor | None = None

    @classmethod
    def for_app(cls, app: Flask) -> Front:
        """The front for an app made by :func:`server.create_app`."""
        k: Kelisim = app.extensions["kelisim"]
        cfg = k.settings
        return cls(app.wsgi_app, k.published, max_body=cfg.max_body_bytes,
                   body_timeout=cfg.body_read_timeout, threads=cfg.worker_threads,
                   admin_max_body=cfg.admin_body_limit)

    # granian calls these two in the worker, around its event loop.
    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._executor()
        handoff.install(self.answer_from_memory)
        # The main process kills this worker when its loop stops beating (serving/watchdog).
        watchdog.start_heartbeat(loop)

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="kelisim")
        return self._pool

    def answer_from_memory(self, scope: Any, proto: Any) -> bool:
        """Answer a public read that memory alone can answer (200, 304 or HEAD); False
        when the request needs anything else. Never blocks: granian's hand-off thread
        calls it for every request (server/serving/handoff.py)."""
        method = scope.method
        if method != "GET" and method != "HEAD":
            return False
        blob = cached_lookup(self.published, scope.path)
        if blob is None:
            return False
        inm = scope.headers.get("if-none-match")
        if inm is not None and etag_matches(inm, blob.etag):
            proto.response_empty(304, blob.headers_304)
        elif method == "GET":
            proto.response_bytes(200, blob.headers_200, blob.body)
        else:
            proto.response_empty(200, blob.headers_200)
        return True

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        if self.answer_from_memory(scope, proto):
            return
        method = scope.method
        headers = scope.headers
        body = b""
        console = _is_console(scope.path)
        limit = self.admin_max_body if console else self.max_body
        too_large = False
        if "content-length" in headers or "transfer-encoding" in headers:
            read = await self._read_body(proto, headers.get("content-length"), limit,
                                         drain=console)
            if isinstance(read, tuple):
                if not (console and read[0] == 413):
                    proto.response_bytes(*read)
                    return
                too_large = True
            else:
                body = read
        environ = self._environ(scope, body)
        if too_large:
            environ[TOO_LARGE_KEY] = limit
            environ["CONTENT_LENGTH"] = "0"
        loop = asyncio.get_running_loop()
        answer: tuple[int, Headers, bytes | _Stream] = await loop.run_in_executor(
            self._executor(), self._call, environ)
        status, out_headers, data = answer
        if too_large:
            out_headers = [*out_headers, _CLOSE]
        if isinstance(data, _Stream):
            await data.send(proto, status, out_headers, loop, self._executor())
        elif method == "HEAD":
            proto.response_empty(status, out_headers)
        else:
            proto.response_bytes(status, out_headers, data)

    async def _read_body(self, proto: Any, declared: str | None, limit: int,
                         drain: bool = False) -> bytes | tuple[int, Headers, bytes]:
        """The body, or the error to answer. ``drain``: a body over ``limit`` but within
        4 times it is read to its end and dropped before the 413, so that a browser
        still sending it reads the answer (the console's page) instead of a reset."""
        length: int | None = None
        if declared is not None:
            # hyper has already refused a Content-Length that is not a number.
            length = int(declared)
            if length > limit and not (drain and length <= 4 * limit):
                return _too_large(limit)
        chunks: list[bytes] = []
        size = 0

        async def pump() -> None:
            nonlocal size
            async for chunk in proto:
                size += len(chunk)
                if size > limit:
                    if not drain or size > 4 * limit:
                        raise _TooLarge
                    chunks.clear()
                    continue
                chunks.append(chunk)

        try:
            await asyncio.wait_for(pump(), self.body_timeout)
        except _TooLarge:
            return _too_large(limit)
        except TimeoutError:
            return _error(408, "body_timeout",
                          f"the request body did not arrive within {self.body_timeout:g} s")
        if size > limit:
            return _too_large(limit)
        if length is not None and size != length:
            # granian ends the stream early when the client goes away mid-body.
            return _error(400, "bad_request", "the request body is shorter than its "
                          "Content-Length")
        return b"".join(chunks)

    @staticmethod
    def _environ(scope: Any, body: bytes) -> dict[str, Any]:
        client_host, _, client_port = scope.client.rpartition(":")
        server_host, _, server_port = scope.server.rpartition(":")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": scope.method,
            "SCRIPT_NAME": "",
            # PEP 3333: the decoded path's bytes as latin-1, as granian's WSGI gives it.
            "PATH_INFO": scope.path.encode("utf-8").decode("latin-1"),
            # The same for the query string: werkzeug reads it back as bytes.
            "QUERY_STRING": scope.query_string.encode("utf-8").decode("latin-1"),
            "SERVER_NAME": server_host.strip("[]"),
            "SERVER_PORT": server_port,
            "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
            "REMOTE_ADDR": client_host.strip("[]"),
            "REMOTE_PORT": client_port,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scope.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.input_terminated": True,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        for name, value in scope.headers.items():
            if name == "content-type":
                environ["CONTENT_TYPE"] = value
            elif name == "content-length":
                environ["CONTENT_LENGTH"] = str(len(body))
            elif name == "transfer-encoding":
                # The body is complete in memory now: it has a length.
                environ["CONTENT_LENGTH"] = str(len(body))
            elif "_" not in name:
                # Names with "_" would collide with "-" ones (X_Forwarded_For posing as
                # X-Forwarded-For), so they are dropped, as nginx does by default.
                key = "HTTP_" + name.upper().replace("-", "_")
                if key in environ:
                    environ[key] += ("; " if name == "cookie" else ", ") + value
                else:
                    environ[key] = value
        return environ

    def _call(self, environ: dict[str, Any]) -> tuple[int, Headers, bytes | _Stream]:
        started: list[Any] = []

        def start_response(status: str, headers: Headers, exc_info: Any = None
                           ) -> Callable[[bytes], None]:
            started[:] = [status, headers]
            return _no_write

        try:
            result = self.wsgi_app(environ, start_response)
            iterator = iter(result)
            # start_response may come with the first chunk.
            pending = [] if started else [next(iterator, b"")]
            status = int(started[0].split(" ", 1)[0])
            if environ["REQUEST_METHOD"] != "HEAD" and not any(
                    name.lower() == "content-length" for name, _ in started[1]):
                # No length: a body made as it is sent (the consent export), passed on
                # chunk by chunk instead of joined in memory.
                return status, list(started[1]), _Stream(b"".join(pending), iterator, result)
            try:
                data = b"".join([*pending, *iterator])
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            return status, list(started[1]), data
        except Exception:
            log.exception("unhandled error under the WSGI app")
            return _error(500, "internal_error", "the server failed; the error was logged")


class _Stream:
    """A WSGI body without a length, sent as it is made: one worker thread iterates it
    (Flask's streamed views keep their context in that thread) and hands chunks of about
    64 KiB to the event loop through a queue of a few, so memory stays flat in the body's
    size however long it is."""

    CHUNK = 64 * 1024
    QUEUED = 4

    def __init__(self, first: bytes, iterator: Any, result: Any) -> None:
        self.first, self.iterator, self.result = first, iterator, result
        self.cancelled = False

    def pump(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[bytes | None]
             ) -> None:
        """In a worker thread: the chunks into ``queue``, then None."""
        def put(item: bytes | None) -> None:
            asyncio.run_coroutine_threadsafe(queue.put(item), loop).result()

        try:
            buffer = [self.first] if self.first else []
            size = len(self.first)
            for piece in self.iterator:
                if self.cancelled:
                    break
                buffer.append(piece)
                size += len(piece)
                if size >= self.CHUNK:
                    put(b"".join(buffer))
                    buffer, size = [], 0
            if buffer and not self.cancelled:
                put(b"".join(buffer))
        except Exception:
            log.exception("unhandled error while streaming a response")
        finally:
            close = getattr(self.result, "close", None)
            try:
                if close is not None:
                    close()
            finally:
                put(None)

    async def send(self, proto: Any, status: int, headers: Headers,
                   loop: asyncio.AbstractEventLoop, executor: ThreadPoolExecutor) -> None:
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(self.QUEUED)
        done = loop.run_in_executor(executor, self.pump, loop, queue)
        transport = proto.response_stream(status, headers)
        try:
            while (chunk := await queue.get()) is not None:
                await transport.send_bytes(chunk)
        except Exception:  # the client went away: stop making the body
            self.cancelled = True
            while await queue.get() is not None:
                pass
        await done


def _no_write(data: bytes) -> None:
    raise RuntimeError("the write() callable of WSGI is not supported")


class BodyLimit:
    """WSGI middleware: 413 for a body over ``max_body`` bytes, with or without a
    Content-Length, read no further than one byte past the cap."""

    def __init__(self, app: WSGIApp, max_body: int, admin_max_body: int | None = None
                 ) -> None:
        self.app = app
        self.max_body = max_body
        self.admin_max_body = admin_max_body or max_body

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        declared = environ.get("CONTENT_LENGTH")
        console = _is_console(environ.get("PATH_INFO", ""))
        limit = self.admin_max_body if console else self.max_body
        # Transfer-Encoding wins over Content-Length (RFC 9112 6.3), as in werkzeug.
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            stream = environ["wsgi.input"]
            data = bytearray()
            while len(data) <= limit:
                chunk = stream.read(min(65536, limit + 1 - len(data)))
                if not chunk:
                    break
                data += chunk
            if len(data) > limit:
                return self._refuse(environ, start_response, limit, console)
            environ["wsgi.input"] = io.BytesIO(bytes(data))
            environ["CONTENT_LENGTH"] = str(len(data))
            environ.pop("HTTP_TRANSFER_ENCODING")
        elif declared and declared.isascii() and declared.isdigit() \
                and int(declared) > limit:
            return self._refuse(environ, start_response, limit, console)
        return self.app(environ, start_response)

    def _refuse(self, environ: dict[str, Any], start_response: Callable[..., Any],
                limit: int, console: bool) -> Iterable[bytes]:
        if console:  # the console answers its own page
            environ[TOO_LARGE_KEY] = limit
            environ["wsgi.input"] = io.BytesIO(b"")
            environ["CONTENT_LENGTH"] = "0"
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            return self.app(environ, start_response)
        status, headers, body = _too_large(limit)
        start_response(f"{status} Request Entity Too Large", headers)
        return [body]
