"""Console sessions kept on the server, and the device cookie of a past sign-in.

The session cookie (Flask's, signed) holds only a random id; the ``admin_sessions`` row
(keyed by the id's SHA-256) says whose it is, until when, and whether it was revoked. So
sign-out, a password change, a role change or disabling a user ends the session on the
server: a copy of the cookie taken before is refused.

The device cookie (``kelisim_device``, signed, 180 days) holds a random id of its own and
names, as hashes, the accounts that signed in from this browser, each with the account's
``session_generation`` then; it exempts the browser from the account-wide sign-in limit,
so that failures from elsewhere cannot lock the owner out, until its own failures reach
DEVICE_FAILURES or the account's generation moves on (a password change or reset,
disabling, a role change) (server/admin/security.py, docs/security.md).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, request, session
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from client_sdk.protocol.timeutil import format_time
from server.admin.models import AdminSession, AdminUser
from server.admin.security import Device

__all__ = ["DEVICE_COOKIE", "LAST_SEEN_EVERY", "device", "load", "remember_device",
           "revoke", "revoke_all", "start"]

DEVICE_COOKIE = "kelisim_device"
DEVICE_DAYS = 180
_DEVICE_ACCOUNTS = 8  # accounts remembered per browser
# last_seen_at is written at most this often per session (a write per page would queue
# every page view behind ingest on SQLite).
LAST_SEEN_EVERY = timedelta(minutes=1)
KEEP_ENDED = timedelta(days=30)


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def start(s: Session, user: AdminUser, now: datetime, hours: int, ip: str) -> str:
    """A new session for ``user``; returns the id that goes into the cookie."""
    sid = secrets.token_urlsafe(32)
    stamp = format_time(now)
    # Sessions ended long ago are of no use (the audit log keeps sign-ins and sign-outs).
    old = format_time(now - KEEP_ENDED)
    s.execute(delete(AdminSession).where(or_(AdminSession.expires_at < old,
                                             AdminSession.revoked_at < old)))
    s.add(AdminSession(id=_digest(sid), user_id=user.id, created_at=stamp, last_seen_at=stamp,
                       expires_at=format_time(now + timedelta(hours=hours)),
                       revoked_at=None, ip=ip[:64]))
    return sid


def load(s: Session, sid: Any, now: datetime) -> tuple[AdminUser, AdminSession] | None:
    """The user and session row of cookie id ``sid`` when the session is live (not
    revoked, not expired) and the user enabled; else None."""
    if not isinstance(sid, str) or not 20 <= len(sid) <= 100:
        return None
    row = s.get(AdminSession, _digest(sid))
    if row is None or row.revoked_at is not None or row.expires_at <= format_time(now):
        return None
    user = s.get(AdminUser, row.user_id)
    if user is None or user.disabled:
        return None
    return user, row


def revoke(s: Session, sid: Any, now: datetime) -> None:
    """End the session of cookie id ``sid`` (sign-out)."""
    if isinstance(sid, str):
        s.execute(update(AdminSession).where(AdminSession.id == _digest(sid),
                                             AdminSession.revoked_at.is_(None))
                  .values(revoked_at=format_time(now)))


def revoke_all(s: Session, user_id: int, now: datetime) -> int:
    """End every session of the user (password, role or state changed); how many."""
    result = s.execute(update(AdminSession).where(AdminSession.user_id == user_id,
                                                  AdminSession.revoked_at.is_(None))
                       .values(revoked_at=format_time(now)))
    return int(getattr(result, "rowcount", 0) or 0)


def touch(s: Session, session_id: str, now: datetime) -> None:
    s.execute(update(AdminSession).where(AdminSession.id == session_id)
              .values(last_seen_at=format_time(now)))


def live(s: Session, user_id: int, now: datetime) -> list[AdminSession]:
    return list(s.scalars(select(AdminSession).where(
        AdminSession.user_id == user_id, AdminSession.revoked_at.is_(None),
        AdminSession.expires_at > format_time(now))))


# -- the device cookie ----------------------------------------------------------------------
def _serializer() -> URLSafeTimedSerializer:
    keys = [*current_app.config.get("SECRET_KEY_FALLBACKS", []),
            current_app.config["SECRET_KEY"]]
    return URLSafeTimedSerializer(keys, salt="kelisim.admin.device")


def _account(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def _cookie() -> tuple[str | None, dict[str, int]]:
    """The device cookie's id and {account hash: generation}; (None, {}) when there is no
    valid one (cookies of the earlier format, a bare list, count as none)."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None, {}
    try:
        value = _serializer().loads(raw, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return None, {}
    if not isinstance(value, dict) or not isinstance(value.get("d"), str) \
            or not isinstance(value.get("a"), dict):
        return None, {}
    accounts = {a: n for a, n in value["a"].items()
                if isinstance(a, str) and isinstance(n, int) and not isinstance(n, bool)}
    return value["d"][:32], accounts


def device(email: str) -> Device | None:
    """This browser's device cookie as it concerns ``email`` (None: no valid cookie)."""
    device_id, accounts = _cookie()
    if device_id is None:
        return None
    return Device(device_id, accounts.get(_account(email)))


def remember_device(resp: Any, email: str, generation: int, secure: bool) -> None:
    """Set the device cookie on ``resp`` after a sign-in of ``email`` (or its password
    change), naming the account at ``generation``; the browser keeps its device id."""
    device_id, accounts = _cookie()
    mine = _account(email)
    kept = [(a, n) for a, n in accounts.items() if a != mine][:_DEVICE_ACCOUNTS - 1]
    value = {"d": device_id or secrets.token_hex(16), "a": dict([(mine, generation), *kept])}
    resp.set_cookie(DEVICE_COOKIE, _serializer().dumps(value),
                    max_age=DEVICE_DAYS * 86400, path="/admin", secure=secure,
                    httponly=True, samesite="Lax")


def current_sid() -> Any:
    return session.get("sid")
