"""An install's own history (the subject's right of access), a bounded page at a time.

A page holds at most ``limit`` records in seq order, each pointing at its receipt by id,
and each receipt once; at most ``limit`` requests of the data subject (each with its kind,
deadline, status and the operator's answer; the deletion ones also in
``deletion_requests`` for older SDKs); and stops early when it would
pass :data:`PAGE_BYTES`. Everything is read with ``LIMIT`` in SQL, so neither the answer
nor the worker's memory grows with the install's history.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from client_sdk.protocol.records import RECORD_FIELD_NAMES
from server.consent.checks import clock_skew, published_times
from server.errors import InvalidValue
from server.models import ConsentRecord, DeletionRequest, Receipt

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "PAGE_BYTES", "history_page", "parse_limit_arg"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
# A page stops before this many bytes of records and receipts (it always holds at least
# one record when there is one, and one receipt is bounded by the body cap of its batch).
PAGE_BYTES = 2 * 1024 * 1024
_CURSOR_RE = re.compile(r"[0-9]{1,10}\.[0-9]{1,10}")
_LIMIT_RE = re.compile(r"[0-9]{1,4}")


def parse_limit_arg(raw: str | None) -> int:
    """The ``limit`` query argument.

    Raises:
        InvalidValue: 422 naming ``limit`` for anything but an integer 1 to MAX_LIMIT.
    """
    if raw is None:
        return DEFAULT_LIMIT
    if not _LIMIT_RE.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidValue("limit", f"an integer from 1 to {MAX_LIMIT}")
    return int(raw)


def _encode_cursor(seq: int, row: int) -> str:
    return base64.urlsafe_b64encode(f"{seq}.{row}".encode()).decode().rstrip("=")


def _decode_cursor(raw: str | None) -> tuple[int, int]:
    if raw is None:
        return 0, 0
    problem = InvalidValue("cursor", "not a cursor this server gave; start again without one")
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise problem from None
    if len(raw) > 40 or not _CURSOR_RE.fullmatch(text):
        raise problem
    seq, row = text.split(".")
    return int(seq), int(row)


def _record_json(r: Any, published: dict[int, str]) -> dict[str, Any]:
    """The record as the install sent it (its id is stored as ``record_id``), and what the
    server added."""
    out = {name: getattr(r, "record_id" if name == "id" else name)
           for name in RECORD_FIELD_NAMES}
    out.update({"server_time": r.server_time,
                "clock_skew": clock_skew(r.client_time, r.server_time, published.get(r.version)),
                "chain_hash": r.row_hash, "receipt": str(r.receipt_id)})
    return out


def history_page(session: Session, app_id: str, install_id: str, limit: int,
                 cursor: str | None,
                 windows: dict[str, list[tuple[int, int]]] | None = None) -> dict[str, Any]:
    """One page of the install's records and requests, and the cursor of the next.
    ``windows`` (the subject's access export, server/consent/subjectstate.py): the
    records of every install linked to the install's subject, each within the seq
    ranges ``(low, high)`` of its links, with its ``install_id``; requests stay the
    install's own.

    Raises:
        InvalidValue: 422 naming ``cursor``: a cursor this server did not give.
    """
    after_seq, after_row = _decode_cursor(cursor)
    whose = (ConsentRecord.install_id == install_id if windows is None
             else ConsentRecord.install_id.in_(sorted(windows)))
    scanned = list(session.scalars(
        select(ConsentRecord).where(ConsentRecord.app_id == app_id, whose,
                                    ConsentRecord.seq > after_seq)
        .order_by(ConsentRecord.seq).limit(limit + 1)))
    more_records = len(scanned) > limit
    scanned = scanned[:limit]
    rows = scanned if windows is None else [
        r for r in scanned if any(low < r.seq < high for low, high in windows[r.install_id])]
    broke = False
    sizes: dict[int, int] = dict(session.execute(
        select(Receipt.id, func.length(Receipt.envelope))
        .where(Receipt.id.in_({r.receipt_id for r in rows}))).all())
    records: list[dict[str, Any]] = []
    wanted: list[int] = []
    used = 0
    published = published_times(session, app_id) if rows else {}
    for r in rows:
        rec = _record_json(r, published)
        if windows is not None:
            rec["install_id"] = r.install_id
        cost = len(json.dumps(rec)) + (sizes[r.receipt_id] if r.receipt_id not in wanted
                                       else 0)
        if records and used + cost > PAGE_BYTES:
            more_records = broke = True
            break
        used += cost
        records.append(rec)
        if r.receipt_id not in wanted:
            wanted.append(r.receipt_id)
    receipts = {str(i): env.decode() for i, env in session.execute(
        select(Receipt.id, Receipt.envelope).where(Receipt.id.in_(wanted))).all()}
    # Where the next page starts: after the last record sent when the page filled up,
    # else after the last one looked at (a subject's page skips other links' records).
    last_seq = (rows[len(records) - 1].seq if broke
                else scanned[-1].seq if scanned else after_seq)
    deletions = list(session.scalars(
        select(DeletionRequest).where(DeletionRequest.app_id == app_id,
                                      DeletionRequest.install_id == install_id,
                                      DeletionRequest.row_id > after_row)
        .order_by(DeletionRequest.row_id).limit(limit + 1)))
    more_deletions = len(deletions) > limit
    deletions = deletions[:limit]
    last_row = deletions[-1].row_id if deletions else after_row
    requests = [{
        "id": d.request_id, "kind": d.kind, "client_time": d.client_time,
        "server_time": d.server_time, "deadline": d.deadline, "status": d.status,
        "resolved_at": d.resolved_at, "answer": d.resolution, "note": d.note,
        "withdraw": d.withdraw, "receipt": d.receipt.decode()} for d in deletions]
    return {
        "install_id": install_id,
        "records": records,
        "receipts": {k: receipts[k] for k in map(str, wanted)},
        "deletion_requests": [{k: r[k] for k in ("id", "client_time", "server_time",
                                                  "status", "resolved_at", "receipt")}
                              for r in requests if r["kind"] == "deletion"],
        "requests": requests,
        "next_cursor": (_encode_cursor(last_seq, last_row)
                        if more_records or more_deletions else None),
    }
