"""A WSGI layer in front of Flask for the read-only, cacheable paths.

Manifests, roots, documents and the consent logs' checkpoints and tiles are served from
prebuilt bytes and header lists without Flask's routing or request objects: this is the
path every app launch hits. A miss (an unknown app or document, another method) falls
through to Flask, which answers with the JSON error. What the database would have to
answer while it is unavailable gets ``503`` with ``Retry-After`` here (what is held in
memory is still served).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from client_sdk.protocol.grammar import is_id, is_sha256
from server.errors import Unavailable
from server.http.errors import unavailable_answer
from server.serving.published import Blob, Published
from server.trust.policylog import POLICY_LOG

__all__ = ["FastPath", "cached_lookup", "etag_matches", "lookup"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _is_number(text: str) -> bool:
    # ASCII only: str.isdigit() also takes "٣" and "３", which int() reads as 3.
    return 0 < len(text) <= 9 and text.isascii() and text.isdigit() and text[0] != "0"


def etag_matches(header: str, etag: str) -> bool:
    """RFC 9110 If-None-Match: weak comparison against any listed tag, or ``*``."""
    if header == etag:  # what clients send back nearly always: the tag as given
        return True
    if header.strip() == "*":
        return True
    for part in header.split(","):
        tag = part.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == etag:
            return True
    return False


def _log_path(path: str) -> tuple[str, str] | None:
    """(app, file) of ``/v1/apps/<app>/log/<file>`` (``POLICY_LOG``, file) of
    ``/v1/policy-log/<file>``, else None."""
    if path.startswith("/v1/policy-log/"):
        return POLICY_LOG, path[15:]
    if not path.startswith("/v1/apps/"):
        return None
    app, sep, rest = path[9:].partition("/log/")
    return (app, rest) if sep and is_id(app) else None


def lookup(published: Published, path: str) -> Blob | bool | None:
    """The blob for ``path``; None when the path is ours but nothing is there; False when
    the path is not one of ours."""
    log = _log_path(path)
    if log is not None:
        return published.logs.lookup(*log)
    if path.startswith("/v1/apps/") and path.endswith("/manifest.json"):
        app = path[9:-14]
        # The grammar's full match: "jana-courier\n" is no app id (a "$" would take it).
        if not is_id(app):
            return None
        return published.manifest(app)
    if path.startswith("/v1/apps/") and path.endswith("/manifest.proof"):
        app = path[9:-15]
        return published.manifest_proof(app) if is_id(app) else None
    if path.startswith("/v1/documents/"):
        sha = path[14:]
        if not is_sha256(sha):
            return None
        return published.document(sha)
    if path == "/v1/root.json":
        return published.root()
    if path.startswith("/v1/root/") and path.endswith(".json"):
        number = path[9:-5]
        if not _is_number(number):
            return None
        return published.root(int(number))
    return False


def cached_lookup(published: Published, path: str) -> Blob | None:
    """The blob for ``path`` when memory alone can answer (no database, no signing), else
    None: the caller then takes the slow path. Only valid names are ever cached, so the
    names need no checking here."""
    log = _log_path(path)
    if log is not None:
        return published.logs.cached(*log)
    if path.startswith("/v1/apps/") and path.endswith("/manifest.json"):
        return published.cached_manifest(path[9:-14])
    if path.startswith("/v1/apps/") and path.endswith("/manifest.proof"):
        return published.cached_manifest_proof(path[9:-15])
    if path.startswith("/v1/documents/"):
        return published.cached_document(path[14:])
    if path == "/v1/root.json":
        return published.cached_root()
    if path.startswith("/v1/root/") and path.endswith(".json"):
        number = path[9:-5]
        if _is_number(number):
            return published.cached_root(int(number))
    return None


class FastPath:
    def __init__(self, app: WSGIApp, published: Published) -> None:
        self.app = app
        self.published = published

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if method == "GET" or method == "HEAD":
            try:
                blob = lookup(self.published, environ.get("PATH_INFO", ""))
            except Unavailable as exc:
                _, headers, body = unavailable_answer(exc)
                start_response("503 Service Unavailable", headers)
                return [] if method == "HEAD" else [body]
            if isinstance(blob, Blob):
                inm = environ.get("HTTP_IF_NONE_MATCH")
                if inm and etag_matches(inm, blob.etag):
                    start_response("304 Not Modified", blob.headers_304)
                    return []
                start_response("200 OK", blob.headers_200)
                return [] if method == "HEAD" else [blob.body]
        return self.app(environ, start_response)
