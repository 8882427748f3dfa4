"""Passwords (Argon2id), sign-in throttling, the signed-in user and role checks."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import abort, g, redirect, request, session, url_for
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from client_sdk.protocol.timeutil import format_time
from server.admin.models import ROLES, AdminUser, LoginAttempt
from server.config import Settings
from server.context import kelisim
from server.http.ratelimit import parse_limit

__all__ = ["ACCESS", "allowed", "authenticate", "hash_password", "new_password", "now",
           "requires", "verify_password"]

F = TypeVar("F", bound=Callable[..., Any])

_hasher = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106 low-memory profile
# Verified when the e-mail is unknown, so both answers take as long.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))

# Which roles may use each area. The owner may do everything.
ACCESS: dict[str, frozenset[str]] = {
    "view": frozenset(ROLES),                                 # apps, dashboard, consent log
    "publish": frozenset({"owner", "publisher"}),             # drafts, publishing
    "requests": frozenset({"owner", "responder"}),            # data-subject requests
    "owner": frozenset({"owner"}),                            # users, keys, settings, audit log
}


def now() -> datetime:
    return kelisim().now()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_password() -> str:
    """A one-time password: 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


class Throttled(Exception):
    """Too many failed sign-ins for this account or from this address."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after} s")
        self.retry_after = retry_after


def _failures(s: Session, column: Any, value: str, since: str) -> int:
    return int(s.scalar(select(func.count()).select_from(LoginAttempt)
                        .where(column == value, LoginAttempt.at > since)) or 0)


def authenticate(s: Session, email: str, password: str, ip: str, when: datetime,
                 settings: Settings) -> AdminUser | None:
    """The active user with this e-mail and password, else None (the failure is counted).

    Failed attempts are kept in the database, so every worker counts the same ones.

    Raises:
        Throttled: the account or the address is over its limit of failed attempts; the
            password is not even checked.
    """
    stamp = format_time(when)
    for key, column, value in (("ADMIN_LOGIN_LIMIT_ACCOUNT", LoginAttempt.email, email),
                               ("ADMIN_LOGIN_LIMIT_IP", LoginAttempt.ip, ip)):
        limit = parse_limit(settings.limit(key), key)
        if limit is None:
            continue
        since = format_time(when - timedelta(seconds=limit.window))
        if _failures(s, column, value, since) >= limit.count:
            raise Throttled(limit.window)
    user = s.scalars(select(AdminUser).where(AdminUser.email == email)).first()
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or user.disabled:
        s.add(LoginAttempt(at=stamp, email=email, ip=ip))
        return None
    s.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = stamp
    return user


def allowed(area: str, role: str | None = None) -> bool:
    user = g.get("admin_user")
    return (role or (user.role if user else "")) in ACCESS[area]


def requires(area: str) -> Callable[[F], F]:
    """Let the view run only for a signed-in user whose role may use ``area``."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = g.get("admin_user")
            if user is None:
                return redirect(url_for("admin.auth.login", next=request.full_path))
            if user.must_change_password and request.endpoint != "admin.auth.password":
                return redirect(url_for("admin.auth.password"))
            if user.role not in ACCESS[area]:
                abort(403)
            return fn(*args, **kwargs)

        wrapper.admin_area = area  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def load_user(s: Session) -> AdminUser | None:
    """The signed-in user of this request's session, if still valid."""
    uid, gen = session.get("uid"), session.get("gen")
    if not isinstance(uid, int) or not isinstance(gen, int):
        return None
    user = s.get(AdminUser, uid)
    if user is None or user.disabled or user.session_generation != gen:
        return None
    return user
