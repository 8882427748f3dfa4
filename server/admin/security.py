"""Passwords (Argon2id), sign-in throttling, the signed-in user and role checks.

A sign-in is three steps, so that no database lock is held while Argon2 runs (it takes
tens of milliseconds and ~64 MiB): (1) a short transaction takes the attempt against the
limits (counted with the attempts still being checked, under a lock, so parallel attempts
cannot pass a limit) and reads the user; (2) the password is checked outside any
transaction, at most ``ADMIN_PASSWORD_CHECKS`` at once per process; (3) a short transaction
writes the outcome and its audit event. docs/security.md states the limits.
"""

from __future__ import annotations

import functools
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import abort, current_app, g, has_app_context, redirect, request, url_for
from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from client_sdk.protocol.timeutil import format_time
from server.admin.models import ROLES, AdminUser, LoginAttempt, PasswordHistory
from server.adminlog import record
from server.config import Settings
from server.context import kelisim
from server.db import Database
from server.http.ratelimit import parse_limit

__all__ = ["ACCESS", "DEVICE_FAILURES", "PASSWORD_HISTORY", "Device", "PasswordChecks",
           "PasswordChecksBusy", "Throttled", "allowed", "authenticate", "hash_password",
           "new_password", "now", "previous_hashes", "requires", "retire_password", "reuses",
           "verify_password"]

F = TypeVar("F", bound=Callable[..., Any])

_hasher = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106 low-memory profile
# Verified when the e-mail is unknown, so both answers take as long: a hash of a random
# password nobody kept, made once with _hasher's parameters (verifying costs what the
# parameters in the hash say). Written out, not computed at import: hashing it cost every
# `kelisim` command and server worker ~0.1-0.3 s of start-up. tests/test_admin_auth.py
# fails when _hasher's parameters leave it behind.
_DUMMY_HASH = ("$argon2id$v=19$m=65536,t=3,p=4$GgZNzYaqCOvZlSVNuqOYUw"
               "$A+wvXfsJFTfuSEVJMM1RCrrksVtToXdNPl3OTGTUnHw")

# Which roles may use each area. The owner may do everything.
ACCESS: dict[str, frozenset[str]] = {
    "view": frozenset(ROLES),                                 # apps, dashboard, consent log
    "publish": frozenset({"owner", "publisher"}),             # drafts, publishing
    "requests": frozenset({"owner", "responder"}),            # data-subject requests
    # The transparency logs' private parts: proof files (a leaf's salt) and entry bundles.
    "audit": frozenset({"owner", "auditor"}),
    "owner": frozenset({"owner"}),                            # users, keys, settings, audit log
}

# Attempts that count against the limits: still being checked, or failed.
_COUNTED = ("pending", "failed")
_KEEP_ATTEMPTS = timedelta(days=2)
# Previous passwords a new one may not equal (the one-time password among them).
PASSWORD_HISTORY = 5
# Failures with one device cookie (within the account-wide window) that end its trust.
DEVICE_FAILURES = 5
_DEVICE_WINDOW = 3600  # when ADMIN_LOGIN_LIMIT_ACCOUNT is off


def now() -> datetime:
    return kelisim().now()


class PasswordChecksBusy(Exception):
    """No password check could start in time: every slot of this process is taken."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many sign-ins at once; try again in {retry_after} s")
        self.retry_after = retry_after


class PasswordChecks:
    """The process's Argon2 work, at most ``limit`` at once (each takes ~64 MiB): a caller
    that cannot start one within ``wait`` seconds gets :class:`PasswordChecksBusy`.
    ``hasher`` is argon2-cffi's; tests give one that tells when it runs."""

    def __init__(self, limit: int, wait: float, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or _hasher
        self.wait = wait
        self._slots = threading.BoundedSemaphore(limit)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Raises: PasswordChecksBusy: no slot within ``wait`` seconds."""
        if not self._slots.acquire(timeout=self.wait):
            raise PasswordChecksBusy(max(1, round(self.wait)))
        try:
            yield
        finally:
            self._slots.release()

    def verify(self, stored: str, password: str) -> bool:
        """Whether ``password`` matches ``stored`` (call inside :meth:`slot`)."""
        return _verify(self.hasher, stored, password)

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)


def _verify(hasher: PasswordHasher, stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _checks() -> PasswordChecks | None:
    if not has_app_context():
        return None
    state = current_app.extensions.get("kelisim.admin")
    return state.checks if state is not None else None


def hash_password(password: str) -> str:
    """An Argon2id hash; inside the app, in one of the process's password-check slots.

    Raises:
        PasswordChecksBusy: in the app, no slot free in time.
    """
    checks = _checks()
    if checks is None:
        return _hasher.hash(password)
    with checks.slot():
        return checks.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored``, as :func:`hash_password` bounds it.

    Raises:
        PasswordChecksBusy: in the app, no slot free in time.
    """
    checks = _checks()
    if checks is None:
        return _verify(_hasher, stored, password)
    with checks.slot():
        return checks.verify(stored, password)


def reuses(hashes: Sequence[str], password: str) -> bool:
    """Whether ``password`` matches any of ``hashes`` (the current and previous ones); all
    checked in one password-check slot, outside any transaction (Argon2 each).

    Raises:
        PasswordChecksBusy: in the app, no slot free in time.
    """
    checks = _checks()
    if checks is None:
        return any(_verify(_hasher, h, password) for h in hashes)
    with checks.slot():
        # Every hash is checked, so the answer's time does not say which one matched.
        return sum(checks.verify(h, password) for h in hashes) > 0


def previous_hashes(s: Session, user_id: int) -> list[str]:
    """The user's previous password hashes, newest first (at most PASSWORD_HISTORY)."""
    return list(s.scalars(select(PasswordHistory.password_hash).where(
        PasswordHistory.user_id == user_id).order_by(PasswordHistory.id.desc())
        .limit(PASSWORD_HISTORY)))


def retire_password(s: Session, user: AdminUser, new_hash: str, when: datetime) -> None:
    """Give ``user`` the password ``new_hash``: the current one joins the history (the last
    PASSWORD_HISTORY are kept). The caller bumps ``session_generation``, which ends the
    account's sessions and its device trust."""
    s.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash,
                          retired_at=format_time(when)))
    s.flush()
    keep = select(PasswordHistory.id).where(PasswordHistory.user_id == user.id).order_by(
        PasswordHistory.id.desc()).limit(PASSWORD_HISTORY)
    s.execute(delete(PasswordHistory).where(PasswordHistory.user_id == user.id,
                                            PasswordHistory.id.not_in(
                                                [i for i in s.scalars(keep)])))
    user.password_hash = new_hash


def new_password() -> str:
    """A one-time password: 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


class Throttled(Exception):
    """Too many failed sign-ins for this account or from this address."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class _Stored:
    id: int
    password_hash: str
    disabled: bool
    generation: int


def _lock(s: Session, keys: list[str]) -> None:
    # SQLite: the session's BEGIN IMMEDIATE already made this transaction the only writer.
    # PostgreSQL: count-then-insert must not interleave with another worker's for the same
    # account or address (LOCK_TIMEOUT bounds the wait); sorted, so no two sign-ins wait
    # for each other's locks.
    if s.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(keys):
        s.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 7))"), {"k": key})


@dataclass(frozen=True)
class Device:
    """What the browser's device cookie (server/admin/sessions.py) says: its random ``id``
    and the ``generation`` (``session_generation``) of the account at its last sign-in
    here, None when the cookie does not name the account."""

    id: str
    generation: int | None


def _counted(s: Session, where: Any, since: datetime) -> int:
    return int(s.scalar(select(func.count()).select_from(LoginAttempt).where(
        *where, LoginAttempt.at > format_time(since), LoginAttempt.outcome.in_(_COUNTED)))
        or 0)


def _trusted(s: Session, device: Device | None, user: _Stored | None, when: datetime,
             settings: Settings) -> bool:
    """Whether the device cookie still exempts this attempt from the account-wide limit:
    it names the account at its current generation (no password change or reset, no
    disabling since), and fewer than DEVICE_FAILURES attempts with it failed within the
    account-wide window (OWASP's device cookies: a cookie with too many failures is
    locked out like any browser)."""
    if device is None or user is None or user.disabled \
            or device.generation != user.generation:
        return False
    limit = parse_limit(settings.limit("ADMIN_LOGIN_LIMIT_ACCOUNT"),
                        "ADMIN_LOGIN_LIMIT_ACCOUNT")
    window = limit.window if limit is not None else _DEVICE_WINDOW
    return _counted(s, (LoginAttempt.device == device.id,),
                    when - timedelta(seconds=window)) < DEVICE_FAILURES


def _take(s: Session, email: str, ip: str, when: datetime, settings: Settings,
          device: Device | None, user: _Stored | None) -> int:
    """Count the attempt against every limit and record it as pending; its row id.

    Raises:
        Throttled: a limit is reached; nothing is recorded.
    """
    rules = [("ADMIN_LOGIN_LIMIT_PAIR", (LoginAttempt.email == email, LoginAttempt.ip == ip)),
             ("ADMIN_LOGIN_LIMIT_IP", (LoginAttempt.ip == ip,))]
    # A device this account signed in from before is exempt, while it keeps its trust.
    if not _trusted(s, device, user, when, settings):
        rules.append(("ADMIN_LOGIN_LIMIT_ACCOUNT", (LoginAttempt.email == email,)))
    for key, where in rules:
        limit = parse_limit(settings.limit(key), key)
        if limit is None:
            continue
        if _counted(s, where, when - timedelta(seconds=limit.window)) >= limit.count:
            raise Throttled(limit.window)
    attempt = LoginAttempt(at=format_time(when), email=email, ip=ip, outcome="pending",
                           device=device.id if device is not None else None)
    s.add(attempt)
    s.flush()
    return attempt.id


def authenticate(db: Database, checks: PasswordChecks, email: str, password: str, ip: str,
                 clock: Callable[[], datetime], settings: Settings, *,
                 device: Device | None = None) -> AdminUser | None:
    """The active user with this e-mail and password, else None.

    The attempt is taken before the password is checked; every checked attempt leaves
    an audit event (``console.sign_in`` or ``console.sign_in_failed``). Failed attempts
    are kept in the database, so every worker counts the same ones; a sign-in clears
    (keeps, stops counting) the failures of its account from its address.
    ``device``: the browser's device cookie; while it names this account at its current
    generation and has fewer than DEVICE_FAILURES recent failures, it exempts the attempt
    from the account-wide limit (never from the per-address ones). A sign-in also stops
    counting the failures made with it.

    Raises:
        Throttled: a limit is reached; the password is not checked.
        PasswordChecksBusy: no password check could start in time (the attempt is not
            counted).
        DatabaseUnavailable, DatabaseBusy: from the database.
    """
    with db.session() as s:
        _lock(s, [f"account:{email}", f"ip:{ip}",
                  *([f"device:{device.id}"] if device is not None else [])])
        row = s.execute(select(AdminUser.id, AdminUser.password_hash, AdminUser.disabled,
                               AdminUser.session_generation)
                        .where(AdminUser.email == email)).first()
        user = (_Stored(row.id, row.password_hash, row.disabled, row.session_generation)
                if row else None)
        attempt = _take(s, email, ip, clock(), settings, device, user)
    # No transaction is open here: Argon2 holds no lock another sign-in or ingest needs.
    rehashed = None
    try:
        with checks.slot():
            ok = checks.verify(user.password_hash if user else _DUMMY_HASH, password)
            if ok and user is not None and checks.needs_rehash(user.password_hash):
                rehashed = checks.hash(password)
    except PasswordChecksBusy:
        with db.session() as s:
            s.execute(update(LoginAttempt).where(LoginAttempt.id == attempt)
                      .values(outcome="dropped"))
        raise
    when = clock()
    with db.session() as s:
        current = s.get(AdminUser, user.id) if user is not None else None
        # The password checked must still be the account's (not changed meanwhile).
        good = (ok and user is not None and current is not None and not current.disabled
                and current.password_hash == user.password_hash)
        if not good or current is None:
            s.execute(update(LoginAttempt).where(LoginAttempt.id == attempt)
                      .values(outcome="failed"))
            reason = ("unknown_account" if current is None
                      else "disabled" if current.disabled else "wrong_password")
            record(s, "anonymous", "console.sign_in_failed", f"user/{email}"[:200],
                   {"ip": ip, "reason": reason}, when)
            return None
        s.execute(update(LoginAttempt).where(LoginAttempt.id == attempt)
                  .values(outcome="ok"))
        # Attempts older than any window (a limit's window is a day at most) count for
        # nothing; the audit log keeps each checked one.
        s.execute(delete(LoginAttempt).where(
            LoginAttempt.at < format_time(when - _KEEP_ATTEMPTS)))
        same = LoginAttempt.ip == ip
        if device is not None:
            same = or_(same, LoginAttempt.device == device.id)
        s.execute(update(LoginAttempt).where(
            LoginAttempt.email == email, same,
            LoginAttempt.outcome == "failed").values(outcome="cleared"))
        if rehashed is not None:
            current.password_hash = rehashed
        current.last_login_at = format_time(when)
        record(s, current.email, "console.sign_in", f"user/{current.email}", {"ip": ip},
               when)
        return current


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
