"""From the :class:`server.errors.KelisimError` tree to HTTP: one table, one JSON shape.

Errors are JSON ``{"error": {"code", "message", "details"}}``. :data:`HTTP_STATUS` gives each
domain error class its ``(status, code)``; :class:`ApiError` is an answer with no domain
meaning (a rate limit, bad JSON, a wrong token) that only the HTTP layer raises.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from server.errors import (
    ConfigError,
    ConsentLogError,
    ExportError,
    GuardError,
    InvalidValue,
    KelisimError,
    KeyFileError,
    LinkRefused,
    NotFound,
    NotLinked,
    PolicyError,
    PolicyImportError,
    ReceiptKeyUnavailable,
    RecordConflict,
    RecordsRejected,
    RootError,
    SigningError,
    StateConflict,
    Unavailable,
    UnknownInstall,
    Unprocessable,
)

__all__ = ["FAULT_RETRY_AFTER", "HTTP_STATUS", "ApiError", "error_body", "http_status",
           "json_error", "register_error_handlers", "unavailable_answer"]

log = logging.getLogger(__name__)

# Retry-After of a 503 that an operator must fix (a receipt key missing, a manifest that
# cannot be signed), in seconds; outages carry their own (server.errors.Unavailable).
FAULT_RETRY_AFTER = 30


# The one table: the most specific class listed wins (looked up along the MRO).
HTTP_STATUS: dict[type[KelisimError], tuple[int, str]] = {
    KelisimError: (422, "unprocessable"),
    ConfigError: (500, "internal_error"),
    InvalidValue: (422, "invalid"),
    NotFound: (404, "not_found"),
    StateConflict: (409, "conflict"),
    PolicyError: (422, "invalid_policy"),
    GuardError: (422, "needs_major"),
    KeyFileError: (503, "unavailable"),
    SigningError: (503, "unavailable"),
    RootError: (409, "conflict"),
    PolicyImportError: (422, "import_failed"),
    ExportError: (409, "conflict"),
    ConsentLogError: (422, "unprocessable"),
    UnknownInstall: (401, "invalid_token"),
    RecordConflict: (422, "conflict"),
    Unprocessable: (422, "unprocessable"),
    RecordsRejected: (422, "rejected"),
    ReceiptKeyUnavailable: (503, "unavailable"),
    LinkRefused: (422, "link_refused"),
    NotLinked: (409, "not_linked"),
    Unavailable: (503, "unavailable"),
}


def http_status(exc: KelisimError) -> tuple[int, str]:
    """``(status, code)`` of ``exc``: the entry of its nearest class in :data:`HTTP_STATUS`."""
    for cls in type(exc).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return HTTP_STATUS[KelisimError]


_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "unprocessable", 429: "rate_limited", 500: "internal_error", 503: "unavailable",
}


class ApiError(Exception):
    """Raise from a view to answer with a JSON error that has no domain meaning."""

    def __init__(self, status: int, code: str, message: str,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


def _shape(code: str, message: str, details: dict[str, Any] | None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> bytes:
    """The JSON error as bytes, for the layers in front of Flask (server.serving)."""
    return json.dumps(_shape(code, message, details), ensure_ascii=False).encode()


def unavailable_answer(exc: Unavailable) -> tuple[int, list[tuple[str, str]], bytes]:
    """``503`` with ``Retry-After`` for ``exc`` as (status, headers, body), for the layers
    in front of Flask. The message is ours (it names no host or path); the database logged
    the outage once (server/db.py), so nothing is logged per request."""
    body = error_body("unavailable", exc.message, {"retry_after": exc.retry_after})
    return 503, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                 ("Retry-After", str(exc.retry_after))], body


def json_error(status: int, code: str, message: str,
               details: dict[str, Any] | None = None) -> Response:
    resp = jsonify(_shape(code, message, details))
    resp.status_code = status
    return resp


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api(exc: ApiError) -> Response:
        resp = json_error(exc.status, exc.code, exc.message, exc.details)
        if exc.status == 429 and "retry_after" in exc.details:
            resp.headers["Retry-After"] = str(exc.details["retry_after"])
        return resp

    @app.errorhandler(KelisimError)
    def _domain(exc: KelisimError) -> Response:
        status, code = http_status(exc)
        if isinstance(exc, Unavailable):
            resp = json_error(status, code, exc.message, {"retry_after": exc.retry_after})
            resp.headers["Retry-After"] = str(exc.retry_after)
            return resp
        if status >= 500:
            # A fault of this server (a key missing, a bad configuration): the operator reads
            # the log; the client gets no paths or key ids.
            log.error("%s: %s", type(exc).__name__, exc)
            safe = isinstance(exc, ReceiptKeyUnavailable)
            resp = json_error(status, code, exc.message if safe else
                              "the server cannot do this now; the error was logged")
            if status == 503:  # until the operator fixes it: another node may answer
                resp.headers["Retry-After"] = str(FAULT_RETRY_AFTER)
            return resp
        details = {k: v for k, v in exc.details.items() if v is not None}
        return json_error(status, code, exc.message, details)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        resp = json_error(status, _CODES.get(status, "http_error"), exc.description or exc.name)
        if status == 405 and exc.response is None:
            allowed = getattr(exc, "valid_methods", None)
            if allowed:
                resp.headers["Allow"] = ", ".join(allowed)
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return json_error(500, "internal_error", "the server failed; the error was logged")
