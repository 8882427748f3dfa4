"""JSON errors: ``{"error": {"code", "message", "details"}}`` with a stable code."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

__all__ = ["ApiError", "json_error", "register_error_handlers"]

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "unprocessable", 429: "rate_limited", 500: "internal_error", 503: "unavailable",
}


class ApiError(Exception):
    """Raise from a view to answer with a JSON error."""

    def __init__(self, status: int, code: str, message: str,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


def json_error(status: int, code: str, message: str,
               details: dict[str, Any] | None = None) -> Response:
    resp = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    resp.status_code = status
    return resp


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api(exc: ApiError) -> Response:
        resp = json_error(exc.status, exc.code, exc.message, exc.details)
        if exc.status == 429 and "retry_after" in exc.details:
            resp.headers["Retry-After"] = str(exc.details["retry_after"])
        return resp

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
