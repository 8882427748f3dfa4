"""The console's times in the operator's time zone.

Times are stored and signed in UTC (``YYYY-MM-DDTHH:MM:SSZ``). The console shows them in the
signed-in user's zone (their setting on the account page), else in the zone of the page's
app's controller country, else, on pages of no one app, in the zone of the country every app
shares (UTC when the apps are in different countries). Every template prints a time through
the one filter ``localtime``: the local time, the UTC time on hover (``title``) and in
``datetime``; the page's header names the zone.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup, escape

from client_sdk.protocol.timeutil import parse_time

__all__ = ["COUNTRY_ZONES", "ZONES", "country_zone", "local_time", "zone"]

# The controller countries' zones (Law 94-V, PDPL, ZRU-547): one zone a country, the
# capital's. Kazakhstan's regions share one offset since 2024.
COUNTRY_ZONES = {"KZ": "Asia/Almaty", "UZ": "Asia/Tashkent", "KG": "Asia/Bishkek"}

# The zones a user may choose on the account page.
ZONES = ("Asia/Almaty", "Asia/Aqtau", "Asia/Aqtobe", "Asia/Atyrau", "Asia/Oral",
         "Asia/Qostanay", "Asia/Qyzylorda", "Asia/Tashkent", "Asia/Samarkand", "Asia/Bishkek",
         "Asia/Dubai", "Europe/Moscow", "Europe/Istanbul", "Europe/Berlin", "Europe/London",
         "UTC")


def zone(name: str | None) -> ZoneInfo:
    """The zone ``name`` (an IANA name), UTC when empty or unknown to this machine."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo("UTC")


def country_zone(countries: set[str]) -> str:
    """The zone of the controller countries in view: their one zone, else UTC."""
    names = {COUNTRY_ZONES.get(c.upper(), "UTC") for c in countries}
    return names.pop() if len(names) == 1 else "UTC"


def _parse(value: str) -> datetime | None:
    try:
        return parse_time(value)
    except (TypeError, ValueError):
        return None


_FORMATS = {"minute": "%Y-%m-%d %H:%M", "second": "%Y-%m-%d %H:%M:%S", "date": "%Y-%m-%d"}


def local_time(value: str | None, tz: ZoneInfo, precision: str = "minute") -> Markup:
    """``<time>`` with ``value`` (an RFC 3339 time) in ``tz``, UTC in ``title`` and
    ``datetime``; "–" for no time; a value that is not a time, escaped as it is."""
    if not value:
        return Markup("–")
    when = _parse(value)
    if when is None:
        return escape(value)
    utc = when.strftime("%Y-%m-%d %H:%M:%S UTC")
    shown = when.astimezone(tz).strftime(_FORMATS[precision])
    return Markup('<time datetime="{iso}" title="{utc}">{shown}</time>').format(
        iso=value, utc=utc, shown=shown)
