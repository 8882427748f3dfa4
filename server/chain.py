"""The per-app hash chain of consent records: row hashes and the chain head.

Each row stores the previous row's hash (per app), so changing, inserting or deleting a row
breaks the chain where `kelisim audit verify` will find it. Every write of a consent row
(and of a deletion request) happens under the app's chain-head lock, taken here.
"""

from __future__ import annotations

import hashlib
from typing import Any

from client_sdk.jsonutil import canonical_bytes

from .rawsql import Raw

__all__ = ["CHAINED", "GENESIS", "body_hash", "chained_fields", "lock_head", "row_hash",
           "set_head"]

GENESIS = "0" * 64

CHAINED = ("seq", "record_id", "install_id", "action", "version", "document_sha256", "locale",
           "purposes", "evidence", "age_confirmed", "guardian", "client_time", "server_time",
           "manifest_seq")


def row_hash(prev: str, row: dict[str, Any]) -> str:
    """sha256 over the previous hash and the row's canonical JSON."""
    return hashlib.sha256(prev.encode() + b"\n" + canonical_bytes(row)).hexdigest()


def chained_fields(r: Any) -> dict[str, Any]:
    """What the chain hash covers: every field of the record, the server's time included.
    ``r`` is a row dict or a ConsentRecord."""
    if isinstance(r, dict):
        return {k: r[k] for k in CHAINED}
    return {k: getattr(r, k) for k in CHAINED}


def body_hash(record: dict[str, Any]) -> str:
    """sha256 of a record (or request) as the client sent it: a retry with other content
    is refused."""
    return hashlib.sha256(canonical_bytes(record)).hexdigest()


def lock_head(r: Raw, app_id: str) -> tuple[int, str]:
    """Lock the app's chain head for this transaction and return (seq, head hash).

    On PostgreSQL a row lock (``FOR UPDATE``), held to the end of the transaction; on
    SQLite the transaction already holds the database's one write lock (BEGIN IMMEDIATE).
    The first record of an app creates the head. Two transactions may both find it
    missing: INSERT ... ON CONFLICT DO NOTHING lets the second wait for the first and then
    lock the row the first created, instead of failing on the primary key.
    """
    query = "SELECT seq, head_hash FROM chain_heads WHERE app_id = ?"
    if r.is_postgres:
        query += " FOR UPDATE"
    rows = r.all(query, (app_id,))
    if not rows:
        r.run("INSERT INTO chain_heads (app_id, seq, head_hash) VALUES (?, 0, ?) "
              "ON CONFLICT (app_id) DO NOTHING", (app_id, GENESIS))
        rows = r.all(query, (app_id,))
    seq, head = rows[0]
    return int(seq), str(head)


def set_head(r: Raw, app_id: str, seq: int, head_hash: str) -> None:
    r.run("UPDATE chain_heads SET seq = ?, head_hash = ? WHERE app_id = ?",
          (seq, head_hash, app_id))
