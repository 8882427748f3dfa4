"""One delivery attempt: an HTTP POST to the endpoint, with the limits that keep a slow or
hostile receiver (or a URL aimed inside the network) from hurting the worker.

- only ``http`` and ``https`` URLs (checked when registered, again here);
- the host is resolved here and every address it resolves to must be public (globally
  routable), unless WEBHOOK_ALLOW_PRIVATE: loopback, private (RFC 1918, unique local),
  link-local (cloud metadata at 169.254.169.254), multicast and reserved addresses are
  refused; the connection goes to the address that was checked (no second lookup that DNS
  rebinding could answer differently);
- WEBHOOK_TIMEOUT seconds for connecting and for each read;
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
from dataclasses import dataclass
from urllib.parse import urlsplit

from server.errors import KelisimError

__all__ = ["Limits", "post"]

USER_AGENT = "Kelisim-Webhooks/1"


@dataclass(frozen=True)
class Limits:
    timeout: float
    max_response_bytes: int
    allow_private: bool


class Refused(KelisimError):
    """An attempt not made: the URL or the address it resolves to is not allowed."""


def _address(host: str, port: int, allow_private: bool) -> tuple[int, str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not infos:
        raise Refused(f"{host} resolves to no address")
    for _, _, _, _, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if not allow_private and not address.is_global:
            raise Refused(f"{host} resolves to {address}, which is not a public address "
                          f"(WEBHOOK_ALLOW_PRIVATE)")
    family, _, _, _, sockaddr = infos[0]
    return family, str(sockaddr[0])


_TLS = ssl.create_default_context()
# Each delivery thread keeps one open connection per endpoint address (HTTP keep-alive):
# most of an attempt's cost, for the worker and the receiver, was opening a connection.
_open = threading.local()
# What a kept connection the receiver closed meanwhile fails with, before any answer.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


def _connect(scheme: str, host: str, port: int, family: int, address: str,
             timeout: float) -> http.client.HTTPConnection:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    # http.client sends the headers and the body in two writes: without this, on a kept
    # connection the body waits for the receiver's delayed ACK of the headers (40 ms).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.connect((address, port))
        if scheme == "https":
            sock = _TLS.wrap_socket(sock, server_hostname=host)
    except BaseException:
        sock.close()
        raise
    conn = (http.client.HTTPSConnection if scheme == "https"
            else http.client.HTTPConnection)(host, port, timeout=timeout)
    conn.sock = sock  # connected to the address that was checked
    return conn


def post(url: str, body: bytes, headers: dict[str, str], limits: Limits
         ) -> tuple[int | None, str | None]:
    """POST ``body``; return (status or None, error or None: None means delivered)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        return None, "only http and https URLs"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    pool: dict[tuple[str, str, int, str], http.client.HTTPConnection] = \
        _open.__dict__.setdefault("pool", {})
    try:
        family, address = _address(host, port, limits.allow_private)
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
                conn = _connect(parts.scheme, host, port, family, address, limits.timeout)
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
            return None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= status < 300:
        return status, None
    if 300 <= status < 400:
        return status, f"HTTP {status}: redirects are not followed"
    return status, f"HTTP {status}"
