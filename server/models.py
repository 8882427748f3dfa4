"""Database tables (SQLAlchemy 2). Alembic migrations in server/migrations create them.

Times are stored as RFC 3339 UTC strings: they sort as text and read the same on SQLite
and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["App", "Base", "Document", "Generation", "PolicyVersion", "RootVersion",
           "SignedManifest"]


class Base(DeclarativeBase):
    pass


class RootVersion(Base):
    """One signed root. The newest is the one in force."""

    __tablename__ = "root_versions"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    envelope: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    expires: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[str] = mapped_column(String(20), nullable=False)


class App(Base):
    __tablename__ = "apps"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    default_locale: Mapped[str] = mapped_column(String(16), nullable=False)
    controller: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    # vendors, data_categories, permissions: what versions may refer to
    catalog: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[str] = mapped_column(String(20), nullable=False)


class PolicyVersion(Base):
    __tablename__ = "policy_versions"
    __table_args__ = (
        UniqueConstraint("app_id", "number", name="uq_policy_versions_app_number"),
        UniqueConstraint("app_id", "label", name="uq_policy_versions_app_label"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), nullable=False, index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    label: Mapped[str] = mapped_column(String(64), nullable=False)
    significance: Mapped[str] = mapped_column(String(8), nullable=False)
    effective: Mapped[str] = mapped_column(String(20), nullable=False)
    published: Mapped[str] = mapped_column(String(20), nullable=False)
    # The Version object exactly as the manifest carries it.
    body: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    override_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Document(Base):
    """A policy document, content-addressed and immutable."""

    __tablename__ = "documents"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    length: Mapped[int] = mapped_column(Integer, nullable=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[str] = mapped_column(String(20), nullable=False)


class SignedManifest(Base):
    """Every manifest ever signed; the highest seq per app is served.

    The primary key (app_id, seq) makes a concurrent re-sign by two workers safe: the
    second insert of the same seq fails instead of publishing two different payloads
    under one seq, which clients would rightly reject as an attack.
    """

    __tablename__ = "signed_manifests"
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    envelope: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    etag: Mapped[str] = mapped_column(String(80), nullable=False)
    issued: Mapped[str] = mapped_column(String(20), nullable=False)
    expires: Mapped[str] = mapped_column(String(20), nullable=False)
    # When this manifest must be replaced although nobody published: an upcoming
    # version's effective time, or the re-sign point before expiry.
    refresh_at: Mapped[str] = mapped_column(String(20), nullable=False)


class Generation(Base):
    """A single counter bumped by every change to what is served; workers poll it."""

    __tablename__ = "generation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(Integer, nullable=False)
