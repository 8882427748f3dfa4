"""Requests of the data subject on the device: a stored row as a :class:`DataRequest`, and
reading their status back from the install's history (``GET .../installs/<id>/consents``).

``pull_status`` runs in ``sync()`` after the upload, only while some request the server
confirmed is not yet answered; it never registers an install (an install the server does
not know has no requests there). Every field of the answer is checked before anything is
stored; an answer that names a request with a wrong field is a :class:`FormatError` and
nothing of it is stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from client_sdk.errors import ConsentError, FormatError, StorageError
from client_sdk.protocol.envelope import PAYLOAD_RECEIPT, parse_envelope
from client_sdk.protocol.grammar import is_note, is_time, is_uuid
from client_sdk.protocol.receipts import Receipt
from client_sdk.protocol.records import REQUEST_NOTE_MAX, REQUEST_STATUSES, request_kind
from client_sdk.protocol.timeutil import format_time
from client_sdk.requests import DataRequest, RequestState

if TYPE_CHECKING:
    from datetime import datetime

    from client_sdk._internal.store import Store
    from client_sdk.transport import Transport

__all__ = ["from_row", "pull_status"]

# Pages of history read at most in one sync (500 records and requests each).
MAX_PAGES = 200


def _from_receipt(raw: bytes | None) -> tuple[str | None, str | None]:
    """The received time and deadline a stored (verified when stored) receipt holds."""
    if raw is None:
        return None, None
    try:
        receipt = Receipt.parse(parse_envelope(raw, PAYLOAD_RECEIPT).payload)
    except ConsentError:
        return None, None
    r = receipt.request
    return (r.server_time, r.deadline) if r is not None else (None, None)


def from_row(row: tuple[Any, ...], path: Path) -> DataRequest:
    """A row of ``Store.request_rows`` as a request.

    Raises:
        StorageError: a row the SDK would never write.
    """
    (rid, action, created, note, withdraw, synced_at, rejected_at, reason, receipt, status,
     received_at, deadline, answered_at, answer, checked_at) = row
    kind = request_kind(action)
    if kind is None or withdraw not in (None, 0, 1) or \
            not (note is None or isinstance(note, str)):
        raise StorageError(f"{path}: request {rid} has a row the SDK never writes")
    state: RequestState
    if rejected_at is not None:
        state = "rejected"
    elif synced_at is None:
        state = "pending"
    elif status in ("resolved", "refused"):
        state = status
    else:
        state = "open"
    signed_at, signed_deadline = _from_receipt(None if receipt is None else bytes(receipt))
    # What the signed receipt says wins over the history's unsigned copy.
    return DataRequest(rid, kind, created, note, None if withdraw is None else bool(withdraw),
                       state, signed_at or received_at, signed_deadline or deadline,
                       answered_at, answer, reason,
                       None if receipt is None else bytes(receipt), checked_at)


def _status(item: dict[str, Any], where: str, url: str) -> dict[str, str | None]:
    """The status fields of one history entry, each checked."""
    def bad(field: str, what: str) -> FormatError:
        return FormatError(f"must be {what}", field=f"{where}.{field}", url=url)

    if item.get("status") not in REQUEST_STATUSES:
        raise bad("status", f"one of {', '.join(REQUEST_STATUSES)}")
    for name in ("server_time", "deadline"):
        if not is_time(item.get(name)):
            raise bad(name, "an RFC 3339 UTC time")
    answered, answer = item.get("resolved_at"), item.get("answer")
    open_ = item["status"] == "open"
    if not (answered is None if open_ else is_time(answered)):
        raise bad("resolved_at", "null while open, else an RFC 3339 UTC time")
    if not (answered is None or answered >= item["server_time"]):
        raise bad("resolved_at", "a time after the request was received")
    if not (answer is None if open_ else
            isinstance(answer, str) and len(answer) <= REQUEST_NOTE_MAX and is_note(answer)):
        raise bad("answer", f"null while open, else text of at most {REQUEST_NOTE_MAX} "
                            f"characters without control or bidirectional-override "
                            f"characters")
    return {"status": item["status"], "received_at": item["server_time"],
            "deadline": item["deadline"], "answered_at": answered, "answer": answer}


def pull_status(store: Store, transport: Transport, *, base_url: str, app_id: str,
                now: datetime) -> int:
    """Read the status of the requests not yet answered from the install's history and
    store it; returns how many requests changed.

    Raises:
        NetworkError, FormatError: the history could not be read (nothing stored).
        StorageError: the store failed.
    """
    from client_sdk._internal.sync import _object, _Session, read_error

    path = store.path
    waiting = {r.id: r for r in (from_row(row, path) for row in store.request_rows())
               if r.status == "open"}
    meta = store.get_metas(("install_id",))
    install_id = meta.get("install_id", b"").decode("utf-8", errors="replace")
    if not waiting or not is_uuid(install_id):
        return 0
    session = _Session(store, transport, base_url, app_id)
    updates: dict[str, dict[str, str | None]] = {}
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        url = f"{session.base}/installs/{{install}}/consents?limit=500" + \
            (f"&cursor={quote(cursor, safe='')}" if cursor else "")
        _, resp = session.post_authed(url, None, register=False)
        if resp.status != 200:
            raise read_error(resp).error(url)
        page = _object(resp, url, "history page")
        items = page.get("requests", [])
        if not isinstance(items, list):
            raise FormatError("must be a list", field="requests", url=url)
        for i, item in enumerate(items):
            if isinstance(item, dict) and item.get("id") in waiting:
                mine = waiting[item["id"]]
                # The signed receipt's times are the request's: the history (not signed)
                # may not move them.
                if mine.received_at is not None:
                    item = {**item, "server_time": mine.received_at}
                if mine.deadline is not None:
                    item = {**item, "deadline": mine.deadline}
                updates[item["id"]] = _status(item, f"requests[{i}]", url)
        cursor = page.get("next_cursor")
        if cursor is None:
            break
        if not isinstance(cursor, str) or len(cursor) > 100:
            raise FormatError("must be a cursor string or null", field="next_cursor", url=url)
    changed = {rid: u for rid, u in updates.items()
               if (u["status"], u["answer"]) != ("open", None) or
               waiting[rid].deadline != u["deadline"]}
    store.set_request_status(updates, format_time(now))
    return len(changed)
