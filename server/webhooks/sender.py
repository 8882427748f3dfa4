"""One delivery attempt: an HTTP POST to the endpoint, with the limits that keep a slow or
hostile receiver (or a URL aimed inside the network) from hurting the worker.

- only ``http`` and ``https`` URLs (checked when registered, again here);
- the host is resolved here and every address it resolves to must be public (globally
  routable), unless WEBHOOK_ALLOW_PRIVATE: loopback, private (RFC 1918, unique local),
  link-local (cloud metadata at 169.254.169.254), multicast and reserved addresses are
  refused, and so are IPv6 addresses that carry an IPv4 one (:func:`public_address`); the
  connection goes to the address that was checked (no second lookup that DNS rebinding
  could answer differently); the error says that the name resolves to a non-public address,
  never which address (it would tell the sender of a URL what internal names resolve to);
- one deadline for the whole attempt: resolving the name, connecting, TLS, sending and
  every read share WEBHOOK_TIMEOUT seconds (each socket operation gets the time left, so a
  receiver trickling its answer a byte at a time is cut off at the deadline); the caller
  may give an earlier deadline (the worker's lease, server/webhooks/worker.py);
- at most WEBHOOK_MAX_RESPONSE_BYTES of the response are read (its status is what counts);
- redirects are not followed: a 3xx is a failed attempt that says so;
- HTTPS is verified against the system's CAs, with the URL's host name;
- connections are kept open (HTTP keep-alive) per delivery thread and address, and a
  request on a kept connection the receiver closed meanwhile is sent once more on a new one.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as Late
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

from server.errors import KelisimError

__all__ = ["Limits", "post", "public_address"]

USER_AGENT = "Kelisim-Webhooks/1"


@dataclass(frozen=True)
class Limits:
    timeout: float
    max_response_bytes: int
    allow_private: bool


class Refused(KelisimError):
    """An attempt not made: the URL or the address it resolves to is not allowed."""


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the IPv4 address in the last 32 bits
_REFUSED_V6 = (ipaddress.IPv6Network("::/96"),  # IPv4-compatible (deprecated, RFC 4291)
               ipaddress.IPv6Network("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215)
               ipaddress.IPv6Network("2001::/32"))  # Teredo


def public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``address`` is globally routable, and so is any IPv4 address it carries:
    IPv4-mapped, NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses count as the IPv4
    address inside them; IPv4-compatible (::/96), local-use NAT64 (64:ff9b:1::/48) and
    Teredo (2001::/32) addresses are refused outright (Python's ``is_global`` calls some of
    these global, though they reach 127.0.0.1 through a translator)."""
    if not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return True
    if any(address in net for net in _REFUSED_V6):
        return False
    inner = address.ipv4_mapped or address.sixtofour
    if address in _NAT64:
        inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return inner is None or inner.is_global


# getaddrinfo has no timeout of its own: it runs here, and the attempt waits for it only
# until its deadline (a lookup left hanging ends with the resolver's own timeouts).
_RESOLVER = ThreadPoolExecutor(8, thread_name_prefix="kelisim-dns")


def _resolve(host: str, port: int, deadline: float) -> list[Any]:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:  # a literal address: nothing to look up
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    future = _RESOLVER.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        return future.result(timeout=max(0.0, deadline - time.monotonic()))
    except Late:
        future.cancel()
        raise TimeoutError(f"resolving {host} took longer than the attempt's deadline"
                           ) from None


def _address(host: str, port: int, allow_private: bool, deadline: float) -> tuple[int, str]:
    infos = _resolve(host, port, deadline)
    if not infos:
        raise Refused(f"{host} resolves to no address")
    for _, _, _, _, sockaddr in infos:
        if not allow_private and not public_address(ipaddress.ip_address(sockaddr[0])):
            raise Refused(f"{host} resolves to a non-public address "
                          f"(WEBHOOK_ALLOW_PRIVATE)")
    family, _, _, _, sockaddr = infos[0]
    return family, str(sockaddr[0])


class _Deadline:
    """A socket whose every operation gets the time left until ``deadline`` (monotonic) as
    its timeout, and fails with TimeoutError once none is left."""

    deadline = float("inf")

    def _left(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the attempt's deadline passed (WEBHOOK_TIMEOUT)")
        self.settimeout(left)  # type: ignore[attr-defined]

    def recv(self, *args: Any) -> Any:
        self._left()
        return super().recv(*args)  # type: ignore[misc]

    def recv_into(self, *args: Any) -> Any:
        self._left()
        return super().recv_into(*args)  # type: ignore[misc]

    def send(self, *args: Any) -> Any:
        self._left()
        return super().send(*args)  # type: ignore[misc]

    def sendall(self, *args: Any) -> Any:
        self._left()
        return super().sendall(*args)  # type: ignore[misc]


class _Socket(_Deadline, socket.socket):
    pass


class _TLSSocket(_Deadline, ssl.SSLSocket):
    pass


class _TLSContext(ssl.SSLContext):
    sslsocket_class = _TLSSocket


_TLS = _TLSContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies the certificate and the host name
_TLS.load_default_certs()
# Each delivery thread keeps one open connection per endpoint address (HTTP keep-alive):
# most of an attempt's cost, for the worker and the receiver, was opening a connection.
_open = threading.local()
# What a kept connection the receiver closed meanwhile fails with, before any answer.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


def _connect(scheme: str, host: str, port: int, family: int, address: str,
             deadline: float) -> http.client.HTTPConnection:
    sock: socket.socket = _Socket(family, socket.SOCK_STREAM)
    sock.settimeout(max(0.001, deadline - time.monotonic()))
    # http.client sends the headers and the body in two writes: without this, on a kept
    # connection the body waits for the receiver's delayed ACK of the headers (40 ms).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.connect((address, port))
        if scheme == "https":
            sock.settimeout(max(0.001, deadline - time.monotonic()))
            sock = _TLS.wrap_socket(sock, server_hostname=host)
    except BaseException:
        sock.close()
        raise
    conn = (http.client.HTTPSConnection if scheme == "https"
            else http.client.HTTPConnection)(host, port)
    conn.sock = sock  # connected to the address that was checked
    return conn


def post(url: str, body: bytes, headers: dict[str, str], limits: Limits,
         deadline: float | None = None) -> tuple[int | None, str | None]:
    """POST ``body``; return (status or None, error or None: None means delivered). The
    whole attempt ends by ``limits.timeout`` seconds from now, or by ``deadline``
    (``time.monotonic()``) when that is earlier."""
    end = time.monotonic() + limits.timeout
    end = end if deadline is None else min(end, deadline)
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        return None, "only http and https URLs"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    pool: dict[tuple[str, str, int, str], http.client.HTTPConnection] = \
        _open.__dict__.setdefault("pool", {})
    try:
        family, address = _address(host, port, limits.allow_private, end)
    except Refused as exc:
        return None, str(exc)
    except OSError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    key = (parts.scheme, host, port, address)
    for reused in (True, False):
        conn = pool.pop(key, None) if reused else None
        if reused and conn is None:
            continue
        try:
            if conn is None:
                conn = _connect(parts.scheme, host, port, family, address, end)
            cast(_Deadline, conn.sock).deadline = end
            conn.request("POST", path, body=body, headers={**headers, "User-Agent": USER_AGENT})
            response = conn.getresponse()
            response.read(limits.max_response_bytes)
            status = response.status
            if response.isclosed() and not response.will_close:
                pool[key] = conn  # read to its end, and the receiver keeps it open
            else:
                conn.close()  # more than the cap left unread, or the receiver closes
            break
        except (OSError, http.client.HTTPException) as exc:
            if conn is not None:
                conn.close()
            if reused and isinstance(exc, _STALE):
                continue  # the receiver closed the idle connection: once more, anew
            if isinstance(exc, TimeoutError):
                return None, (f"TimeoutError: no complete answer within the attempt's "
                              f"deadline (WEBHOOK_TIMEOUT {limits.timeout:g} s)")
            return None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= status < 300:
        return status, None
    if 300 <= status < 400:
        return status, f"HTTP {status}: redirects are not followed"
    return status, f"HTTP {status}"
