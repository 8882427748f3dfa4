"""``kelisim consents export``: the consent log joined with the Law 94-V elements of each
record's version, as JSON lines or CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.consent.checks import clock_skew
from server.errors import UnknownApp
from server.models import App, ConsentRecord, PolicyVersion

__all__ = ["CSV_COLUMNS", "EVIDENCE_COLUMNS", "EXPORT_COLUMNS", "csv_cell", "csv_header",
           "evidence_cells", "export_rows", "to_csv_line"]

# OWASP, CSV injection: a spreadsheet reads a cell that starts with one of these as a
# formula (tab and CR too: some strip them and read what follows).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A formula start after a separator (and spaces or a quote a spreadsheet would drop).
_AFTER_SEPARATOR = re.compile(r"""([;,\t\r\n][ "']*)([=+\-@])""")

EXPORT_COLUMNS = [
    "seq", "record_id", "install_id", "action", "version", "version_label", "locale",
    "document_sha256", "purposes_granted", "purposes_refused", "age_confirmed", "guardian",
    "client_time", "server_time", "clock_skew", "manifest_seq", "chain_hash",
    # Law 94-V Art. 8(4): what the consent was to, from the version it refers to
    "operator", "operator_bin", "consent_term", "third_party_transfer",
    "cross_border_transfer", "public_disclosure", "data_categories", "vendors",
    # What happened on screen (the SDK's evidence): JSON lines carry the object as sent
    "evidence",
]

# CSV has no objects: the evidence as flat columns, one a field (empty: not reported).
# seconds_by_layer reads "first_layer=12;purposes=3"; layers_shown "first_layer;full_text".
EVIDENCE_COLUMNS = ["layers_shown", "full_text_opened", "scrolled_to_end",
                    "seconds_on_screen", "seconds_by_layer", "ui_locale"]
CSV_COLUMNS = [c for c in EXPORT_COLUMNS if c != "evidence"] + EVIDENCE_COLUMNS


def export_rows(session: Session, app_id: str, since: str | None = None
                ) -> Iterator[dict[str, Any]]:
    """Records oldest first (server_time >= ``since``), joined with their version.

    Raises:
        UnknownApp: no such app.
    """
    app = session.get(App, app_id)
    if app is None:
        raise UnknownApp(app_id)
    versions = {v.number: v for v in session.scalars(
        select(PolicyVersion).where(PolicyVersion.app_id == app_id))}
    q = select(ConsentRecord).where(ConsentRecord.app_id == app_id)
    if since:
        q = q.where(ConsentRecord.server_time >= since)
    for r in session.scalars(q.order_by(ConsentRecord.seq)).yield_per(1000):
        body = versions[r.version].body
        yield {
            "seq": r.seq, "record_id": r.record_id, "install_id": r.install_id,
            "action": r.action, "version": r.version, "version_label": body["label"],
            "locale": r.locale, "document_sha256": r.document_sha256,
            "purposes_granted": sorted(p for p, on in r.purposes.items() if on),
            "purposes_refused": sorted(p for p, on in r.purposes.items() if not on),
            "age_confirmed": r.age_confirmed, "guardian": r.guardian,
            "client_time": r.client_time, "server_time": r.server_time,
            "clock_skew": clock_skew(r.client_time, r.server_time, body["published"]),
            "manifest_seq": r.manifest_seq, "chain_hash": r.row_hash,
            "operator": app.controller["name"], "operator_bin": app.controller["bin"],
            "consent_term": body["consent_term"],
            "third_party_transfer": body["third_party_transfer"],
            "cross_border_transfer": body["cross_border_transfer"],
            "public_disclosure": body["public_disclosure"],
            "data_categories": sorted(c["id"] for c in body["data_categories"]),
            "vendors": sorted(f"{v['name']} ({v['country']})" for v in body["vendors"]),
            "evidence": dict(r.evidence or {}),
        }


def csv_cell(value: Any) -> str | int | float:
    """One value as a CSV cell: lists joined with ``;``, objects as JSON, text that a
    spreadsheet would run as a formula (version labels, operator and vendor names come from
    publishers) prefixed with ``'``, as OWASP's CSV injection guidance says. Numbers stay
    numbers (a negative clock skew is not a formula)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, list):
        text = ";".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    # A spreadsheet set to split on ";" (Excel's separator in ru and kk locales) or ","
    # reads every piece after one as a cell of its own: "3.0;=HYPERLINK(...)" would be a
    # formula there. Each such piece is neutralised too.
    text = _AFTER_SEPARATOR.sub(r"\1'\2", text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def evidence_cells(evidence: Any) -> dict[str, Any]:
    """The evidence object as EVIDENCE_COLUMNS' values (None where it reports nothing)."""
    ev = evidence if isinstance(evidence, dict) else {}
    by_layer = ev.get("seconds_by_layer")
    return {
        "layers_shown": list(ev["layers_shown"]) if isinstance(ev.get("layers_shown"), list)
        else None,
        "full_text_opened": ev.get("full_text_opened"),
        "scrolled_to_end": ev.get("scrolled_to_end"),
        "seconds_on_screen": ev.get("seconds_on_screen"),
        "seconds_by_layer": [f"{k}={v}" for k, v in by_layer.items()]
        if isinstance(by_layer, dict) else None,
        "ui_locale": ev.get("ui_locale"),
    }


def to_csv_line(row: dict[str, Any]) -> str:
    """One CSV line of CSV_COLUMNS (the evidence object flattened), each cell through
    :func:`csv_cell` (the console's export and ``kelisim consents export`` both write
    this)."""
    flat = {**row, **evidence_cells(row.get("evidence"))}
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([csv_cell(flat[c]) for c in CSV_COLUMNS])
    return buf.getvalue()


def csv_header() -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(CSV_COLUMNS)
    return buf.getvalue()
