"""Consent sync endpoints: installs, consent records, the install's history, deletion
requests. Every body is validated by a marshmallow schema (unknown fields rejected); a bad
request stores nothing and gets a JSON 4xx."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from client_sdk.errors import FormatError
from client_sdk.jsonutil import loads_strict
from client_sdk.timeutil import utcnow

from .consents import TokenService, ingest, register_install, request_deletion
from .errors import ApiError
from .models import ConsentRecord, DeletionRequest, Install, Receipt
from .ratelimit import RateLimiter, parse_limit
from .validation import flatten

__all__ = ["bp"]

bp = Blueprint("sync", __name__)

MAX_BATCH = 500
UUID_RE = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
TIME_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


class StrictBool(fields.Field[bool]):
    """true or false only: not 1, "yes" or "on" (marshmallow's Boolean takes those)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("must be true or false")
        return value


class Strict(Schema):
    class Meta:
        unknown = RAISE


class EvidenceSchema(Strict):
    scrolled_to_end = StrictBool()
    seconds_on_screen = fields.Integer(strict=True, validate=validate.Range(min=0, max=86400))


class GuardianSchema(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    relation = fields.String(validate=validate.Length(max=100))


class RecordSchema(Strict):
    id = fields.String(required=True, validate=validate.Regexp(UUID_RE, error="not a UUID"))
    action = fields.String(required=True, validate=validate.OneOf(
        ["accept", "decline", "withdraw", "update", "acknowledge"]))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    document_sha256 = fields.String(required=True, allow_none=True,
                                    validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    locale = fields.String(required=True, allow_none=True,
                           validate=validate.Regexp(r"^[a-z]{2}(-[A-Za-z]{4})?$"))
    purposes = fields.Dict(keys=fields.String(validate=validate.Length(max=64)),
                           values=StrictBool(), required=True,
                           validate=validate.Length(max=100))
    evidence = fields.Nested(EvidenceSchema, required=True)
    age_confirmed = StrictBool(required=True, allow_none=True)
    guardian = fields.Nested(GuardianSchema, required=True, allow_none=True)
    client_time = fields.String(required=True, validate=validate.Regexp(
        TIME_RE, error="not an RFC 3339 UTC time"))
    manifest_seq = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class BatchSchema(Strict):
    records = fields.List(fields.Nested(RecordSchema), required=True,
                          validate=validate.Length(min=1, max=MAX_BATCH))


class DeletionSchema(Strict):
    id = fields.String(required=True, validate=validate.Regexp(UUID_RE, error="not a UUID"))
    client_time = fields.String(required=True, validate=validate.Regexp(
        TIME_RE, error="not an RFC 3339 UTC time"))


# Built once: a schema instance is reusable and building nested schemas per request costs.
BATCH_SCHEMA = BatchSchema()
DELETION_SCHEMA = DeletionSchema()
EMPTY_SCHEMA = Strict()


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
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send Content-Type: application/json")
    raw = request.get_data(cache=True)
    try:
        # The SDK's strict parser: duplicate keys, NaN and non-UTF-8 are refused.
        data = loads_strict(raw, what="the body")
    except FormatError as exc:
        raise ApiError(400, "bad_json", exc.message) from None
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as exc:
        lines = flatten(exc.messages)
        raise ApiError(422, "invalid", lines[0], {"problems": lines}) from None
    return loaded


def _envelope_json(raw: bytes) -> Any:
    return json.loads(raw)


@bp.before_request
def _ip_limit() -> None:
    _limit("ip", _client_ip(), "RATE_LIMIT_IP")


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
        "receipts": [_envelope_json(r) for r in result.receipts],
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
    return jsonify({
        "install_id": install_id,
        "records": [{
            "id": r.record_id, "action": r.action, "version": r.version,
            "document_sha256": r.document_sha256, "locale": r.locale, "purposes": r.purposes,
            "evidence": r.evidence, "age_confirmed": r.age_confirmed, "guardian": r.guardian,
            "client_time": r.client_time, "server_time": r.server_time,
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
               "receipt": _envelope_json(row.receipt)}
    return jsonify(out), 201

