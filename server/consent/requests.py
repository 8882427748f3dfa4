"""Requests of the data subject (access, rectification, blocking, deletion; Law 94-V
Art. 24): intake from apps, the operator's queue, and answering one.

Apps file requests through the sync API (:func:`file_request`; :func:`request_deletion` for
the older deletion endpoint), each with a signed receipt that holds its deadline
(:mod:`server.consent.deadlines`); an operator (CLI or console) lists them, overdue first
then by deadline, and resolves or refuses each with a note the install reads back in its
history.

Each request is a row of its app's hash chain, between the consent records, and so a leaf
of the app's transparency log (docs/transparency.md): the answer to the install carries
its salt and inclusion proof (:func:`request_log_place`), as a record's does.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from client_sdk.protocol.envelope import PAYLOAD_RECEIPT
from client_sdk.protocol.grammar import is_note
from client_sdk.protocol.jsonutil import canonical_bytes
from client_sdk.protocol.logentry import REQUEST_ENTRY, request_fields
from client_sdk.protocol.receipts import deletion_payload, request_payload
from client_sdk.protocol.records import REQUEST_NOTE_MAX
from client_sdk.protocol.rules import check_request
from client_sdk.protocol.timeutil import format_time
from server import adminlog
from server.consent.chain import body_hash, chain_hash, head_moves, lock_head
from server.consent.deadlines import deadline
from server.consent.installs import check_generation
from server.consent.rawsql import raw
from server.consent.tlog import LogPlace, sequence, stored_proofs
from server.errors import (
    AlreadyResolved,
    InvalidValue,
    RecordConflict,
    UnknownApp,
    UnknownDeletionRequest,
)
from server.models import App, DeletionRequest, RootVersion
from server.trust.keys import sign_envelope
from server.trust.log_keys import log_signer_of
from server.trust.receipt_keys import receipt_keys
from server.webhooks.events import add_event, request_data

__all__ = ["Outcome", "count_requests", "file_request", "get_request", "list_requests",
           "queue_order", "request_deletion", "request_log_place", "resolve"]

Outcome = Literal["resolved", "refused"]


def _known(session: Session, app_id: str, install_id: str, body: dict[str, Any],
           generation: int) -> tuple[DeletionRequest | None, str, tuple[int, str]]:
    """The request stored before with this id (None: new), the body's hash, and the app's
    chain head (seq, hash), locked for this transaction."""
    check_generation(session, app_id, install_id, generation)
    # Every row this writes is written under the app's chain-head lock, like records:
    # group transactions then take their locks in one order (by app) and cannot deadlock.
    # The request is a row of that chain (:func:`_store`).
    r = raw(session)
    try:
        head = lock_head(r, app_id)
    finally:
        r.close()
    old = session.scalars(select(DeletionRequest).where(
        DeletionRequest.app_id == app_id, DeletionRequest.request_id == body["id"])).first()
    digest = body_hash(body)
    if old is not None and (old.body_hash != digest or old.install_id != install_id):
        raise RecordConflict(f"request {body['id']} was received before with other content",
                             body["id"])
    return old, digest, head


def file_request(session: Session, app_id: str, install_id: str, body: dict[str, Any],
                 keys_dir: Path, now: datetime, *, app_days: int,
                 generation: int = 1) -> DeletionRequest:
    """Store a request ``{id, kind, client_time, note, withdraw}`` (idempotent by id) with
    its deadline and a signed ``request`` receipt. ``app_days``: the app's deadline
    setting (see :mod:`server.consent.deadlines`).

    Raises:
        InvalidValue: the body breaks ``client_sdk.protocol.rules.check_request`` (422
            naming ``kind``, ``note`` or ``withdraw``).
        UnknownInstall: an unknown install or a revoked token (401).
        RecordConflict: a known id with another body (422).
    """
    problems = check_request(body.get("kind"), body.get("note"), body.get("withdraw"))
    if problems:
        raise InvalidValue(problems[0].field, problems[0].message)
    old, digest, head = _known(session, app_id, install_id, body, generation)
    if old is not None:
        return old
    stamp, due = _received(session, app_id, now, body["kind"], app_days)
    payload = request_payload(app_id, install_id, stamp, body["id"], body["kind"],
                              body["client_time"], due, body.get("withdraw"),
                              body.get("note"))
    return _store(session, app_id, install_id, body, digest, stamp, due, payload, keys_dir,
                  head)


def _received(session: Session, app_id: str, now: datetime, kind: str,
              app_days: int) -> tuple[str, str]:
    """When a request of ``kind`` was received and its deadline: the app's setting capped
    by the law of the controller's country (:func:`deadline`)."""
    app = session.get(App, app_id)
    country = app.controller.get("country") if app is not None else None
    return format_time(now), format_time(deadline(now, country, kind, app_days))


def request_deletion(session: Session, app_id: str, install_id: str, body: dict[str, Any],
                     keys_dir: Path, now: datetime, *, app_days: int = 30,
                     generation: int = 1) -> DeletionRequest:
    """Store a deletion request from ``POST /deletion-requests`` (SDKs before requests of
    every kind; idempotent by id) with a ``deletion_request`` receipt.

    Raises:
        UnknownInstall: an unknown install or a revoked token (401).
        RecordConflict: a known id with another body (422).
    """
    old, digest, head = _known(session, app_id, install_id, body, generation)
    if old is not None:
        return old
    stamp, due = _received(session, app_id, now, "deletion", app_days)
    payload = deletion_payload(app_id, install_id, stamp, body["id"], body["client_time"])
    return _store(session, app_id, install_id, {**body, "kind": "deletion"}, digest, stamp,
                  due, payload, keys_dir, head)


def _store(session: Session, app_id: str, install_id: str, body: dict[str, Any],
           digest: str, stamp: str, due: str, payload: bytes, keys_dir: Path,
           head: tuple[int, str]) -> DeletionRequest:
    """The request as the next row of the app's chain (``head``: as :func:`_known` locked
    and read it)
    and the next leaf of its transparency log, with one checkpoint of the new size
    (server/consent/tlog.py), in the caller's transaction."""
    r = raw(session)
    try:
        seq, prev = head[0] + 1, head[1]
        fields = request_fields(request_id=body["id"], install_id=install_id,
                                kind=body["kind"], client_time=body["client_time"],
                                withdraw=body.get("withdraw"), note=body.get("note"),
                                seq=seq, server_time=stamp, deadline=due)
        canonical = canonical_bytes(fields)
        row_hash = chain_hash(prev, canonical)
        row = DeletionRequest(app_id=app_id, request_id=body["id"], install_id=install_id,
                              kind=body["kind"], note=body.get("note"),
                              withdraw=body.get("withdraw"), deadline=due,
                              client_time=body["client_time"], server_time=stamp,
                              body_hash=digest, status="open",
                              receipt=sign_envelope(payload, PAYLOAD_RECEIPT,
                                                    receipt_keys(session, keys_dir)),
                              seq=seq, prev_hash=prev, row_hash=row_hash)
        session.add(row)
        session.flush()
        version = session.scalar(select(func.max(RootVersion.version)))
        logged = sequence(r, [{"app_id": app_id, "seq": seq, "record_id": body["id"],
                               "entry": REQUEST_ENTRY}],
                          log_signer_of(session, keys_dir, version), stamp, [canonical])
        r.all_of([*logged.statements, *head_moves({app_id: (seq, row_hash)})])
    finally:
        r.close()
    add_event(session, app_id, "request.created", request_data(row), stamp)
    return row


def request_log_place(session: Session, app_id: str, request_id: str) -> LogPlace | None:
    """The request's salt and inclusion proof (``tlog-proof``) in its app's log: in the
    checkpoint with the most witness cosignatures that covers it, else the newest; None
    while no checkpoint covers it (a root without a log key). Read after the commit that
    stored it (what it reads never changes once committed)."""
    r = raw(session)
    try:
        return stored_proofs(r, [(app_id, request_id)], REQUEST_ENTRY).get(
            (app_id, request_id))
    finally:
        r.close()


def queue_order(rows: list[DeletionRequest], now: datetime) -> list[DeletionRequest]:
    """Open requests first: overdue ones, then by deadline (nearest first); then the
    answered ones, newest answer first."""
    stamp = format_time(now)
    open_rows = sorted((r for r in rows if r.status == "open"),
                       key=lambda r: (r.deadline >= stamp, r.deadline, r.row_id))
    done = sorted((r for r in rows if r.status != "open"),
                  key=lambda r: (r.resolved_at or "", r.row_id), reverse=True)
    return open_rows + done


def list_requests(session: Session, app_id: str | None, now: datetime, *,
                  include_resolved: bool = False, kind: str | None = None,
                  limit: int | None = None, status: str | None = None,
                  install_id: str | None = None) -> list[DeletionRequest]:
    """Requests of an app (all apps with None) in :func:`queue_order`; open ones only
    unless ``include_resolved``; of one ``kind``, ``status`` or ``install_id`` when given;
    the first ``limit`` of them when given (ordered in the database: the open ones by
    deadline, which puts the overdue first, then the answered ones, newest answer first).

    Raises:
        UnknownApp: no such app.
    """
    q = select(DeletionRequest)
    if app_id is not None:
        if session.get(App, app_id) is None:
            raise UnknownApp(app_id)
        q = q.where(DeletionRequest.app_id == app_id)
    if kind is not None:
        q = q.where(DeletionRequest.kind == kind)
    if install_id is not None:
        q = q.where(DeletionRequest.install_id == install_id)
    if status is not None:
        q = q.where(DeletionRequest.status == status)
        include_resolved = status != "open"
    open_q = q.where(DeletionRequest.status == "open").order_by(
        DeletionRequest.deadline, DeletionRequest.row_id).limit(limit)
    rows = list(session.scalars(open_q))
    if include_resolved and (limit is None or len(rows) < limit):
        done_q = q.where(DeletionRequest.status != "open").order_by(
            DeletionRequest.resolved_at.desc(), DeletionRequest.row_id.desc()).limit(
            None if limit is None else limit - len(rows))
        rows += session.scalars(done_q)
    return queue_order(rows, now)


def get_request(session: Session, app_id: str, request_id: str) -> DeletionRequest:
    """One request of the app.

    Raises:
        UnknownApp: no such app.
        UnknownDeletionRequest: no such request for this app.
    """
    if session.get(App, app_id) is None:
        raise UnknownApp(app_id)
    row = session.scalars(select(DeletionRequest).where(
        DeletionRequest.app_id == app_id, DeletionRequest.request_id == request_id)).first()
    if row is None:
        raise UnknownDeletionRequest(app_id, request_id)
    return row


def count_requests(session: Session, *, include_resolved: bool = False) -> int:
    """How many requests :func:`list_requests` of every app would list without a limit."""
    q = select(func.count()).select_from(DeletionRequest)
    if not include_resolved:
        q = q.where(DeletionRequest.status == "open")
    return int(session.scalar(q) or 0)


def resolve(session: Session, app_id: str, request_id: str, note: str, now: datetime,
            actor: str, *, outcome: Outcome = "resolved") -> DeletionRequest:
    """Answer a request: ``resolved`` (done) or ``refused`` (with the legal reason), with
    ``note`` saying what was done or why not; the install reads both back in its history.
    Recorded in the admin log too.

    Raises:
        InvalidValue: an empty or too long note, or an unknown outcome.
        UnknownApp: no such app.
        UnknownDeletionRequest: no such request for this app.
        AlreadyResolved: the request was answered before (its note stays).
    """
    text = note.strip()
    if not text:
        raise InvalidValue("note", "must say what was done, or why the request is refused")
    if len(text) > REQUEST_NOTE_MAX:
        raise InvalidValue("note", f"at most {REQUEST_NOTE_MAX} characters")
    if not is_note(text):
        raise InvalidValue("note", "must be text with something visible in it, without "
                                   "control or bidirectional-override characters")
    if outcome not in ("resolved", "refused"):
        raise InvalidValue("outcome", "must be resolved or refused")
    if session.get(App, app_id) is None:
        raise UnknownApp(app_id)
    request = session.scalars(select(DeletionRequest).where(
        DeletionRequest.app_id == app_id, DeletionRequest.request_id == request_id)
        .with_for_update()).first()
    if request is None:
        raise UnknownDeletionRequest(app_id, request_id)
    if request.status != "open":
        raise AlreadyResolved(request_id, request.resolved_at or "?")
    request.status = outcome
    request.resolved_at = format_time(now)
    request.resolution = text
    session.flush()
    add_event(session, app_id, "request.resolved", request_data(request),
              request.resolved_at)
    verb = "resolve" if outcome == "resolved" else "refuse"
    # A resolved deletion keeps the action name it always had in the admin log.
    action = f"deletion.{verb}" if request.kind == "deletion" else f"request.{verb}"
    adminlog.record(session, actor, action, f"{app_id}/{request_id}",
                    {"install_id": request.install_id, "kind": request.kind,
                     "note": text}, now)
    return request
