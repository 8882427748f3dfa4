"""The consent log: search, one record with its receipt and chain links, export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, request, stream_with_context
from marshmallow import ValidationError
from sqlalchemy import Select, select

from client_sdk.protocol.records import RECORD_ACTIONS, SUBJECT_ACTIONS
from server.admin.evidence import describe_evidence
from server.admin.forms import SearchForm, errors_of
from server.admin.i18n import purpose_titles
from server.admin.security import requires
from server.admin.verify import verify_record
from server.admin.views import audit, kelisim, page
from server.admin.views.log import proof_download
from server.consent.checks import clock_skew
from server.consent.export import EXPORT_COLUMNS, csv_header, to_csv_line
from server.consent.tlogfile import log_summary
from server.models import App, ConsentRecord, PolicyVersion, Receipt

__all__ = ["bp"]

bp = Blueprint("consents", __name__)
PAGE = 50

# What the log's filter offers: the records of /consents and the subject links.
LOG_ACTIONS = (*RECORD_ACTIONS, *SUBJECT_ACTIONS)


def _filtered(app_id: str, f: dict[str, Any], numbers: dict[str, int]) -> Select[Any]:
    """The records the filters ``f`` select; ``numbers`` maps the app's version labels to
    their numbers (the filter names a version by its label)."""
    q = select(ConsentRecord).where(ConsentRecord.app_id == app_id)
    for key in ("install_id", "record_id", "action"):
        if f.get(key) is not None:
            q = q.where(getattr(ConsentRecord, key) == f[key])
    if f.get("version") is not None:
        q = q.where(ConsentRecord.version == numbers[f["version"]])
    if f.get("date_from"):
        q = q.where(ConsentRecord.server_time >= f"{f['date_from']}T00:00:00Z")
    if f.get("date_to"):
        q = q.where(ConsentRecord.server_time <= f"{f['date_to']}T23:59:59Z")
    return q


# The search's filters: the only query parameters the log's pages read or put into links
# (anything else, such as ``_external`` or ``_method``, must never reach url_for).
FILTERS = ("install_id", "record_id", "date_from", "date_to", "action", "version")


def _form(source: Any = None) -> tuple[dict[str, Any], dict[str, list[str]]]:
    try:
        return SearchForm().load(request.args if source is None else source), {}
    except ValidationError as exc:
        return {}, errors_of(exc)


def _labels(s: Any, app_id: str) -> dict[int, str]:
    """{version number: label} of the app, oldest first."""
    rows = s.execute(select(PolicyVersion.number, PolicyVersion.label).where(
        PolicyVersion.app_id == app_id).order_by(PolicyVersion.number))
    return {int(n): str(label) for n, label in rows}


def _check_label(f: dict[str, Any], errors: dict[str, list[str]],
                 labels: dict[int, str]) -> dict[str, int]:
    """{label: number}; a version filter naming no version of the app is a field error."""
    numbers = {label: n for n, label in labels.items()}
    if f.get("version") is not None and f["version"] not in numbers:
        errors["version"] = ["unknown_version"]
    return numbers


def _query(source: Any) -> dict[str, str]:
    """The filters given, as strings, for links and the export form."""
    return {k: str(source[k]) for k in FILTERS if isinstance(source.get(k), str) and source[k]}


@bp.get("/apps/<app_id>/consents")
@requires("view")
def search(app_id: str) -> Any:
    f, errors = _form()
    rows: list[ConsentRecord] = []
    with kelisim().db.session(readonly=True) as s:
        app = s.get(App, app_id)
        if app is None:
            abort(404)
        labels = _labels(s, app_id)
        numbers = _check_label(f, errors, labels)
        if not errors:
            q = _filtered(app_id, f, numbers)
            if f.get("before"):
                q = q.where(ConsentRecord.seq < f["before"])
            rows = list(s.scalars(q.order_by(ConsentRecord.seq.desc()).limit(PAGE + 1)))
        titles = {v.number: purpose_titles(v.body) for v in s.scalars(
            select(PolicyVersion).where(PolicyVersion.app_id == app_id))}
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return page("consents.html", 422 if errors else 200, app=app, rows=rows, f=f,
                errors=errors, more=more, query=_query(request.args), actions=LOG_ACTIONS,
                titles=titles, labels=labels,
                next_before=rows[-1].seq if more and rows else None)


@bp.get("/apps/<app_id>/consents/<record_id>")
@requires("view")
def record(app_id: str, record_id: str) -> Any:
    with kelisim().db.session(readonly=True) as s:
        r = s.scalars(select(ConsentRecord).where(ConsentRecord.app_id == app_id,
                                                  ConsentRecord.record_id == record_id)).first()
        if r is None:
            abort(404)
        receipt = s.get(Receipt, r.receipt_id)
        checks = verify_record(s, r) if request.args.get("verify") else None
        version = s.scalars(select(PolicyVersion).where(
            PolicyVersion.app_id == app_id, PolicyVersion.number == r.version)).first()
        log = log_summary(s, app_id, r)
    envelope = receipt.envelope.decode("utf-8", "replace") if receipt else ""
    try:
        pretty = json.dumps(json.loads(envelope), indent=2)
    except ValueError:
        pretty = envelope
    return page("record.html", app_id=app_id, r=r, receipt=pretty, checks=checks,
                version=version, titles=purpose_titles(version.body) if version else {},
                evidence_words=describe_evidence(r.evidence), log=log)


@bp.post("/apps/<app_id>/consents/<record_id>/proof")
@requires("audit")
def proof(app_id: str, record_id: str) -> Any:
    """The record's proof file (``kelisim.proof`` v1: record, salt, tlog-proof, root):
    owners and auditors only, since it makes the record checkable by anyone it is given
    to; audited."""
    with kelisim().db.session() as s:
        r = s.scalars(select(ConsentRecord).where(ConsentRecord.app_id == app_id,
                                                  ConsentRecord.record_id == record_id)).first()
        if r is None:
            abort(404)
        answer = proof_download(s, app_id, r)
        if answer is None:
            abort(409, "log_not_covered")
    return answer


def _export_row(app: App, versions: dict[int, dict[str, Any]], r: ConsentRecord
                ) -> dict[str, Any]:
    """The row `kelisim consents export` writes (EXPORT_COLUMNS), for one record."""
    body = versions.get(r.version, {})
    row = {
        "seq": r.seq, "record_id": r.record_id, "install_id": r.install_id,
        "action": r.action, "version": r.version, "version_label": body.get("label"),
        "locale": r.locale, "document_sha256": r.document_sha256,
        "purposes_granted": sorted(p for p, on in r.purposes.items() if on),
        "purposes_refused": sorted(p for p, on in r.purposes.items() if not on),
        "age_confirmed": r.age_confirmed, "guardian": r.guardian,
        "client_time": r.client_time, "server_time": r.server_time,
        "clock_skew": clock_skew(r.client_time, r.server_time, body["published"])
        if body else None,
        "manifest_seq": r.manifest_seq, "chain_hash": r.row_hash,
        "operator": app.controller["name"], "operator_bin": app.controller["bin"],
        "consent_term": body.get("consent_term"),
        "third_party_transfer": body.get("third_party_transfer"),
        "cross_border_transfer": body.get("cross_border_transfer"),
        "public_disclosure": body.get("public_disclosure"),
        "data_categories": sorted(c["id"] for c in body.get("data_categories", [])),
        "vendors": sorted(f"{v['name']} ({v['country']})" for v in body.get("vendors", [])),
        "evidence": dict(r.evidence or {}),
    }
    # One export format for CLI and console: a column added there must be added here.
    assert list(row) == EXPORT_COLUMNS, sorted(set(EXPORT_COLUMNS) ^ set(row))
    return row


@bp.post("/apps/<app_id>/consents/export")
@requires("view")
def export(app_id: str) -> Any:
    # A POST with the console's CSRF token: the export is audited, and a link or image on
    # another site must not be able to make a signed-in browser write that row.
    fmt = request.form.get("fmt", "")
    if fmt not in ("csv", "jsonl"):
        abort(422, "fmt: must be csv or jsonl")
    f, errors = _form(request.form)
    k = kelisim()
    with k.db.session() as s:
        app_row = s.get(App, app_id)
        if app_row is None:
            abort(404)
        labels = _labels(s, app_id)
        numbers = _check_label(f, errors, labels)
        if errors:
            return page("consents.html", 422, app=app_row, rows=[], f={}, errors=errors,
                        more=False, query=_query(request.form), next_before=None,
                        actions=LOG_ACTIONS, titles={}, labels=labels)
        audit(s, "consents.export", app_id, {"format": fmt, "filters": f})

    def generate() -> Iterator[str]:
        with k.db.session(readonly=True) as s:
            app = s.get(App, app_id)
            assert app is not None
            versions = {v.number: v.body for v in s.scalars(
                select(PolicyVersion).where(PolicyVersion.app_id == app_id))}
            if fmt == "csv":
                yield csv_header()
            q = _filtered(app_id, f, numbers).order_by(ConsentRecord.seq)
            for r in s.scalars(q).yield_per(1000):
                row = _export_row(app, versions, r)
                yield to_csv_line(row) if fmt == "csv" else json.dumps(
                    row, ensure_ascii=False, sort_keys=True) + "\n"

    mime = "text/csv" if fmt == "csv" else "application/x-ndjson"
    return Response(stream_with_context(generate()), mimetype=mime, headers={
        "Content-Disposition": f'attachment; filename="{app_id}-consents.{fmt}"'})
