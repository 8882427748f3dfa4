"""Console tables: users, their sessions, sign-in attempts, drafts, per-app console settings.

They live on the server's one SQLAlchemy ``Base`` so Alembic (migrations 0005, 0007, 0010, 0011) and
the models-match-migrations test see them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base

__all__ = ["ATTEMPT_OUTCOMES", "ROLES", "AdminSession", "AdminUser", "AppSettings", "Draft",
           "LoginAttempt", "PasswordHistory", "RollupCount", "RollupHead", "RollupPurpose",
           "app_deadline_days"]

ROLES = ("owner", "publisher", "responder", "auditor", "viewer")


class AdminUser(Base):
    __tablename__ = "admin_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    # A password someone else chose (CLI, owner reset) must be replaced at first sign-in.
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # Bumped on password change, role change or disabling (the sessions are revoked too).
    session_generation: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[str] = mapped_column(String(20), nullable=False)
    last_login_at: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # The IANA zone the console shows this user's times in; None: the app's country's.
    time_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)


# pending: the password is being checked (counted, so parallel attempts cannot pass the
# limit); failed: counted; ok: a sign-in; cleared: a failure before a sign-in from the same
# address (no longer counted, kept); dropped: never checked (no free password check).
ATTEMPT_OUTCOMES = ("pending", "failed", "ok", "cleared", "dropped")


class LoginAttempt(Base):
    """Sign-in attempts, counted per account, per account and address, and per address
    over a window (shared by workers). Each is taken before its password is checked."""

    __tablename__ = "admin_login_failures"
    __table_args__ = (Index("ix_admin_login_failures_email_at", "email", "at"),
                      Index("ix_admin_login_failures_ip_at", "ip", "at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[str] = mapped_column(String(20), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    ip: Mapped[str] = mapped_column(String(64), nullable=False)
    outcome: Mapped[str] = mapped_column(String(8), nullable=False, server_default="failed")
    # The device cookie's random id the attempt came with (its failures are counted too).
    device: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)


class PasswordHistory(Base):
    """A user's previous password hashes (the last few, newest kept), so that a password
    change cannot put back one of them, the one-time password above all."""

    __tablename__ = "admin_password_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id"), nullable=False,
                                         index=True)
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    retired_at: Mapped[str] = mapped_column(String(20), nullable=False)


class AdminSession(Base):
    """A signed-in browser: its cookie holds the random id, the table its SHA-256, so a
    copy of the table signs nobody in. Sign-out, a password change, a role change or
    disabling the user set ``revoked_at``; the cookie is then refused."""

    __tablename__ = "admin_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id"), nullable=False,
                                         index=True)
    created_at: Mapped[str] = mapped_column(String(20), nullable=False)
    last_seen_at: Mapped[str] = mapped_column(String(20), nullable=False)
    expires_at: Mapped[str] = mapped_column(String(20), nullable=False)
    revoked_at: Mapped[str | None] = mapped_column(String(20), nullable=True)
    ip: Mapped[str] = mapped_column(String(64), nullable=False)


class Draft(Base):
    """A version being prepared in the console; published through the publish service."""

    __tablename__ = "admin_drafts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), nullable=False, index=True)
    # The version it started from (None: an upload or the app's first version).
    base_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # version.toml's fields, as the policy-as-code schema reads them.
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    # {locale tag: Markdown text}
    documents: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    # app.toml's fields when the draft changes app metadata, else None.
    app_meta: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    notes: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # open|published|discarded
    created_by: Mapped[str] = mapped_column(String(254), nullable=False)
    created_at: Mapped[str] = mapped_column(String(20), nullable=False)
    updated_at: Mapped[str] = mapped_column(String(20), nullable=False)
    published_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    published_by: Mapped[str | None] = mapped_column(String(254), nullable=True)
    published_at: Mapped[str | None] = mapped_column(String(20), nullable=True)


class AppSettings(Base):
    """Console settings per app: the data-subject request deadline."""

    __tablename__ = "admin_app_settings"
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), primary_key=True)
    request_deadline_days: Mapped[int] = mapped_column(Integer, nullable=False)


def app_deadline_days(session: Any, app_id: str, default: int) -> int:
    """The app's deadline for answering a request (its console setting), else ``default``
    (the server's ``request_deadline_days``). The one reading of it: the console's app page
    shows it, and the sync API fixes each request's deadline from it."""
    row = session.get(AppSettings, app_id)
    return int(row.request_deadline_days) if row else default


class RollupHead(Base):
    """The newest consent record (seq) of each app counted in the roll-ups (rollup.py)."""

    __tablename__ = "admin_rollup_heads"
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)


class RollupCount(Base):
    """Records per app, day (server time), version, locale ('' when none) and action."""

    __tablename__ = "admin_rollup_counts"
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    locale: Mapped[str] = mapped_column(String(16), primary_key=True)
    action: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, nullable=False)


class RollupPurpose(Base):
    """Accept and update records granting and refusing a purpose, per app, day, version,
    locale and action (migration 0009: counted apart since the opt-in rate is per version)."""

    __tablename__ = "admin_rollup_purposes"
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    locale: Mapped[str] = mapped_column(String(16), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(64), primary_key=True)
    action: Mapped[str] = mapped_column(String(16), primary_key=True)
    granted: Mapped[int] = mapped_column(Integer, nullable=False)
    refused: Mapped[int] = mapped_column(Integer, nullable=False)
