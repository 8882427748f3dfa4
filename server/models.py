"""Database tables (SQLAlchemy 2). Alembic migrations in server/migrations create them.

Times are stored as RFC 3339 UTC strings: they sort as text and read the same on SQLite
and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AdminEvent",
    "ApiKey",
    "App",
    "Base",
    "ChainHead",
    "ConsentRecord",
    "DeletionRequest",
    "Document",
    "Generation",
    "Install",
    "InstallLink",
    "LinkToken",
    "PolicyVersion",
    "Receipt",
    "RootVersion",
    "SignedManifest",
    "Subject",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]


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
    # The app metadata (name, default locale, controller, catalog) this version was
    # published with; None for versions published before metadata went through publishing.
    app_meta: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


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


class Install(Base):
    """An app installation; it holds an install token and may read only its own records."""

    __tablename__ = "installs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), nullable=False, index=True)
    created_at: Mapped[str] = mapped_column(String(20), nullable=False)
    # Bumped by every token renewal: a token of an older generation is revoked.
    token_generation: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")


class ChainHead(Base):
    """The newest link of an app's consent-record chain; locked while appending."""

    __tablename__ = "chain_heads"
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    head_hash: Mapped[str] = mapped_column(String(64), nullable=False)


class ConsentRecord(Base):
    """A consent record as received: append-only and hash-chained per app."""

    __tablename__ = "consent_records"
    __table_args__ = (
        UniqueConstraint("app_id", "record_id", name="uq_consent_records_app_record"),
        UniqueConstraint("app_id", "seq", name="uq_consent_records_app_seq"),
        # An install's history is read a page at a time in seq order.
        Index("ix_consent_records_install_seq", "install_id", "seq"),
    )
    row_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    record_id: Mapped[str] = mapped_column(String(36), nullable=False)
    install_id: Mapped[str] = mapped_column(ForeignKey("installs.id"), nullable=False,
                                            index=True)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    document_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    locale: Mapped[str | None] = mapped_column(String(16), nullable=True)
    purposes: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    age_confirmed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    guardian: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    client_time: Mapped[str] = mapped_column(String(20), nullable=False)
    server_time: Mapped[str] = mapped_column(String(20), nullable=False)
    manifest_seq: Mapped[int] = mapped_column(Integer, nullable=False)
    # sha256 of the record as the client sent it: a retry with other content is refused.
    body_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    row_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"), nullable=False)


class Receipt(Base):
    """One signed receipt; it covers every record of the batch that created it."""

    __tablename__ = "receipts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), nullable=False)
    envelope: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class DeletionRequest(Base):
    """A request of the data subject (access, rectification, blocking or deletion; the
    table's name is from when deletion was the only kind), with its signed receipt. A row
    of its app's hash chain, between consent records (``seq``, ``prev_hash``,
    ``row_hash`` over client_sdk.protocol.logentry.REQUEST_CHAINED), and so a leaf of its
    transparency log."""

    __tablename__ = "deletion_requests"
    __table_args__ = (
        UniqueConstraint("app_id", "request_id", name="uq_deletion_requests_app_request"),
        Index("ix_deletion_requests_install_row", "install_id", "row_id"),
        # The operator's queue: open requests by deadline.
        Index("ix_deletion_requests_status_deadline", "status", "deadline"),
        UniqueConstraint("app_id", "seq", name="uq_deletion_requests_app_seq"),
    )
    row_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), nullable=False)
    request_id: Mapped[str] = mapped_column(String(36), nullable=False)
    install_id: Mapped[str] = mapped_column(ForeignKey("installs.id"), nullable=False)
    client_time: Mapped[str] = mapped_column(String(20), nullable=False)
    server_time: Mapped[str] = mapped_column(String(20), nullable=False)
    body_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    # access | rectification | blocking | deletion (client_sdk.protocol.records.REQUEST_KINDS)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, server_default="deletion")
    note: Mapped[str | None] = mapped_column(Text, nullable=True)  # the user's
    # For a deletion: whether the user withdrew consent in the same step; else None.
    withdraw: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # Fixed when received (server/consent/deadlines.py) and signed in the receipt.
    deadline: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # open|resolved|refused
    # When and with what answer (the operator's note) it was resolved or refused.
    resolved_at: Mapped[str | None] = mapped_column(String(20), nullable=True)
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)
    receipt: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    row_hash: Mapped[str] = mapped_column(String(64), nullable=False)


class AdminEvent(Base):
    """One operator action (CLI or console) that changed state. Append-only: triggers
    created by migration 0006 refuse UPDATE and DELETE on both databases."""

    __tablename__ = "admin_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    actor: Mapped[str] = mapped_column(String(320), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    target: Mapped[str] = mapped_column(String(200), nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


class ApiKey(Base):
    """A key of the operator's backend for one app (server/consent/apikeys.py). Only the
    SHA-256 of the key is stored; ``key_id`` is the public part shown to identify it."""

    __tablename__ = "api_keys"
    __table_args__ = (
        UniqueConstraint("key_id", name="uq_api_keys_key_id"),
        UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
        Index("uq_api_keys_app_form_nonce", "app_id", "form_nonce", unique=True),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), nullable=False, index=True)
    key_id: Mapped[str] = mapped_column(String(16), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    scopes: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[str] = mapped_column(String(20), nullable=False)
    created_by: Mapped[str] = mapped_column(String(320), nullable=False)
    last_used_at: Mapped[str | None] = mapped_column(String(20), nullable=True)
    revoked_at: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # The key_id of the key a rotation made in its place.
    replaced_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The one-time nonce of the console form that created it: the same form sent again (a
    # browser reload) finds this key instead of making a second one.
    form_nonce: Mapped[str | None] = mapped_column(String(43), nullable=True)


class Subject(Base):
    """The operator's user, as a keyed hash of its user id (server/consent/subjects.py)."""

    __tablename__ = "subjects"
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[str] = mapped_column(String(20), nullable=False)


class InstallLink(Base):
    """An install linked to a subject, from its ``link`` record (seq in the app's consent
    log) to its ``unlink`` record (null while linked). At most one open link per install."""

    __tablename__ = "install_links"
    __table_args__ = (
        ForeignKeyConstraint(["app_id", "subject_id"], ["subjects.app_id", "subjects.subject_id"],
                             name="fk_install_links_subject"),
        Index("ix_install_links_subject", "app_id", "subject_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), nullable=False)
    install_id: Mapped[str] = mapped_column(ForeignKey("installs.id"), nullable=False,
                                            index=True)
    subject_id: Mapped[str] = mapped_column(String(64), nullable=False)
    linked_at: Mapped[str] = mapped_column(String(20), nullable=False)
    link_record_id: Mapped[str] = mapped_column(String(36), nullable=False)
    link_seq: Mapped[int] = mapped_column(Integer, nullable=False)
    unlinked_at: Mapped[str | None] = mapped_column(String(20), nullable=True)
    unlink_record_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    unlink_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)


class LinkToken(Base):
    """A single-use link token of one app and subject; only its SHA-256 is stored."""

    __tablename__ = "link_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), nullable=False)
    subject_id: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[str] = mapped_column(String(20), nullable=False)
    created_by: Mapped[str] = mapped_column(String(320), nullable=False)
    expires_at: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    used_at: Mapped[str | None] = mapped_column(String(20), nullable=True)
    used_by_install: Mapped[str | None] = mapped_column(String(36), nullable=True)
    used_by_record: Mapped[str | None] = mapped_column(String(36), nullable=True)


class WebhookEndpoint(Base):
    """A URL of the operator's backend that hears an app's events (server/webhooks/). The
    secret that signs its deliveries is stored encrypted (AES-GCM with the deployment's
    webhook key, server/webhooks/secrets.py), never in the clear."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (UniqueConstraint("endpoint_id", name="uq_webhook_endpoints_endpoint_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), nullable=False, index=True)
    endpoint_id: Mapped[str] = mapped_column(String(16), nullable=False)  # public
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    secret_box: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    events: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # active | paused
    # Failed deliveries in a row (0 after a success); at WEBHOOK_PAUSE_AFTER it is paused.
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    paused_at: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[str] = mapped_column(String(20), nullable=False)
    created_by: Mapped[str] = mapped_column(String(320), nullable=False)


class WebhookEvent(Base):
    """The transactional outbox: one event, written in the transaction of what caused it.
    ``seq`` is the order; ``event_id`` the idempotency id receivers see. ``fanned`` turns
    true once the worker made its deliveries (one per subscribed endpoint)."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("event_id", name="uq_webhook_events_event_id"),
                      Index("ix_webhook_events_fanned_seq", "fanned", "seq"))
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), nullable=False)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[str] = mapped_column(String(20), nullable=False)
    fanned: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class WebhookDelivery(Base):
    """One event to one endpoint: its attempts, when it is next due (seconds since the
    epoch), and the lease of the worker delivering it now."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("event_seq", "endpoint", name="uq_webhook_deliveries_event_endpoint"),
        Index("ix_webhook_deliveries_status_due", "status", "next_attempt"),
        Index("ix_webhook_deliveries_endpoint_id", "endpoint", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_seq: Mapped[int] = mapped_column(ForeignKey("webhook_events.seq"), nullable=False)
    endpoint: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # pending|delivered|failed
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt: Mapped[float] = mapped_column(Float, nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[str] = mapped_column(String(20), nullable=False)
    delivered_at: Mapped[str | None] = mapped_column(String(20), nullable=True)
