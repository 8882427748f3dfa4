"""Database tables of the deployment's policy log (server/trust/policylog.py,
docs/transparency.md "Policies in a log"); beside :mod:`server.models`, on its ``Base``."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base

__all__ = ["PolicyLogCheckpoint", "PolicyLogCosignature", "PolicyLogEntry", "PolicyLogHash",
           "PolicyLogWitnessing"]


class PolicyLogEntry(Base):
    """An entry of the policy log: a signed root (``app_id`` None, ``number`` its version)
    or manifest (``number`` its seq), its entry bytes and leaf hash; ``proof``: a
    manifest's tlog-proof as served (replaced by one in a cosigned checkpoint once the
    witnesses cosigned one that covers it)."""

    __tablename__ = "policy_log_entries"
    __table_args__ = (Index("ix_policy_log_entries_kind_app_number", "kind", "app_id",
                            "number", unique=True),)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    app_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    entry: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    proof: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class PolicyLogHash(Base):
    """A complete subtree's hash of the policy log (as :class:`~server.models.LogHash`)."""

    __tablename__ = "policy_log_hashes"
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class PolicyLogCheckpoint(Base):
    """A signed checkpoint of the policy log at ``size``."""

    __tablename__ = "policy_log_checkpoints"
    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    note: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[str] = mapped_column(String(20), nullable=False)


class PolicyLogCosignature(Base):
    """A witness's cosignature line of a policy log checkpoint."""

    __tablename__ = "policy_log_cosignatures"
    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    witness: Mapped[str] = mapped_column(String(200), primary_key=True)
    line: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[str] = mapped_column(String(20), nullable=False)


class PolicyLogWitnessing(Base):
    """Where a witness stands with the policy log (as
    :class:`~server.models.LogWitnessing` with an app's log)."""

    __tablename__ = "policy_log_witnessing"
    witness: Mapped[str] = mapped_column(String(200), primary_key=True)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    failures: Mapped[int] = mapped_column(Integer, nullable=False)
    next_attempt: Mapped[float] = mapped_column(Float, nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    refused: Mapped[bool] = mapped_column(Boolean, nullable=False)
    updated_at: Mapped[str] = mapped_column(String(20), nullable=False)
