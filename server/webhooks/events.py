"""Events of the outbox: what each consent-log record and each request change emits, and
the payload it carries.

Events are derived from a record's kind (its ``action``) by one table,
:data:`EVENT_OF_ACTION`: a record kind that is added to the consent log later (the subject
``link`` and ``unlink`` records) emits its event as soon as records of that kind are
stored, with no other change here. Request events come from the requests service
(created, resolved or refused) and from the worker's scan for overdue requests.

A payload carries no more personal data than the operator API shows (docs/operator-api.md):
ids, the action, the version, the purposes granted or not, times; never a record's
evidence, a guardian's name or a request's note (the backend reads those with an API key
when it needs them).

Every event is written in the transaction of what causes it: the consent records' in the
group commit's batch (:func:`record_event_rows`, plain statements added to the batch's
own), a request's in the requests service (:func:`add_event`). A crash loses none.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Final, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from server.consent.rawsql import Raw
from server.models import DeletionRequest, WebhookEvent

__all__ = ["EVENTS", "EVENT_COLUMNS", "EVENT_OF_ACTION", "EVENT_TABLE", "REQUEST_EVENTS",
           "add_event", "event_row", "outbox_statements", "overdue_event_id",
           "record_event_rows", "request_data"]

EVENT_TABLE = cast(Table, WebhookEvent.__table__)
EVENT_COLUMNS: Final = ("event_id", "app_id", "kind", "payload", "created_at", "fanned")

# The consent log's record kinds (``action``) -> the event a stored record of that kind
# emits. Kinds not listed (``acknowledge``: a minor version taken note of) emit none.
# ``link``/``unlink`` are the subject records (issue 21 part 2).
EVENT_OF_ACTION: Final[Mapping[str, str]] = {
    "accept": "consent.accepted",
    "decline": "consent.declined",
    "withdraw": "consent.withdrawn",
    "update": "consent.purposes_changed",
    "link": "subject.linked",
    "unlink": "subject.unlinked",
}
# A link's record does not hold its subject: server/consent/subjects.py writes these two
# events itself (:func:`subject_event`), in the same transaction, once the link is known.
SUBJECT_ACTIONS: Final = ("link", "unlink")
REQUEST_EVENTS: Final = ("request.created", "request.resolved", "request.overdue")
EVENTS: Final[tuple[str, ...]] = (*dict.fromkeys(EVENT_OF_ACTION.values()), *REQUEST_EVENTS)
# Record fields a payload may carry (the rest: evidence, guardian, locale, ... stay out).
_RECORD_DATA: Final = ("action", "version", "purposes", "client_time", "subject_id")


def event_row(app_id: str, kind: str, data: dict[str, Any], stamp: str,
              event_id: str | None = None) -> tuple[Any, ...]:
    """An outbox row (in :data:`EVENT_COLUMNS` order), created at ``stamp`` (RFC 3339). The
    payload is what the receiver gets: ``{id, type, created, app_id, data}``."""
    event_id = event_id or str(uuid.uuid4())
    payload = {"id": event_id, "type": kind, "created": stamp, "app_id": app_id,
               "data": data}
    return (event_id, app_id, kind, payload, stamp, False)


def record_event_rows(rows: Iterable[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The outbox rows of consent-log rows just appended (``app_id``, ``seq``,
    ``record_id``, ``install_id`` and the record's fields), one per row whose kind emits an
    event."""
    out = []
    for row in rows:
        kind = EVENT_OF_ACTION.get(row["action"])
        if kind is None or row["action"] in SUBJECT_ACTIONS:
            continue
        data: dict[str, Any] = {"install_id": row["install_id"], "record_id": row["record_id"],
                "seq": row["seq"], "received_at": row["server_time"],
                **{k: row[k] for k in _RECORD_DATA if k in row}}
        out.append(event_row(row["app_id"], kind, data, row["server_time"]))
    return out


def outbox_statements(r: Raw, rows: Iterable[dict[str, Any]]
                      ) -> list[tuple[str, tuple[Any, ...]]]:
    """The INSERT statements (for :meth:`Raw.all_of`, in the batch's transaction) of the
    events of consent-log ``rows`` just appended; none when no row emits one."""
    events = record_event_rows(rows)
    return r.values(EVENT_TABLE, EVENT_COLUMNS, events) if events else []


def subject_event(session: Session, app_id: str, action: str, data: dict[str, Any],
                  stamp: str) -> WebhookEvent:
    """The ``subject.linked`` / ``subject.unlinked`` event of a link or unlink record
    (``data``: install_id, record_id, seq, subject_id), in the session's transaction."""
    return add_event(session, app_id, EVENT_OF_ACTION[action],
                     {**data, "action": action, "received_at": stamp}, stamp)


def request_data(d: DeletionRequest) -> dict[str, Any]:
    """A request event's data: as the operator API lists the request, without the notes."""
    return {"request_id": d.request_id, "kind": d.kind, "install_id": d.install_id,
            "status": d.status, "received_at": d.server_time, "deadline": d.deadline,
            "resolved_at": d.resolved_at}


def add_event(session: Session, app_id: str, kind: str, data: dict[str, Any], stamp: str,
              event_id: str | None = None) -> WebhookEvent:
    """Write one event, created at ``stamp``, in the session's transaction."""
    values = dict(zip(EVENT_COLUMNS, event_row(app_id, kind, data, stamp, event_id),
                      strict=True))
    event = WebhookEvent(**values)
    session.add(event)
    return event


def overdue_event_id(app_id: str, request_id: str) -> str:
    """The id of a request's ``request.overdue`` event: fixed, so that the scan emits it
    once however often it runs (the unique event id refuses a second)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kelisim:{app_id}/{request_id}/overdue"))
