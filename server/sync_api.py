"""Consent sync endpoints: installs, consent records, the install's history, deletion
requests. Every body is validated by a marshmallow schema (unknown fields rejected); a bad
request stores nothing and gets a JSON 4xx."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import Schema
from sqlalchemy import select

from client_sdk.timeutil import utcnow

from .consents import TokenService, ingest, register_install, request_deletion
from .errors import ApiError
from .models import ConsentRecord, DeletionRequest, Install, Receipt
from .ratelimit import RateLimiter, parse_limit
from .record_checks import clock_skew, published_times
from .sync_input import check_path_args, load_body
from .sync_schemas import BATCH_SCHEMA, DELETION_SCHEMA, EMPTY_SCHEMA

__all__ = ["bp"]

bp = Blueprint("sync", __name__)


def _k() -> Any:
    return current_app.extensions["kelisim"]


def _tokens() -> TokenService:
    k = _k()
    return TokenService(current_app.config["SECRET_KEY"], k.config["INSTALL_TOKEN_MAX_AGE"])


def _limiter() -> RateLimiter:
    limiter: RateLimiter = current_app.extensions["kelisim.ratelimit"]
    return limiter


def _limit(scope: str, who: str, key: str) -> None:
    retry = _limiter().hit(scope, who, parse_limit(str(_k().config[key]), key))
    if retry is not None:
        raise ApiError(429, "rate_limited", f"too many requests; retry in {retry} s",
                       {"retry_after": retry})


def _client_ip() -> str:
    return request.remote_addr or "-"


def _body(schema: Schema) -> dict[str, Any]:
    return load_body(schema)


def _envelope_json(raw: bytes) -> Any:
    return json.loads(raw)


@bp.before_request
def _ip_limit() -> None:
    _limit("ip", _client_ip(), "RATE_LIMIT_IP")


# After the rate limit (a flood of bad paths counts too), before any view touches the
# database with a path argument.
bp.before_request(check_path_args)


@bp.post("/v1/apps/<app_id>/installs")
def create_install(app_id: str) -> tuple[Response, int]:
    if request.content_length:
        _body(EMPTY_SCHEMA)  # no fields are accepted; an empty JSON object is fine
    with _k().db.session() as s:
        install = register_install(s, app_id, utcnow())
    token = _tokens().issue(app_id, install.id)
    return jsonify({"install_id": install.id, "token": token}), 201


@bp.post("/v1/apps/<app_id>/installs/<install_id>/token")
def renew_token(app_id: str, install_id: str) -> Response:
    who = _tokens().check(request.headers.get("Authorization"), app_id, allow_expired=True)
    if who != install_id:
        raise ApiError(403, "forbidden", "this token belongs to another install")
    _limit("install", who, "RATE_LIMIT_INSTALL")
    return jsonify({"install_id": who, "token": _tokens().issue(app_id, who)})


@bp.post("/v1/apps/<app_id>/consents")
def post_consents(app_id: str) -> Response:
    install_id = _tokens().check(request.headers.get("Authorization"), app_id)
    _limit("install", install_id, "RATE_LIMIT_INSTALL")
    batch = _body(BATCH_SCHEMA)
    k = _k()
    with k.db.session() as s:
        result = ingest(s, app_id, install_id, batch["records"], k.keys_dir, utcnow())
    return jsonify({
        "stored": result.stored,
        # Each receipt as a string holding the signed envelope's exact bytes: the SDK
        # verifies and keeps those bytes (docs/http-api.md).
        "receipts": [r.decode() for r in result.receipts],
        "records": [{"id": rid, "receipt": result.index[rid]}
                    for rid in (r["id"] for r in batch["records"])],
    })


@bp.get("/v1/apps/<app_id>/installs/<install_id>/consents")
def install_history(app_id: str, install_id: str) -> Response:
    who = _tokens().check(request.headers.get("Authorization"), app_id)
    if who != install_id:
        raise ApiError(403, "forbidden", "an install may read only its own records")
    _limit("install", who, "RATE_LIMIT_INSTALL")
    with _k().db.session(readonly=True) as s:
        if s.get(Install, install_id) is None:
            raise ApiError(404, "not_found", "unknown install")
        rows = list(s.execute(select(ConsentRecord, Receipt.envelope).join(
            Receipt, Receipt.id == ConsentRecord.receipt_id).where(
            ConsentRecord.app_id == app_id, ConsentRecord.install_id == install_id)
            .order_by(ConsentRecord.seq)).all())
        deletions = list(s.scalars(select(DeletionRequest).where(
            DeletionRequest.app_id == app_id, DeletionRequest.install_id == install_id)
            .order_by(DeletionRequest.row_id)))
        published = published_times(s, app_id)
    return jsonify({
        "install_id": install_id,
        "records": [{
            "id": r.record_id, "action": r.action, "version": r.version,
            "document_sha256": r.document_sha256, "locale": r.locale, "purposes": r.purposes,
            "evidence": r.evidence, "age_confirmed": r.age_confirmed, "guardian": r.guardian,
            "client_time": r.client_time, "server_time": r.server_time,
            "clock_skew": clock_skew(r.client_time, r.server_time, published.get(r.version)),
            "manifest_seq": r.manifest_seq, "chain_hash": r.row_hash,
            "receipt": _envelope_json(envelope)} for r, envelope in rows],
        "deletion_requests": [{
            "id": d.request_id, "client_time": d.client_time, "server_time": d.server_time,
            "status": d.status, "resolved_at": d.resolved_at,
            "receipt": _envelope_json(d.receipt)} for d in deletions],
    })


@bp.post("/v1/apps/<app_id>/deletion-requests")
def post_deletion(app_id: str) -> tuple[Response, int]:
    install_id = _tokens().check(request.headers.get("Authorization"), app_id)
    _limit("install", install_id, "RATE_LIMIT_INSTALL")
    body = _body(DELETION_SCHEMA)
    k = _k()
    with k.db.session() as s:
        row = request_deletion(s, app_id, install_id, body, k.keys_dir, utcnow())
        out = {"request_id": row.request_id, "status": row.status,
               "receipt": row.receipt.decode()}
    return jsonify(out), 201

