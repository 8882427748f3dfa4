"""Consent sync endpoints: installs, consent records, the install's history, requests of
the data subject. Every body is validated by a marshmallow schema (unknown fields rejected); a bad
request stores nothing and gets a JSON 4xx."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from marshmallow import Schema

from server.admin.models import app_deadline_days
from server.consent.groupcommit import GroupCommit
from server.consent.history import history_page, parse_limit_arg
from server.consent.ingest import AppendBatch, IngestRequest, IngestResult
from server.consent.installs import check_generation, register_install, renew_generation
from server.consent.requests import file_request, request_deletion, request_log_place
from server.consent.subjects import link_install, linked_subject, unlink_install
from server.consent.subjectstate import signed_state, subject_windows
from server.context import kelisim
from server.errors import InvalidValue, NotLinked
from server.http.body import check_path_args, load_body
from server.http.errors import ApiError
from server.http.ratelimit import RateLimiter, parse_limit
from server.http.schemas import (
    BATCH_SCHEMA,
    DELETION_SCHEMA,
    EMPTY_SCHEMA,
    REQUEST_SCHEMA,
    SUBJECT_LINK_SCHEMA,
)
from server.http.tokens import TokenService

__all__ = ["bp"]

bp = Blueprint("sync", __name__)


def _now() -> datetime:
    return kelisim().now()


def _tokens() -> TokenService:
    return kelisim().token_service()


def _group() -> GroupCommit:
    return kelisim().group_commit()


def _append_batch() -> AppendBatch:
    k = kelisim()
    if k.append is None:
        k.append = AppendBatch(k.keys_dir, k.db.url)
    return k.append


def _limiter() -> RateLimiter:
    limiter = kelisim().limiter
    assert limiter is not None  # create_app sets it
    return limiter


def _limit(scope: str, who: str, key: str) -> None:
    retry = _limiter().hit(scope, who, parse_limit(kelisim().settings.limit(key), key))
    if retry is not None:
        raise ApiError(429, "rate_limited", f"too many requests; retry in {retry} s",
                       {"retry_after": retry})


def _client_ip() -> str:
    return request.remote_addr or "-"


def _body(schema: Schema) -> dict[str, Any]:
    return load_body(schema)


def _no_fields() -> None:
    """The body of an endpoint that takes no fields: none, or ``{}``. Anything else is
    refused (415, 400, or 422 naming each field), never ignored. The body's bytes are read
    (not its Content-Length), so a chunked body is checked too."""
    if request.get_data(cache=True):
        _body(EMPTY_SCHEMA)


@bp.before_request
def _ip_limit() -> None:
    _limit("ip", _client_ip(), "RATE_LIMIT_IP")


# After the rate limit (a flood of bad paths counts too), before any view touches the
# database with a path argument.
bp.before_request(check_path_args)


@bp.post("/v1/apps/<app_id>/installs")
def create_install(app_id: str) -> tuple[Response, int]:
    _no_fields()
    now = _now()
    install = _group().run(app_id, lambda s: register_install(s, app_id, now))
    token = _tokens().issue(app_id, install.id, install.token_generation)
    return jsonify({"install_id": install.id, "token": token}), 201


@bp.post("/v1/apps/<app_id>/installs/<install_id>/token")
def renew_token(app_id: str, install_id: str) -> Response:
    tokens = _tokens()
    claim = tokens.read(request.headers.get("Authorization"), app_id, renewal=True)
    if claim.install_id != install_id:
        raise ApiError(403, "forbidden", "this token belongs to another install")
    _limit("install", install_id, "RATE_LIMIT_INSTALL")
    _no_fields()  # before the old token is revoked: a refused request changes nothing
    generation = _group().run(app_id, lambda s: renew_generation(s, app_id, claim.install_id,
                                                                   claim.generation))
    return jsonify({"install_id": install_id,
                    "token": tokens.issue(app_id, install_id, generation)})


@bp.post("/v1/apps/<app_id>/consents")
def post_consents(app_id: str) -> Response:
    claim = _tokens().read(request.headers.get("Authorization"), app_id)
    install_id = claim.install_id
    _limit("install", install_id, "RATE_LIMIT_INSTALL")
    batch = _body(BATCH_SCHEMA)
    # The rules, the install's token generation and the chain: in the group commit, one
    # read and one append for the requests of this app that arrive together.
    result: IngestResult = _group().run_batched(app_id, _append_batch(), (
        app_id, IngestRequest(install_id, claim.generation, batch["records"], _now())))
    return jsonify({
        "stored": result.stored,
        # Each receipt as a string holding the signed envelope's exact bytes: the SDK
        # verifies and keeps those bytes (docs/http-api.md).
        "receipts": [r.decode() for r in result.receipts],
        "records": [_entry(result, rid) for rid in (r["id"] for r in batch["records"])],
    })


def _entry(result: IngestResult, rid: str) -> dict[str, Any]:
    """A record's place in the answer: its receipt, and for a record this request stored,
    its transparency-log salt and inclusion proof (docs/http-api.md)."""
    entry: dict[str, Any] = {"id": rid, "receipt": result.index[rid]}
    place = result.proofs.get(rid)
    if place is not None:
        proof = place.proof()  # made here, after the commit, not under the lock
        entry["log"] = {"salt": base64.b64encode(place.salt).decode(),
                        "proof": None if proof is None else proof.decode()}
    return entry


@bp.get("/v1/apps/<app_id>/installs/<install_id>/consents")
def install_history(app_id: str, install_id: str) -> Response:
    claim = _tokens().read(request.headers.get("Authorization"), app_id)
    if claim.install_id != install_id:
        raise ApiError(403, "forbidden", "an install may read only its own records")
    _limit("install", install_id, "RATE_LIMIT_INSTALL")
    limit = parse_limit_arg(request.args.get("limit"))
    cursor = request.args.get("cursor")
    scope = request.args.get("scope", "install")
    if scope not in ("install", "subject"):
        raise InvalidValue("scope", "install (this install's records) or subject (every "
                                    "linked install's)")
    with kelisim().db.session(readonly=True) as s:
        check_generation(s, app_id, install_id, claim.generation)
        windows = None
        if scope == "subject":
            link = linked_subject(s, app_id, install_id)
            if link is None:
                raise NotLinked(install_id)
            windows = subject_windows(s, app_id, link.subject_id)
        page = history_page(s, app_id, install_id, limit, cursor, windows)
    return jsonify(page)


def _file(app_id: str, schema: Any, service: Any) -> Any:
    """A request of the data subject from the install the token names: its body checked by
    ``schema``, stored by ``service`` (file_request or request_deletion) in the group
    commit, with the app's deadline setting."""
    claim = _tokens().read(request.headers.get("Authorization"), app_id)
    _limit("install", claim.install_id, "RATE_LIMIT_INSTALL")
    body = _body(schema)
    keys_dir, now = kelisim().keys_dir, _now()
    return _group().run(app_id, lambda s: service(
        s, app_id, claim.install_id, body, keys_dir, now, app_days=_app_days(s, app_id),
        generation=claim.generation))


def _request_answer(app_id: str, row: Any) -> dict[str, Any]:
    """What the install gets for a request it filed (again): its receipt, deadline, and
    (when a checkpoint covers it) its salt and inclusion proof in the app's log, read
    after the commit (docs/http-api.md)."""
    out = {"request_id": row.request_id, "status": row.status, "deadline": row.deadline,
           "receipt": row.receipt.decode()}
    with kelisim().db.session(readonly=True) as s:
        place = request_log_place(s, app_id, row.request_id)
    proof = None if place is None else place.proof()
    if place is not None and proof is not None:
        out["log"] = {"salt": base64.b64encode(place.salt).decode(), "proof": proof.decode()}
    return out


@bp.post("/v1/apps/<app_id>/deletion-requests")
def post_deletion(app_id: str) -> tuple[Response, int]:
    row = _file(app_id, DELETION_SCHEMA, request_deletion)
    return jsonify(_request_answer(app_id, row)), 201


def _app_days(session: Any, app_id: str) -> int:
    """The app's deadline setting for requests (the console's app page), else the
    server's ``request_deadline_days``."""
    return app_deadline_days(session, app_id, kelisim().settings.request_deadline_days)


@bp.post("/v1/apps/<app_id>/requests")
def post_request(app_id: str) -> tuple[Response, int]:
    row = _file(app_id, REQUEST_SCHEMA, file_request)
    return jsonify(_request_answer(app_id, row)), 201


@bp.post("/v1/apps/<app_id>/subject-links")
def post_subject_link(app_id: str) -> Response:
    """Link the install to a subject (a link record and the link token) or unlink it (an
    unlink record, token null): the record goes into the consent log like any decision;
    the answer holds its receipt and, after a link, the subject's signed state."""
    claim = _tokens().read(request.headers.get("Authorization"), app_id)
    install_id = claim.install_id
    _limit("install", install_id, "RATE_LIMIT_INSTALL")
    body = _body(SUBJECT_LINK_SCHEMA)
    record, token = body["record"], body["token"]
    if (record["action"] == "link") != (token is not None):
        raise InvalidValue("token", "a link record needs its link token; an unlink record "
                                    "sends token null")
    keys_dir, now = kelisim().keys_dir, _now()

    def work(s: Any) -> dict[str, Any]:
        if token is not None:
            out = link_install(s, app_id, install_id, claim.generation, record, token,
                               keys_dir, now)
            state = signed_state(s, app_id, out.link.subject_id, install_id, keys_dir, now)
            return {"receipt": out.receipt.decode(), "linked": True, "state": state.decode()}
        done = unlink_install(s, app_id, install_id, claim.generation, record, keys_dir, now)
        return {"receipt": done.receipt.decode(), "linked": False, "state": None}

    return jsonify(_group().run(app_id, work))


@bp.get("/v1/apps/<app_id>/installs/<install_id>/subject-state")
def subject_state(app_id: str, install_id: str) -> Response:
    """The signed consent of the subject the install is linked to (asked at every sync
    and refresh of a linked install), or ``linked`` false."""
    claim = _tokens().read(request.headers.get("Authorization"), app_id)
    if claim.install_id != install_id:
        raise ApiError(403, "forbidden", "an install may read only its own subject's state")
    _limit("install", install_id, "RATE_LIMIT_INSTALL")
    keys_dir, now = kelisim().keys_dir, _now()
    with kelisim().db.session(readonly=True) as s:
        check_generation(s, app_id, install_id, claim.generation)
        link = linked_subject(s, app_id, install_id)
        if link is None:
            return jsonify({"linked": False, "state": None})
        state = signed_state(s, app_id, link.subject_id, install_id, keys_dir, now)
    return jsonify({"linked": True, "state": state.decode()})
