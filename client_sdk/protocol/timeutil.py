"""RFC 3339 UTC timestamps and ISO 8601 durations, as the manifest uses them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from client_sdk.protocol.grammar import parse_time

__all__ = ["format_time", "parse_duration", "parse_time", "utcnow"]

# ASCII digits only, used with fullmatch (see client_sdk.protocol.grammar); at most 6 digits
# a field, so a duration can never overflow timedelta.
_DURATION_RE = re.compile(
    r"P(?!\Z)(?:(?P<y>[0-9]{1,6})Y)?(?:(?P<mo>[0-9]{1,6})M)?(?:(?P<w>[0-9]{1,6})W)?"
    r"(?:(?P<d>[0-9]{1,6})D)?"
    r"(?:T(?=[0-9])(?:(?P<h>[0-9]{1,6})H)?(?:(?P<mi>[0-9]{1,6})M)?(?:(?P<s>[0-9]{1,6})S)?)?",
    re.ASCII,
)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC, truncated to whole seconds."""
    return datetime.now(UTC).replace(microsecond=0)


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
    m = _DURATION_RE.fullmatch(value) if isinstance(value, str) else None
    if not m:
        raise ValueError(f"{value!r} is not an ISO 8601 duration like P2Y or P6M")
    g = {k: int(v) if v else 0 for k, v in m.groupdict().items()}
    return timedelta(
        days=g["y"] * 365 + g["mo"] * 30 + g["w"] * 7 + g["d"],
        hours=g["h"],
        minutes=g["mi"],
        seconds=g["s"],
    )
