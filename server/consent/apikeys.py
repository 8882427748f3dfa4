"""API keys of the operator's backend: created, listed, rotated and revoked by an owner
(console or CLI), each for one app, with a name and scopes; found again by the key a
request presents.

A key reads ``kls_live_<key_id>_<secret>``: ``key_id`` (12 hex digits) is public and
identifies the key in lists and the audit log; the secret is 256 random bits. Only the
SHA-256 of the whole key is stored, and a key is found by that hash (a unique index). A
fast hash is right here and a password hash (Argon2) is not: nobody can guess a preimage
of 256 random bits, so slowing each guess buys nothing, while Argon2 would cost every API
call tens of milliseconds of CPU (an easy denial of service) and, salted, could not be
looked up by an index. The key is shown once, when it is created or rotated.

Every change is recorded in the admin audit log in the same transaction
(``apikey.create``, ``apikey.rotate``, ``apikey.revoke``, target ``<app>/<key_id>``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol.grammar import is_note
from client_sdk.protocol.timeutil import format_time
from server import adminlog
from server.errors import (
    ApiKeyRevoked,
    InvalidValue,
    KeyAlreadyCreated,
    UnknownApiKey,
    UnknownApp,
)
from server.models import ApiKey, App

__all__ = ["KEY_PREFIX", "NAME_MAX", "SCOPES", "TOUCH_EVERY", "check_name", "check_scopes",
           "create_key", "find_key", "key_hash", "list_keys", "revoke_key", "rotate_key",
           "touch"]

KEY_PREFIX: Final = "kls_live_"
# What a key may be allowed to do. subjects:link is for linking installs to subjects
# (issue 21 part 2); no endpoint takes it yet.
SCOPES: Final = ("consent:read", "requests:read", "requests:write", "subjects:link",
                  "webhooks:read", "webhooks:write")
NAME_MAX: Final = 100
# last_used_at is written at most this often per key (not a write per request).
TOUCH_EVERY: Final = timedelta(seconds=60)
_KEY_RE = re.compile(r"kls_live_([0-9a-f]{12})_[A-Za-z0-9_-]{43}")


def key_hash(key: str) -> str:
    """The stored form of a key: SHA-256 of its text, hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def check_name(name: object) -> str:
    """The name, stripped.

    Raises:
        InvalidValue: naming ``name``: empty, too long, or with control characters.
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidValue("name", "must say what the key is for")
    text = name.strip()
    if len(text) > NAME_MAX:
        raise InvalidValue("name", f"at most {NAME_MAX} characters")
    if "\n" in text or "\t" in text or not is_note(text):
        raise InvalidValue("name", "one line of readable text, without control or "
                                   "direction-changing characters")
    return text


def check_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes, sorted and once each.

    Raises:
        InvalidValue: naming ``scopes``: none, or one that is not in :data:`SCOPES`.
    """
    given = sorted(set(scopes))
    if not given:
        raise InvalidValue("scopes", f"at least one of {', '.join(SCOPES)}")
    unknown = [s for s in given if s not in SCOPES]
    if unknown:
        raise InvalidValue("scopes", f"unknown scope {unknown[0]!r}; one of "
                                     f"{', '.join(SCOPES)}")
    return given


def _new_secret(session: Session) -> tuple[str, str]:
    """A new (key_id, key) whose key_id no stored key has."""
    while True:
        key_id = secrets.token_hex(6)
        if session.scalars(select(ApiKey.id).where(ApiKey.key_id == key_id)).first() is None:
            return key_id, f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"


def _add(session: Session, app_id: str, name: str, scopes: list[str], actor: str,
         now: datetime, nonce: str | None = None) -> tuple[ApiKey, str]:
    key_id, key = _new_secret(session)
    row = ApiKey(app_id=app_id, key_id=key_id, key_hash=key_hash(key), name=name,
                 scopes=scopes, created_at=format_time(now), created_by=actor,
                 form_nonce=nonce)
    session.add(row)
    session.flush()
    return row, key


def create_key(session: Session, app_id: str, name: str, scopes: Iterable[str], actor: str,
               now: datetime, *, nonce: str | None = None) -> tuple[ApiKey, str]:
    """A new key of ``app_id``: its row and the key itself (shown once, never stored).
    ``nonce``: the console form's one-time nonce, stored with the key (unique per app).

    Raises:
        InvalidValue: a bad ``name`` or ``scopes``.
        UnknownApp: no such app.
        KeyAlreadyCreated: a key was made with this ``nonce`` before (a re-sent form).
    """
    clean_name, clean_scopes = check_name(name), check_scopes(scopes)
    if session.get(App, app_id) is None:
        raise UnknownApp(app_id)
    if nonce is not None:
        before = session.scalars(select(ApiKey.key_id).where(
            ApiKey.app_id == app_id, ApiKey.form_nonce == nonce)).first()
        if before is not None:
            raise KeyAlreadyCreated(before)
    row, key = _add(session, app_id, clean_name, clean_scopes, actor, now, nonce)
    adminlog.record(session, actor, "apikey.create", f"{app_id}/{row.key_id}",
                    {"name": row.name, "scopes": row.scopes}, now)
    return row, key


def list_keys(session: Session, app_id: str) -> list[ApiKey]:
    """The app's keys, the ones in use first, newest first.

    Raises:
        UnknownApp: no such app.
    """
    if session.get(App, app_id) is None:
        raise UnknownApp(app_id)
    rows = session.scalars(select(ApiKey).where(ApiKey.app_id == app_id)
                           .order_by(ApiKey.id.desc()))
    return sorted(rows, key=lambda r: r.revoked_at is not None)


def _live(session: Session, app_id: str, key_id: str) -> ApiKey:
    if session.get(App, app_id) is None:
        raise UnknownApp(app_id)
    row = session.scalars(select(ApiKey).where(ApiKey.app_id == app_id,
                                               ApiKey.key_id == key_id)
                          .with_for_update()).first()
    if row is None:
        raise UnknownApiKey(app_id, key_id)
    if row.revoked_at is not None:
        raise ApiKeyRevoked(key_id, row.revoked_at)
    return row


def rotate_key(session: Session, app_id: str, key_id: str, actor: str,
               now: datetime) -> tuple[ApiKey, str]:
    """Replace a key by a new one of the same name and scopes: the old key is refused
    from now on. Returns the new row and key (shown once).

    Raises:
        UnknownApp, UnknownApiKey: no such app or key of it.
        ApiKeyRevoked: the key was revoked (or rotated) before.
    """
    old = _live(session, app_id, key_id)
    row, key = _add(session, app_id, old.name, list(old.scopes), actor, now)
    old.revoked_at = format_time(now)
    old.replaced_by = row.key_id
    adminlog.record(session, actor, "apikey.rotate", f"{app_id}/{key_id}",
                    {"name": old.name, "scopes": old.scopes, "new_key_id": row.key_id}, now)
    return row, key


def revoke_key(session: Session, app_id: str, key_id: str, actor: str,
               now: datetime) -> ApiKey:
    """Refuse the key from now on.

    Raises:
        UnknownApp, UnknownApiKey: no such app or key of it.
        ApiKeyRevoked: the key was revoked (or rotated) before.
    """
    row = _live(session, app_id, key_id)
    row.revoked_at = format_time(now)
    adminlog.record(session, actor, "apikey.revoke", f"{app_id}/{key_id}",
                    {"name": row.name, "scopes": row.scopes}, now)
    return row


def find_key(session: Session, key: str) -> ApiKey | None:
    """The stored key ``key`` is (revoked ones too: the caller says why it refuses), or
    None for anything that is not a key this server made."""
    if not _KEY_RE.fullmatch(key):
        return None
    return session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash(key))).first()


def touch(session: Session, row_id: int, now: datetime) -> None:
    """Record a use of the key: ``last_used_at``, written when older than
    :data:`TOUCH_EVERY`."""
    row = session.get(ApiKey, row_id)
    stamp = format_time(now)
    if row is not None and (row.last_used_at is None
                            or row.last_used_at <= format_time(now - TOUCH_EVERY)):
        row.last_used_at = stamp
