"""The OpenAPI 3.1 description of the public HTTP surface (served at /v1/openapi.json)."""

from __future__ import annotations

from typing import Any

__all__ = ["openapi_document"]

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "details"],
                             "properties": {"code": {"type": "string"},
                                            "message": {"type": "string"},
                                            "details": {"type": "object"}}}},
}
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


def _cached(summary: str, content: dict[str, Any], params: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "summary": summary,
        "parameters": [*params, {"name": "If-None-Match", "in": "header", "required": False,
                                 "schema": {"type": "string"}}],
        "responses": {
            "200": {"description": "OK", "content": content,
                    "headers": {"ETag": {"schema": {"type": "string"}},
                                "Cache-Control": {"schema": {"type": "string"}}}},
            "304": {"description": "Not modified (ETag matched If-None-Match)"},
            "404": {"description": "Not found", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        },
    }


def openapi_document() -> dict[str, Any]:
    env = {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}}
    app_param = {"name": "app", "in": "path", "required": True,
                 "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_.-]{0,63}$"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kelisim", "version": "1",
                 "description": "Signed policy manifests and consent records. "
                                "Clients trust signatures, not this host."},
        "paths": {
            "/v1/root.json": {"get": _cached("The newest signed root", env, [])},
            "/v1/root/{n}.json": {"get": _cached("Signed root version n", env, [
                {"name": "n", "in": "path", "required": True,
                 "schema": {"type": "integer", "minimum": 1}}])},
            "/v1/apps/{app}/manifest.json": {"get": _cached(
                "The app's signed manifest (DSSE envelope)", env, [app_param])},
            "/v1/documents/{sha256}": {"get": _cached(
                "A policy document by content hash (immutable)",
                {"text/markdown": {"schema": {"type": "string"}}},
                [{"name": "sha256", "in": "path", "required": True,
                  "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}])},
            "/healthz": {"get": {"summary": "Health: database, migrations, root",
                                 "responses": {"200": {"description": "healthy"},
                                               "503": {"description": "not ready"}}}},
            "/v1/openapi.json": {"get": {"summary": "This document",
                                         "responses": {"200": {"description": "OK"}}}},
        },
        "components": {"schemas": {"Error": _ERROR, "Envelope": _ENVELOPE}},
    }
