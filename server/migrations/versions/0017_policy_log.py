"""The deployment's policy log (issue 19 part 3, server/trust/policylog.py): entries (every
signed root and manifest), complete-subtree hashes, signed checkpoints, witness
cosignatures and where each witness stands. The roots and manifests stored before are
sequenced in publish order (by the time they were signed; a root before the manifests
signed at its time, as ``root rotate`` stores them); their first checkpoint is signed by
the next append (the next publish, re-sign or root rotation), which covers the whole log,
since a migration holds no key.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import base64
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from client_sdk.protocol.policylog import manifest_entry, policy_leaf, root_entry
from client_sdk.protocol.tlog.merkle import append_hashes

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_log_entries",
        sa.Column("idx", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("app_id", sa.String(64), nullable=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("entry", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(), nullable=False),
        sa.Column("proof", sa.LargeBinary(), nullable=True),
    )
    op.create_index("ix_policy_log_entries_kind_app_number", "policy_log_entries",
                    ["kind", "app_id", "number"], unique=True)
    op.create_table(
        "policy_log_hashes",
        sa.Column("level", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("idx", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "policy_log_checkpoints",
        sa.Column("size", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.String(20), nullable=False),
    )
    op.create_table(
        "policy_log_cosignatures",
        sa.Column("size", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("witness", sa.String(200), primary_key=True),
        sa.Column("line", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.String(20), nullable=False),
    )
    op.create_table(
        "policy_log_witnessing",
        sa.Column("witness", sa.String(200), primary_key=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_attempt", sa.Float(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("refused", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.String(20), nullable=False),
    )
    _backfill(op.get_bind())


def _payload(envelope: bytes) -> bytes:
    # Stored envelopes were checked when signed; only the payload bytes are needed.
    return base64.b64decode(json.loads(bytes(envelope))["payload"])


def _backfill(conn: sa.Connection) -> None:
    roots = sa.table("root_versions", sa.column("version"), sa.column("envelope"),
                     sa.column("created_at"))
    manifests = sa.table("signed_manifests", sa.column("app_id"), sa.column("seq"),
                         sa.column("envelope"), sa.column("issued"))
    items: list[tuple[str, int, str, int, Any, bytes]] = []
    for version, envelope, at in conn.execute(sa.select(roots.c.version, roots.c.envelope,
                                                        roots.c.created_at)):
        items.append((at, 0, "", version, None, root_entry(version, _payload(envelope))))
    for app, seq, envelope, at in conn.execute(sa.select(
            manifests.c.app_id, manifests.c.seq, manifests.c.envelope, manifests.c.issued)):
        items.append((at, 1, app, seq, app, manifest_entry(app, seq, _payload(envelope))))
    items.sort(key=lambda item: item[:4])
    stored: dict[tuple[int, int], bytes] = {}
    leaves = [policy_leaf(item[5]) for item in items]
    new = append_hashes(0, leaves, lambda wanted: [stored[w] for w in wanted])
    entries = sa.table("policy_log_entries", sa.column("idx"), sa.column("kind"),
                       sa.column("app_id"), sa.column("number"),
                       sa.column("entry", sa.LargeBinary()),
                       sa.column("leaf_hash", sa.LargeBinary()))
    hashes = sa.table("policy_log_hashes", sa.column("level"), sa.column("idx"),
                      sa.column("hash", sa.LargeBinary()))
    if items:
        conn.execute(entries.insert(), [
            {"idx": i, "kind": "root" if item[1] == 0 else "manifest", "app_id": item[4],
             "number": item[3], "entry": item[5], "leaf_hash": leaf}
            for i, (item, leaf) in enumerate(zip(items, leaves, strict=True))])
        conn.execute(hashes.insert(), [{"level": level, "idx": idx, "hash": h}
                                       for level, idx, h in new])


def downgrade() -> None:
    op.drop_table("policy_log_witnessing")
    op.drop_table("policy_log_cosignatures")
    op.drop_table("policy_log_hashes")
    op.drop_table("policy_log_checkpoints")
    op.drop_index("ix_policy_log_entries_kind_app_number", "policy_log_entries")
    op.drop_table("policy_log_entries")
