"""The OpenAPI 3.1 description of the public HTTP surface (served at /v1/openapi.json).

Bodies and answers of the sync API come from the marshmallow schemas the views use
(server/http/schemas.py) through apispec's marshmallow plugin, so the document cannot drift
from what the server checks. tests/test_openapi.py compares its paths and methods with
Flask's url_map and runs schemathesis against a real server with it.
"""

from __future__ import annotations

import copy
import sys
import threading
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields

from client_sdk.protocol.grammar import ID_RE, SHA256_RE, UUID_RE
from client_sdk.protocol.records import REQUEST_KINDS, REQUEST_STATUSES
from server.http.openapi_policy import add_policy_log_paths
from server.http.openapi_subjects import add_subject_paths
from server.http.operator_schemas import (
    AnswerSchema,
    ConsentStateSchema,
    DeliveryListSchema,
    DeliverySchema,
    EndpointListSchema,
    EndpointSchema,
    NewEndpointSchema,
    OperatorRequestSchema,
    RequestListSchema,
)
from server.http.schemas import (
    BatchSchema,
    ConsentsAnswerSchema,
    DeletionAnswerSchema,
    DeletionSchema,
    ErrorSchema,
    HistoryPageSchema,
    InstallAnswerSchema,
    RequestAnswerSchema,
    RequestSchema,
    StrictBool,
    TokenAnswerSchema,
)

__all__ = ["openapi_document"]

_ENVELOPE = {
    "type": "object",
    "required": ["payload", "payloadType", "signatures"],
    "properties": {
        "payload": {"type": "string", "contentEncoding": "base64"},
        "payloadType": {"type": "string"},
        "signatures": {"type": "array", "items": {
            "type": "object", "required": ["keyid", "sig"],
            "properties": {"keyid": {"type": "string"}, "sig": {"type": "string"}}}},
    },
}

# Why each error status can happen; the body is always the Error schema.
_ERRORS = {
    "400": "bad_json: not JSON, duplicate keys, a float, an integer of more than 4,300 "
           "digits, a lone surrogate or NUL in a string",
    "401": "unauthorized (no bearer token), invalid_token (refused for good: register "
           "again), token_expired (renew it)",
    "403": "forbidden: the token belongs to another app or install",
    "404": "not_found: unknown app or install, or an id outside its grammar",
    "413": "too_large: the body is over MAX_BODY_BYTES",
    "415": "unsupported_media_type: send Content-Type: application/json",
    "422": "invalid (schema: details.problems), rejected (records refused for good: "
           "details.rejected = [{id, field, reason}]), conflict (a known id with other "
           "content)",
    "429": "rate_limited: details.retry_after seconds (also the Retry-After header)",
    "503": "unavailable: the database is unavailable or busy (a lock not obtained within "
           "LOCK_TIMEOUT), or the receipt key is not available on this server; the "
           "Retry-After header (and details.retry_after) says when to try again",
}
_RETRY_AFTER = {"Retry-After": {"description": "seconds before trying again",
                                "schema": {"type": "integer"}}}
_HEALTH = {"application/json": {"schema": {
    "type": "object", "required": ["status"],
    "properties": {"status": {"enum": ["ok", "unavailable"]},
                   **{name: {"type": "string"} for name in (
                       "database", "migrations", "root", "receipt_key", "manifest_key",
                       "disk")}}}}}


def _anchored(pattern: str) -> str:
    return f"^(?:{pattern})$"


def _path_param(name: str, pattern: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "string", "pattern": _anchored(pattern)}}


_APP = _path_param("app_id", ID_RE.pattern)
_INSTALL = _path_param("install_id", UUID_RE.pattern)
_BEARER: list[dict[str, list[str]]] = [{"installToken": []}]


# The operator API (server/http/operator.py): its own reasons for these statuses.
_OPERATOR_ERRORS = {
    **_ERRORS,
    "401": "unauthorized (no bearer key), invalid_key (not a key of this server), "
           "key_revoked (revoked or rotated)",
    "403": "forbidden (a key of another app), insufficient_scope (details.scope: the scope "
           "the endpoint needs)",
    "404": "not_found: unknown app, install or request, or an id outside its grammar",
    "409": "conflict: the request was answered before",
    "422": "invalid: a query argument or body field that cannot be used (the message and "
           "details.problems name it)",
    "429": "rate_limited: RATE_LIMIT_API_KEY per key or RATE_LIMIT_IP per address; "
           "details.retry_after seconds (also the Retry-After header)",
}
_API_KEY: list[dict[str, list[str]]] = [{"apiKey": []}]


def _answers(ok: str, schema: str, description: str, errors: str,
             reasons: dict[str, str] = _ERRORS) -> dict[str, Any]:
    out: dict[str, Any] = {ok: {"description": description,
                                "content": {"application/json": {"schema": schema}}}}
    for status in errors.split():
        out[status] = {"description": reasons[status],
                       "content": {"application/json": {"schema": "Error"}}}
        if status in ("429", "503"):
            out[status]["headers"] = _RETRY_AFTER
    return out


def _json_body(schema: str, *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _cached(summary: str, content: dict[str, Any], params: list[dict[str, Any]],
            *, from_database: bool = True) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "summary": summary,
        "parameters": [*params, {"name": "If-None-Match", "in": "header", "required": False,
                                 "schema": {"type": "string"}}],
        "responses": {
            "200": {"description": "OK", "content": content,
                    "headers": {"ETag": {"schema": {"type": "string"}},
                                "Cache-Control": {"schema": {"type": "string"}}}},
            "304": {"description": "Not modified (ETag matched If-None-Match)"},
            "404": {"description": "Not found",
                    "content": {"application/json": {"schema": "Error"}}},
        },
    }
    if from_database:
        answer["responses"]["503"] = {
            "description": "not held in memory, and the database is unavailable (what is "
                           "held is served regardless)",
            "content": {"application/json": {"schema": "Error"}}, "headers": _RETRY_AFTER}
    return answer


# The body of an endpoint that takes no fields (installs, token renewal).
_NO_FIELDS: dict[str, Any] = {
    "required": False, "description": "none, or an empty JSON object; any field is refused "
                                      "(422 naming it)",
    "content": {"application/json": {"schema": {"type": "object",
                                                 "additionalProperties": False}}}}


def _dict_keys(self: Any, field: fields.Field[Any], **kwargs: Any) -> dict[str, Any]:
    """A Dict field's key grammar as ``propertyNames`` (apispec leaves keys out)."""
    if isinstance(field, fields.Dict) and field.key_field is not None:
        return {"propertyNames": self.field2property(field.key_field)}
    return {}


def _build() -> dict[str, Any]:
    plugin = MarshmallowPlugin()
    spec = APISpec(title="Kelisim", version="1", openapi_version="3.1.0", plugins=[plugin],
                   info={"description": "Signed policy manifests and consent records. "
                                        "Clients trust signatures, not this host."})
    plugin.map_to_openapi_type(StrictBool, "boolean", None)  # type: ignore[no-untyped-call]
    assert plugin.converter is not None
    plugin.converter.add_attribute_function(_dict_keys)  # type: ignore[no-untyped-call]
    spec.components.schema("Error", schema=ErrorSchema)
    spec.components.schema("Envelope", _ENVELOPE)
    for name, schema in [("Batch", BatchSchema), ("DeletionRequest", DeletionSchema),
                         ("InstallAnswer", InstallAnswerSchema),
                         ("TokenAnswer", TokenAnswerSchema),
                         ("ConsentsAnswer", ConsentsAnswerSchema),
                         ("HistoryPage", HistoryPageSchema),
                         ("DeletionAnswer", DeletionAnswerSchema),
                         ("Request", RequestSchema),
                         ("RequestAnswer", RequestAnswerSchema),
                         ("Answer", AnswerSchema), ("ConsentState", ConsentStateSchema),
                         ("OperatorRequest", OperatorRequestSchema),
                         ("RequestList", RequestListSchema),
                         ("NewWebhookEndpoint", NewEndpointSchema),
                         ("WebhookEndpoint", EndpointSchema),
                         ("WebhookEndpointList", EndpointListSchema),
                         ("WebhookDelivery", DeliverySchema),
                         ("WebhookDeliveryList", DeliveryListSchema)]:
        spec.components.schema(name, schema=schema)
    spec.components.security_scheme("installToken", {
        "type": "http", "scheme": "bearer",
        "description": "the install token from POST /v1/apps/{app_id}/installs"})
    spec.components.security_scheme("apiKey", {
        "type": "http", "scheme": "bearer",
        "description": "an API key of the app (kls_live_...), made in the console or with "
                       "`kelisim api-keys create` (docs/operator-api.md)"})

    env = {"application/json": {"schema": "Envelope"}}
    spec.path("/v1/root.json", operations={"get": _cached("The newest signed root", env, [])})
    spec.path("/v1/root/{version}.json", operations={"get": _cached(
        "Signed root version n", env,
        [{"name": "version", "in": "path", "required": True,
          "schema": {"type": "string", "pattern": "^[1-9][0-9]{0,9}$"}}])})
    spec.path("/v1/apps/{app_id}/manifest.json", operations={"get": _cached(
        "The app's signed manifest (DSSE envelope)", env, [_APP])})
    _log_paths(spec)
    spec.path("/v1/documents/{sha256}", operations={"get": _cached(
        "A policy document by content hash (immutable)",
        {"text/markdown": {"schema": {"type": "string"}}},
        [_path_param("sha256", SHA256_RE.pattern)])})
    spec.path("/healthz", operations={"get": {
        "summary": "Readiness: whether this node can accept a record now (database "
                   "answers and can be written, migrations, root, receipt and manifest "
                   "keys, disk space); for a load balancer's health check",
        "responses": {"200": {"description": "ready", "content": _HEALTH},
                      "503": {"description": "not ready: each check's state, never a "
                                             "host name or a path", "content": _HEALTH}}}})
    spec.path("/livez", operations={"get": {
        "summary": "Liveness: the worker runs requests (no database, no file); for a "
                   "supervisor that restarts what does not answer",
        "responses": {"200": {"description": "alive", "content": {"application/json": {
            "schema": {"type": "object", "properties": {"status": {"const": "alive"}},
                       "required": ["status"]}}}}}}})
    spec.options["x-kelisim-log-prefix"] = LOG_PREFIX
    spec.path("/favicon.ico", operations={"get": _cached(
        "The site icon (browsers ask for it; the console links it)",
        {"image/x-icon": {"schema": {"type": "string", "format": "binary"}}}, [],
        from_database=False)})
    spec.path("/v1/openapi.json", operations={"get": {
        "summary": "This document", "responses": {"200": {"description": "OK"}}}})

    spec.path("/v1/apps/{app_id}/installs", operations={"post": {
        "summary": "Register an install; answers its id and install token",
        "parameters": [_APP], "requestBody": _NO_FIELDS,
        "responses": _answers("201", "InstallAnswer", "registered",
                              "400 404 413 415 422 429 503")}})
    spec.path("/v1/apps/{app_id}/installs/{install_id}/token", operations={"post": {
        "summary": "A new token for an authentic one (also expired, within the renewal "
                   "grace window); the previous token is revoked",
        "parameters": [_APP, _INSTALL], "security": _BEARER, "requestBody": _NO_FIELDS,
        "responses": _answers("200", "TokenAnswer", "renewed",
                              "400 401 403 404 413 415 422 429 503")}})
    spec.path("/v1/apps/{app_id}/consents", operations={"post": {
        "summary": "Send a batch of consent records (idempotent by record id)",
        "parameters": [_APP], "security": _BEARER,
        "requestBody": _json_body("Batch"),
        "responses": _answers("200", "ConsentsAnswer", "stored or known; one receipt per "
                              "batch that stored records",
                              "400 401 403 404 413 415 422 429 503")}})
    spec.path("/v1/apps/{app_id}/installs/{install_id}/consents", operations={"get": {
        "summary": "The install's own records, receipts and requests (with their status "
                   "and the operator's answer), a page at a time (the subject's right of "
                   "access)",
        "parameters": [_APP, _INSTALL,
                       {"name": "limit", "in": "query", "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 500,
                                   "default": 100}},
                       {"name": "cursor", "in": "query", "required": False,
                        "schema": {"type": "string"},
                        "description": "next_cursor of the previous page"}],
        "security": _BEARER,
        "responses": _answers("200", "HistoryPage", "one page",
                              "400 401 403 404 422 429 503")}})
    spec.path("/v1/apps/{app_id}/deletion-requests", operations={"post": {
        "summary": "Ask the operator to delete the install's data; answers a receipt "
                   "(SDKs before POST /requests)",
        "parameters": [_APP], "security": _BEARER,
        "requestBody": _json_body("DeletionRequest"),
        "responses": _answers("201", "DeletionAnswer", "recorded (or known: the same "
                              "receipt)", "400 401 403 404 413 415 422 429 503")}})
    spec.path("/v1/apps/{app_id}/requests", operations={"post": {
        "summary": "A request of the data subject (access, rectification, blocking, "
                   "deletion; Law 94-V Art. 24); answers its deadline and a signed "
                   "`request` receipt",
        "parameters": [_APP], "security": _BEARER,
        "requestBody": _json_body("Request"),
        "responses": _answers("201", "RequestAnswer", "recorded (or known: the same "
                              "receipt)", "400 401 403 404 413 415 422 429 503")}})
    _operator_paths(spec)
    add_subject_paths(spec, sys.modules[__name__])
    add_policy_log_paths(spec, sys.modules[__name__])
    _webhook_paths(spec)
    return spec.to_dict()


# Where each app's transparency log lives (C2SP tlog-tiles: <prefix>/checkpoint and
# <prefix>/tile/...); also the document's x-kelisim-log-prefix.
LOG_PREFIX = "/v1/apps/{app_id}/log"


def _log_paths(spec: APISpec) -> None:
    text = {"text/plain": {"schema": {"type": "string"}}}
    binary = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    spec.path(f"{LOG_PREFIX}/checkpoint", operations={"get": _cached(
        "The newest signed checkpoint of the app's consent log (C2SP tlog-checkpoint; "
        "Cache-Control: public, max-age=5)", text, [_APP])})
    spec.path(f"{LOG_PREFIX}/tile/{{tile}}", operations={"get": _cached(
        "A tile of the app's consent log (C2SP tlog-tiles: tile/<L>/<N>[.p/<W>], N in "
        "x-prefixed groups of three digits): hashes only. Full tiles are immutable, "
        "partial ones short-lived; entry bundles are never public",
        binary, [_APP, {"name": "tile", "in": "path", "required": True,
                        "schema": {"type": "string"},
                        "description": "<L>/<N>[.p/<W>] (the path's slashes included)"}])})
    size = {"type": "string", "pattern": "^(0|[1-9][0-9]{0,18})$"}
    spec.components.schema("LogConsistency", {"type": "object", "properties": {
        "old": {"type": "integer"}, "new": {"type": "integer"},
        "checkpoint": {"type": "string"},
        "proof": {"type": "array", "items": {"type": "string", "format": "byte"}}}})
    spec.path(f"{LOG_PREFIX}/consistency", operations={"get": {
        "summary": "The consistency proof (RFC 9162) from the tree of `old` leaves to the "
                   "signed checkpoint of `new` leaves (default: the newest), with that "
                   "checkpoint: hashes and a signed note only (devices ask it on sync)",
        "parameters": [_APP, {**_query("old", size, "the size the caller holds"),
                              "required": True},
                       _query("new", size, "a signed checkpoint's size")],
        "responses": _answers("200", "LogConsistency", "OK", "422 503")}})


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


def _operator_paths(spec: APISpec) -> None:
    """The operator API: the app's backend with an API key (server/http/operator.py)."""
    base = "/v1/apps/{app_id}/operator"
    request_id = _path_param("request_id", UUID_RE.pattern)
    reads = "400 401 403 404 422 429 503"
    spec.path(f"{base}/installs/{{install_id}}/consent", operations={"get": {
        "summary": "The install's current consent: purposes granted, the version and its "
                   "label, when and from which install, and whether it stands for the "
                   "version in force (scope consent:read)",
        "parameters": [_APP, _INSTALL], "security": _API_KEY,
        "responses": _answers("200", "ConsentState", "the current state", reads,
                              _OPERATOR_ERRORS)}})
    spec.path(f"{base}/requests", operations={"get": {
        "summary": "The app's data-subject requests with their status, open ones first "
                   "(scope requests:read)",
        "parameters": [
            _APP,
            _query("status", {"enum": [*REQUEST_STATUSES, "all"], "default": "open"},
                   "only requests in this status; all: every one"),
            _query("kind", {"enum": list(REQUEST_KINDS)}, "only requests of this kind"),
            _query("install_id", {"type": "string", "pattern": _anchored(UUID_RE.pattern)},
                   "only the requests of this install"),
            _query("limit", {"type": "integer", "minimum": 1, "maximum": 500,
                             "default": 100}, "at most this many")],
        "security": _API_KEY,
        "responses": _answers("200", "RequestList", "the requests", reads,
                              _OPERATOR_ERRORS)}})
    spec.path(f"{base}/requests/{{request_id}}", operations={"get": {
        "summary": "One data-subject request with its status (scope requests:read)",
        "parameters": [_APP, request_id], "security": _API_KEY,
        "responses": _answers("200", "OperatorRequest", "the request", reads,
                              _OPERATOR_ERRORS)}})
    for verb, outcome in (("resolve", "resolved"), ("refuse", "refused")):
        spec.path(f"{base}/requests/{{request_id}}/{verb}", operations={"post": {
            "summary": f"Answer a request as {outcome}, with the note the app shows its "
                       f"user, as the console and `kelisim requests {verb}` do (scope "
                       f"requests:write)",
            "parameters": [_APP, request_id], "security": _API_KEY,
            "requestBody": _json_body("Answer"),
            "responses": _answers("200", "OperatorRequest", outcome,
                                  "400 401 403 404 409 413 415 422 429 503",
                                  _OPERATOR_ERRORS)}})


def _webhook_paths(spec: APISpec) -> None:
    """The operator API's webhooks (server/http/webhooks.py; docs/webhooks.md)."""
    base = "/v1/apps/{app_id}/operator/webhooks"
    endpoint = _path_param("endpoint_id", "[0-9a-f]{12}")
    writes = "400 401 403 404 413 415 422 429 503"

    def op(summary: str, params: list[dict[str, Any]], ok: str, schema: str,
           errors: str = writes, body: str | None = None) -> dict[str, Any]:
        out = {"summary": summary, "parameters": [_APP, *params], "security": _API_KEY,
               "responses": _answers(ok, schema, "done", errors, _OPERATOR_ERRORS)}
        if body is not None:
            out["requestBody"] = _json_body(body)
        return out

    reads = "400 401 403 404 422 429 503"
    spec.path(base, operations={
        "get": op("The app's webhook endpoints (scope webhooks:read)", [], "200",
                  "WebhookEndpointList", reads),
        "post": op("Register an endpoint; the answer holds its signing secret, shown "
                   "this once (scope webhooks:write)", [], "201", "WebhookEndpoint",
                   body="NewWebhookEndpoint")})
    spec.path(f"{base}/{{endpoint_id}}", operations={"delete": {
        "summary": "Delete an endpoint and its deliveries (scope webhooks:write)",
        "parameters": [_APP, endpoint], "security": _API_KEY,
        "responses": {"204": {"description": "deleted"}, **{
            k: v for k, v in _answers("200", "Error", "", reads, _OPERATOR_ERRORS).items()
            if k != "200"}}}})
    for verb, what in (("pause", "Pause an endpoint: nothing is delivered until resumed"),
                       ("resume", "Resume an endpoint: its waiting deliveries are due now")):
        spec.path(f"{base}/{{endpoint_id}}/{verb}", operations={"post": op(
            f"{what} (scope webhooks:write)", [endpoint], "200", "WebhookEndpoint")})
    spec.path(f"{base}/{{endpoint_id}}/test", operations={"post": op(
        "Send a webhook.test event to this endpoint (scope webhooks:write)", [endpoint],
        "202", "WebhookDelivery")})
    spec.path(f"{base}/deliveries", operations={"get": op(
        "The app's deliveries, newest first (scope webhooks:read)", [
            _query("endpoint_id", {"type": "string", "pattern": "^[0-9a-f]{12}$"},
                   "only this endpoint's"),
            _query("limit", {"type": "integer", "minimum": 1, "maximum": 500,
                             "default": 100}, "at most this many")],
        "200", "WebhookDeliveryList", reads)})
    spec.path(f"{base}/deliveries/{{delivery_id}}/replay", operations={"post": op(
        "Send a delivery again, with the same event id (scope webhooks:write)",
        [_path_param("delivery_id", "[0-9]{1,18}")], "200", "WebhookDelivery")})


_document: dict[str, Any] | None = None
_lock = threading.Lock()


def openapi_document() -> dict[str, Any]:
    """The document (built once per process; a copy, so callers may change it)."""
    global _document
    with _lock:
        if _document is None:
            _document = _build()
        return copy.deepcopy(_document)
