"""The per-app hash chain of consent records and requests of the data subject: row hashes
and the chain head.

Each row stores the previous row's hash (per app), so changing, inserting or deleting a row
breaks the chain where `kelisim audit verify` will find it. A chain row is a consent
record (its fields: :data:`CHAINED`) or a request (``REQUEST_CHAINED`` of
client_sdk/protocol/logentry.py); both share one seq per app. Every write of a chain row
happens under the app's chain-head lock, taken here.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol.jsonutil import canonical_bytes
from client_sdk.protocol.logentry import CHAINED, entry_id, request_fields
from server.consent.rawsql import Raw
from server.models import ChainHead, ConsentRecord, DeletionRequest

__all__ = [
    "CHAINED",
    "GENESIS",
    "ChainProblem",
    "ChainRow",
    "body_hash",
    "chain_hash",
    "chain_rows",
    "chained_fields",
    "chained_parts",
    "head_moves",
    "join_chained",
    "lock_head",
    "lock_heads",
    "request_chained",
    "row_entry",
    "row_hash",
    "verify_chain",
]

GENESIS = "0" * 64

# Every field of the record (its id stored as record_id), where it sits in the chain
# (seq) and what the server adds (install, time): the record's canonical bytes, which its
# transparency-log leaf covers too (client_sdk/protocol/logentry.py). A field added to the
# record changes what a row's hash covers: rows hashed before it need a chain format that
# says so.


def row_hash(prev: str, row: dict[str, Any]) -> str:
    """sha256 over the previous hash and the row's canonical JSON."""
    return chain_hash(prev, canonical_bytes(row))


def chain_hash(prev: str, canonical: bytes) -> str:
    """:func:`row_hash` of the row whose chained fields' canonical bytes are ``canonical``
    (the same bytes the row's transparency-log leaf covers: computed once for both)."""
    return hashlib.sha256(prev.encode() + b"\n" + canonical).hexdigest()


def chained_parts(fields: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """The canonical bytes of a row's chained fields without ``seq`` (the only one not known
    before the chain-head lock), in two halves: the keys that sort before ``seq`` and those
    after. :func:`join_chained` makes the row's canonical bytes of them once its seq is
    known, so that the JSON is encoded before the lock, not under it."""
    if "seq" in fields:
        raise ValueError("the fields must not hold seq yet")
    return (canonical_bytes({k: v for k, v in fields.items() if k < "seq"}),
            canonical_bytes({k: v for k, v in fields.items() if k > "seq"}))


def join_chained(parts: tuple[bytes, bytes], seq: int) -> bytes:
    """``canonical_bytes`` of the chained fields of :func:`chained_parts` with ``seq`` added:
    compact JSON with sorted keys puts ``"seq":N`` between the two halves (the top-level
    keys are fixed ASCII names, so NFC normalisation never moves it)."""
    before, after = parts
    return b"".join((before[:-1], b"," if len(before) > 2 else b"", b'"seq":',
                     str(int(seq)).encode(), b"," if len(after) > 2 else b"", after[1:]))


def chained_fields(r: Any) -> dict[str, Any]:
    """What the chain hash covers: every field of the record, the server's time included.
    ``r`` is a row dict or a ConsentRecord."""
    if isinstance(r, dict):
        return {k: r[k] for k in CHAINED}
    return {k: getattr(r, k) for k in CHAINED}


def request_chained(r: DeletionRequest) -> dict[str, Any]:
    """What the chain hash (and the log's leaf) of a stored request covers."""
    return request_fields(request_id=r.request_id, install_id=r.install_id, kind=r.kind,
                          client_time=r.client_time, withdraw=r.withdraw, note=r.note,
                          seq=r.seq, server_time=r.server_time, deadline=r.deadline)


ChainRow = ConsentRecord | DeletionRequest


def row_entry(row: ChainRow) -> tuple[str, str, dict[str, Any]]:
    """A chain row's kind as its log leaf names it (``record`` or ``request``), its id,
    and its chained fields: the one place that tells the two kinds apart."""
    if isinstance(row, DeletionRequest):
        return "request", row.request_id, request_chained(row)
    return "record", row.record_id, chained_fields(row)


def chain_rows(session: Session, app_id: str
               ) -> Iterator[tuple[ConsentRecord | DeletionRequest, dict[str, Any]]]:
    """The app's chain rows in seq order (records and requests merged), each with its
    chained fields."""
    records = session.scalars(select(ConsentRecord).where(ConsentRecord.app_id == app_id)
                              .order_by(ConsentRecord.seq)).yield_per(1000)
    requests = session.scalars(select(DeletionRequest).where(DeletionRequest.app_id == app_id)
                               .order_by(DeletionRequest.seq)).yield_per(1000)
    rows: Iterator[ConsentRecord | DeletionRequest] = heapq.merge(
        records, requests, key=lambda x: x.seq)
    for row in rows:
        yield row, row_entry(row)[2]


def body_hash(record: dict[str, Any]) -> str:
    """sha256 of a record (or request) as the client sent it: a retry with other content
    is refused."""
    return hashlib.sha256(canonical_bytes(record)).hexdigest()


def lock_head(r: Raw, app_id: str) -> tuple[int, str]:
    """Lock one app's chain head (see :func:`lock_heads`) and return (seq, head hash).

    Raises:
        KeyError: no such app.
    """
    return lock_heads(r, [app_id])[app_id]


def lock_heads(r: Raw, app_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
    """Lock the chain heads of ``app_ids`` (the existing apps among them) for this
    transaction, in app id order; return app id -> (seq, head hash).

    On PostgreSQL row locks (``FOR UPDATE``), held to the end of the transaction and always
    taken in one order, so two transactions that lock several apps' heads cannot deadlock;
    on SQLite the transaction already holds the database's one write lock (BEGIN
    IMMEDIATE). An app's first record creates its head. Two transactions may both find it
    missing: INSERT ... ON CONFLICT DO NOTHING lets the second wait for the first and then
    lock the row the first created, instead of failing on the primary key.
    """
    wanted = sorted(set(app_ids))
    query = "SELECT app_id, seq, head_hash FROM chain_heads WHERE app_id IN (IN) ORDER BY app_id"
    if r.is_postgres:
        query += " FOR UPDATE"
    rows = r.all_in(query, (), wanted)
    if len(rows) < len(wanted):
        r.all_in("INSERT INTO chain_heads (app_id, seq, head_hash) SELECT id, 0, ? FROM apps "
                 "WHERE id IN (IN) ORDER BY id ON CONFLICT (app_id) DO NOTHING RETURNING app_id",
                 (GENESIS,), wanted)
        rows = r.all_in(query, (), wanted)
    return {app: (int(seq), str(head)) for app, seq, head in rows}


def head_moves(heads: dict[str, tuple[int, str]]) -> list[tuple[str, tuple[Any, ...]]]:
    """The statements (for :meth:`Raw.all_of`) that move the chain heads of the apps in
    ``heads`` to (seq, hash), in app order."""
    return [("UPDATE chain_heads SET seq = ?, head_hash = ? WHERE app_id = ?", (seq, head, app))
            for app, (seq, head) in sorted(heads.items())]


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    record_id: str  # the record's id, or the request's (entry "request"); "-": none
    message: str
    entry: str = "record"


def verify_chain(session: Session, app_id: str) -> tuple[int, ChainProblem | None]:
    """Walk the app's chain (records and requests) in seq order; return the count of rows
    and the first broken link."""
    prev = GENESIS
    expected_seq = 0
    count = 0
    for r, fields in chain_rows(session, app_id):
        expected_seq += 1
        count += 1
        entry, rid = fields.get("entry", "record"), entry_id(fields)
        if r.seq != expected_seq:
            return count, ChainProblem(r.seq, rid, f"seq {expected_seq} is missing (next is "
                                                   f"{r.seq})", entry)
        if r.prev_hash != prev:
            return count, ChainProblem(r.seq, rid, "prev_hash does not match the previous row",
                                       entry)
        if row_hash(prev, fields) != r.row_hash:
            return count, ChainProblem(r.seq, rid, "row content does not match its hash", entry)
        prev = r.row_hash
    head = session.get(ChainHead, app_id)
    if head is not None and (head.seq != expected_seq or head.head_hash != prev):
        return count, ChainProblem(head.seq, "-", f"chain head says seq {head.seq}, the "
                                   f"chain ends at {expected_seq}: rows were removed")
    return count, None
