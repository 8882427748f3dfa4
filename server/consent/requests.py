"""Deletion requests: intake from apps, the operator's queue, and resolving one.

Apps file requests through the sync API (:func:`request_deletion`, with a signed receipt);
an operator (CLI or console) lists them and marks each resolved with a note of what was done.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol.envelope import PAYLOAD_RECEIPT
from client_sdk.protocol.receipts import deletion_payload
from client_sdk.protocol.timeutil import format_time
from server import adminlog
from server.consent.chain import body_hash, lock_head
from server.consent.installs import check_generation
from server.consent.rawsql import raw
from server.errors import (
    AlreadyResolved,
    InvalidValue,
    RecordConflict,
    UnknownApp,
    UnknownDeletionRequest,
)
from server.models import App, DeletionRequest
from server.trust.keys import sign_envelope
from server.trust.receipt_keys import receipt_keys

__all__ = ["list_requests", "request_deletion", "resolve"]


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


def list_requests(session: Session, app_id: str, *,
                  include_resolved: bool = False) -> list[DeletionRequest]:
    """The app's deletion requests, oldest first; open ones only unless ``include_resolved``.

    Raises:
        UnknownApp: no such app.
    """
    if session.get(App, app_id) is None:
        raise UnknownApp(app_id)
    q = select(DeletionRequest).where(DeletionRequest.app_id == app_id)
    if not include_resolved:
        q = q.where(DeletionRequest.status == "open")
    return list(session.scalars(q.order_by(DeletionRequest.row_id)))


def resolve(session: Session, app_id: str, request_id: str, note: str, now: datetime,
            actor: str) -> DeletionRequest:
    """Mark a deletion request resolved with ``note`` (what was done), in the admin log too.

    Raises:
        InvalidValue: an empty note.
        UnknownApp: no such app.
        UnknownDeletionRequest: no such request for this app.
        AlreadyResolved: the request was resolved before (its note stays).
    """
    text = note.strip()
    if not text:
        raise InvalidValue("note", "must say what was done")
    if session.get(App, app_id) is None:
        raise UnknownApp(app_id)
    request = session.scalars(select(DeletionRequest).where(
        DeletionRequest.app_id == app_id, DeletionRequest.request_id == request_id)
        .with_for_update()).first()
    if request is None:
        raise UnknownDeletionRequest(app_id, request_id)
    if request.status == "resolved":
        raise AlreadyResolved(request_id, request.resolved_at or "?")
    request.status = "resolved"
    request.resolved_at = format_time(now)
    request.resolution = text
    session.flush()
    adminlog.record(session, actor, "deletion.resolve", f"{app_id}/{request_id}",
                    {"install_id": request.install_id, "note": text}, now)
    return request
