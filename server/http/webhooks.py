"""The operator API's webhook endpoints (docs/operator-api.md, docs/webhooks.md): register,
list, pause, resume, delete and test endpoints, list and replay deliveries, with the scopes
``webhooks:read`` and ``webhooks:write``; routes of the operator blueprint. Changes go
through the same service as the console (server/webhooks/endpoints.py), recorded in the
admin audit log with the actor ``api:<key_id>``."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, jsonify, request

from server.consent.history import parse_limit_arg
from server.context import kelisim
from server.errors import InvalidValue, NotFound
from server.http.body import load_body
from server.http.operator import ACTOR_PREFIX, bp, checked_key
from server.http.operator_schemas import ENDPOINT_SCHEMA
from server.models import WebhookEndpoint
from server.webhooks import endpoints as service
from server.webhooks.secrets import webhook_key

__all__ = ["endpoint_json"]

_ENDPOINT_ID = re.compile(r"[0-9a-f]{12}")
_DELIVERY_ID = re.compile(r"[0-9]{1,18}")  # ASCII: str.isdigit() takes "²" and "١" too


def endpoint_json(p: WebhookEndpoint) -> dict[str, Any]:
    return {"endpoint_id": p.endpoint_id, "url": p.url, "events": list(p.events),
            "status": p.status, "failures": p.failures, "paused_at": p.paused_at,
            "created_at": p.created_at}


def _endpoint_id(endpoint_id: str) -> str:
    if not _ENDPOINT_ID.fullmatch(endpoint_id):
        raise NotFound(f"no webhook endpoint {endpoint_id[:40]!r}")
    return endpoint_id


@bp.get("/webhooks")
def webhooks_list(app_id: str) -> Response:
    checked_key(app_id, "webhooks:read")
    with kelisim().db.session(readonly=True) as s:
        return jsonify({"endpoints": [endpoint_json(p)
                                      for p in service.list_endpoints(s, app_id)]})


@bp.post("/webhooks")
def webhooks_create(app_id: str) -> tuple[Response, int]:
    key_id = checked_key(app_id, "webhooks:write")
    body = load_body(ENDPOINT_SCHEMA)
    k = kelisim()
    with k.db.session() as s:
        row, secret = service.create_endpoint(
            s, app_id, body["url"], body["events"], f"{ACTOR_PREFIX}{key_id}", k.now(),
            key=webhook_key(k.settings), allow_private=k.settings.webhook_allow_private)
        return jsonify({**endpoint_json(row), "secret": secret}), 201


@bp.delete("/webhooks/<endpoint_id>")
def webhooks_delete(app_id: str, endpoint_id: str) -> tuple[str, int]:
    key_id = checked_key(app_id, "webhooks:write")
    with kelisim().db.session() as s:
        service.delete_endpoint(s, app_id, _endpoint_id(endpoint_id),
                                f"{ACTOR_PREFIX}{key_id}", kelisim().now())
    return "", 204


def _pause(app_id: str, endpoint_id: str, paused: bool) -> Response:
    key_id = checked_key(app_id, "webhooks:write")
    with kelisim().db.session() as s:
        row = service.set_paused(s, app_id, _endpoint_id(endpoint_id), paused,
                                 f"{ACTOR_PREFIX}{key_id}", kelisim().now())
        return jsonify(endpoint_json(row))


@bp.post("/webhooks/<endpoint_id>/pause")
def webhooks_pause(app_id: str, endpoint_id: str) -> Response:
    return _pause(app_id, endpoint_id, True)


@bp.post("/webhooks/<endpoint_id>/resume")
def webhooks_resume(app_id: str, endpoint_id: str) -> Response:
    return _pause(app_id, endpoint_id, False)


@bp.post("/webhooks/<endpoint_id>/test")
def webhooks_test(app_id: str, endpoint_id: str) -> tuple[Response, int]:
    key_id = checked_key(app_id, "webhooks:write")
    with kelisim().db.session() as s:
        return jsonify(service.send_test(s, app_id, _endpoint_id(endpoint_id),
                                         f"{ACTOR_PREFIX}{key_id}", kelisim().now())), 202


@bp.get("/webhooks/deliveries")
def deliveries_list(app_id: str) -> Response:
    checked_key(app_id, "webhooks:read")
    endpoint_id = request.args.get("endpoint_id")
    if endpoint_id is not None and not _ENDPOINT_ID.fullmatch(endpoint_id):
        raise InvalidValue("endpoint_id", "12 hex digits, as the endpoint list shows")
    limit = parse_limit_arg(request.args.get("limit"))
    with kelisim().db.session(readonly=True) as s:
        return jsonify({"deliveries": service.list_deliveries(s, app_id, endpoint_id,
                                                              limit=limit)})


@bp.post("/webhooks/deliveries/<delivery_id>/replay")
def deliveries_replay(app_id: str, delivery_id: str) -> Response:
    key_id = checked_key(app_id, "webhooks:write")
    if not _DELIVERY_ID.fullmatch(delivery_id):
        raise NotFound(f"no webhook delivery {delivery_id[:40]!r}")
    with kelisim().db.session() as s:
        return jsonify(service.replay(s, app_id, int(delivery_id),
                                      f"{ACTOR_PREFIX}{key_id}", kelisim().now()))
