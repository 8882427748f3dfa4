"""The pure parts of the Kivy widgets, without a window: contrast, plural rules, local
dates, durations, country names, plain-text policies, the UI strings' completeness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from client_sdk.ui import fmt
from client_sdk.ui.markup import to_blocks
from client_sdk.ui.palette import DARK, LIGHT, TEXT_PAIRS, contrast_ratio
from client_sdk.ui.strings import PLURALS, STRINGS

ALMATY = timezone(timedelta(hours=5))


@pytest.mark.parametrize("palette", [LIGHT, DARK], ids=["light", "dark"])
def test_every_text_colour_reaches_4_5_to_1_in_both_themes(palette: object) -> None:
    for fg, bg in TEXT_PAIRS:
        ratio = contrast_ratio(getattr(palette, fg), getattr(palette, bg))
        assert ratio >= 4.5, f"{fg} on {bg}: {ratio:.2f}"


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert contrast_ratio((0, 0, 0, 1), (1, 1, 1, 1)) == pytest.approx(21.0)
    assert contrast_ratio((1, 1, 1, 1), (1, 1, 1, 1)) == pytest.approx(1.0)
    # #767676 on white is the classic just-passing grey: 4.54.
    grey = (0x76 / 255,) * 3
    assert contrast_ratio(grey, (1, 1, 1)) == pytest.approx(4.54, abs=0.01)


def test_russian_plurals_follow_cldr_not_a_hand_rule() -> None:
    age = [fmt.plural("age_confirm", "ru", n) for n in (16, 21, 22, 25, 101, 111)]
    assert age == ["Мне 16 лет или больше", "Мне 21 год или больше",
                   "Мне 22 года или больше", "Мне 25 лет или больше",
                   "Мне 101 год или больше", "Мне 111 лет или больше"]
    assert fmt.plural("age_confirm", "en", 18) == "I am 18 or older"
    assert fmt.plural("age_confirm", "kk", 18) == "Менің жасым 18 немесе одан үлкен"


def test_dates_are_local_and_in_words() -> None:
    late = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # already 1 December in Almaty
    assert fmt.date(late, "ru", ALMATY) == "1 декабря 2026\u202fг."  # CLDR: narrow nbsp
    assert fmt.date(late, "en", UTC) == "November 30, 2026"
    assert "01:00" in fmt.datetime_local(late, "kk", ALMATY)


def test_durations_and_countries_in_the_users_language() -> None:
    assert fmt.duration("P3Y", "ru") == "3 года"
    assert fmt.duration("P1Y6M", "en") == "1 year 6 months"
    assert fmt.duration("P2Y", "uz") == "2 yil"
    assert fmt.country("US", "kk") == "Америка Құрама Штаттары"
    assert "ʻ" in fmt.country("US", "uz") and "‘" not in fmt.country("US", "uz")


def test_a_plain_text_policy_keeps_its_headings_and_numbered_sections() -> None:
    text = ("PRIVACY POLICY\n\nThis policy explains what we do with your data.\n"
            "It applies to the app.\n\n1. General provisions\n\n"
            "We process data lawfully.\n\n2.1 Data we collect\n\nName and phone.\n")
    blocks = to_blocks(text)
    assert [(b.kind, b.level) for b in blocks] == [
        ("heading", 1), ("paragraph", 0), ("heading", 2), ("paragraph", 0),
        ("heading", 3), ("paragraph", 0)]
    assert blocks[2].markup == "1. General provisions"
    # Markdown stays Markdown.
    assert to_blocks("# Title\n\n- item\n")[1].kind == "item"


def test_ui_strings_exist_in_every_language() -> None:
    keys = set(STRINGS["en"])
    for tag, table in STRINGS.items():
        assert set(table) == keys, tag
    for key, forms in PLURALS.items():
        assert {"en", "ru", "kk", "uz", "ky"} <= set(forms), key
        for tag, by_category in forms.items():
            assert "other" in by_category, (key, tag)


def test_each_locale_file_has_exactly_the_english_keys() -> None:
    """A translator's file (client_sdk/ui/strings/<locale>.py) names every key of en.py and
    nothing else, its plural texts included: a misspelt plural key would otherwise be
    dropped when the package puts the files together."""
    from client_sdk.ui.strings import en, kk, ky, ru, uz, uz_cyrl

    for module in (kk, ky, ru, uz, uz_cyrl):
        assert set(module.STRINGS) == set(en.STRINGS), module.__name__
        assert set(module.PLURALS) == set(en.PLURALS), module.__name__
