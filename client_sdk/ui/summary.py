"""Human-readable texts about the user's requests and data, in the user's language:
the line a request shows in ConsentSettings, and the summary of an export (plain text
with Markdown headings). Kivy-free, and built on the strings and CLDR formatting alone
(not on :mod:`client_sdk.ui.texts`, which needs a client): ``ConsentClient.export_my_data``
uses it too.

API::

    request_state(tag, request, zone=None) -> str   where it stands, in words
    request_line(tag, request, zone=None) -> str    kind · status, and the operator's answer
    export_summary(app_name, records, requests, tag, now, zone=None, *, others=None,
                   install_id=None) -> str
        with ``others`` (the subject's other devices, when linked), each decision says
        which device made it, and a gap (offline, or records that did not verify) is said
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from client_sdk._internal.devices import OtherDevices
from client_sdk._internal.ledger import LedgerRecord
from client_sdk.protocol.timeutil import parse_time
from client_sdk.requests import DataRequest
from client_sdk.ui import fmt
from client_sdk.ui.strings import text

__all__ = ["export_summary", "request_line", "request_state"]


def _date(tag: str, stamp: str | None, zone: tzinfo | None) -> str:
    return fmt.date(parse_time(stamp), tag, zone) if stamp else "?"


def request_state(tag: str, r: DataRequest, zone: tzinfo | None = None) -> str:
    """Where ``r`` stands, in words: not sent, refused by the server, received (by when
    the answer is due), done or refused (when). Dates in local time (or ``zone``)."""
    if r.status == "pending":
        return text("state.pending", tag)
    if r.status == "rejected":
        return text("state.rejected", tag, reason=r.reason or "")
    if r.status == "open":
        return text("state.open", tag, date=_date(tag, r.received_at, zone),
                    deadline=_date(tag, r.deadline, zone))
    return text(f"state.{r.status}", tag, date=_date(tag, r.answered_at, zone))


def request_line(tag: str, r: DataRequest, zone: tzinfo | None = None) -> str:
    """One request as text: its kind, where it stands, and the operator's answer."""
    line = f"{text('kind.' + r.kind, tag)} · {request_state(tag, r, zone)}"
    if r.kind == "deletion" and r.withdraw:
        line += f" · {text('action.withdraw', tag)}"
    if r.answer:
        line += "\n" + text("request_answer", tag, text=r.answer)
    return line


def _device(tag: str, install: str | None, mine: str | None) -> str:
    if install is None or install == mine:
        return text("device.this", tag)
    return text("device.other", tag, id=install[:8])


def export_summary(app_name: str, records: Sequence[LedgerRecord],
                   requests: Sequence[DataRequest], tag: str, now: datetime,
                   zone: tzinfo | None = None, *, others: OtherDevices | None = None,
                   install_id: str | None = None) -> str:
    """The export's summary in ``tag`` (dates in local time, or ``zone``). With
    ``others`` of a linked install, every decision names its device (this one, or
    another by the start of its install id) and a gap is stated."""
    def w(key: str, **values: object) -> str:
        return text(key, tag, **values)

    def when(stamp: datetime) -> str:
        return fmt.datetime_local(stamp, tag, zone)

    linked = others is not None and others.state != "not_linked"
    out = [f"# {w('export_title', app=app_name)}", "", w("export_made", date=when(now)), "",
           f"## {w('export_records')}", ""]
    if others is not None and others.state == "missing":
        out += [w("export_devices_missing", reason=others.reason or "?"), ""]
    elif others is not None and others.state == "not_asked":
        out += [w("export_devices_not_asked"), ""]
    lines: list[tuple[str, str]] = []
    for r in records:
        sent = w("synced") if r.synced else w("not_synced")
        where = f" · {w('device.this')}" if linked else ""
        lines.append((r.client_time, f"- {w('action.' + r.action)} · "
                                     f"{when(parse_time(r.client_time))} · {sent}{where}"))
    for o in (others.records if others is not None else ()):
        lines.append((o["client_time"], f"- {w('action.' + o['action'])} · "
                      f"{when(parse_time(o['client_time']))} · {w('synced')} · "
                      f"{_device(tag, o['install_id'], install_id)}"))
    out += [line for _, line in sorted(lines, key=lambda x: x[0])] if others is not None \
        and others.records else [line for _, line in lines]
    if not lines:
        out.append(w("export_none"))
    if others is not None and others.unverified:
        out += ["", w("export_devices_unverified", count=others.unverified)]
    out += ["", f"## {w('export_requests')}", ""]
    for q in requests:
        out.append("- " + request_line(tag, q, zone).replace("\n", "\n  "))
    if not requests:
        out.append(w("export_none"))
    return "\n".join(out) + "\n"
