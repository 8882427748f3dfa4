"""Public read-only endpoints: root, manifests, documents, the consent logs' checkpoints and
tiles, OpenAPI, health (readiness and liveness), the site icon.

The fast path (server/serving/fastpath.py) answers hits for the first four before Flask sees
them; these views answer the same paths when it does not (misses, tests through Flask's
test client) so both give the same responses.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from flask import Blueprint, Response, jsonify, request

from server.context import kelisim
from server.http.errors import ApiError
from server.http.openapi import openapi_document
from server.node import Readiness
from server.serving.fastpath import etag_matches, lookup
from server.serving.published import Blob

__all__ = ["bp"]

bp = Blueprint("public", __name__)

# Browsers ask for /favicon.ico on every console page; the console links the SVG too.
ICON = Path(__file__).resolve().parent.parent / "admin" / "static" / "favicon.ico"
ICON_MAX_AGE = 7 * 24 * 3600  # not immutable: an upgrade may change it


def _respond(blob: Blob | None, what: str) -> Response:
    if blob is None:
        raise ApiError(404, "not_found", f"{what} not found")
    inm = request.headers.get("If-None-Match")
    if inm and etag_matches(inm, blob.etag):
        resp = Response(status=304)
        for k, v in blob.headers_304:
            resp.headers[k] = v
        return resp
    resp = Response(b"" if request.method == "HEAD" else blob.body, status=200)
    for k, v in blob.headers_200:
        resp.headers[k] = v
    return resp


def _lookup() -> Blob | None:
    # The same parser as the fast path, so both accept and refuse the same paths.
    blob = lookup(kelisim().published, request.path)
    return blob if isinstance(blob, Blob) else None


@bp.get("/v1/root.json")
def root_latest() -> Response:
    return _respond(_lookup(), "root")


@bp.get("/v1/root/<version>.json")
def root_version(version: str) -> Response:
    return _respond(_lookup(), f"root version {version[:20]}")


@bp.get("/v1/apps/<app_id>/manifest.json")
def manifest(app_id: str) -> Response:
    return _respond(_lookup(), f"app {app_id[:80]!r}")


@bp.get("/v1/documents/<sha256>")
def document(sha256: str) -> Response:
    return _respond(_lookup(), f"document {sha256[:80]!r}")


@bp.get("/v1/apps/<app_id>/log/checkpoint")
def log_checkpoint(app_id: str) -> Response:
    """The newest signed checkpoint of the app's consent log (docs/transparency.md)."""
    return _respond(_lookup(), f"checkpoint of app {app_id[:80]!r}")


@bp.get("/v1/apps/<app_id>/log/tile/<path:tile>")
def log_tile(app_id: str, tile: str) -> Response:
    """A tile of the app's consent log (C2SP tlog-tiles): hashes only."""
    return _respond(_lookup(), f"tile {tile[:80]!r} of app {app_id[:80]!r}")


@bp.get("/v1/apps/<app_id>/log/consistency")
def log_consistency(app_id: str) -> Response:
    """A consistency proof between two of the app's checkpoints (docs/http-api.md)."""
    from server.consent.tlogfile import log_consistency as prove

    args = request.args
    unknown = sorted(set(args) - {"old", "new"})
    if unknown:
        raise ApiError(422, "invalid", f"unknown query parameter {unknown[0][:40]!r}",
                       {"field": unknown[0][:40]})
    with kelisim().db.session() as s:
        body = prove(s, app_id, args.get("old"), args.get("new"))
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/v1/apps/<app_id>/manifest.proof")
def manifest_proof(app_id: str) -> Response:
    """The served manifest's tlog-proof in the policy log (also the manifest's header)."""
    return _respond(_lookup(), f"policy-log proof of app {app_id[:80]!r}")


@bp.get("/v1/policy-log/checkpoint")
def policy_checkpoint() -> Response:
    """The newest signed checkpoint of the deployment's policy log."""
    return _respond(_lookup(), "checkpoint of the policy log")


@bp.get("/v1/policy-log/tile/<path:tile>")
def policy_tile(tile: str) -> Response:
    """A tile of the policy log (C2SP tlog-tiles)."""
    return _respond(_lookup(), f"tile {tile[:80]!r} of the policy log")


@bp.get("/v1/policy-log/consistency")
def policy_consistency() -> Response:
    """A consistency proof between two of the policy log's checkpoints."""
    from server.trust.policylog import consistency_answer

    args = request.args
    unknown = sorted(set(args) - {"old", "new"})
    if unknown:
        raise ApiError(422, "invalid", f"unknown query parameter {unknown[0][:40]!r}",
                       {"field": unknown[0][:40]})
    with kelisim().db.session(readonly=True) as s:
        body = consistency_answer(s, args.get("old"), args.get("new"))
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/v1/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Readiness: whether this node can accept a record now (server/node.py)."""
    k = kelisim()
    if k.readiness is None:
        k.readiness = Readiness(k.settings, k.db)
    status, body = k.readiness.answer()
    return jsonify(body), status


@bp.get("/livez")
def livez() -> Response:
    """Liveness: the worker runs requests. No database, no file, no lock."""
    return jsonify({"status": "alive"})


@functools.cache
def _icon() -> Blob:
    body = ICON.read_bytes()
    return Blob.make(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"',
                     f"public, max-age={ICON_MAX_AGE}", "image/x-icon")


@bp.get("/favicon.ico")
def favicon() -> Response:
    return _respond(_icon(), "icon")
