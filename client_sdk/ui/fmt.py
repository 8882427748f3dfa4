"""Dates, plurals, durations and country names in the user's language, from CLDR data
(``cldr.py``, generated from babel by scripts/gen_cldr.py: babel is not needed at run
time). Dates are shown in the device's local time zone. A language the SDK has no UI
strings for is shown in English.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from functools import lru_cache

from client_sdk._internal.locales import negotiate
from client_sdk.ui import cldr
from client_sdk.ui.strings import PLURALS

__all__ = ["country", "date", "datetime_local", "duration", "local_zone", "plural"]

_DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?")
# A CLDR date pattern: quoted literals, runs of one field letter, anything else verbatim.
_FIELD = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*")


@lru_cache(maxsize=32)
def _lang(tag: str) -> str:
    """The CLDR data's language for ``tag`` (``ru-KZ`` -> ``ru``); English when none."""
    return negotiate([tag], cldr.LANGUAGES, "en")


def _field(token: str, moment: datetime, lang: str) -> str:
    letter, width = token[0], len(token)
    if letter == "d":
        return f"{moment.day:0{width}d}"
    if letter == "M":
        if width >= 3:
            return (cldr.MONTHS if width == 4 else cldr.MONTHS_ABBR)[lang][moment.month - 1]
        return f"{moment.month:0{width}d}"
    if letter == "y":
        return f"{moment.year:0{width}d}" if width != 2 else f"{moment.year % 100:02d}"
    if letter == "H":
        return f"{moment.hour:0{width}d}"
    if letter == "h":
        return f"{moment.hour % 12 or 12:0{width}d}"
    if letter == "m":
        return f"{moment.minute:0{width}d}"
    if letter == "s":
        return f"{moment.second:0{width}d}"
    if letter == "a":
        return cldr.AM_PM[lang][moment.hour >= 12]
    raise ValueError(f"date pattern field {token!r} is not supported")  # gen_cldr checks


def _format(pattern: str, moment: datetime, lang: str) -> str:
    def one(m: re.Match[str]) -> str:
        field = m.group(0)
        if field.startswith("'"):  # a literal; '' is a quote
            return field[1:-1].replace("''", "'") if field != "''" else "'"
        return _field(field, moment, lang)

    return _FIELD.sub(one, pattern)


def local_zone() -> tzinfo:
    """The device's time zone (``TZ`` where set)."""
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone


def date(moment: datetime, tag: str, zone: tzinfo | None = None) -> str:
    """``moment`` as a long date in ``tag``, in local time (``24 ноября 2026 г.``)."""
    lang = _lang(tag)
    return _format(cldr.DATE_LONG[lang], moment.astimezone(zone or local_zone()), lang)


def datetime_local(moment: datetime, tag: str, zone: tzinfo | None = None) -> str:
    """``moment`` as CLDR's medium date and time, in local time."""
    lang = _lang(tag)
    local = moment.astimezone(zone or local_zone())
    return cldr.DATETIME_MEDIUM[lang].replace("'", "") \
        .replace("{0}", _format(cldr.TIME_MEDIUM[lang], local, lang)) \
        .replace("{1}", _format(cldr.DATE_MEDIUM[lang], local, lang))


def plural(key: str, tag: str, count: int, **values: object) -> str:
    """The UI string ``key`` in the CLDR plural form ``count`` takes in ``tag``
    (ru: 21 год, 22 года, 25 лет)."""
    lang = negotiate([tag], PLURALS[key], "en")
    forms = PLURALS[key][lang]
    category = cldr.PLURAL[_lang(lang)](abs(count))
    template = forms.get(category) or forms["other"]
    return template.format(count=count, **values)


def duration(iso: str, tag: str) -> str:
    """An ISO 8601 duration (``P1Y6M``) in words: ``1 год 6 месяцев``."""
    m = _DURATION.fullmatch(iso)
    if not m or not any(m.groups()):
        return iso
    # CLDR lacks some languages' duration units (uz): the plural forms are ours, the
    # plural rules CLDR's.
    units = ("unit.year", "unit.month", "unit.week", "unit.day")
    return " ".join(plural(unit, tag, int(n)) for n, unit in zip(m.groups(), units,
                                                                  strict=True) if n)


def country(code: str, tag: str) -> str:
    """The name of ISO 3166 country ``code`` in ``tag`` (``US`` -> ``АҚШ``)."""
    name = cldr.TERRITORIES[_lang(tag)].get(code.upper(), code)
    # CLDR's Uzbek mixes U+2018 with the ʻ (U+02BB) the alphabet prescribes.
    return name.replace("\u2018", "\u02bb") if tag.startswith("uz") else name
