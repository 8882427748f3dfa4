"""Human-readable texts about the user's requests and data, in the user's language:
the line a request shows in ConsentSettings, and the summary of an export (plain text
with Markdown headings). Kivy-free: any UI can use them.

API::

    request_line(w, request) -> str       kind · status (received, deadline, answer)
    export_summary(app_name, records, requests, tag, now, zone=None) -> str
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from client_sdk._internal.ledger import LedgerRecord
from client_sdk.protocol.timeutil import parse_time
from client_sdk.requests import DataRequest
from client_sdk.ui.texts import Words

__all__ = ["export_summary", "request_line", "request_state"]


def _date(w: Words, stamp: str | None) -> str:
    return w.date(parse_time(stamp)) if stamp else "?"


def request_state(w: Words, r: DataRequest) -> str:
    """Where ``r`` stands, in words: not sent, refused by the server, received (by when
    the answer is due), done or refused (when)."""
    if r.status == "pending":
        return w("state.pending")
    if r.status == "rejected":
        return w("state.rejected", reason=r.reason or "")
    if r.status == "open":
        return w("state.open", date=_date(w, r.received_at), deadline=_date(w, r.deadline))
    return w(f"state.{r.status}", date=_date(w, r.answered_at))


def request_line(w: Words, r: DataRequest) -> str:
    """One request as text: its kind, where it stands, and the operator's answer."""
    line = f"{w('kind.' + r.kind)} · {request_state(w, r)}"
    if r.kind == "deletion" and r.withdraw:
        line += f" · {w('action.withdraw')}"
    if r.answer:
        line += "\n" + w("request_answer", text=r.answer)
    return line


def export_summary(app_name: str, records: Sequence[LedgerRecord],
                   requests: Sequence[DataRequest], tag: str, now: datetime,
                   zone: tzinfo | None = None) -> str:
    """The export's summary in ``tag`` (dates in local time, or ``zone``)."""
    w = Words(tag, zone=zone)
    out = [f"# {w('export_title', app=app_name)}", "", w("export_made", date=w.when(now)), "",
           f"## {w('export_records')}", ""]
    for r in records:
        sent = w("synced") if r.synced else w("not_synced")
        out.append(f"- {w('action.' + r.action)} · {w.when(parse_time(r.client_time))} · "
                   f"{sent}")
    if not records:
        out.append(w("export_none"))
    out += ["", f"## {w('export_requests')}", ""]
    for q in requests:
        out.append("- " + request_line(w, q).replace("\n", "\n  "))
    if not requests:
        out.append(w("export_none"))
    return "\n".join(out) + "\n"
