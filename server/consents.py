"""Consent sync: installs and their tokens, hash-chained ingest, receipts, deletion requests.

Records are append-only. Each row stores the previous row's hash (per app), so changing,
inserting or deleting a row breaks the chain where `kelisim audit verify` will find it.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from client_sdk.envelope import PAYLOAD_RECEIPT
from client_sdk.jsonutil import canonical_bytes
from client_sdk.timeutil import format_time

from .errors import (
    ApiError,
    ConsentLogError,
    KelisimError,
    KeyFileError,
    ReceiptKeyUnavailable,
    RecordConflict,
    UnknownApp,
    UnknownInstall,
    Unprocessable,
)
from .keys import SigningKey, find_key, sign_envelope
from .models import (
    App,
    ChainHead,
    ConsentRecord,
    DeletionRequest,
    Install,
    Receipt,
    RootVersion,
)
from .record_checks import check_records
from .roots import current_root
from .tokens import TokenRevoked, check_generation

__all__ = ["GENESIS", "IngestRequest", "IngestResult", "append_many", "check_request",
           "ingest", "lock_head", "register_install", "request_deletion", "row_hash"]

GENESIS = "0" * 64


def register_install(session: Session, app_id: str, now: datetime) -> Install:
    if session.get(App, app_id) is None:
        raise UnknownApp(app_id)
    install = Install(id=str(uuid.uuid4()), app_id=app_id, created_at=format_time(now),
                      token_generation=1)
    session.add(install)
    session.flush()
    return install


def row_hash(prev: str, row: dict[str, Any]) -> str:
    """sha256 over the previous hash and the row's canonical JSON."""
    return hashlib.sha256(prev.encode() + b"\n" + canonical_bytes(row)).hexdigest()


CHAINED = ("seq", "record_id", "install_id", "action", "version", "document_sha256", "locale",
           "purposes", "evidence", "age_confirmed", "guardian", "client_time", "server_time",
           "manifest_seq")


def chained_fields(r: Any) -> dict[str, Any]:
    """What the chain hash covers: every field of the record, the server's time included.
    ``r`` is a row dict or a ConsentRecord."""
    if isinstance(r, dict):
        return {k: r[k] for k in CHAINED}
    return {k: getattr(r, k) for k in CHAINED}


_KEY_CACHE: dict[tuple[Path, int], list[SigningKey]] = {}


def receipt_keys(session: Session, keys_dir: Path) -> list[SigningKey]:
    """The receipt keys the newest root names, loaded once per root version and process
    (every batch signs a receipt; reading and parsing key files each time costs)."""
    version = session.scalar(select(func.max(RootVersion.version)))
    if version is None:
        raise ReceiptKeyUnavailable("the server has no root yet")
    cached = _KEY_CACHE.get((keys_dir, version))
    if cached is not None:
        return cached
    root = current_root(session)
    assert root is not None
    role = root.root.roles["receipt"]
    try:
        found = [k for k in (find_key(kid, [keys_dir]) for kid in role.keyids) if k is not None]
    except KeyFileError as exc:  # e.g. a key file others can read: the operator's to fix
        logging.getLogger(__name__).error("receipt key: %s", exc)
        found = []
    if len(found) < role.threshold:
        raise ReceiptKeyUnavailable()
    _KEY_CACHE[(keys_dir, version)] = found[: role.threshold]
    return found[: role.threshold]


def lock_head(session: Session, app_id: str) -> tuple[int, str]:
    """Lock the app's chain head for this transaction and return (seq, head hash).

    The first record of an app creates the head. Two transactions may both find it
    missing: INSERT ... ON CONFLICT DO NOTHING lets the second wait for the first and then
    lock the row the first created, instead of failing on the primary key. The head is
    read and written with plain statements, never through the session's identity map,
    so a savepoint rolled back in a group commit leaves no stale copy behind.
    """
    query = select(ChainHead.seq, ChainHead.head_hash).where(
        ChainHead.app_id == app_id).with_for_update()
    row = session.execute(query).first()
    if row is None:
        dialect = session.get_bind().dialect.name
        make = pg_insert if dialect == "postgresql" else sqlite_insert
        session.execute(make(ChainHead).values(app_id=app_id, seq=0, head_hash=GENESIS)
                        .on_conflict_do_nothing(index_elements=["app_id"]))
        row = session.execute(query).one()
    return int(row.seq), str(row.head_hash)


def _set_head(session: Session, app_id: str, seq: int, head_hash: str) -> None:
    session.execute(update(ChainHead).where(ChainHead.app_id == app_id)
                    .values(seq=seq, head_hash=head_hash))


@dataclass(frozen=True)
class IngestResult:
    receipts: list[bytes]
    index: dict[str, int]  # record id -> position in receipts
    stored: int


def body_hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(record)).hexdigest()


@dataclass(frozen=True)
class IngestRequest:
    """One POST /consents: what the group commit hands to :func:`append_many`."""
    install_id: str
    generation: int
    records: Sequence[dict[str, Any]]
    now: datetime
    # False: append_many runs check_request before the head lock (PostgreSQL: one
    # transaction less); True: the caller did (SQLite: keep the one write lock short).
    checked: bool = True


def check_request(session: Session, app_id: str, records: Sequence[dict[str, Any]],
                  now: datetime) -> None:
    """The checks that need no lock: run before the write transaction, so that they do
    not lengthen the time the chain head (or SQLite's write lock) is held.

    Raises:
        Unprocessable: a record id twice in the batch, unknown versions, documents or
            purposes, bad times.
    """
    ids = [r["id"] for r in records]
    if len(set(ids)) != len(ids):
        raise Unprocessable(["a record id appears twice in the batch"])
    check_records(session, app_id, records)  # 422 rejected: every record refused for good


def ingest(session: Session, app_id: str, install_id: str, records: Sequence[dict[str, Any]],
           keys_dir: Path, now: datetime, *, generation: int = 1) -> IngestResult:
    """Store new records (idempotent by id) and sign one receipt for them.

    The caller's transaction covers everything; on any error nothing is stored.

    Raises:
        UnknownInstall: an unknown install or a revoked token (``generation``; 401).
        Unprocessable: unknown versions, documents or purposes, bad times (422).
        RecordConflict: a known id with another body (422).
        ReceiptKeyUnavailable: no receipt key (503).
    """
    check_request(session, app_id, records, now)
    out = append_many(session, app_id,
                      [IngestRequest(install_id, generation, records, now)], keys_dir)[0]
    if isinstance(out, (KelisimError, ApiError)):
        raise out
    return out


def append_many(session: Session, app_id: str, requests: Sequence[IngestRequest],
                keys_dir: Path) -> list[IngestResult | KelisimError | ApiError]:
    """Append the records of several requests (checked by :func:`check_request`) to the
    app's chain in one go: one lock of the head, one read of the known ids, one INSERT of
    the receipts, one of the records, one update of the head, whatever the number of
    requests. Each request gets its own receipt, or its own error (401 revoked token, 422
    conflict) and then none of its records is stored.

    Raises:
        SQLAlchemyError: the database failed; the caller rolls back and may try each
            request alone.
    """
    # Reads that need no lock come first: the head lock (held until the commit) then
    # covers only the appends. A record another transaction stores meanwhile cannot be
    # stored twice: the unique (app, record id) constraint fails this batch, and the
    # group commit runs each request again alone, which then finds it.
    generations = dict(session.execute(
        select(Install.id, Install.token_generation).where(
            Install.app_id == app_id,
            Install.id.in_(sorted({q.install_id for q in requests})))).all())
    existing: dict[str, Any] = {}
    wanted = sorted({r["id"] for q in requests for r in q.records})
    for chunk in (wanted[i:i + 5000] for i in range(0, len(wanted), 5000)):  # SQLite's bound
        existing.update((row.record_id, (row.body_hash, row.install_id, row.receipt_id))
                        for row in session.execute(
            select(ConsentRecord.record_id, ConsentRecord.body_hash,
                   ConsentRecord.install_id, ConsentRecord.receipt_id)
            .where(ConsentRecord.app_id == app_id, ConsentRecord.record_id.in_(chunk))))
    keys = receipt_keys(session, keys_dir)
    head_seq, head_hash = lock_head(session, app_id)  # serialises appends per app
    refused: dict[int, KelisimError | ApiError] = {}
    for pos, q in enumerate(requests):
        if not q.checked:
            try:
                check_request(session, app_id, q.records, q.now)
            except (KelisimError, ApiError) as exc:
                refused[pos] = exc
    outcomes: list[IngestResult | KelisimError | ApiError] = []
    # Per request: its receipts, each a stored receipt id (int) or a new one (its request's
    # position, str), and the position of each of its record ids among them.
    plans: list[tuple[list[int | str], dict[str, int]]] = []
    new_rows: list[tuple[str, dict[str, Any]]] = []  # (new receipt key, row)
    new_envelopes: dict[str, bytes] = {}  # "new:<request position>" -> envelope
    prev, seq = head_hash, head_seq
    for pos, q in enumerate(requests):
        current = generations.get(q.install_id)
        if pos in refused:
            outcomes.append(refused[pos])
            plans.append(([], {}))
            continue
        if current is None or current != q.generation:
            outcomes.append(UnknownInstall(q.install_id) if current is None
                            else TokenRevoked(q.install_id))
            plans.append(([], {}))
            continue
        fresh: list[tuple[dict[str, Any], str]] = []
        old: dict[str, int | str] = {}
        problem: ConsentLogError | None = None
        for r in q.records:
            digest = body_hash(r)
            known = existing.get(r["id"])
            if known is None:
                fresh.append((r, digest))
            elif known[0] != digest or known[1] != q.install_id:
                problem = RecordConflict(f"record {r['id']} was received before with "
                                         f"other content", r["id"])
                break
            else:
                old[r["id"]] = known[2]
        if problem is not None:
            outcomes.append(problem)
            plans.append(([], {}))
            continue
        order: list[int | str] = sorted(set(old.values()), key=str)
        index = {rid: order.index(rcp) for rid, rcp in old.items()}
        outcomes.append(IngestResult([], index, len(fresh)))
        if fresh:
            stamp = format_time(q.now)
            rows = []
            for r, digest in fresh:
                seq += 1
                row = {"app_id": app_id, "seq": seq, "record_id": r["id"],
                       "install_id": q.install_id, "action": r["action"],
                       "version": r["version"], "document_sha256": r["document_sha256"],
                       "locale": r["locale"], "purposes": r["purposes"],
                       "evidence": r["evidence"], "age_confirmed": r["age_confirmed"],
                       "guardian": r["guardian"], "client_time": r["client_time"],
                       "server_time": stamp, "manifest_seq": r["manifest_seq"],
                       "body_hash": digest, "prev_hash": prev}
                row["row_hash"] = prev = row_hash(prev, chained_fields(row))
                rows.append(row)
                # A later request of this group that repeats the record (the same install
                # syncing from two threads) gets this request's receipt.
                existing[r["id"]] = (digest, q.install_id, f"new:{pos}")
            new_envelopes[f"new:{pos}"] = _sign_receipt(app_id, q.install_id, stamp, rows,
                                                        keys)
            new_rows.extend((f"new:{pos}", row) for row in rows)
            order.append(f"new:{pos}")
            for row in rows:
                index[row["record_id"]] = len(order) - 1
        plans.append((order, index))
    envelopes: dict[int | str, bytes] = {}
    envelopes.update(new_envelopes)
    if new_envelopes:
        keys_in_order = list(new_envelopes)
        ids = session.execute(
            insert(Receipt).returning(Receipt.id, sort_by_parameter_order=True),
            [{"app_id": app_id, "envelope": new_envelopes[k]} for k in keys_in_order]
        ).scalars().all()
        receipt_id = dict(zip(keys_in_order, ids, strict=True))
        for key, row in new_rows:
            row["receipt_id"] = receipt_id[key]
        session.execute(insert(ConsentRecord), [row for _, row in new_rows])
        _set_head(session, app_id, seq, prev)
    stored_ids = sorted({rcp for order, _ in plans for rcp in order if isinstance(rcp, int)})
    if stored_ids:
        envelopes.update(session.execute(select(Receipt.id, Receipt.envelope).where(
            Receipt.id.in_(stored_ids))).all())
    for (order, _), out in zip(plans, outcomes, strict=True):
        if isinstance(out, IngestResult):
            out.receipts.extend(envelopes[rcp] for rcp in order)
    return outcomes


def _sign_receipt(app_id: str, install_id: str, stamp: str, rows: list[dict[str, Any]],
                  keys: list[SigningKey]) -> bytes:
    payload = {
        "_type": "receipt", "spec_version": 1, "kind": "consents", "app": app_id,
        "install": install_id, "issued": stamp,
        "records": [{"id": x["record_id"], "action": x["action"], "version": x["version"],
                     "document_sha256": x["document_sha256"], "purposes": x["purposes"],
                     "client_time": x["client_time"], "server_time": stamp,
                     "seq": x["seq"], "chain_hash": x["row_hash"]} for x in rows],
    }
    return sign_envelope(canonical_bytes(payload), PAYLOAD_RECEIPT, keys)


def request_deletion(session: Session, app_id: str, install_id: str, body: dict[str, Any],
                     keys_dir: Path, now: datetime, *, generation: int = 1) -> DeletionRequest:
    """Store a deletion request (idempotent by id) with a signed receipt.

    Raises:
        UnknownInstall: an unknown install or a revoked token (401).
        RecordConflict: a known id with another body (422).
        Unprocessable: a time in the future (422).
    """
    check_generation(session, app_id, install_id, generation)
    # Every row this writes is written under the app's chain-head lock, like records:
    # group transactions then take their locks in one order (by app) and cannot deadlock.
    lock_head(session, app_id)
    old = session.scalars(select(DeletionRequest).where(
        DeletionRequest.app_id == app_id, DeletionRequest.request_id == body["id"])).first()
    digest = body_hash(body)
    if old is not None:
        if old.body_hash != digest or old.install_id != install_id:
            raise RecordConflict(f"deletion request {body['id']} was received before with "
                                 f"other content", body["id"])
        return old
    stamp = format_time(now)
    payload = {"_type": "receipt", "spec_version": 1, "kind": "deletion_request",
               "app": app_id, "install": install_id, "issued": stamp,
               "request": {"id": body["id"], "client_time": body["client_time"],
                           "server_time": stamp}}
    row = DeletionRequest(app_id=app_id, request_id=body["id"], install_id=install_id,
                          client_time=body["client_time"], server_time=stamp,
                          body_hash=digest, status="open",
                          receipt=sign_envelope(canonical_bytes(payload), PAYLOAD_RECEIPT,
                                                receipt_keys(session, keys_dir)))
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    record_id: str
    message: str


def verify_chain(session: Session, app_id: str) -> tuple[int, ChainProblem | None]:
    """Walk the app's chain in seq order; return the count and the first broken link."""
    prev = GENESIS
    expected_seq = 0
    count = 0
    rows = session.scalars(select(ConsentRecord).where(ConsentRecord.app_id == app_id)
                           .order_by(ConsentRecord.seq)).yield_per(1000)
    for r in rows:
        expected_seq += 1
        count += 1
        if r.seq != expected_seq:
            return count, ChainProblem(r.seq, r.record_id,
                                       f"seq {expected_seq} is missing (next is {r.seq})")
        if r.prev_hash != prev:
            return count, ChainProblem(r.seq, r.record_id,
                                       "prev_hash does not match the previous row")
        if row_hash(prev, chained_fields(r)) != r.row_hash:
            return count, ChainProblem(r.seq, r.record_id,
                                       "row content does not match its hash")
        prev = r.row_hash
    head = session.get(ChainHead, app_id)
    if head is not None and (head.seq != expected_seq or head.head_hash != prev):
        return count, ChainProblem(head.seq, "-", f"chain head says seq {head.seq}, the "
                                   f"chain ends at {expected_seq}: rows were removed")
    return count, None
