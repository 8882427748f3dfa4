"""The network seam: one ``request`` call, and the standard-library HTTP transport.

``Transport`` is the one seam an app or a test replaces (``ConsentClient(transport=...)``;
:class:`client_sdk.testing.MockTransport` for tests). A transport sends one request and
returns the answer whatever its status; the SDK decides what a status means. It raises only
when there is no answer: :class:`NetworkError` (unreachable, connection broken),
:class:`SlowRetrievalError` (a timeout or the overall deadline) or :class:`OversizeError`
(more than ``max_bytes`` of body).

The default, :class:`HttpTransport`, uses only the standard library (and certifi's CA
bundle when it is installed), so it runs wherever Python does, iOS included.
"""

from __future__ import annotations

import http.client
import io
import socket
import ssl
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import field
from typing import Any, Protocol

from client_sdk.errors import NetworkError, OversizeError, SlowRetrievalError
from client_sdk.protocol.record import Record, record

__all__ = ["HttpTransport", "Request", "Response", "Transport"]

_CHUNK = 16 * 1024


@record
class Request(Record):
    """One request as a transport sees it (and a ``MockTransport`` handler receives it)."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None


@record
class Response(Record):
    """An answer, whatever its status. ``headers`` names are lower-case."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")


class Transport(Protocol):
    """The SDK's only door to the network; an app or a test may replace it."""

    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, max_bytes: int) -> Response:
        """Send one request; return the answer whatever its status.

        Raises:
            NetworkError: no answer (unreachable, connection broken, unsupported URL).
            SlowRetrievalError: a timeout, or the overall deadline passed.
            OversizeError: the body is longer than ``max_bytes``.
        """
        ...


def _ssl_context() -> ssl.SSLContext:
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        return ssl.create_default_context()


class _DeadlineSocket:
    """A socket whose every send and receive waits at most until the request's deadline.

    http.client reads the status line and the headers through ``makefile()``, one
    ``recv_into`` at a time; a per-call timeout alone lets a server that drips one byte a
    second hold a request for ever. Here each call gets what is left of the deadline.
    """

    def __init__(self, sock: socket.socket, transport: HttpTransport, start: float) -> None:
        self._sock = sock
        self._transport = transport
        self._start = start

    def _arm(self) -> None:
        self._sock.settimeout(self._transport._remaining(self._start))

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        self._arm()
        return self._sock.recv_into(buffer, nbytes, flags)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        self._arm()
        return self._sock.recv(bufsize, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        self._arm()
        self._sock.sendall(data, flags)

    def close(self) -> None:
        # http.client closes the connection's socket once it has the headers of an answer
        # that ends the connection, before the body is read; the request closes the real
        # socket itself when it is done.
        pass

    def makefile(self, mode: str = "r", buffering: int | None = None, **_: Any) -> io.IOBase:
        if mode != "rb":
            raise ValueError("only binary reading is supported")
        # SocketIO calls recv_into on this object, so every read is armed.
        return io.BufferedReader(socket.SocketIO(self, "rb"))  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class HttpTransport:
    """Standard-library HTTP(S) with three limits on every request.

    - ``connect_timeout``: seconds to open the connection;
    - ``read_timeout``: seconds any single read may wait;
    - ``deadline``: seconds the whole exchange may take (connection, request, status line,
      headers and body), however the server drips bytes.
    """

    def __init__(self, connect_timeout: float = 5.0, read_timeout: float = 10.0,
                 deadline: float = 30.0, user_agent: str = "kelisim-sdk/0.2") -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.user_agent = user_agent
        self._ssl: ssl.SSLContext | None = None

    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, max_bytes: int) -> Response:
        """Send one request and read the whole answer, whatever its status.

        Raises:
            SlowRetrievalError: a timeout or the deadline.
            OversizeError: the body (or its Content-Length) is over ``max_bytes``.
            NetworkError: unsupported URL, connection failure, or a malformed answer.
        """
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise NetworkError(f"unsupported URL {url!r}", url=url)
        start = time.monotonic()
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            if self._ssl is None:
                self._ssl = _ssl_context()
            conn = http.client.HTTPSConnection(parts.hostname, parts.port,
                                               timeout=self.connect_timeout, context=self._ssl)
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port,
                                              timeout=self.connect_timeout)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        all_headers = {"User-Agent": self.user_agent, "Accept-Encoding": "identity",
                       **(headers or {})}
        if body is not None:
            all_headers.setdefault("Content-Type", "application/json")
        sock: socket.socket | None = None
        resp: http.client.HTTPResponse | None = None
        try:
            conn.timeout = min(self.connect_timeout, self._remaining(start))
            conn.connect()
            # Keep the socket: http.client drops conn.sock after the headers of a response
            # that closes the connection, but the body is still read through it.
            sock = conn.sock
            assert sock is not None
            conn.sock = _DeadlineSocket(sock, self, start)
            conn.request(method, path, body=body, headers=all_headers)
            resp = conn.getresponse()
            length = resp.getheader("Content-Length")
            if length is not None and length.isascii() and length.isdigit() and \
                    int(length) > max_bytes:
                raise OversizeError(f"Content-Length {length} is over the cap of {max_bytes} "
                                    f"bytes", limit=max_bytes, url=url)
            chunks: list[bytes] = []
            total = 0
            while True:
                chunk = resp.read1(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > max_bytes:
                    raise OversizeError(f"more than {max_bytes} bytes", limit=max_bytes, url=url)
                chunks.append(chunk)
            answer_headers = {k.lower(): v for k, v in resp.getheaders()}
            return Response(resp.status, b"".join(chunks), answer_headers)
        except TimeoutError:
            raise SlowRetrievalError(
                f"timed out (connect {self.connect_timeout}s, read {self.read_timeout}s, "
                f"deadline {self.deadline}s)", url=url) from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            # ValueError: http.client refuses a header value holding CR or LF.
            raise NetworkError(f"{type(exc).__name__}: {exc}", url=url) from None
        finally:
            if resp is not None:
                resp.close()
            conn.close()
            if sock is not None:
                sock.close()

    def _remaining(self, start: float) -> float:
        """Seconds the next socket call may wait: the read timeout, cut to the deadline.

        Raises:
            TimeoutError: the deadline has passed (reported as SlowRetrievalError).
        """
        left = self.deadline - (time.monotonic() - start)
        if left <= 0:
            raise TimeoutError(f"overall deadline of {self.deadline}s passed")
        return min(self.read_timeout, left)
