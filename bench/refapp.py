"""The reference for bench/ingest.py: the same server, the same POST, without storing.

``POST /v1/apps/<app>/consents`` goes through the same Flask app, the same token check and
the same marshmallow schema as the real endpoint, and answers a body of the same shape,
but stores nothing, signs nothing and opens no transaction: the HTTP + validation ceiling
that ingest is measured against. Built here, never shipped in server/.

    the `kelisim serve` command line (server.serving.runner.granian_command) with the entry point
    refapp:rsgi and --working-dir bench
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from server import create_app
from server.http import sync as sync_api
from server.serving.front import Front

bp = Blueprint("bench_reference", __name__)


@bp.post("/v1/apps/<app_id>/consents")
def consents_without_storing(app_id: str) -> Response:
    claim = sync_api._tokens().read(request.headers.get("Authorization"), app_id)
    sync_api._limit("install", claim.install_id, "RATE_LIMIT_INSTALL")
    batch = sync_api._body(sync_api.BATCH_SCHEMA)
    return jsonify({"stored": len(batch["records"]), "receipts": [],
                    "records": [{"id": r["id"], "receipt": 0} for r in batch["records"]]})


def _build() -> Any:
    flask_app = create_app()
    # Replace the real view: same URL, same blueprint machinery, no storage.
    flask_app.view_functions["sync.post_consents"] = consents_without_storing
    return flask_app


app = _build()
# The same RSGI front as server.wsgi:rsgi, around this app.
rsgi = Front.for_app(app)
