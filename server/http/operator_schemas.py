"""Marshmallow schemas of the operator API (docs/operator-api.md): the one body it takes
(an answer to a request) and its answers, which server/http/openapi.py documents."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from client_sdk.protocol.records import REQUEST_KINDS, REQUEST_NOTE_MAX, REQUEST_STATUSES
from server.http.schemas import Time, uuid_field
from server.strict_schema import Strict
from server.webhooks.endpoints import URL_MAX
from server.webhooks.events import EVENTS

__all__ = [
    "ANSWER_SCHEMA",
    "ENDPOINT_SCHEMA",
    "LINK_TOKEN_SCHEMA",
    "SUBJECT_LOOKUP_SCHEMA",
    "UNLINK_SCHEMA",
    "AnswerSchema",
    "ConsentStateSchema",
    "DeliveryListSchema",
    "DeliverySchema",
    "EndpointListSchema",
    "EndpointSchema",
    "InForceSchema",
    "LinkTokenAnswerSchema",
    "LinkTokenSchema",
    "NewEndpointSchema",
    "OperatorRequestSchema",
    "RequestListSchema",
    "SubjectConsentSchema",
    "SubjectInstallSchema",
    "SubjectLookupSchema",
    "UnlinkAnswerSchema",
    "UnlinkSchema",
]


class AnswerSchema(Strict):
    """Resolving or refusing a request: the note the app shows its user."""

    note = fields.String(required=True, validate=validate.Length(min=1, max=REQUEST_NOTE_MAX),
                         metadata={"description": "what was done, or why the request is "
                                                  "refused (the app shows it to the user)"})


class InForceSchema(Schema):
    version = fields.Integer(required=True)
    label = fields.String(required=True)
    reconsent_required_since = fields.Integer(required=True, allow_none=True)


class ConsentStateSchema(Schema):
    install_id = uuid_field(required=True)
    state = fields.String(required=True, validate=validate.OneOf(
        ["none", "granted", "declined", "withdrawn"]))
    purposes = fields.Dict(keys=fields.String(), values=fields.Boolean(), required=True,
                           metadata={"description": "each purpose of the decision and "
                                                    "the updates after it: on or off"})
    granted = fields.List(fields.String(), required=True, metadata={
        "description": "the purposes granted (none unless state is granted)"})
    version = fields.Integer(required=True, allow_none=True)
    label = fields.String(required=True, allow_none=True)
    decided_at = Time(required=True, allow_none=True)
    client_time = Time(required=True, allow_none=True)
    record_id = uuid_field(required=True, allow_none=True)
    from_install = uuid_field(required=True, allow_none=True)
    in_force = fields.Nested(InForceSchema, required=True, allow_none=True)
    stands = fields.Boolean(required=True, metadata={
        "description": "granted, for the version in force, and within its consent term"})


class OperatorRequestSchema(Schema):
    id = uuid_field(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(REQUEST_KINDS))
    install_id = uuid_field(required=True)
    client_time = Time(required=True)
    received_at = Time(required=True)
    deadline = Time(required=True)
    overdue = fields.Boolean(required=True)
    status = fields.String(required=True, validate=validate.OneOf(REQUEST_STATUSES))
    note = fields.String(required=True, allow_none=True)
    withdraw = fields.Boolean(required=True, allow_none=True)
    resolved_at = Time(required=True, allow_none=True)
    answer = fields.String(required=True, allow_none=True)


class RequestListSchema(Schema):
    requests = fields.List(fields.Nested(OperatorRequestSchema), required=True, metadata={
        "description": "open ones first (overdue, then by deadline), then the answered "
                       "ones, newest answer first"})


class LinkTokenSchema(Strict):
    user_id = fields.String(required=True, validate=validate.Length(min=1, max=256), metadata={
        "description": "the operator's own user id (Kelisim stores only a keyed hash)"})


class SubjectLookupSchema(Strict):
    user_id = fields.String(required=True, validate=validate.Length(min=1, max=256), metadata={
        "description": "the operator's own user id, in the body so that it stays out of "
                       "access logs and proxies"})


class LinkTokenAnswerSchema(Schema):
    token = fields.String(required=True, metadata={
        "description": "kls_link_...: single-use, for this app; hand it to the app, which "
                       "passes it to client.link_subject()"})
    expires = Time(required=True)


class UnlinkSchema(Strict):
    user_id = fields.String(required=True, validate=validate.Length(min=1, max=256))
    # Only this install; null: every install linked to the user.
    install_id = uuid_field(required=True, allow_none=True)


class UnlinkAnswerSchema(Schema):
    unlinked = fields.List(uuid_field(), required=True)


class SubjectInstallSchema(Schema):
    install_id = uuid_field(required=True)
    linked_at = Time(required=True)
    unlinked_at = Time(required=True, allow_none=True)


class SubjectConsentSchema(Schema):
    subject_id = fields.String(required=True, metadata={
        "description": "the keyed hash Kelisim stores for the user (64 hex digits)"})
    installs = fields.List(fields.Nested(SubjectInstallSchema), required=True)
    state = fields.String(required=True, validate=validate.OneOf(
        ["none", "granted", "declined", "withdrawn"]))
    purposes = fields.Dict(keys=fields.String(), values=fields.Boolean(), required=True)
    granted = fields.List(fields.String(), required=True)
    version = fields.Integer(required=True, allow_none=True)
    label = fields.String(required=True, allow_none=True)
    decided_at = Time(required=True, allow_none=True)
    accepted_at = Time(required=True, allow_none=True)
    record_id = uuid_field(required=True, allow_none=True)
    from_install = uuid_field(required=True, allow_none=True)
    seq = fields.Integer(required=True, metadata={
        "description": "the server's order number of the last record the state reflects"})
    in_force = fields.Nested(InForceSchema, required=True, allow_none=True)
    stands = fields.Boolean(required=True)


LINK_TOKEN_SCHEMA = LinkTokenSchema()
SUBJECT_LOOKUP_SCHEMA = SubjectLookupSchema()
UNLINK_SCHEMA = UnlinkSchema()


class NewEndpointSchema(Strict):
    """A webhook endpoint to register (docs/webhooks.md)."""

    url = fields.String(required=True, validate=validate.Length(min=1, max=URL_MAX),
                        metadata={"description": "https:// (or http://) URL of the receiver"})
    events = fields.List(fields.String(validate=validate.OneOf(EVENTS)), required=True,
                         validate=validate.Length(min=1, max=len(EVENTS)),
                         metadata={"description": "the event types it hears"})


class EndpointSchema(Schema):
    endpoint_id = fields.String(required=True)
    url = fields.String(required=True)
    events = fields.List(fields.String(), required=True)
    status = fields.String(required=True, validate=validate.OneOf(["active", "paused"]))
    failures = fields.Integer(required=True, metadata={
        "description": "failed deliveries in a row (paused at WEBHOOK_PAUSE_AFTER)"})
    paused_at = Time(required=True, allow_none=True)
    created_at = Time(required=True)
    secret = fields.String(metadata={
        "description": "the signing secret: only in the answer to its creation, once"})


class EndpointListSchema(Schema):
    endpoints = fields.List(fields.Nested(EndpointSchema), required=True)


class DeliverySchema(Schema):
    id = fields.Integer(required=True)
    event_id = uuid_field(required=True)
    type = fields.String(required=True)
    endpoint_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["pending", "delivered"]))
    attempts = fields.Integer(required=True)
    last_status = fields.Integer(required=True, allow_none=True)
    last_error = fields.String(required=True, allow_none=True)
    created_at = Time(required=True)
    delivered_at = Time(required=True, allow_none=True)
    next_attempt_at = Time(required=True, allow_none=True)


class DeliveryListSchema(Schema):
    deliveries = fields.List(fields.Nested(DeliverySchema), required=True,
                             metadata={"description": "newest first"})


ANSWER_SCHEMA = AnswerSchema()
ENDPOINT_SCHEMA = NewEndpointSchema()
