"""The admin audit log: who changed what, when, from the CLI or the console.

Every state-changing service (publishing, root rotation, re-signing, resolving a deletion
request, console user changes) calls :func:`record` in its own transaction, so an action
and its log entry are stored together or not at all. Rows are never changed: triggers
made by migration 0006 refuse UPDATE and DELETE on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol.timeutil import format_time
from server.models import AdminEvent

__all__ = ["CLI_ACTOR", "AdminEvent", "events", "record"]

# The actor of commands run from the shell; console actions name the signed-in user's e-mail.
CLI_ACTOR = "cli"


def record(session: Session, actor: str, action: str, target: str,
           details: Mapping[str, Any] | None, now: datetime) -> AdminEvent:
    """Append one event in the caller's transaction.

    ``action`` is a dotted verb such as ``version.publish``; ``target`` names what it acted
    on (an app id, ``app/request-id``, ``root``); ``details`` is JSON-serialisable data.
    """
    if not actor.strip():
        raise ValueError("actor must name who acted")
    event = AdminEvent(at=format_time(now), actor=actor, action=action, target=target,
                       details=dict(details or {}))
    session.add(event)
    session.flush()
    return event


def events(session: Session, *, limit: int = 100, before_id: int | None = None,
           target: str | None = None) -> list[AdminEvent]:
    """The newest events first, ``limit`` at most, older than ``before_id`` when given."""
    q = select(AdminEvent)
    if before_id is not None:
        q = q.where(AdminEvent.id < before_id)
    if target is not None:
        q = q.where(AdminEvent.target == target)
    return list(session.scalars(q.order_by(AdminEvent.id.desc()).limit(limit)))
