"""Consent sync: installs, receipt keys, deletion requests, the chain's audit.

Records are append-only and hash-chained per app (server/consent/chain.py); they are appended by
server/consent/ingest.py, in groups (server/consent/groupcommit.py).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from client_sdk.protocol.envelope import PAYLOAD_RECEIPT
from client_sdk.protocol.receipts import deletion_payload
from client_sdk.protocol.timeutil import format_time
from server.consent.chain import GENESIS, body_hash, chained_fields, lock_head, row_hash
from server.consent.rawsql import raw
from server.errors import KeyFileError, ReceiptKeyUnavailable, RecordConflict, UnknownApp
from server.http.tokens import check_generation
from server.models import App, ChainHead, ConsentRecord, DeletionRequest, Install, RootVersion
from server.trust.keys import SigningKey, find_key, sign_envelope
from server.trust.roots import current_root

__all__ = ["GENESIS", "chained_fields", "receipt_keys", "receipt_keys_of", "register_install",
           "request_deletion", "row_hash", "verify_chain"]


def register_install(session: Session, app_id: str, now: datetime) -> Install:
    if session.get(App, app_id) is None:
        raise UnknownApp(app_id)
    install = Install(id=str(uuid.uuid4()), app_id=app_id, created_at=format_time(now),
                      token_generation=1)
    session.add(install)
    session.flush()
    return install


_KEY_CACHE: dict[tuple[Path, int], list[SigningKey]] = {}


def receipt_keys(session: Session, keys_dir: Path) -> list[SigningKey]:
    """The receipt keys the newest root names, loaded once per root version and process
    (every batch signs a receipt; reading and parsing key files each time costs)."""
    return receipt_keys_of(session, keys_dir,
                           session.scalar(select(func.max(RootVersion.version))))


def receipt_keys_of(session: Session, keys_dir: Path, version: int | None
                    ) -> list[SigningKey]:
    """:func:`receipt_keys` of root ``version``, the newest (the caller read it)."""
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
    r = raw(session)
    try:
        lock_head(r, app_id)
    finally:
        r.close()
    old = session.scalars(select(DeletionRequest).where(
        DeletionRequest.app_id == app_id, DeletionRequest.request_id == body["id"])).first()
    digest = body_hash(body)
    if old is not None:
        if old.body_hash != digest or old.install_id != install_id:
            raise RecordConflict(f"deletion request {body['id']} was received before with "
                                 f"other content", body["id"])
        return old
    stamp = format_time(now)
    payload = deletion_payload(app_id, install_id, stamp, body["id"], body["client_time"])
    row = DeletionRequest(app_id=app_id, request_id=body["id"], install_id=install_id,
                          client_time=body["client_time"], server_time=stamp,
                          body_hash=digest, status="open",
                          receipt=sign_envelope(payload, PAYLOAD_RECEIPT,
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
