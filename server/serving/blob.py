"""A ready response (:class:`Blob`) and the clock the serving caches read: shared by the
published objects (server/serving/published.py) and the consent logs' files
(server/serving/logfiles.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["IMMUTABLE", "Blob", "Clock", "SystemClock"]

IMMUTABLE = "public, max-age=31536000, immutable"


class Clock(Protocol):
    """Wall time (epoch seconds, for expiry) and a monotonic clock (for intervals)."""

    def time(self) -> float: ...

    def monotonic(self) -> float: ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


@dataclass(frozen=True)
class Blob:
    """A ready response: body and prebuilt header lists for 200 and 304."""

    body: bytes
    etag: str
    cache_control: str
    content_type: str
    refresh_at: float = float("inf")  # epoch seconds after which the blob must be rebuilt
    headers_200: list[tuple[str, str]] = field(default_factory=list, compare=False)
    headers_304: list[tuple[str, str]] = field(default_factory=list, compare=False)

    @classmethod
    def make(cls, body: bytes, etag: str, cache_control: str, content_type: str,
             refresh_at: float = float("inf"),
             extra: list[tuple[str, str]] | None = None) -> Blob:
        common = [("ETag", etag), ("Cache-Control", cache_control),
                  ("X-Content-Type-Options", "nosniff"), ("Access-Control-Allow-Origin", "*")]
        return cls(body, etag, cache_control, content_type, refresh_at,
                   [("Content-Type", content_type), ("Content-Length", str(len(body))), *common,
                    *(extra or [])],
                   common)
