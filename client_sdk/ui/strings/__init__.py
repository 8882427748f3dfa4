"""The SDK's own UI strings in kk, ru, en, uz (Latin, with uz-Cyrl for the Cyrillic
script) and ky. Pure data: the Kivy widgets use it, and so can any other UI.

One module per locale (en.py, kk.py, ru.py, uz.py, uz_cyrl.py, ky.py), each with its
``STRINGS`` (key -> text) and ``PLURALS`` (key -> CLDR plural category -> text), so that a
translator reviews one file; this package puts them together and looks texts up:

- ``STRINGS``: locale tag -> key -> text;
- ``PLURALS``: key -> locale tag -> plural category -> text (CLDR's rules, in
  :mod:`client_sdk.ui.cldr`, pick the category: ru 21 -> one, 22 -> few, 25 -> many);
- :func:`text`: one string in the best of the user's locales, falling back to English;
- :func:`operator`: the controller's name and registration number, the number named as
  the controller's country names it (KZ: BIN, UZ: TIN/STIR, KG: INN/TIN).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

from client_sdk._internal.locales import negotiate
from client_sdk.ui.strings import en, kk, ky, ru, uz, uz_cyrl

__all__ = ["LANGUAGE_NAMES", "PLURALS", "STRINGS", "UI_LOCALES", "operator", "text"]

UI_LOCALES = ("kk", "ru", "en", "uz", "uz-Cyrl", "ky")

# Locale tag -> its module, English (the reference) first. uz-Cyrl's module cannot be named
# after the tag (a "-").
_TABLES: dict[str, ModuleType] = {"en": en, "ru": ru, "kk": kk, "uz": uz, "uz-Cyrl": uz_cyrl,
                                  "ky": ky}

LANGUAGE_NAMES = {
    "kk": "Қазақша", "ru": "Русский", "en": "English", "uz": "Oʻzbekcha",
    "uz-Cyrl": "Ўзбекча", "ky": "Кыргызча",
}

STRINGS: dict[str, dict[str, str]] = {tag: module.STRINGS for tag, module in _TABLES.items()}

# English's keys, in English's order; each locale's forms of each.
PLURALS: dict[str, dict[str, dict[str, str]]] = {
    key: {tag: module.PLURALS[key] for tag, module in _TABLES.items() if key in module.PLURALS}
    for key in en.PLURALS}


def text(key: str, locale: str | Sequence[str], **values: object) -> str:
    """The UI string ``key`` in the best of ``locale`` (a tag or a preference list),
    falling back to English; ``values`` fill its ``{placeholders}``.

    Raises:
        KeyError: ``key`` is not a UI string (a programmer error).
    """
    prefs = [locale] if isinstance(locale, str) else list(locale)
    tag = negotiate(prefs, STRINGS, "en")
    template = STRINGS[tag].get(key) or STRINGS["en"][key]
    return template.format(**values) if values else template


# Countries whose registration number has a name of its own in every UI language.
COMPANY_ID_COUNTRIES = ("KZ", "UZ", "KG")


def operator(name: str, number: str, country: str, locale: str | Sequence[str]) -> str:
    """"Name, BIN 123..." in ``locale``: the number's label follows the controller's
    ``country`` (a Kazakh BIN, an Uzbek TIN (STIR), a Kyrgyz INN), not the language."""
    key = f"company_id.{country}" if country in COMPANY_ID_COUNTRIES else "company_id.other"
    return text("operator", locale, name=name, label=text(key, locale), number=number)
