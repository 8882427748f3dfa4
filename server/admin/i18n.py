"""The console's languages: English (the keys), Russian, Kazakh.

``gettext`` looks a text up in the user's language and falls back to English; message
codes (``bad_login``, ``not_uuid``, ...) have English texts too. The language is chosen
with the switch in the page header (kept in the session), else from Accept-Language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, has_request_context, request, session

from server.admin.i18n_texts import TEXTS

__all__ = ["LANGUAGES", "gettext", "init_app", "language", "localized", "purpose_titles"]

LANGUAGES = ("en", "ru", "kk")


def language() -> str:
    if not has_request_context():
        return "en"
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or "en"


def gettext(text: str, **values: Any) -> str:
    lang = language()
    out = TEXTS.get(lang, {}).get(text) or TEXTS["en"].get(text) or text
    return out.format(**values) if values else out


def localized(texts: Mapping[str, str], default_locale: str) -> str:
    """A text a policy gives per locale (a purpose's title), in the console's language:
    that locale, else its script variants (``uz-Cyrl`` for ``uz``), else the policy's default
    locale, else any; "" when there is none."""
    lang = language()
    variants = sorted(t for t in texts if t.split("-")[0] == lang)
    for tag in (lang, *variants, default_locale):
        if texts.get(tag):
            return texts[tag]
    return next((t for t in texts.values() if t), "")


def purpose_titles(version_body: Mapping[str, Any]) -> dict[str, str]:
    """{purpose id: its title in the console's language} of a signed version."""
    default = version_body.get("default_locale") or ""
    return {p["id"]: localized(p.get("title") or {}, default)
            for p in version_body.get("purposes", [])}


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(_=gettext, console_language=language,
                                 console_languages=LANGUAGES, localized=localized)
