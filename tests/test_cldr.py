"""client_sdk/ui/cldr.py is babel's CLDR data, and fmt formats it as babel would.

The widgets stopped loading babel at run time (start-up, and babel's 33 MB in an app);
babel stays a development dependency, pinned, so that the generated module can be checked
against it: the same data (scripts/gen_cldr.py --check), and the same words for every
month, hour, count and country in every UI language.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from babel import Locale
from babel.dates import format_date, format_datetime

from builders import REPO
from client_sdk.ui import cldr, fmt
from client_sdk.ui.strings import UI_LOCALES

ZONES = [UTC, timezone(timedelta(hours=5)), timezone(timedelta(hours=-7, minutes=-30))]


def _babel(tag: str) -> Locale:
    return Locale.parse(tag.replace("-", "_"))


@pytest.mark.slow
def test_the_generated_module_is_what_babel_gives() -> None:
    done = subprocess.run([sys.executable, "scripts/gen_cldr.py", "--check"], cwd=REPO,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_every_ui_language_has_its_data() -> None:
    assert set(cldr.LANGUAGES) == set(UI_LOCALES)


@pytest.mark.parametrize("tag", cldr.LANGUAGES)
def test_dates_and_times_are_babels(tag: str) -> None:
    moments = [datetime(2026, month, day, hour, 7, 9, tzinfo=UTC)
               for month in range(1, 13) for day, hour in ((1, 0), (9, 11), (28, 12),
                                                           (15, 23))]
    moments.append(datetime(987, 3, 4, 5, 6, 7, tzinfo=UTC))  # a year of three digits
    for zone in ZONES:
        for moment in moments:
            local = moment.astimezone(zone)
            assert fmt.date(moment, tag, zone) == format_date(local, "long",
                                                              locale=_babel(tag))
            assert fmt.datetime_local(moment, tag, zone) == format_datetime(
                moment, "medium", tzinfo=zone, locale=_babel(tag))


@pytest.mark.parametrize("tag", cldr.LANGUAGES)
def test_plural_categories_are_babels(tag: str) -> None:
    rule = _babel(tag).plural_form
    for n in range(0, 1200):
        assert cldr.PLURAL[tag](n) == rule(n), n


@pytest.mark.parametrize("tag", cldr.LANGUAGES)
def test_country_names_are_babels(tag: str) -> None:
    names = {k: v for k, v in _babel(tag).territories.items() if len(k) == 2}
    assert len(names) > 240
    for code, name in names.items():
        expected = name.replace("\u2018", "\u02bb") if tag.startswith("uz") else name
        assert fmt.country(code, tag) == expected
        assert fmt.country(code.lower(), tag) == expected


def test_a_regional_tag_uses_its_language_and_an_unknown_one_english() -> None:
    moment = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert fmt.date(moment, "ru-KZ", UTC) == fmt.date(moment, "ru", UTC)
    assert fmt.date(moment, "kk_KZ", UTC) == fmt.date(moment, "kk", UTC)
    assert fmt.date(moment, "fr", UTC) == "November 24, 2026"
    assert fmt.country("XY", "kk") == "XY"  # no such country: the code as it is
    assert fmt.plural("age_confirm", "ru-KZ", 21) == "Мне 21 год или больше"

