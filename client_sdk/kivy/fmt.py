"""Dates, plurals, durations and country names in the user's language, through babel's
CLDR data (the ``kivy`` extra). Dates are shown in the device's local time zone.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_datetime

from ..locales import negotiate
from ..strings import PLURALS

__all__ = ["country", "date", "datetime_local", "duration", "local_zone", "plural"]

_DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?")


@lru_cache(maxsize=16)
def _locale(tag: str) -> Locale:
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (ValueError, LookupError):
        return Locale.parse("en")


def local_zone() -> tzinfo:
    """The device's time zone (``TZ`` where set)."""
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone


def date(moment: datetime, tag: str, zone: tzinfo | None = None) -> str:
    """``moment`` as a long date in ``tag``, in local time (``24 ноября 2026 г.``)."""
    return str(format_date(moment.astimezone(zone or local_zone()), "long",
                           locale=_locale(tag)))


def datetime_local(moment: datetime, tag: str, zone: tzinfo | None = None) -> str:
    """``moment`` as a medium date and short time, in local time."""
    z = zone or local_zone()
    return str(format_datetime(moment.astimezone(z), "medium", tzinfo=z,
                               locale=_locale(tag)))


def plural(key: str, tag: str, count: int, **values: object) -> str:
    """The UI string ``key`` in the CLDR plural form ``count`` takes in ``tag``
    (ru: 21 год, 22 года, 25 лет)."""
    lang = negotiate([tag], PLURALS[key], "en")
    forms = PLURALS[key][lang]
    category = _locale(lang).plural_form(count)
    template = forms.get(category) or forms["other"]
    return template.format(count=count, **values)


def duration(iso: str, tag: str) -> str:
    """An ISO 8601 duration (``P1Y6M``) in words: ``1 год 6 месяцев``."""
    m = _DURATION.fullmatch(iso)
    if not m or not any(m.groups()):
        return iso
    # CLDR lacks some languages' duration units (uz): the plural forms are ours, the
    # plural rules babel's.
    units = ("unit.year", "unit.month", "unit.week", "unit.day")
    return " ".join(plural(unit, tag, int(n)) for n, unit in zip(m.groups(), units,
                                                                  strict=True) if n)


def country(code: str, tag: str) -> str:
    """The name of ISO 3166 country ``code`` in ``tag`` (``US`` -> ``АҚШ``)."""
    name = str(_locale(tag).territories.get(code.upper(), code))
    # CLDR's Uzbek mixes U+2018 with the ʻ (U+02BB) the alphabet prescribes.
    return name.replace("\u2018", "\u02bb") if tag.startswith("uz") else name
