"""An app's transparency log (docs/console.md, "Transparency log page"): for every role its
public state (size, records and requests, newest checkpoint, witnesses, public files) and
the deployment's policy log with this app's manifests in it; for owners and auditors its
private parts: the entry bundles (the log with every leaf's salt and entry, streamed as a
.tar.gz) and the proof file of any record or request, by its id. Each download is in the
admin audit log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, request, stream_with_context, url_for
from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from client_sdk.protocol.policylog import policy_origin
from server.admin.forms import LogProofForm, errors_of
from server.admin.security import requires
from server.admin.views import audit, kelisim, page
from server.consent.chain import row_entry
from server.consent.tlogexport import export_tar
from server.consent.tlogfile import log_state, proof_file
from server.models import App, ConsentRecord, DeletionRequest
from server.tlog_models import LogCheckpoint
from server.trust.policylog import policy_log_state
from server.trust.rootstore import current_root

__all__ = ["bp", "proof_download"]

bp = Blueprint("log", __name__)

# What the public tile paths look like (C2SP tlog-tiles), after a log's URL.
TILES = "/tile/<L>/<N>[.p/<W>]"


def _public(checkpoint_url: str, origin: str | None, key: str | None) -> dict[str, Any]:
    """A log's public files: its checkpoint's URL, its prefix (what ``kelisim log audit``
    reads), the tiles' pattern, its origin and key (from the root; None without a log)."""
    prefix = checkpoint_url.removesuffix("/checkpoint")
    # With a state file, each run also checks the log only grew since the one before.
    state = (origin or "log").replace("/", "-") + ".audit-state.json"
    return {"checkpoint": checkpoint_url, "prefix": prefix, "tiles": prefix + TILES,
            "origin": origin, "key": key, "state": state}


def _render(app_id: str, status: int = 200, errors: dict[str, list[str]] | None = None,
            form: Any = None) -> Any:
    with kelisim().db.session(readonly=True) as s:
        app = s.get(App, app_id)
        if app is None:
            abort(404)
        log = log_state(s, app_id)
        policy = policy_log_state(s, app_id)
        root = current_root(s)
    spec = root.root.log if root is not None else None
    key = spec.keys[0] if spec is not None and spec.keys else None
    public = _public(url_for("public.log_checkpoint", app_id=app_id, _external=True),
                     root.root.log_origin(app_id) if root is not None else None, key)
    policy_public = _public(url_for("public.policy_checkpoint", _external=True),
                            policy_origin(spec.origin_prefix) if spec else None, key)
    return page("log.html", status, app=app, log=log, policy=policy, public=public,
                policy_public=policy_public, errors=errors or {}, form=form or {})


def proof_download(s: Session, app_id: str, row: ConsentRecord | DeletionRequest
                   ) -> Response | None:
    """The proof file of a record or request as a download, audited in ``s``
    (``consents.proof`` or ``requests.proof``); None while no checkpoint covers it. The
    one answer of the record page's, the requests queue's and this page's proof."""
    body = proof_file(s, app_id, row)
    if body is None:
        return None
    entry, wanted, _ = row_entry(row)
    audit(s, "requests.proof" if entry == "request" else "consents.proof", app_id,
          {f"{entry}_id": wanted})
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{app_id}-{wanted}.kelisim-proof"'})


@bp.get("/apps/<app_id>/log")
@requires("view")
def show(app_id: str) -> Any:
    return _render(app_id)


@bp.post("/apps/<app_id>/log/entries")
@requires("audit")
def entries(app_id: str) -> Any:
    """The log with its entry bundles as ``<app>-log.tar.gz`` (server.consent.tlogexport:
    streamed a file at a time, read in one snapshot), for ``kelisim log audit FOLDER
    --entries``. Audited first, with the newest checkpoint's size then, which is the one
    the file holds; 409 before the first checkpoint."""
    k = kelisim()
    with k.db.session() as s:
        if s.get(App, app_id) is None:
            abort(404)
        size = s.scalar(select(func.max(LogCheckpoint.size)).where(
            LogCheckpoint.app_id == app_id))
        if size is None:
            abort(409, "log_no_checkpoint")
        audit(s, "log.entries", app_id, {"size": int(size)})

    def generate() -> Iterator[bytes]:
        with k.db.session(readonly=True) as s:
            k.db.one_snapshot(s)
            yield from export_tar(s, app_id, size=int(size))

    return Response(stream_with_context(generate()), mimetype="application/gzip", headers={
        "Content-Disposition": f'attachment; filename="{app_id}-log.tar.gz"',
        "Cache-Control": "no-store"})


@bp.post("/apps/<app_id>/log/proof")
@requires("audit")
def proof(app_id: str) -> Any:
    """The proof file of the app's record or request with the form's id (the same file as
    the record's page and the requests queue give, audited as they are). A bad id is a
    field error (422), an unknown one too (404), one no checkpoint covers yet 409; a record
    and a request with one id: the page asks which (422)."""
    try:
        data = LogProofForm().load(request.form)
    except ValidationError as exc:
        return _render(app_id, 422, errors_of(exc), request.form)
    wanted, kind = data["entry_id"], data["kind"]
    problem: tuple[int, dict[str, list[str]]] | None = None
    with kelisim().db.session() as s:
        if s.get(App, app_id) is None:
            abort(404)
        found: list[ConsentRecord | DeletionRequest] = []
        if kind in (None, "record"):
            found += s.scalars(select(ConsentRecord).where(
                ConsentRecord.app_id == app_id, ConsentRecord.record_id == wanted))
        if kind in (None, "request"):
            found += s.scalars(select(DeletionRequest).where(
                DeletionRequest.app_id == app_id, DeletionRequest.request_id == wanted))
        answer = proof_download(s, app_id, found[0]) if len(found) == 1 else None
        if not found:
            problem = 404, {"id": ["log_unknown_id"]}
        elif len(found) > 1:
            problem = 422, {"kind": ["log_both_kinds"]}
        elif answer is None:
            problem = 409, {"id": ["log_not_covered"]}
    if problem is not None or answer is None:
        status, errors = problem or (409, {})
        return _render(app_id, status, errors, {**request.form, "kind": kind or ""})
    return answer
