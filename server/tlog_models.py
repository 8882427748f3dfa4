"""The consent logs' transparency-log tables (server/consent/tlog.py; docs/transparency.md):
per app, the leaves (each chain row's salt and leaf hash), the complete subtrees' hashes,
the signed checkpoints, and the witnesses' state and cosignatures. On ``Base.metadata``
with server/models.py's tables (the deployment's policy log: server/policylog_models.py).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base

__all__ = ["MAX_STORED_LOG_SIZE", "LogCheckpoint", "LogCosignature", "LogHash", "LogLeaf",
           "LogWitnessing"]


class LogLeaf(Base):
    """A leaf of an app's transparency log (server/consent/tlog.py): the chain row of
    seq ``idx + 1`` (a consent record, or a request of the data subject: ``entry``), its
    salt (private: with the row, it opens the leaf) and its RFC 6962 leaf hash."""

    __tablename__ = "tlog_leaves"
    __table_args__ = (UniqueConstraint("app_id", "entry", "record_id",
                                       name="uq_tlog_leaves_app_entry_record"),)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # The record's id, or the request's (entry "request").
    record_id: Mapped[str] = mapped_column(String(36), nullable=False)
    entry: Mapped[str] = mapped_column(String(8), nullable=False, server_default="record")
    salt: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class LogHash(Base):
    """A complete subtree's hash of an app's log: level 0 are the leaves; (level, idx)
    covers leaves [idx * 2**level, (idx + 1) * 2**level). Public (the tiles are made of
    them)."""

    __tablename__ = "tlog_hashes"
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


#: The largest log size (and index) the tables hold: their size and idx columns are INTEGER
#: (PostgreSQL's is 32 bits). A size in a request above it names no tree of this server.
MAX_STORED_LOG_SIZE = 2**31 - 1


class LogCheckpoint(Base):
    """A signed checkpoint (C2SP tlog-checkpoint) of an app's log at ``size``."""

    __tablename__ = "tlog_checkpoints"
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), primary_key=True)
    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    note: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[str] = mapped_column(String(20), nullable=False)


class LogWitnessing(Base):
    """Where a witness stands with an app's log (server/witness/logside.py): the size it
    last cosigned (the old size of the next submission), and the failures in a row with
    when to try again and why the last attempt failed (a refusal is kept as evidence)."""

    __tablename__ = "tlog_witnessing"
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), primary_key=True)
    witness: Mapped[str] = mapped_column(String(200), primary_key=True)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    failures: Mapped[int] = mapped_column(Integer, nullable=False)
    next_attempt: Mapped[float] = mapped_column(Float, nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    refused: Mapped[bool] = mapped_column(Boolean, nullable=False)
    updated_at: Mapped[str] = mapped_column(String(20), nullable=False)


class LogCosignature(Base):
    """A witness's cosignature line (C2SP tlog-cosignature) of an app's checkpoint."""

    __tablename__ = "tlog_cosignatures"
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"), primary_key=True)
    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    witness: Mapped[str] = mapped_column(String(200), primary_key=True)
    line: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[str] = mapped_column(String(20), nullable=False)
