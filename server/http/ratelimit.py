"""Fixed-window rate limits per install token and per client IP.

Counters live in process memory by default (each worker counts on its own, so the
effective limit is the configured one times the number of workers) or in Redis when
RATE_LIMIT_STORAGE is a redis:// URL (shared by all workers and hosts).
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
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
    def incr(self, key: str, window_start: int, window: int) -> int:
        """Count one hit on ``key`` in the window of ``window`` seconds that began at
        ``window_start`` (epoch seconds); return the count so far in that window."""
        ...


class MemoryCounter:
    """Counts of the current window only, per window length: a hit is one dict update,
    and when a window ends its whole table is dropped at once (keys never outlive their
    window, and no hit ever scans other keys)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # window length -> (start of the current window, counts in it)
        self._windows: dict[int, tuple[int, dict[str, int]]] = {}

    def incr(self, key: str, window_start: int, window: int) -> int:
        with self._lock:
            current = self._windows.get(window)
            if current is None or current[0] != window_start:
                if current is not None and current[0] > window_start:
                    # A hit stamped before the newest window (a thread that read the
                    # clock just before the turn) counts in the newest one.
                    window_start = current[0]
                else:
                    current = (window_start, {})
                    self._windows[window] = current
            counts = current[1]
            count = counts.get(key, 0) + 1
            counts[key] = count
            return count

    def __len__(self) -> int:
        """Keys held, over all window lengths."""
        with self._lock:
            return sum(len(counts) for _, counts in self._windows.values())


class RedisCounter:
    def __init__(self, url: str) -> None:
        import redis

        self._r: Any = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def incr(self, key: str, window_start: int, window: int) -> int:
        pipe = self._r.pipeline()
        name = f"{key}:{window_start}"
        pipe.incr(name)
        pipe.expire(name, window + 1)
        count, _ = pipe.execute()
        return int(count)


class RateLimiter:
    def __init__(self, counter: Counter, clock: Callable[[], float] = time.time) -> None:
        self.counter = counter
        # Wall time: windows start at multiples of their length, the same on every host
        # that shares a Redis counter.
        self.clock = clock

    def hit(self, scope: str, who: str, limit: Limit | None) -> int | None:
        """Count a request; None if allowed, else whole seconds until the window ends
        (at least 1)."""
        if limit is None:
            return None
        now = self.clock()
        second = int(now)
        window_start = second - second % limit.window
        count = self.counter.incr(f"kelisim:rl:{scope}:{who}", window_start, limit.window)
        if count > limit.count:
            return max(1, math.ceil(window_start + limit.window - now))
        return None
