"""Fetching bytes over HTTP with timeouts, an overall deadline and a size cap.

``Transport`` is the one seam an app or a test replaces (``ConsentClient(transport=...)``).
The default, :class:`HttpTransport`, uses only the standard library (and certifi's CA
bundle when it is installed), so it runs wherever Python does, iOS included.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass
from typing import Protocol

from .errors import NetworkError, OversizeError, SlowRetrievalError

__all__ = ["HttpTransport", "Response", "Transport"]

_CHUNK = 16 * 1024


@dataclass(frozen=True)
class Response:
    status: int  # 200, 304, or 404 (other statuses raise NetworkError)
    body: bytes
    etag: str | None = None


class Transport(Protocol):
    """The SDK's only door to the network; an app or a test may replace it."""

    def fetch(self, url: str, *, max_bytes: int, etag: str | None = None) -> Response:
        """GET: status 200, 304 or 404, else raise :class:`NetworkError` (or a subclass)
        or :class:`OversizeError`."""
        ...

    def post(self, url: str, body: bytes, *, headers: dict[str, str],
             max_bytes: int) -> Response:
        """POST JSON: any 2xx or 4xx status is returned; others raise NetworkError."""
        ...


def _ssl_context() -> ssl.SSLContext:
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        return ssl.create_default_context()


class HttpTransport:
    """Standard-library HTTP(S) with three limits on every request.

    - ``connect_timeout``: seconds to open the connection;
    - ``read_timeout``: seconds any single read may wait;
    - ``deadline``: seconds the whole request may take, however the server drips bytes.
    """

    def __init__(self, connect_timeout: float = 5.0, read_timeout: float = 10.0,
                 deadline: float = 30.0, user_agent: str = "kelisim-sdk/0.1") -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.user_agent = user_agent
        self._ssl: ssl.SSLContext | None = None

    def fetch(self, url: str, *, max_bytes: int, etag: str | None = None) -> Response:
        """GET ``url``.

        Raises:
            SlowRetrievalError: a timeout or the deadline.
            OversizeError: the body (or its Content-Length) is over ``max_bytes``.
            NetworkError: connection failure or an HTTP status other than 200/304/404.
        """
        headers = {"If-None-Match": etag} if etag else {}
        return self._request("GET", url, None, headers, max_bytes, ok=(200, 304, 404))

    def post(self, url: str, body: bytes, *, headers: dict[str, str],
             max_bytes: int) -> Response:
        """POST ``body`` as JSON; 2xx and 4xx answers are returned, others raise.

        Raises:
            SlowRetrievalError, OversizeError, NetworkError: as for :meth:`fetch`.
        """
        all_headers = {"Content-Type": "application/json", **headers}
        ok = tuple(range(200, 300)) + tuple(range(400, 500))
        return self._request("POST", url, body, all_headers, max_bytes, ok=ok)

    def _request(self, method: str, url: str, body: bytes | None, extra: dict[str, str],
                 max_bytes: int, *, ok: tuple[int, ...]) -> Response:
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
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "identity", **extra}
        sock: socket.socket | None = None
        resp: http.client.HTTPResponse | None = None
        try:
            conn.connect()
            # Keep the socket: http.client drops conn.sock after the headers of a response
            # that closes the connection, but the body is still read through it.
            sock = conn.sock
            assert sock is not None
            sock.settimeout(self._remaining(start, url, self.read_timeout))
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            if resp.status == 304 and 304 in ok:
                return Response(304, b"", resp.getheader("ETag") or extra.get("If-None-Match"))
            if resp.status not in ok:
                raise NetworkError(f"HTTP {resp.status} {resp.reason}", status=resp.status,
                                   url=url)
            length = resp.getheader("Content-Length")
            if length is not None and length.isdigit() and int(length) > max_bytes:
                raise OversizeError(f"Content-Length {length} is over the cap of {max_bytes} "
                                    f"bytes", limit=max_bytes, url=url)
            chunks: list[bytes] = []
            total = 0
            while True:
                sock.settimeout(self._remaining(start, url, self.read_timeout))
                chunk = resp.read1(_CHUNK) if hasattr(resp, "read1") else resp.read(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > max_bytes:
                    raise OversizeError(f"more than {max_bytes} bytes", limit=max_bytes, url=url)
                chunks.append(chunk)
            return Response(resp.status, b"".join(chunks), resp.getheader("ETag"))
        except TimeoutError:
            raise SlowRetrievalError(
                f"timed out (connect {self.connect_timeout}s, read {self.read_timeout}s, "
                f"deadline {self.deadline}s)", url=url) from None
        except (OSError, http.client.HTTPException) as exc:
            raise NetworkError(f"{type(exc).__name__}: {exc}", url=url) from None
        finally:
            if resp is not None:
                resp.close()
            conn.close()
            if sock is not None:
                sock.close()

    def _remaining(self, start: float, url: str, cap: float) -> float:
        left = self.deadline - (time.monotonic() - start)
        if left <= 0:
            raise SlowRetrievalError(f"overall deadline of {self.deadline}s passed", url=url)
        return min(cap, left)
