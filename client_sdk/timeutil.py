"""RFC 3339 UTC timestamps and ISO 8601 durations, as the manifest uses them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

__all__ = ["format_time", "parse_duration", "parse_time", "utcnow"]

_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_DURATION_RE = re.compile(
    r"^P(?!$)(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+)S)?)?$"
)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC, truncated to whole seconds."""
    return datetime.now(UTC).replace(microsecond=0)


def parse_time(value: str) -> datetime:
    """Parse ``YYYY-MM-DDTHH:MM:SSZ``.

    Raises:
        ValueError: any other shape, or an impossible date.
    """
    if not isinstance(value, str) or not _TIME_RE.match(value):
        raise ValueError(f"{value!r} is not an RFC 3339 UTC time like 2025-11-01T00:00:00Z")
    try:
        # Slicing instead of strptime: this runs for every time in a manifest at launch.
        return datetime(int(value[0:4]), int(value[5:7]), int(value[8:10]), int(value[11:13]),
                        int(value[14:16]), int(value[17:19]), tzinfo=UTC)
    except ValueError:
        raise ValueError(f"{value!r} is not a valid date and time") from None


def format_time(value: datetime) -> str:
    """Format an aware datetime as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC."""
    if value.tzinfo is None:
        raise ValueError("naive datetime; pass a timezone-aware one")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_duration(value: str) -> timedelta:
    """Parse an ISO 8601 duration (``P2Y``, ``P6M``, ``P30D``, ``PT12H``).

    Years count as 365 days and months as 30 days: a consent term is a policy promise,
    not a calendar computation, and the approximation errs on the short side by at most
    a few days per year.

    Raises:
        ValueError: not an ISO 8601 duration.
    """
    m = _DURATION_RE.match(value) if isinstance(value, str) else None
    if not m:
        raise ValueError(f"{value!r} is not an ISO 8601 duration like P2Y or P6M")
    g = {k: int(v) if v else 0 for k, v in m.groupdict().items()}
    return timedelta(
        days=g["y"] * 365 + g["mo"] * 30 + g["w"] * 7 + g["d"],
        hours=g["h"],
        minutes=g["mi"],
        seconds=g["s"],
    )
