"""Console sessions kept on the server, and the device cookie of a past sign-in.

The session cookie (Flask's, signed) holds only a random id; the ``admin_sessions`` row
(keyed by the id's SHA-256) says whose it is, until when, and whether it was revoked. So
sign-out, a password change, a role change or disabling a user ends the session on the
server: a copy of the cookie taken before is refused.

The device cookie (``kelisim_device``, signed, 180 days) names, as hashes, the accounts
that signed in from this browser; it exempts the browser from the account-wide sign-in
limit, so that failures from elsewhere cannot lock the owner out (docs/security.md).
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

__all__ = ["DEVICE_COOKIE", "LAST_SEEN_EVERY", "device_trusts", "load", "remember_device",
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


def _accounts() -> list[str]:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        value = _serializer().loads(raw, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return []
    return [a for a in value if isinstance(a, str)] if isinstance(value, list) else []


def device_trusts(email: str) -> bool:
    """Whether this browser's device cookie names ``email`` (a past sign-in here)."""
    return _account(email) in _accounts()


def remember_device(resp: Any, email: str, secure: bool) -> None:
    """Set the device cookie on ``resp`` after a sign-in of ``email``."""
    accounts = [a for a in _accounts() if a != _account(email)]
    accounts = [_account(email), *accounts][:_DEVICE_ACCOUNTS]
    resp.set_cookie(DEVICE_COOKIE, _serializer().dumps(accounts),
                    max_age=DEVICE_DAYS * 86400, path="/admin", secure=secure,
                    httponly=True, samesite="Lax")


def current_sid() -> Any:
    return session.get("sid")
