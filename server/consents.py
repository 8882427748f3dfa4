"""Consent sync: installs and their tokens, hash-chained ingest, receipts, deletion requests.

Records are append-only. Each row stores the previous row's hash (per app), so changing,
inserting or deleting a row breaks the chain where `kelisim audit verify` will find it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from client_sdk.envelope import PAYLOAD_RECEIPT
from client_sdk.jsonutil import canonical_bytes
from client_sdk.timeutil import format_time

from .errors import ApiError
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

__all__ = ["GENESIS", "TokenService", "ingest", "register_install", "row_hash"]

GENESIS = "0" * 64


class TokenService:
    """Install tokens: itsdangerous, own salt, SHA-256. The server alone checks them."""

    def __init__(self, secret: str, max_age: int) -> None:
        self.max_age = max_age
        self._s = URLSafeTimedSerializer(secret, salt="kelisim.install-token",
                                         signer_kwargs={"digest_method": hashlib.sha256})

    def issue(self, app_id: str, install_id: str) -> str:
        return self._s.dumps({"a": app_id, "i": install_id})

    def check(self, header: str | None, app_id: str, *, allow_expired: bool = False) -> str:
        """The install id the ``Authorization: Bearer`` header proves.

        Raises:
            ApiError: 401 missing, forged or expired token; 403 a token of another app.
        """
        if not header or not header.startswith("Bearer ") or len(header) > 4096:
            raise ApiError(401, "unauthorized", "send the install token as "
                           "'Authorization: Bearer <token>'")
        token = header[7:].strip()
        try:
            data = self._s.loads(token, max_age=None if allow_expired else self.max_age)
        except SignatureExpired:
            raise ApiError(401, "token_expired", "the install token has expired; renew it at "
                           "POST /v1/apps/<app>/installs/<id>/token") from None
        except BadSignature:
            raise ApiError(401, "invalid_token", "the install token is not valid") from None
        if not isinstance(data, dict) or not isinstance(data.get("i"), str):
            raise ApiError(401, "invalid_token", "the install token is not valid")
        if data.get("a") != app_id:
            raise ApiError(403, "forbidden", "this token belongs to another app")
        return str(data["i"])


def register_install(session: Session, app_id: str, now: datetime) -> Install:
    if session.get(App, app_id) is None:
        raise ApiError(404, "not_found", f"app {app_id!r} not found")
    install = Install(id=str(uuid.uuid4()), app_id=app_id, created_at=format_time(now))
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
        raise ApiError(503, "unavailable", "the server has no root yet")
    cached = _KEY_CACHE.get((keys_dir, version))
    if cached is not None:
        return cached
    root = current_root(session)
    assert root is not None
    role = root.root.roles["receipt"]
    found = [k for k in (find_key(kid, [keys_dir]) for kid in role.keyids) if k is not None]
    if len(found) < role.threshold:
        raise ApiError(503, "unavailable", "the receipt key is not available on this server")
    _KEY_CACHE[(keys_dir, version)] = found[: role.threshold]
    return found[: role.threshold]


def _lock_head(session: Session, app_id: str) -> ChainHead:
    head = session.scalars(select(ChainHead).where(ChainHead.app_id == app_id)
                           .with_for_update()).first()
    if head is None:
        session.add(ChainHead(app_id=app_id, seq=0, head_hash=GENESIS))
        session.flush()
        head = session.scalars(select(ChainHead).where(ChainHead.app_id == app_id)
                               .with_for_update()).one()
    return head


@dataclass(frozen=True)
class IngestResult:
    receipts: list[bytes]
    index: dict[str, int]  # record id -> position in receipts
    stored: int


def body_hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(record)).hexdigest()


def ingest(session: Session, app_id: str, install_id: str, records: Sequence[dict[str, Any]],
           keys_dir: Path, now: datetime) -> IngestResult:
    """Store new records (idempotent by id) and sign one receipt for them.

    The caller's transaction covers everything; on any error nothing is stored. Rows go in
    with one multi-row INSERT: this is the server's write hot path.

    Raises:
        ApiError: 422 unknown versions, documents or purposes, bad times, or a known id
            with another body; 503 without a receipt key.
    """
    install = session.get(Install, install_id)
    if install is None or install.app_id != app_id:
        raise ApiError(401, "invalid_token", "unknown install")
    ids = [r["id"] for r in records]
    if len(set(ids)) != len(ids):
        raise ApiError(422, "unprocessable", "a record id appears twice in the batch")
    check_records(session, app_id, records)  # 422 rejected: every record refused for good
    head = _lock_head(session, app_id)  # serialises appends per app
    existing = {row.record_id: row for row in session.execute(
        select(ConsentRecord.record_id, ConsentRecord.body_hash, ConsentRecord.install_id,
               ConsentRecord.receipt_id)
        .where(ConsentRecord.app_id == app_id, ConsentRecord.record_id.in_(ids)))}
    fresh: list[dict[str, Any]] = []
    old_receipt_of: dict[str, int] = {}
    for r in records:
        old = existing.get(r["id"])
        if old is None:
            fresh.append(r)
        elif old.body_hash != body_hash(r) or old.install_id != install_id:
            raise ApiError(422, "conflict", f"record {r['id']} was received before with "
                           f"other content", {"record_id": r["id"]})
        else:
            old_receipt_of[r["id"]] = old.receipt_id
    receipts: list[bytes] = []
    index: dict[str, int] = {}
    if old_receipt_of:
        envelopes = dict(session.execute(select(Receipt.id, Receipt.envelope).where(
            Receipt.id.in_(sorted(set(old_receipt_of.values()))))).all())
        order = sorted(set(old_receipt_of.values()))
        receipts = [envelopes[i] for i in order]
        index = {rid: order.index(rcp) for rid, rcp in old_receipt_of.items()}
    if not fresh:
        return IngestResult(receipts, index, 0)
    stamp = format_time(now)
    rows: list[dict[str, Any]] = []
    prev, seq = head.head_hash, head.seq
    for r in fresh:
        seq += 1
        row = {"app_id": app_id, "seq": seq, "record_id": r["id"], "install_id": install_id,
               "action": r["action"], "version": r["version"],
               "document_sha256": r["document_sha256"], "locale": r["locale"],
               "purposes": r["purposes"], "evidence": r["evidence"],
               "age_confirmed": r["age_confirmed"], "guardian": r["guardian"],
               "client_time": r["client_time"], "server_time": stamp,
               "manifest_seq": r["manifest_seq"], "body_hash": body_hash(r), "prev_hash": prev}
        row["row_hash"] = prev = row_hash(prev, chained_fields(row))
        rows.append(row)
    payload = {
        "_type": "receipt", "spec_version": 1, "kind": "consents", "app": app_id,
        "install": install_id, "issued": stamp,
        "records": [{"id": x["record_id"], "action": x["action"], "version": x["version"],
                     "document_sha256": x["document_sha256"], "purposes": x["purposes"],
                     "client_time": x["client_time"], "server_time": stamp,
                     "seq": x["seq"], "chain_hash": x["row_hash"]} for x in rows],
    }
    envelope = sign_envelope(canonical_bytes(payload), PAYLOAD_RECEIPT,
                             receipt_keys(session, keys_dir))
    receipt_id = session.execute(insert(Receipt).values(app_id=app_id, envelope=envelope)
                                 .returning(Receipt.id)).scalar_one()
    for row in rows:
        row["receipt_id"] = receipt_id
    session.execute(insert(ConsentRecord), rows)
    head.seq, head.head_hash = seq, prev
    session.flush()
    receipts.append(envelope)
    for row in rows:
        index[row["record_id"]] = len(receipts) - 1
    return IngestResult(receipts, index, len(rows))


def request_deletion(session: Session, app_id: str, install_id: str, body: dict[str, Any],
                     keys_dir: Path, now: datetime) -> DeletionRequest:
    """Store a deletion request (idempotent by id) with a signed receipt.

    Raises:
        ApiError: 422 a known id with another body or a future time.
    """
    old = session.scalars(select(DeletionRequest).where(
        DeletionRequest.app_id == app_id, DeletionRequest.request_id == body["id"])).first()
    digest = body_hash(body)
    if old is not None:
        if old.body_hash != digest or old.install_id != install_id:
            raise ApiError(422, "conflict", f"deletion request {body['id']} was received "
                           f"before with other content", {"request_id": body["id"]})
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
