"""The operator API: what the operator's backend asks with an API key of its app
(docs/operator-api.md). ``Authorization: Bearer kls_live_...``; each endpoint needs one
scope; every use is counted against the key's rate limit (RATE_LIMIT_API_KEY), and every
request against its address's (RATE_LIMIT_IP). Answering a request goes through the same
service as the console and the CLI (:func:`server.consent.requests.resolve`), recorded in
the admin audit log with the actor ``api:<key_id>``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from client_sdk.protocol.grammar import is_uuid
from client_sdk.protocol.records import REQUEST_KINDS, REQUEST_STATUSES
from client_sdk.protocol.timeutil import format_time
from server.consent.apikeys import TOUCH_EVERY, find_key, touch
from server.consent.current import current_consent
from server.consent.history import parse_limit_arg
from server.consent.requests import Outcome, get_request, list_requests, resolve
from server.consent.subjects import issue_link_token, unlink_subject
from server.consent.subjectstate import subject_consent
from server.context import kelisim
from server.errors import InvalidValue, Unavailable
from server.http.body import check_path_args, load_body
from server.http.errors import ApiError
from server.http.operator_schemas import (
    ANSWER_SCHEMA,
    LINK_TOKEN_SCHEMA,
    SUBJECT_LOOKUP_SCHEMA,
    UNLINK_SCHEMA,
)
from server.http.ratelimit import parse_limit
from server.models import DeletionRequest

__all__ = ["ACTOR_PREFIX", "bp", "checked_key"]

bp = Blueprint("operator", __name__, url_prefix="/v1/apps/<app_id>/operator")
# The admin audit log's actor for a change made with a key: ``api:<key_id>``.
ACTOR_PREFIX = "api:"
_NO_KEY = "send an API key of this app as 'Authorization: Bearer kls_live_...'"


def _now() -> datetime:
    return kelisim().now()


def _limit(scope: str, who: str, key: str) -> None:
    limiter = kelisim().limiter
    assert limiter is not None  # create_app sets it
    retry = limiter.hit(scope, who, parse_limit(kelisim().settings.limit(key), key))
    if retry is not None:
        raise ApiError(429, "rate_limited", f"too many requests; retry in {retry} s",
                       {"retry_after": retry})


@bp.before_request
def _ip_limit() -> None:
    _limit("ip", request.remote_addr or "-", "RATE_LIMIT_IP")


@bp.before_request
def _path_args() -> None:
    check_path_args()
    request_id = (request.view_args or {}).get("request_id")
    if request_id is not None and not is_uuid(request_id):
        raise ApiError(404, "not_found", f"request {request_id[:80]!r} not found")


def _key(app_id: str, scope: str) -> str:
    """The key's id after checking it: a key of ``app_id``, not revoked, within its rate
    limit, with ``scope``. Its last use is recorded."""
    header = request.headers.get("Authorization")
    if not header or not header.startswith("Bearer ") or len(header) > 4096:
        raise ApiError(401, "unauthorized", _NO_KEY)
    now = _now()
    with kelisim().db.session(readonly=True) as s:
        row = find_key(s, header[7:].strip())
        found = None if row is None else (row.id, row.key_id, row.app_id, row.revoked_at,
                                          list(row.scopes), row.last_used_at)
    if found is None:
        raise ApiError(401, "invalid_key", "not an API key of this server; " + _NO_KEY)
    row_id, key_id, key_app, revoked_at, scopes, last_used = found
    if revoked_at is not None:
        raise ApiError(401, "key_revoked", f"API key {key_id} was revoked at {revoked_at}")
    if key_app != app_id:
        raise ApiError(403, "forbidden", f"API key {key_id} belongs to another app")
    _limit("apikey", key_id, "RATE_LIMIT_API_KEY")
    if scope not in scopes:
        raise ApiError(403, "insufficient_scope", f"API key {key_id} lacks the scope "
                       f"{scope}", {"scope": scope, "scopes": scopes})
    if last_used is None or last_used <= format_time(now - TOUCH_EVERY):
        try:
            with kelisim().db.session() as s:
                touch(s, row_id, now)
        except Unavailable:
            # A database that reads but cannot write now (a full disk, a lock held): the
            # read is answered; the last use is written at a later request.
            if request.method != "GET":
                raise
    return key_id


checked_key = _key  # for the other modules of the operator API (server/http/webhooks.py)


def _request_json(d: DeletionRequest, now: datetime) -> dict[str, Any]:
    return {"id": d.request_id, "kind": d.kind, "install_id": d.install_id,
            "client_time": d.client_time, "received_at": d.server_time,
            "deadline": d.deadline, "status": d.status,
            "overdue": d.status == "open" and d.deadline < format_time(now),
            "note": d.note, "withdraw": d.withdraw, "resolved_at": d.resolved_at,
            "answer": d.resolution}


@bp.get("/installs/<install_id>/consent")
def install_consent(app_id: str, install_id: str) -> Response:
    _key(app_id, "consent:read")
    with kelisim().db.session(readonly=True) as s:
        return jsonify(current_consent(s, app_id, install_id, _now()))


def _choice(name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.args.get(name)
    if value is not None and value not in allowed:
        raise InvalidValue(name, f"one of {', '.join(allowed)}")
    return value


@bp.get("/requests")
def requests_list(app_id: str) -> Response:
    _key(app_id, "requests:read")
    status = _choice("status", (*REQUEST_STATUSES, "all")) or "open"
    kind = _choice("kind", REQUEST_KINDS)
    install_id = request.args.get("install_id")
    if install_id is not None and not is_uuid(install_id):
        raise InvalidValue("install_id", "not a lower-case UUID")
    limit = parse_limit_arg(request.args.get("limit"))
    now = _now()
    with kelisim().db.session(readonly=True) as s:
        rows = list_requests(s, app_id, now, include_resolved=status == "all", kind=kind,
                             limit=limit, status=None if status == "all" else status,
                             install_id=install_id)
        return jsonify({"requests": [_request_json(d, now) for d in rows]})


@bp.get("/requests/<request_id>")
def request_one(app_id: str, request_id: str) -> Response:
    _key(app_id, "requests:read")
    with kelisim().db.session(readonly=True) as s:
        return jsonify(_request_json(get_request(s, app_id, request_id), _now()))


def _answer(app_id: str, request_id: str, outcome: Outcome) -> Response:
    key_id = _key(app_id, "requests:write")
    note = load_body(ANSWER_SCHEMA)["note"]
    now = _now()
    with kelisim().db.session() as s:
        row = resolve(s, app_id, request_id, note, now, f"{ACTOR_PREFIX}{key_id}",
                      outcome=outcome)
        return jsonify(_request_json(row, now))


@bp.post("/requests/<request_id>/resolve")
def request_resolve(app_id: str, request_id: str) -> Response:
    return _answer(app_id, request_id, "resolved")


@bp.post("/subjects/link-tokens")
def link_token(app_id: str) -> tuple[Response, int]:
    key_id = _key(app_id, "subjects:link")
    user_id = load_body(LINK_TOKEN_SCHEMA)["user_id"]
    k, now = kelisim(), _now()
    with k.db.session() as s:
        token, expires = issue_link_token(s, app_id, user_id, k.keys_dir,
                                          k.settings.link_token_ttl,
                                          f"{ACTOR_PREFIX}{key_id}", now)
    return jsonify({"token": token, "expires": expires}), 201


def _subject_consent(app_id: str, user_id: str) -> Response:
    with kelisim().db.session(readonly=True) as s:
        return jsonify(subject_consent(s, app_id, user_id, kelisim().keys_dir, _now()))


@bp.post("/subjects/lookup")
def subject_lookup(app_id: str) -> Response:
    """The subject's consent, the user id in the JSON body (kept out of URLs, so out of
    access logs and proxies): the answer of ``GET /subjects/consent``."""
    _key(app_id, "consent:read")
    return _subject_consent(app_id, load_body(SUBJECT_LOOKUP_SCHEMA)["user_id"])


@bp.get("/subjects/consent")
def subject_consent_view(app_id: str) -> Response:
    """Deprecated: the user id in the query string reaches access logs; use
    ``POST /subjects/lookup``."""
    _key(app_id, "consent:read")
    user_id = request.args.get("user_id")
    if user_id is None:
        raise InvalidValue("user_id", "the operator's user id is required")
    return _subject_consent(app_id, user_id)


@bp.post("/subjects/unlink")
def subject_unlink(app_id: str) -> Response:
    key_id = _key(app_id, "subjects:link")
    body = load_body(UNLINK_SCHEMA)
    k, now = kelisim(), _now()
    done = k.group_commit().run(app_id, lambda s: unlink_subject(
        s, app_id, body["user_id"], body["install_id"], k.keys_dir,
        f"{ACTOR_PREFIX}{key_id}", now))
    return jsonify({"unlinked": done})


@bp.post("/requests/<request_id>/refuse")
def request_refuse(app_id: str, request_id: str) -> Response:
    return _answer(app_id, request_id, "refused")
