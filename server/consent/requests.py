"""Deletion requests as the operator sees them: the queue and resolving one.

Apps file requests through the sync API (:func:`server.consent.installs.request_deletion`); an
operator (CLI or console) lists them and marks each resolved with a note of what was done.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol.timeutil import format_time
from server import adminlog
from server.errors import AlreadyResolved, InvalidValue, UnknownApp, UnknownDeletionRequest
from server.models import App, DeletionRequest

__all__ = ["list_requests", "resolve"]


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
