"""Transparency log of consent records (issue 19): per app, the leaves (record, salt, leaf
hash), the complete subtrees' hashes and the signed checkpoints. Every record stored
before is sequenced in chain order (leaf index = seq - 1) with a fresh salt; the first
checkpoint of such a log is signed by the server when the root lists a log key
(server/consent/tlog.py, ``sign_missing_checkpoints``), since a migration holds no key.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from alembic import op

from client_sdk.protocol.logentry import CHAINED, SALT_SIZE, record_leaf
from client_sdk.protocol.tlog.merkle import HashReader, append_hashes

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_BATCH = 5000
_JSON = ("purposes", "evidence", "guardian")


def upgrade() -> None:
    op.create_table(
        "tlog_leaves",
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), primary_key=True),
        sa.Column("idx", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("salt", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("app_id", "record_id", name="uq_tlog_leaves_app_record"),
    )
    op.create_table(
        "tlog_hashes",
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), primary_key=True),
        sa.Column("level", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("idx", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "tlog_checkpoints",
        sa.Column("app_id", sa.String(64), sa.ForeignKey("apps.id"), primary_key=True),
        sa.Column("size", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.String(20), nullable=False),
    )
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    """Sequence the stored records of every app, in chain order."""
    records = sa.table("consent_records", sa.column("app_id", sa.String()),
                       *(sa.column(n, sa.JSON() if n in _JSON else sa.Boolean()
                                   if n == "age_confirmed" else sa.String())
                         for n in CHAINED))
    leaves = sa.table("tlog_leaves", sa.column("app_id"), sa.column("idx"),
                      sa.column("record_id"), sa.column("salt", sa.LargeBinary()),
                      sa.column("leaf_hash", sa.LargeBinary()))
    hashes = sa.table("tlog_hashes", sa.column("app_id"), sa.column("level"),
                      sa.column("idx"), sa.column("hash", sa.LargeBinary()))
    apps = conn.execute(sa.select(records.c.app_id).distinct()
                        .order_by(records.c.app_id)).scalars().all()
    for app in apps:
        stored: dict[tuple[int, int], bytes] = {}
        size = 0
        query = (sa.select(*(records.c[n] for n in CHAINED)).where(records.c.app_id == app)
                 .order_by(records.c.seq).execution_options(yield_per=_BATCH))
        result = conn.execute(query)
        for part in result.partitions(_BATCH):
            rows: list[dict[str, Any]] = [dict(r._mapping) for r in part]
            for i, row in enumerate(rows):
                if row["seq"] != size + i + 1:  # the chain is broken: audit verify says so
                    raise RuntimeError(f"app {app}: consent record seq {row['seq']} where "
                                       f"{size + i + 1} was expected; run `kelisim audit "
                                       f"verify` on revision 0012")
            salts = [os.urandom(SALT_SIZE) for _ in rows]
            leaf_hashes = [record_leaf(salt, row)
                           for salt, row in zip(salts, rows, strict=True)]
            new = append_hashes(size, leaf_hashes, _reader(stored))
            stored.update(((level, idx), h) for level, idx, h in new)
            conn.execute(leaves.insert(), [
                {"app_id": app, "idx": size + i, "record_id": row["record_id"], "salt": salt,
                 "leaf_hash": leaf} for i, (row, salt, leaf)
                in enumerate(zip(rows, salts, leaf_hashes, strict=True))])
            conn.execute(hashes.insert(), [{"app_id": app, "level": level, "idx": idx,
                                            "hash": h} for level, idx, h in new])
            size += len(rows)
            # Only the hashes a later append may read stay in memory: the complete
            # subtrees a tree of ``size`` leaves is made of (one per bit of ``size``).
            stored = {(level, idx): h for (level, idx), h in stored.items()
                      if (size >> level) & 1 and idx == (size >> level) - 1}


def _reader(stored: dict[tuple[int, int], bytes]) -> HashReader:
    return lambda wanted: [stored[w] for w in wanted]


def downgrade() -> None:
    op.drop_table("tlog_checkpoints")
    op.drop_table("tlog_hashes")
    op.drop_table("tlog_leaves")
