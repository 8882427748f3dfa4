"""The OpenAPI paths of the deployment's policy log (issue 19 part 3,
docs/transparency.md "Policies in a log"): the manifest's proof, the policy log's
checkpoint, tiles and consistency proofs. Called by :func:`server.http.openapi._build`,
whose helpers it is handed (no import back)."""

from __future__ import annotations

from typing import Any

from apispec import APISpec

__all__ = ["POLICY_LOG_PREFIX", "add_policy_log_paths"]

POLICY_LOG_PREFIX = "/v1/policy-log"


def add_policy_log_paths(spec: APISpec, o: Any) -> None:
    """Add the policy log's paths to ``spec``; ``o`` is :mod:`server.http.openapi`."""
    text = {"text/plain": {"schema": {"type": "string"}}}
    binary = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    spec.path("/v1/apps/{app_id}/manifest.proof", operations={"get": o._cached(
        "The served manifest's inclusion proof in the policy log (C2SP tlog-proof: index, "
        "hashes, the signed checkpoint with the witnesses' cosignatures); the same bytes as "
        "the manifest answer's Kelisim-Policy-Proof header (base64)", text, [o._APP])})
    spec.path(f"{POLICY_LOG_PREFIX}/checkpoint", operations={"get": o._cached(
        "The newest signed checkpoint of the deployment's policy log (every signed root "
        "and manifest; origin <deployment>/policies), with its cosignatures", text, [])})
    spec.path(f"{POLICY_LOG_PREFIX}/tile/{{tile}}", operations={"get": o._cached(
        "A tile of the policy log (C2SP tlog-tiles): hashes only; or, at "
        "entries/<N>[.p/<W>], the entry bundle of a level-0 tile's leaves (each entry a "
        "big-endian uint16 length and the canonical JSON of a signed root's or manifest's "
        "kind, number and payload sha256: public, unlike a consent log's entries)", binary,
        [{"name": "tile", "in": "path", "required": True, "schema": {"type": "string"},
          "description": "<L>/<N>[.p/<W>] or entries/<N>[.p/<W>] (the path's slashes "
                         "included)"}])})
    size = {"type": "string", "pattern": "^(0|[1-9][0-9]{0,18})$"}
    spec.path(f"{POLICY_LOG_PREFIX}/consistency", operations={"get": {
        "summary": "The consistency proof (RFC 9162) from the policy log's tree of `old` "
                   "entries to its signed checkpoint of `new` (default: the newest), with "
                   "that checkpoint (devices ask it when a manifest's proof is in a tree "
                   "of another size than the one they hold)",
        "parameters": [{**o._query("old", size, "the size the caller holds"),
                        "required": True},
                       o._query("new", size, "a signed checkpoint's size")],
        "responses": o._answers("200", "LogConsistency", "OK", "422 503")}})
