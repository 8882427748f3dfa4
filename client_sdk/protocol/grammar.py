"""The one definition of each grammar the formats use. Pure, no I/O.

The SDK model, the server's schemas and the importer all check values with this module, so
that a value one part accepts, every other part accepts too. Every pattern is ASCII only
(``[0-9]``, never ``\\d``, which takes Arabic-Indic and fullwidth digits) and is used with
``fullmatch`` (never ``^…$``: ``$`` also matches before a final ``"\\n"``).

Patterns (compiled ``re.Pattern[str]``, for ``fullmatch``; the ``is_*`` functions below
are the usual way in):

- ``ID_RE``: a catalogue id (app, purpose, vendor, data category, permission):
  ``[a-z0-9][a-z0-9_.-]{0,63}``. An app id is an id (``APP_ID_RE`` is the same pattern):
  the server's app.toml check, the bundler and the SDK all use :func:`is_app_id`.
- ``UUID_RE``: a record, request or install id: a lower-case UUID ``8-4-4-4-12``.
- ``LOCALE_RE``: a locale tag: ``[a-z]{2,3}`` and up to three ``-`` subtags of 2-8 letters
  or digits (``kk``, ``uz-Cyrl``, ``ru-KZ``), at most ``LOCALE_MAX`` (16) characters.
  Which locales a deployment publishes is a policy rule, not a grammar.
- ``SHA256_RE``: 64 lower-case hex digits.
- ``TIME_RE``: ``YYYY-MM-DDTHH:MM:SSZ``; :func:`parse_time` also range-checks it.
- ``TOKEN_RE``: a bearer token (RFC 7235 token68: ``[A-Za-z0-9._~+/-]+=*``), at most
  ``TOKEN_MAX`` (4000) characters: nothing that could break a header line.
- Store label ids (manifest spec 2, docs/store-labels.md), checked by shape only: which ids
  Apple and Google list is the server's table (``server/policy/storelabels.py``), so a type
  a store adds later never makes an SDK refuse a manifest. ``APPLE_DATA_TYPE_RE``:
  ``NSPrivacyCollectedDataType`` and letters; ``APPLE_PURPOSE_RE``:
  ``NSPrivacyCollectedDataTypePurpose`` and letters; ``PLAY_ID_RE``: ``PSL_`` and upper-case
  letters, digits, ``_``; ``DOMAIN_RE``: a lower-case host name with at least one dot, at
  most ``DOMAIN_MAX`` (253) characters (a tracking domain).

Functions:

- ``is_id(value: object) -> bool``, ``is_app_id(value: object) -> bool``,
  ``is_uuid(value: object) -> bool``, ``is_locale(value: object) -> bool``,
  ``is_sha256(value: object) -> bool``: ``value`` is a ``str`` matching the grammar in full.
- ``is_token(value: object) -> bool``: a bearer token as above.
- ``is_domain(value: object) -> bool``: a host name as above.
- ``is_int32(value: object, *, minimum: int = INT32_MIN) -> bool``: an ``int`` (never a
  ``bool``) from ``minimum`` to ``INT32_MAX``: every stored integer fits PostgreSQL
  ``integer``.
- ``parse_time(value: str) -> datetime``: an aware UTC datetime; raises ``ValueError``
  naming the value for any other shape or an impossible moment (Feb 30, hour 24, second 60,
  year 0000).
- ``is_time(value: object) -> bool``: :func:`parse_time` would succeed.
- ``is_note(value: object) -> bool``: text a person wrote for another to read (a request's
  note, the operator's answer): a ``str`` with something visible in it (not only spaces,
  zero-width or format characters) and no control character but newline and tab, no
  bidirectional override, embedding or isolate (U+202A-202E, U+2066-2069: they reorder
  what is shown), no surrogate or noncharacter.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

__all__ = [
    "APPLE_DATA_TYPE_RE",
    "APPLE_PURPOSE_RE",
    "APP_ID_RE",
    "DOMAIN_MAX",
    "DOMAIN_RE",
    "ID_RE",
    "INT32_MAX",
    "INT32_MIN",
    "LOCALE_MAX",
    "LOCALE_RE",
    "PLAY_ID_RE",
    "SHA256_RE",
    "TIME_RE",
    "TOKEN_MAX",
    "TOKEN_RE",
    "UUID_RE",
    "is_app_id",
    "is_domain",
    "is_id",
    "is_int32",
    "is_locale",
    "is_note",
    "is_sha256",
    "is_time",
    "is_token",
    "is_uuid",
    "parse_time",
]

# re.ASCII: no class below may ever take a non-ASCII character, whatever flags are added.
ID_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}", re.ASCII)
APP_ID_RE = ID_RE
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)
LOCALE_RE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}", re.ASCII)
LOCALE_MAX = 16
SHA256_RE = re.compile(r"[0-9a-f]{64}", re.ASCII)
TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", re.ASCII)
TOKEN_RE = re.compile(r"[A-Za-z0-9._~+/-]+=*", re.ASCII)
TOKEN_MAX = 4000
APPLE_DATA_TYPE_RE = re.compile(r"NSPrivacyCollectedDataType[A-Za-z]{1,64}", re.ASCII)
APPLE_PURPOSE_RE = re.compile(r"NSPrivacyCollectedDataTypePurpose[A-Za-z]{1,64}", re.ASCII)
PLAY_ID_RE = re.compile(r"PSL_[A-Z0-9_]{1,64}", re.ASCII)
DOMAIN_RE = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
                       r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)
DOMAIN_MAX = 253

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


def is_id(value: object) -> bool:
    return isinstance(value, str) and ID_RE.fullmatch(value) is not None


def is_app_id(value: object) -> bool:
    """An app id (``kz.jana_app``, up to 64 characters): the grammar every part checks."""
    return isinstance(value, str) and APP_ID_RE.fullmatch(value) is not None


def is_uuid(value: object) -> bool:
    return isinstance(value, str) and UUID_RE.fullmatch(value) is not None


def is_locale(value: object) -> bool:
    return (isinstance(value, str) and len(value) <= LOCALE_MAX
            and LOCALE_RE.fullmatch(value) is not None)


def is_sha256(value: object) -> bool:
    return isinstance(value, str) and SHA256_RE.fullmatch(value) is not None


def is_token(value: object) -> bool:
    return (isinstance(value, str) and len(value) <= TOKEN_MAX
            and TOKEN_RE.fullmatch(value) is not None)


def is_domain(value: object) -> bool:
    return (isinstance(value, str) and len(value) <= DOMAIN_MAX
            and DOMAIN_RE.fullmatch(value) is not None)


def is_int32(value: object, *, minimum: int = INT32_MIN) -> bool:
    # bool is an int subclass; a JSON true must never pass as a number.
    return (isinstance(value, int) and not isinstance(value, bool)
            and minimum <= value <= INT32_MAX)


def parse_time(value: str) -> datetime:
    """Parse ``YYYY-MM-DDTHH:MM:SSZ`` into an aware UTC datetime.

    Raises:
        ValueError: any other shape (non-ASCII digits, a trailing newline, an offset), or an
            impossible moment (month 13, Feb 30, hour 24, second 60, year 0000).
    """
    if not isinstance(value, str) or TIME_RE.fullmatch(value) is None:
        raise ValueError(f"{value!r} is not an RFC 3339 UTC time like 2025-11-01T00:00:00Z")
    try:
        # Slicing instead of strptime: this runs for every time in a manifest at launch.
        # The slices hold ASCII digits only (TIME_RE), so int() cannot read anything else.
        return datetime(int(value[0:4]), int(value[5:7]), int(value[8:10]), int(value[11:13]),
                        int(value[14:16]), int(value[17:19]), tzinfo=UTC)
    except ValueError:
        raise ValueError(f"{value!r} is not a valid date and time") from None


def is_time(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parse_time(value)
    except ValueError:
        return False
    return True


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_note(value: object) -> bool:
    if not isinstance(value, str):
        return False
    visible = False
    for ch in value:
        cat = unicodedata.category(ch)
        if (cat == "Cc" and ch not in "\n\t") or cat in ("Cs", "Co", "Cn") or \
                ch in _BIDI_CONTROLS:
            return False
        if not visible and not ch.isspace() and cat not in ("Cf", "Zs", "Zl", "Zp", "Mn"):
            visible = True
    return visible
