"""Guard reasons and validation problems in the page's language.

The domains give a :class:`~server.messages.Message` (an English sentence, as the CLI prints
it, with a code, parameters and the field it is about); marshmallow gives its own English
sentences, matched here against the ones the schemas use. :func:`say` renders either as
"Field as the form names it: what is wrong", without the policy folder's file paths.
A sentence it does not know is shown as it is (never a worse guess).
"""

from __future__ import annotations

import re
from typing import Any

from server.admin.i18n import gettext as _
from server.admin.i18n import language
from server.messages import Message, size_parts

__all__ = ["field_name", "say", "schema_text", "size_text"]

# marshmallow's sentences (and the schemas' own) -> a catalogue code; named groups fill it.
_SCHEMA: list[tuple[re.Pattern[str], str]] = [(re.compile(p + r"\Z"), code) for p, code in (
    (r"Missing data for required field\.", "v_required"),
    (r"Field may not be null\.", "v_required"),
    (r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.", "v_length_between"),
    (r"Shorter than minimum length 1\.", "v_empty"),
    (r"Shorter than minimum length (?P<min>\d+)\.", "v_length_min"),
    (r"Longer than maximum length (?P<max>\d+)\.", "v_length_max"),
    (r"Must be one of: (?P<choices>.*)\.", "v_one_of"),
    (r"Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.",
     "v_range"),
    (r"Not a valid integer\.", "v_integer"),
    (r"Not a valid boolean\.", "v_boolean"),
    (r"Not a valid string\.", "v_string"),
    (r"Not a valid list\.", "v_list"),
    (r"Not a valid mapping type\.|Invalid input type\.", "v_mapping"),
    (r"Unknown field\.", "v_unknown"),
    (r"Not a valid email address\.", "not_email"),
    (r"Not a valid URL\.", "v_url"),
    (r"must be a lowercase id .*", "v_id"),
    (r"must be an ISO 3166 two-letter code such as KZ", "v_country"),
    (r"unknown locale tag; .*", "v_locale"),
    (r"needs at least one purpose", "v_one_purpose"),
    (r"needs min_age: whose guardian must consent\?", "v_guardian_age"),
    (r"duplicate id '(?P<id>.*)'", "v_duplicate"),
    (r"is not a valid 12-digit BIN .*", "v_bin"),
    (r"must be (?P<digits>[0-9]+) digits \((?P<name>[^)]*)\)", "v_company_digits"),
    (r"needs a UTC offset.*", "v_utc"),
    (r"must be a date or a date-time", "v_date"),
    (r".* is not a valid RFC 3339 time.*|Invalid isoformat string.*", "v_date"),
    (r"unknown purpose '(?P<id>[^']*)'; .*", "v_unknown_purpose"),
    (r"'.*' is not an ISO 8601 duration .*", "not_duration"),
)]

# Form and version.toml fields -> the words the draft form labels them with.
_FIELDS = {
    "label": "Label", "significance": "Significance", "effective": "Effective",
    "min_age": "Minimum age", "guardian_consent": "Guardian consent under the minimum age",
    "consent_term": "Consent term", "default_locale": "Default language",
    "third_party_transfer": "Transfer to third parties",
    "cross_border_transfer": "Cross-border transfer", "public_disclosure": "Public disclosure",
    "purposes": "Purposes", "purposes_toml": "Purposes", "permissions": "Permissions",
    "consent_mode": "f_consent_mode", "summary": "f_summary", "title": "f_title",
    "description": "f_description", "data": "Data categories", "vendors": "Vendors",
    "required": "f_required", "id": "f_id", "app_toml": "f_app", "notes": "Notes",
    "name": "Name", "controller": "Controller", "bin": "BIN", "country": "Country",
    "email": "E-mail", "address": "Address", "data_categories": "Data categories",
    "policy_url": "f_policy_url", "rationale": "f_rationale", "text": "f_text",
    "file": "f_file", "override_reason": "f_override_reason",
}
_TOKEN = re.compile(r"\[\d+\]|[^.\[\]]+")
_TEXTS = ("title", "description", "summary", "rationale")
_LOCALE = re.compile(r"[a-z]{2,3}(-[A-Z][a-z]{3})?")


def field_name(path: str, part: str = "version") -> str:
    """``purposes[0].title.kk`` -> "Purposes #1 · Title (kk)" in the page's language;
    ``document.kk`` -> "Document (kk)"; ``summary.kk`` -> "What changed (kk)"."""
    if not path or path == "(top level)":
        return _("f_app") if part == "app" else ""
    if path.startswith("document."):
        return f"{_('Document')} ({path.removeprefix('document.')})"
    words: list[str] = [_("f_app")] if part == "app" else []
    tag, previous = "", ""
    for token in _TOKEN.findall(path):
        if token.startswith("["):
            number = f"#{int(token[1:-1]) + 1}"
            words[-1:] = [f"{words[-1]} {number}" if words else number]
        elif previous in _TEXTS and _LOCALE.fullmatch(token):
            tag = token
        elif token in ("key", "value"):  # a dict's key or value (marshmallow's words)
            continue
        else:
            words.append(_(_FIELDS[token]) if token in _FIELDS else token)
        previous = token
    out = " · ".join(words)
    return f"{out} ({tag})" if tag else out


def _number(text: str) -> str:
    # 1,048,576 and 4.97 in English; 1 048 576 and 4,97 in Russian and Kazakh.
    if language() == "en":
        return text
    return text.replace(",", "\u00a0").replace(".", ",")


def size_text(n: int) -> str:
    """``n`` bytes in the page's language: "4.97 MiB (5,209,253 bytes)", "900 bytes"."""
    number, unit = size_parts(n)
    shown = _(f"u_{unit}", n=_number(number))
    if unit == "bytes" or (n % 1024 == 0 and "." not in number):
        return shown
    return f"{shown} ({_('u_bytes', n=_number(f'{n:,}'))})"


def schema_text(text: str) -> str:
    """A marshmallow message in the page's language (as written when none matches)."""
    for pattern, code in _SCHEMA:
        m = pattern.match(text)
        if m:
            # A company number's name ("BIN", "TIN (STIR)") is said as the page says it.
            return _(code, **{k: _(v) if k == "name" else v for k, v in m.groupdict().items()})
    return text


def _params(params: dict[str, Any]) -> dict[str, Any]:
    out = dict(params)
    for key in ("size", "limit", "doc_limit"):
        if isinstance(out.get(key), int):
            out[key] = size_text(out[key])
    if isinstance(out.get("kind"), str):
        out["kind"] = _(f"k_{out['kind'].replace(' ', '_')}")
    return out


def say(message: Any, field: str = "") -> str:
    """``message`` in the page's language: a :class:`Message` by its code, a schema error
    by its sentence, a catalogue code as the catalogue says it; ``field`` names the form
    field a form error belongs to (the field shows it beside itself: not repeated)."""
    if isinstance(message, Message):
        if message.code == "schema":
            name = field_name(message.field, message.params.get("part", "version"))
            text = schema_text(str(message.params.get("message", "")))
        else:
            name = field_name(message.field) if message.field else ""
            text = _(message.code, **_params(message.params))
        return f"{name}: {text}" if name else text
    text = str(message)
    translated = schema_text(text)
    return translated if translated != text else _(text)
