"""Marshmallow schemas of the sync API: request bodies (unknown fields rejected) and answers.

These schemas are the one description of the sync API: the views load bodies with them,
server/http/openapi.py turns them into the OpenAPI document (apispec), and their messages are the
4xx messages clients see. Every string with a grammar is checked in full (``fullmatch``, ASCII
only: a trailing newline or a fullwidth digit is refused), every integer is range-checked to
what the database column holds (PostgreSQL ``integer``).

A consent record's fields, actions and limits are defined once, in
``client_sdk.protocol.records``: :class:`RecordSchema`, :class:`EvidenceSchema` and
:class:`GuardianSchema` spell the fields out for marshmallow and OpenAPI, take every limit
and list from there, and tests/test_records.py compares their fields with it. What makes a
record valid against its version (evidence included) is ``client_sdk.protocol.rules``'s,
which the server runs after these structural checks (server/consent/checks.py).
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from client_sdk.protocol.grammar import (
    ID_RE,
    INT32_MAX,
    LOCALE_MAX,
    LOCALE_RE,
    SHA256_RE,
    TIME_RE,
    UUID_RE,
    parse_time,
)
from client_sdk.protocol.records import (
    EVIDENCE_LAYERS,
    GUARDIAN_NAME_MAX,
    GUARDIAN_RELATION_MAX,
    MAX_PURPOSES,
    MAX_SECONDS,
    PURPOSE_ID_MAX,
    RECORD_ACTIONS,
    REQUEST_KINDS,
    REQUEST_NOTE_MAX,
    REQUEST_STATUSES,
    SUBJECT_ACTIONS,
)
from server.strict_schema import Strict

__all__ = [
    "BATCH_SCHEMA",
    "DELETION_SCHEMA",
    "EMPTY_SCHEMA",
    "EVIDENCE_LAYERS",
    "MAX_BATCH",
    "MAX_SECONDS",
    "REQUEST_SCHEMA",
    "SUBJECT_LINK_SCHEMA",
    "BatchSchema",
    "ConsentsAnswerSchema",
    "DeletionAnswerSchema",
    "DeletionSchema",
    "Distinct",
    "ErrorSchema",
    "EvidenceSchema",
    "FullMatch",
    "GuardianSchema",
    "HistoryPageSchema",
    "InstallAnswerSchema",
    "LogProofSchema",
    "MaxKeys",
    "RecordSchema",
    "RequestAnswerSchema",
    "RequestSchema",
    "StrictBool",
    "SubjectLinkAnswerSchema",
    "SubjectLinkSchema",
    "SubjectRecordSchema",
    "SubjectStateAnswerSchema",
    "Time",
    "TokenAnswerSchema",
]

MAX_BATCH = 500


def _doc_pattern(regex: re.Pattern[str]) -> str:
    # JSON Schema patterns search (ECMA-262); anchoring makes them mean what fullmatch does.
    return f"^(?:{regex.pattern})$"


class FullMatch(validate.Validator):
    """The whole string matches ``regex`` (never a prefix, never before a final newline)."""

    def __init__(self, regex: re.Pattern[str], error: str) -> None:
        self.pattern = regex
        self.message = error

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str) or self.pattern.fullmatch(value) is None:
            raise ValidationError(self.message)
        return value


def _grammar(regex: re.Pattern[str], error: str, *, max_length: int | None = None,
             **kwargs: Any) -> fields.String:
    checks: list[validate.Validator] = []
    if max_length is not None:
        checks.append(validate.Length(max=max_length))
    checks.append(FullMatch(regex, error))
    meta = {"pattern": _doc_pattern(regex), **({"maxLength": max_length} if max_length else {})}
    return fields.String(validate=checks, metadata=meta, **kwargs)


def uuid_field(**kwargs: Any) -> fields.String:
    return _grammar(UUID_RE, "not a lower-case UUID", **kwargs)


def locale_field(**kwargs: Any) -> fields.String:
    return _grammar(LOCALE_RE, "not a locale tag like kk or uz-Cyrl", max_length=LOCALE_MAX,
                    **kwargs)


def int32(minimum: int, maximum: int = INT32_MAX, **kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=minimum, max=maximum),
                          **kwargs)


class StrictBool(fields.Field[bool]):
    """true or false only: not 1, "yes" or "on" (marshmallow's Boolean takes those)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("must be true or false")
        return value


class Time(fields.String):
    """An RFC 3339 UTC time ``YYYY-MM-DDTHH:MM:SSZ`` that exists (no Feb 30, hour 24,
    second 60, year 0000); kept as the string the client sent."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(metadata={"pattern": _doc_pattern(TIME_RE),
                                   "example": "2025-11-01T09:30:00Z"}, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parse_time(text)
        except ValueError:
            raise ValidationError("not an RFC 3339 UTC time that exists, like "
                                  "2025-11-01T09:30:00Z") from None
        return text


class MaxKeys(validate.Validator):
    """At most ``limit`` entries (not validate.Length: apispec would describe it as
    maxLength, a string keyword)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, value: Any) -> Any:
        if len(value) > self.limit:
            raise ValidationError(f"more than {self.limit} entries")
        return value


class Distinct(validate.Validator):
    """No value twice."""

    def __call__(self, value: Any) -> Any:
        if len(set(value)) != len(value):
            raise ValidationError("names a layer twice")
        return value


class EvidenceSchema(Strict):
    """What happened on screen, measured after layout (COMMON contract: kivy writes it)."""

    layers_shown = fields.List(fields.String(validate=validate.OneOf(EVIDENCE_LAYERS)),
                               validate=[validate.Length(max=len(EVIDENCE_LAYERS)), Distinct()])
    full_text_opened = StrictBool()
    scrolled_to_end = StrictBool()
    seconds_on_screen = int32(0, MAX_SECONDS)
    seconds_by_layer = fields.Dict(keys=fields.String(validate=validate.OneOf(EVIDENCE_LAYERS)),
                                   values=int32(0, MAX_SECONDS))
    ui_locale = locale_field()


class GuardianSchema(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=GUARDIAN_NAME_MAX))
    relation = fields.String(validate=validate.Length(max=GUARDIAN_RELATION_MAX))


class RecordSchema(Strict):
    id = uuid_field(required=True)
    action = fields.String(required=True, validate=validate.OneOf(RECORD_ACTIONS))
    version = int32(1, required=True)
    document_sha256 = _grammar(SHA256_RE, "not a sha256 (64 lower-case hex digits)",
                               required=True, allow_none=True)
    locale = locale_field(required=True, allow_none=True)
    purposes = fields.Dict(keys=_grammar(ID_RE, "not a purpose id", max_length=PURPOSE_ID_MAX),
                           values=StrictBool(), required=True, validate=MaxKeys(MAX_PURPOSES),
                           metadata={"maxProperties": MAX_PURPOSES})
    evidence = fields.Nested(EvidenceSchema, required=True)
    age_confirmed = StrictBool(required=True, allow_none=True)
    guardian = fields.Nested(GuardianSchema, required=True, allow_none=True)
    client_time = Time(required=True)
    manifest_seq = int32(1, required=True)


class SubjectRecordSchema(RecordSchema):
    """A ``link`` or ``unlink`` record: the record's fields, of one of those actions."""

    action = fields.String(required=True, validate=validate.OneOf(SUBJECT_ACTIONS))


class SubjectLinkSchema(Strict):
    """``POST /subject-links``: a link record with the token the operator's backend
    obtained, or an unlink record (token null)."""

    record = fields.Nested(SubjectRecordSchema, required=True)
    token = fields.String(required=True, allow_none=True,
                          validate=validate.Length(min=1, max=200), metadata={
                              "description": "the link token (kls_link_...) for a link; "
                                             "null for an unlink"})


class SubjectLinkAnswerSchema(Schema):
    receipt = fields.String(required=True, metadata={
        "description": "the consents receipt naming the record (DSSE envelope as text)"})
    linked = fields.Boolean(required=True)
    state = fields.String(required=True, allow_none=True, metadata={
        "description": "the subject's consent: a DSSE envelope of payload type "
                       "application/vnd.kelisim.subject-state+json, signed by the root's "
                       "receipt keys (null after an unlink)"})


class SubjectStateAnswerSchema(Schema):
    linked = fields.Boolean(required=True)
    state = fields.String(required=True, allow_none=True, metadata={
        "description": "the signed subject state (null when the install is not linked)"})


class BatchSchema(Strict):
    records = fields.List(fields.Nested(RecordSchema), required=True,
                          validate=validate.Length(min=1, max=MAX_BATCH))


class DeletionSchema(Strict):
    id = uuid_field(required=True)
    client_time = Time(required=True)


class RequestSchema(Strict):
    """A request of the data subject. What else makes one valid (a rectification needs a
    note; ``withdraw`` is for a deletion only) is ``client_sdk.protocol.rules.check_request``'s,
    which the server runs after this."""

    id = uuid_field(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(REQUEST_KINDS))
    client_time = Time(required=True)
    note = fields.String(required=True, allow_none=True,
                         validate=validate.Length(min=1, max=REQUEST_NOTE_MAX), metadata={
                             "description": "the user's words: what to correct, what to send"})
    withdraw = StrictBool(required=True, allow_none=True, metadata={
        "description": "deletion: whether the user withdrew consent in the same step "
                       "(true or false); null for the other kinds"})


# Answers: never loaded by the server, they describe what it sends (OpenAPI).

class InstallAnswerSchema(Schema):
    install_id = uuid_field(required=True)
    token = fields.String(required=True)


class TokenAnswerSchema(InstallAnswerSchema):
    pass


class LogProofSchema(Schema):
    salt = fields.String(required=True, metadata={
        "description": "base64 of the 32-byte salt of the record's (or request's) leaf "
                       "(private: the device keeps it with the record; "
                       "docs/transparency.md)"})
    proof = fields.String(required=True, allow_none=True, metadata={
        "description": "its inclusion proof, a c2sp.org/tlog-proof@v1 text with "
                       "the signed checkpoint of its group; null when the root lists no "
                       "log key"})


class RecordRefSchema(Schema):
    id = uuid_field(required=True)
    receipt = fields.Integer(required=True, metadata={
        "description": "position of the record's receipt in `receipts`"})
    log = fields.Nested(LogProofSchema, metadata={
        "description": "for a record this request stored: its place in the app's "
                       "transparency log"})


class ConsentsAnswerSchema(Schema):
    stored = fields.Integer(required=True, metadata={"description": "records new to the "
                                                     "server (the rest were known)"})
    receipts = fields.List(fields.String(), required=True, metadata={
        "description": "each a signed receipt envelope's exact JSON text"})
    records = fields.List(fields.Nested(RecordRefSchema), required=True)


class StoredRecordSchema(RecordSchema):
    action = fields.String(required=True,
                           validate=validate.OneOf([*RECORD_ACTIONS, *SUBJECT_ACTIONS]))
    install_id = uuid_field()  # with scope=subject: the install that made the record
    server_time = Time(required=True)
    chain_hash = _grammar(SHA256_RE, "not a sha256", required=True)
    clock_skew = fields.String(allow_none=True, validate=validate.OneOf(
        ["ahead", "behind", "before_publication"]), metadata={
        "description": "set when client_time is more than a day from server_time, or "
                       "before the version was published"})
    receipt = fields.String(required=True, metadata={"description": "a key of `receipts`"})


class StoredDeletionSchema(Schema):
    id = uuid_field(required=True)
    client_time = Time(required=True)
    server_time = Time(required=True)
    status = fields.String(required=True, validate=validate.OneOf(REQUEST_STATUSES))
    resolved_at = Time(required=True, allow_none=True)
    receipt = fields.String(required=True, metadata={"description": "the receipt envelope's "
                                                     "exact JSON text"})


class StoredRequestSchema(StoredDeletionSchema):
    kind = fields.String(required=True, validate=validate.OneOf(REQUEST_KINDS))
    note = fields.String(required=True, allow_none=True)
    withdraw = fields.Boolean(required=True, allow_none=True)
    # When the operator must answer by: the app's setting, capped by the law of the
    # controller's country (server/consent/deadlines.py).
    deadline = Time(required=True)
    answer = fields.String(required=True, allow_none=True, metadata={
        "description": "the operator's note when resolved or refused"})


class HistoryPageSchema(Schema):
    install_id = uuid_field(required=True)
    records = fields.List(fields.Nested(StoredRecordSchema), required=True)
    receipts = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                           metadata={"description": "receipt id -> envelope JSON text; "
                                                    "each receipt once"})
    deletion_requests = fields.List(fields.Nested(StoredDeletionSchema), required=True,
                                    metadata={"description": "the deletion requests of "
                                              "`requests` (for SDKs before requests of every "
                                              "kind)"})
    requests = fields.List(fields.Nested(StoredRequestSchema), required=True, metadata={
        "description": "the install's requests of every kind, with their status"})
    next_cursor = fields.String(required=True, allow_none=True)


class DeletionAnswerSchema(Schema):
    request_id = uuid_field(required=True)
    status = fields.String(required=True)
    receipt = fields.String(required=True, metadata={"description": "the receipt envelope's "
                                                     "exact JSON text"})
    # The request's leaf covers its deadline: a device rebuilds it from this one (a
    # ``deletion_request`` receipt does not hold it).
    deadline = Time(required=True)
    log = fields.Nested(LogProofSchema, metadata={
        "description": "the request's place in the app's transparency log (a chain row, "
                       "like a record): its salt and inclusion proof; absent while no "
                       "checkpoint covers it (the root lists no log key)"})


class RequestAnswerSchema(DeletionAnswerSchema):
    pass


class ErrorBodySchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Dict(required=True)


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


# Built once: a schema instance is reusable and building nested schemas per request costs.
BATCH_SCHEMA = BatchSchema()
DELETION_SCHEMA = DeletionSchema()
REQUEST_SCHEMA = RequestSchema()
SUBJECT_LINK_SCHEMA = SubjectLinkSchema()
EMPTY_SCHEMA = Strict()
