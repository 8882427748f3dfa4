"""Marshmallow schemas of the sync API's request bodies (unknown fields rejected)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

__all__ = ["BATCH_SCHEMA", "DELETION_SCHEMA", "EMPTY_SCHEMA", "MAX_BATCH", "BatchSchema",
           "DeletionSchema", "EvidenceSchema", "GuardianSchema", "RecordSchema", "Strict",
           "StrictBool"]

MAX_BATCH = 500
UUID_RE = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
TIME_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


class StrictBool(fields.Field[bool]):
    """true or false only: not 1, "yes" or "on" (marshmallow's Boolean takes those)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("must be true or false")
        return value


class Strict(Schema):
    class Meta:
        unknown = RAISE


class EvidenceSchema(Strict):
    scrolled_to_end = StrictBool()
    seconds_on_screen = fields.Integer(strict=True, validate=validate.Range(min=0, max=86400))


class GuardianSchema(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    relation = fields.String(validate=validate.Length(max=100))


class RecordSchema(Strict):
    id = fields.String(required=True, validate=validate.Regexp(UUID_RE, error="not a UUID"))
    action = fields.String(required=True, validate=validate.OneOf(
        ["accept", "decline", "withdraw", "update", "acknowledge"]))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    document_sha256 = fields.String(required=True, allow_none=True,
                                    validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    locale = fields.String(required=True, allow_none=True,
                           validate=validate.Regexp(r"^[a-z]{2}(-[A-Za-z]{4})?$"))
    purposes = fields.Dict(keys=fields.String(validate=validate.Length(max=64)),
                           values=StrictBool(), required=True,
                           validate=validate.Length(max=100))
    evidence = fields.Nested(EvidenceSchema, required=True)
    age_confirmed = StrictBool(required=True, allow_none=True)
    guardian = fields.Nested(GuardianSchema, required=True, allow_none=True)
    client_time = fields.String(required=True, validate=validate.Regexp(
        TIME_RE, error="not an RFC 3339 UTC time"))
    manifest_seq = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class BatchSchema(Strict):
    records = fields.List(fields.Nested(RecordSchema), required=True,
                          validate=validate.Length(min=1, max=MAX_BATCH))


class DeletionSchema(Strict):
    id = fields.String(required=True, validate=validate.Regexp(UUID_RE, error="not a UUID"))
    client_time = fields.String(required=True, validate=validate.Regexp(
        TIME_RE, error="not an RFC 3339 UTC time"))


# Built once: a schema instance is reusable and building nested schemas per request costs.
BATCH_SCHEMA = BatchSchema()
DELETION_SCHEMA = DeletionSchema()
EMPTY_SCHEMA = Strict()
