"""The OpenAPI paths of subjects (issue 21 part 2): the sync API's link and state, the
operator API's link tokens, subject consent and unlink. Called by
:func:`server.http.openapi._build`, whose helpers it is handed (no import back)."""

from __future__ import annotations

from typing import Any

from apispec import APISpec

from server.http.operator_schemas import (
    LinkTokenAnswerSchema,
    LinkTokenSchema,
    SubjectConsentSchema,
    SubjectLookupSchema,
    UnlinkAnswerSchema,
    UnlinkSchema,
)
from server.http.schemas import (
    SubjectLinkAnswerSchema,
    SubjectLinkSchema,
    SubjectStateAnswerSchema,
)

__all__ = ["add_subject_paths"]

_LINK_422 = ("invalid (a field; token null for a link or given for an unlink), rejected "
             "(the record breaks a rule), link_refused (details.reason: unknown, used, "
             "expired or other_app; nothing is stored)")


def add_subject_paths(spec: APISpec, o: Any) -> None:
    """Add the schemas and paths of subjects to ``spec``; ``o`` is
    :mod:`server.http.openapi` (its parameters and helpers), passed in by its ``_build``."""
    for name, schema in [("SubjectLink", SubjectLinkSchema),
                         ("SubjectLinkAnswer", SubjectLinkAnswerSchema),
                         ("SubjectStateAnswer", SubjectStateAnswerSchema),
                         ("LinkToken", LinkTokenSchema),
                         ("LinkTokenAnswer", LinkTokenAnswerSchema),
                         ("SubjectConsent", SubjectConsentSchema),
                         ("SubjectLookup", SubjectLookupSchema),
                         ("Unlink", UnlinkSchema), ("UnlinkAnswer", UnlinkAnswerSchema)]:
        spec.components.schema(name, schema=schema)
    reasons: dict[str, str] = {**o._ERRORS, "409": "not_linked: an unlink of an install "
                               "that is not linked", "422": _LINK_422}
    spec.path("/v1/apps/{app_id}/subject-links", operations={"post": {
        "summary": "Link the install to a subject with a link token and a link record, or "
                   "unlink it with an unlink record; the record is stored in the consent "
                   "log with a receipt, and a link answers the subject's signed state",
        "parameters": [o._APP], "security": o._BEARER,
        "requestBody": o._json_body("SubjectLink"),
        "responses": o._answers("200", "SubjectLinkAnswer", "stored (or known: the same "
                                "receipt)", "400 401 403 404 409 413 415 422 429 503",
                                reasons)}})
    spec.path("/v1/apps/{app_id}/installs/{install_id}/subject-state", operations={"get": {
        "summary": "The signed consent state of the subject the install is linked to",
        "parameters": [o._APP, o._INSTALL], "security": o._BEARER,
        "responses": o._answers("200", "SubjectStateAnswer", "the state, or linked false",
                                "400 401 403 404 429 503")}})
    base = "/v1/apps/{app_id}/operator/subjects"
    errors: dict[str, Any] = o._OPERATOR_ERRORS
    spec.path(f"{base}/link-tokens", operations={"post": {
        "summary": "A single-use link token for one of the operator's users (scope "
                   "subjects:link); it expires after LINK_TOKEN_TTL seconds",
        "parameters": [o._APP], "security": o._API_KEY,
        "requestBody": o._json_body("LinkToken"),
        "responses": o._answers("201", "LinkTokenAnswer", "the token, shown once",
                                "400 401 403 404 413 415 422 429 503", errors)}})
    spec.path(f"{base}/lookup", operations={"post": {
        "summary": "The current consent of one of the operator's users over all the "
                   "installs linked to it (scope consent:read); the user id in the body, "
                   "out of URLs, access logs and proxies",
        "parameters": [o._APP], "security": o._API_KEY,
        "requestBody": o._json_body("SubjectLookup"),
        "responses": o._answers("200", "SubjectConsent", "the subject's state",
                                "400 401 403 404 413 415 422 429 503", errors)}})
    spec.path(f"{base}/consent", operations={"get": {
        "summary": "Deprecated (the user id in the URL reaches access logs and proxies; "
                   "use POST .../subjects/lookup): the current consent of one of the "
                   "operator's users (scope consent:read)",
        "deprecated": True,
        "parameters": [o._APP, {**o._query("user_id", {"type": "string", "minLength": 1,
                                                       "maxLength": 256},
                                           "the operator's user id"), "required": True}],
        "security": o._API_KEY,
        "responses": o._answers("200", "SubjectConsent", "the subject's state",
                                "400 401 403 404 422 429 503", errors)}})
    spec.path(f"{base}/unlink", operations={"post": {
        "summary": "Unlink a user's installs (or one of them): each gets an unlink record "
                   "in the consent log (scope subjects:link)",
        "parameters": [o._APP], "security": o._API_KEY,
        "requestBody": o._json_body("Unlink"),
        "responses": o._answers("200", "UnlinkAnswer", "the installs unlinked",
                                "400 401 403 404 413 415 422 429 503", errors)}})
