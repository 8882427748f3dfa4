"""Fixed-window rate limits per install token and per client IP.

Counters live in process memory by default (each worker counts on its own, so the
effective limit is the configured one times the number of workers) or in Redis when
RATE_LIMIT_STORAGE is a redis:// URL (shared by all workers and hosts).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Limit", "MemoryCounter", "RateLimiter", "RedisCounter", "parse_limit"]

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Limit:
    count: int
    window: int  # seconds


def parse_limit(text: str, key: str) -> Limit | None:
    """``"120/minute"`` -> Limit(120, 60); ``"off"`` -> None.

    Raises:
        ValueError: anything else, naming the configuration key.
    """
    if text.strip().lower() in ("off", "none", "0"):
        return None
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(second|minute|hour|day)\s*", text)
    if not m or int(m.group(1)) < 1:
        raise ValueError(f"KELISIM_{key}: {text!r} is not like '120/minute' or 'off'")
    return Limit(int(m.group(1)), _UNITS[m.group(2)])


class Counter(Protocol):
    def incr(self, key: str, window: int) -> int: ...


class MemoryCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._window_of: dict[str, float] = {}

    def incr(self, key: str, window: int) -> int:
        now = time.time()
        with self._lock:
            if len(self._counts) > 100_000:  # forget old windows rather than grow forever
                cutoff = now - 86400
                for k in [k for k, t in self._window_of.items() if t < cutoff]:
                    self._counts.pop(k, None)
                    self._window_of.pop(k, None)
            self._counts[key] = self._counts.get(key, 0) + 1
            self._window_of[key] = now
            return self._counts[key]


class RedisCounter:
    def __init__(self, url: str) -> None:
        import redis

        self._r: Any = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def incr(self, key: str, window: int) -> int:
        pipe = self._r.pipeline()
        pipe.incr(key)
        pipe.expire(key, window + 1)
        count, _ = pipe.execute()
        return int(count)


class RateLimiter:
    def __init__(self, counter: Counter) -> None:
        self.counter = counter

    def hit(self, scope: str, who: str, limit: Limit | None) -> int | None:
        """Count a request; None if allowed, else seconds until the window ends."""
        if limit is None:
            return None
        now = int(time.time())
        window_start = now - now % limit.window
        count = self.counter.incr(f"kelisim:rl:{scope}:{who}:{window_start}", limit.window)
        if count > limit.count:
            return window_start + limit.window - now
        return None
