"""Requests of the data subject become rows of their app's hash chain and leaves of its
transparency log (issue 19 part 1: "records, deletion and other requests"): each request
gets ``seq``, ``prev_hash`` and ``row_hash`` (over client_sdk.protocol.logentry's
``REQUEST_CHAINED``), and ``tlog_leaves`` an ``entry`` column (``record`` or ``request``;
the unique id is per kind).

The requests stored before are appended to their app's chain and log after its last row,
in the order they were received (row id), each with a fresh salt: the chain's order is
the order of sequencing, so a request received before some records sits after them. Their
first checkpoint is signed by the next append of the app (a record or a request), or by
``kelisim db upgrade`` when the root lists a log key (``sign_missing_checkpoints``), since
a migration holds no key.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import sqlalchemy as sa
from alembic import op

from client_sdk.protocol.jsonutil import canonical_bytes
from client_sdk.protocol.logentry import SALT_SIZE, record_leaf, request_fields
from client_sdk.protocol.tlog.merkle import HashReader, append_hashes

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("deletion_requests") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("row_hash", sa.String(64), nullable=True))
    with op.batch_alter_table("tlog_leaves") as batch:
        batch.add_column(sa.Column("entry", sa.String(8), nullable=False,
                                   server_default="record"))
        batch.drop_constraint("uq_tlog_leaves_app_record", type_="unique")
        batch.create_unique_constraint("uq_tlog_leaves_app_entry_record",
                                       ["app_id", "entry", "record_id"])
    _backfill(op.get_bind())
    with op.batch_alter_table("deletion_requests") as batch:
        batch.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("row_hash", existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint("uq_deletion_requests_app_seq", ["app_id", "seq"])


def _backfill(conn: sa.Connection) -> None:
    """Append every app's stored requests to its chain and log, in row id order."""
    apps = conn.execute(sa.text("SELECT DISTINCT app_id FROM deletion_requests "
                                "ORDER BY app_id")).scalars().all()
    for app in apps:
        head = conn.execute(sa.text("SELECT seq, head_hash FROM chain_heads WHERE "
                                    "app_id = :a"), {"a": app}).first()
        seq, prev = (int(head[0]), str(head[1])) if head is not None else (0, _GENESIS)
        size = conn.execute(sa.text("SELECT COUNT(*) FROM tlog_leaves WHERE app_id = :a"),
                            {"a": app}).scalar_one()
        if size != seq:  # every chain row has its leaf: audit verify says where not
            raise RuntimeError(f"app {app}: its log has {size} leaves and its chain {seq} "
                               f"rows; run `kelisim audit verify` on revision 0017")
        # Only the complete subtrees a tree of ``size`` leaves is made of (one per bit of
        # it): all an append reads.
        stored: dict[tuple[int, int], bytes] = {}
        for level in range(size.bit_length()):
            if (size >> level) & 1:
                h = conn.execute(sa.text("SELECT hash FROM tlog_hashes WHERE app_id = :a AND "
                                         "level = :l AND idx = :i"),
                                 {"a": app, "l": level, "i": (size >> level) - 1}).scalar()
                if h is None:  # a hash the log lost: audit verify names it
                    raise RuntimeError(f"app {app}: the hash (level {level}, index "
                                       f"{(size >> level) - 1}) of its log is missing; run "
                                       f"`kelisim audit verify` on revision 0017")
                stored[(level, (size >> level) - 1)] = bytes(h)
        requests = conn.execute(sa.text(
            "SELECT row_id, request_id, install_id, kind, client_time, withdraw, note, "
            "server_time, deadline FROM deletion_requests WHERE app_id = :a "
            "ORDER BY row_id"), {"a": app}).all()
        leaves: list[dict[str, Any]] = []
        for row_id, rid, install, kind, client_time, withdraw, note, stamp, due in requests:
            seq += 1
            fields = request_fields(request_id=rid, install_id=install, kind=kind,
                                    client_time=client_time,
                                    withdraw=None if withdraw is None else bool(withdraw),
                                    note=note, seq=seq, server_time=stamp, deadline=due)
            canonical = canonical_bytes(fields)
            row_hash = hashlib.sha256(prev.encode() + b"\n" + canonical).hexdigest()
            conn.execute(sa.text("UPDATE deletion_requests SET seq = :s, prev_hash = :p, "
                                 "row_hash = :h WHERE row_id = :r"),
                         {"s": seq, "p": prev, "h": row_hash, "r": row_id})
            prev = row_hash
            salt = os.urandom(SALT_SIZE)
            leaves.append({"app_id": app, "idx": seq - 1, "record_id": rid,
                           "entry": "request", "salt": salt,
                           "leaf_hash": record_leaf(salt, fields)})
        new = append_hashes(size, [x["leaf_hash"] for x in leaves],
                            _reader(stored))
        leaf_table = sa.table("tlog_leaves", sa.column("app_id"), sa.column("idx"),
                              sa.column("record_id"), sa.column("entry"),
                              sa.column("salt", sa.LargeBinary()),
                              sa.column("leaf_hash", sa.LargeBinary()))
        hash_table = sa.table("tlog_hashes", sa.column("app_id"), sa.column("level"),
                              sa.column("idx"), sa.column("hash", sa.LargeBinary()))
        conn.execute(leaf_table.insert(), leaves)
        conn.execute(hash_table.insert(), [{"app_id": app, "level": level, "idx": idx,
                                            "hash": h} for level, idx, h in new])
        if head is None:
            conn.execute(sa.text("INSERT INTO chain_heads (app_id, seq, head_hash) "
                                 "VALUES (:a, :s, :h)"), {"a": app, "s": seq, "h": prev})
        else:
            conn.execute(sa.text("UPDATE chain_heads SET seq = :s, head_hash = :h "
                                 "WHERE app_id = :a"), {"a": app, "s": seq, "h": prev})


def downgrade() -> None:
    """Back to 0017: the requests leave the chain and the log. That is refused once it
    would take back what was given out: a record after a request (its hash, and its
    receipt, cover the request), or a signed checkpoint that covers a request (devices,
    witnesses and auditors hold it: a log rebuilt without the request would be a fork).
    So only requests sequenced under a root without a log key can be taken out."""
    conn = op.get_bind()
    after = conn.execute(sa.text(
        "SELECT r.app_id FROM deletion_requests r JOIN consent_records c ON "
        "c.app_id = r.app_id AND c.seq > r.seq LIMIT 1")).first()
    if after is not None:
        raise RuntimeError(f"app {after[0]}: consent records follow requests in its chain; "
                           f"0018 cannot be undone without breaking the chain")
    signed = conn.execute(sa.text(
        "SELECT r.app_id FROM deletion_requests r JOIN tlog_checkpoints c ON "
        "c.app_id = r.app_id AND c.size >= r.seq LIMIT 1")).first()
    if signed is not None:
        raise RuntimeError(f"app {signed[0]}: a signed checkpoint of its log covers requests; "
                           f"0018 cannot be undone without forking the published log")
    firsts = conn.execute(sa.text("SELECT app_id, MIN(seq) FROM deletion_requests "
                                  "GROUP BY app_id")).all()
    for app, first in firsts:
        prev = conn.execute(sa.text("SELECT prev_hash FROM deletion_requests WHERE "
                                    "app_id = :a AND seq = :s"), {"a": app, "s": first}).scalar()
        conn.execute(sa.text("UPDATE chain_heads SET seq = :s, head_hash = :h WHERE "
                             "app_id = :a"), {"a": app, "s": first - 1, "h": prev})
        conn.execute(sa.text("DELETE FROM tlog_cosignatures WHERE app_id = :a AND "
                             "size >= :s"), {"a": app, "s": first})
        conn.execute(sa.text("DELETE FROM tlog_checkpoints WHERE app_id = :a AND size >= :s"),
                     {"a": app, "s": first})
        conn.execute(sa.text("DELETE FROM tlog_leaves WHERE app_id = :a AND idx >= :s"),
                     {"a": app, "s": first - 1})
    conn.execute(sa.text("DELETE FROM tlog_hashes WHERE app_id IN (SELECT DISTINCT app_id "
                         "FROM deletion_requests)"))
    _rebuild_hashes(conn)
    with op.batch_alter_table("deletion_requests") as batch:
        batch.drop_constraint("uq_deletion_requests_app_seq", type_="unique")
        batch.drop_column("row_hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")
    with op.batch_alter_table("tlog_leaves") as batch:
        batch.drop_constraint("uq_tlog_leaves_app_entry_record", type_="unique")
        batch.create_unique_constraint("uq_tlog_leaves_app_record", ["app_id", "record_id"])
        batch.drop_column("entry")


def _rebuild_hashes(conn: sa.Connection) -> None:
    """The complete-subtree hashes of every app that had requests, from its leaves."""
    apps = conn.execute(sa.text("SELECT DISTINCT app_id FROM deletion_requests")).scalars()
    for app in list(apps):
        leaves = [bytes(h) for (h,) in conn.execute(sa.text(
            "SELECT leaf_hash FROM tlog_leaves WHERE app_id = :a ORDER BY idx"), {"a": app})]
        known: dict[tuple[int, int], bytes] = {}
        rows = []
        for i, leaf in enumerate(leaves):
            for level, idx, h in append_hashes(i, [leaf], _reader(known)):
                known[(level, idx)] = h
                rows.append({"a": app, "l": level, "i": idx, "h": h})
        if rows:
            conn.execute(sa.text("INSERT INTO tlog_hashes (app_id, level, idx, hash) "
                                 "VALUES (:a, :l, :i, :h)"), rows)


def _reader(stored: dict[tuple[int, int], bytes]) -> HashReader:
    return lambda wanted: [stored[w] for w in wanted]
