"""Test helpers for apps that embed the SDK: a transport that answers from a function.

``MockTransport(handler)`` has httpx's shape: ``handler(request) -> Response``. It sends
nothing anywhere, and it enforces ``max_bytes`` like :class:`HttpTransport`, so code under
test sees the same errors it would see on a network::

    from client_sdk.testing import MockTransport
    from client_sdk.transport import Request, Response

    def handler(request: Request) -> Response:
        if request.url.endswith("/installs"):
            return Response(201, b'{"install_id": "...", "token": "..."}')
        return Response(404)

    client = ConsentClient(url, app_id, root, data_dir, transport=MockTransport(handler))

A handler may raise :class:`NetworkError` (or a subclass) to play an unreachable server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from client_sdk.errors import OversizeError
from client_sdk.transport import Request, Response

__all__ = ["MockTransport"]


class MockTransport:
    """A :class:`~client_sdk.transport.Transport` whose answers come from ``handler``.

    ``requests`` lists every request made, oldest first.
    """

    def __init__(self, handler: Callable[[Request], Response]) -> None:
        self.handler = handler
        self.requests: list[Request] = []

    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, max_bytes: int) -> Response:
        """Answer with ``handler(Request(...))``.

        Raises:
            OversizeError: the handler's body is longer than ``max_bytes``.
            NetworkError: whatever the handler raises.
        """
        req = Request(method, url, dict(headers or {}), body)
        self.requests.append(req)
        resp = self.handler(req)
        if len(resp.body) > max_bytes:
            raise OversizeError(f"more than {max_bytes} bytes", limit=max_bytes, url=url)
        return Response(resp.status, resp.body,
                        {k.lower(): v for k, v in resp.headers.items()})
