"""The consent record, defined once: its fields, its actions, its evidence and their limits.

A consent record is what the SDK stores in its ledger and sends to ``POST /consents``, and
what the server checks, chains and stores. Every copy of its shape is built from this
module or compared with it by a test: the SDK's ledger record and store
(``client_sdk/_internal/ledger.py``, ``storerows.py``), the server's sync schema
(``server/http/schemas.py``), table (``server/models.py``, and so its migrations), chain
(``server/consent/chain.py``), ingest and history. Pure data and predicates; no I/O.

API::

    Action                  Literal of the actions; ACTIONS lists them
    RECORD_ACTIONS          the actions of records sent to /consents (a request of the
                            data subject goes to /requests, a link or unlink to
                            /subject-links)
    SUBJECT_ACTIONS         link, unlink
    RecordField(name, kind, nullable, minimum=None)
    RECORD_FIELDS           the record's fields, in the order the wire format lists them
    RECORD_FIELD_NAMES      their names
    field_accepts(f, value) -> bool      ``value`` has the field's type (see below)
    describe(f) -> str                   what a value of the field must be, in words
    EVIDENCE_FIELDS, EVIDENCE_LAYERS, MAX_SECONDS
    GUARDIAN_FIELDS, GUARDIAN_NAME_MAX, GUARDIAN_RELATION_MAX
    MAX_PURPOSES, PURPOSE_ID_MAX
    RequestKind, REQUEST_KINDS, REQUEST_ACTIONS, request_kind(action) -> kind | None
    RequestStatus, REQUEST_STATUSES, REQUEST_NOTE_MAX

Kinds: ``uuid``, ``action`` (one of :data:`ACTIONS`), ``int32`` (from ``minimum``),
``sha256``, ``locale``, ``time`` (:mod:`.grammar`); ``bool``; ``purposes`` (an object of
booleans), ``evidence`` and ``guardian`` (objects); ``request_kind`` (one of
:data:`REQUEST_KINDS`, in receipts). :func:`field_accepts` checks the type
only; what a valid record says (known purposes, evidence within its limits, a guardian with
a name) is :mod:`.rules`'s, and the server's schema checks the limits below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal, get_args

from client_sdk.protocol.grammar import (
    INT32_MAX,
    INT32_MIN,
    is_int32,
    is_locale,
    is_sha256,
    is_time,
    is_uuid,
)
from client_sdk.protocol.record import Record, record

__all__ = [
    "ACTIONS",
    "EVIDENCE_FIELDS",
    "EVIDENCE_LAYERS",
    "GUARDIAN_FIELDS",
    "GUARDIAN_NAME_MAX",
    "GUARDIAN_RELATION_MAX",
    "MAX_PURPOSES",
    "MAX_SECONDS",
    "PURPOSE_ID_MAX",
    "RECORD_ACTIONS",
    "RECORD_FIELDS",
    "RECORD_FIELD_NAMES",
    "REQUEST_ACTIONS",
    "REQUEST_KINDS",
    "REQUEST_NOTE_MAX",
    "REQUEST_STATUSES",
    "SUBJECT_ACTIONS",
    "Action",
    "Kind",
    "RecordField",
    "RequestKind",
    "RequestStatus",
    "describe",
    "field_accepts",
    "request_kind",
]

Action = Literal["accept", "decline", "withdraw", "update", "acknowledge", "deletion_request",
                 "access_request", "rectification_request", "blocking_request", "link",
                 "unlink"]
ACTIONS: Final[tuple[Action, ...]] = get_args(Action)

# The data subject's requests (Law 94-V Art. 24): what do you hold about me (access), correct
# it (rectification), stop using it for now (blocking, i.e. restriction), delete it
# (deletion, i.e. destruction). Each is recorded in the ledger like a decision, with the
# action ``<kind>_request``, and sent to ``POST /requests`` (not ``/consents``).
RequestKind = Literal["access", "rectification", "blocking", "deletion"]
REQUEST_KINDS: Final[tuple[RequestKind, ...]] = get_args(RequestKind)
REQUEST_ACTIONS: Final[dict[RequestKind, Action]] = {
    "access": "access_request", "rectification": "rectification_request",
    "blocking": "blocking_request", "deletion": "deletion_request"}
# The status of a request as the operator's queue holds it.
RequestStatus = Literal["open", "resolved", "refused"]
REQUEST_STATUSES: Final[tuple[RequestStatus, ...]] = get_args(RequestStatus)
# The user's note (what to correct, what to send) and the operator's answer, in characters.
REQUEST_NOTE_MAX: Final = 2000
# Linking the install to a subject (the operator's signed-in user) and unlinking it (sign
# out): records of the consent log like any decision, sent with the link token to
# ``POST /subject-links`` (not ``/consents``); see :mod:`.subjects`.
SUBJECT_ACTIONS: Final[tuple[Action, ...]] = ("link", "unlink")
RECORD_ACTIONS: Final[tuple[Action, ...]] = tuple(
    a for a in ACTIONS if a not in REQUEST_ACTIONS.values() and a not in SUBJECT_ACTIONS)


def request_kind(action: str) -> RequestKind | None:
    """The request kind a ledger ``action`` records, or None for a consent decision."""
    return next((k for k, a in REQUEST_ACTIONS.items() if a == action), None)

Kind = Literal["uuid", "action", "int32", "sha256", "locale", "time", "bool", "purposes",
               "evidence", "guardian", "request_kind"]


@record
class RecordField(Record):
    """One field of a consent record: its name, its kind (see the module docstring),
    whether it may be null, and the least value of an ``int32``."""

    name: str
    kind: Kind
    nullable: bool = False
    minimum: int | None = None


RECORD_FIELDS: Final[tuple[RecordField, ...]] = (
    RecordField("id", "uuid"),
    RecordField("action", "action"),
    RecordField("version", "int32", minimum=1),
    RecordField("document_sha256", "sha256", nullable=True),
    RecordField("locale", "locale", nullable=True),
    RecordField("purposes", "purposes"),
    RecordField("evidence", "evidence"),
    RecordField("age_confirmed", "bool", nullable=True),
    RecordField("guardian", "guardian", nullable=True),
    RecordField("client_time", "time"),
    RecordField("manifest_seq", "int32", minimum=1),
)
RECORD_FIELD_NAMES: Final[tuple[str, ...]] = tuple(f.name for f in RECORD_FIELDS)

# What happened on screen (DESIGN.md, "Evidence is what happened on screen"); all optional.
EVIDENCE_LAYERS: Final = ("first_layer", "purposes", "full_text")
EVIDENCE_FIELDS: Final = ("layers_shown", "full_text_opened", "scrolled_to_end",
                          "seconds_on_screen", "seconds_by_layer", "ui_locale")
MAX_SECONDS: Final = 86400

GUARDIAN_FIELDS: Final = ("name", "relation")
GUARDIAN_NAME_MAX: Final = 200
GUARDIAN_RELATION_MAX: Final = 100

MAX_PURPOSES: Final = 100
PURPOSE_ID_MAX: Final = 64


_WORDS: Final[dict[str, str]] = {
    "uuid": "a lower-case UUID", "action": f"one of {', '.join(ACTIONS)}",
    "sha256": "a sha256 (64 lower-case hex digits)", "locale": "a locale tag like kk or uz-Cyrl",
    "time": "an RFC 3339 UTC time like 2026-01-01T00:00:00Z", "bool": "true or false",
    "purposes": "an object of purpose ids to true or false", "evidence": "an object",
    "guardian": "an object", "request_kind": f"one of {', '.join(REQUEST_KINDS)}"}


def describe(field: RecordField) -> str:
    """What a value of ``field`` must be, for a message (``must be ...``)."""
    if field.kind == "int32":
        words = f"an integer from {field.minimum if field.minimum is not None else INT32_MIN} " \
                f"to {INT32_MAX}"
    else:
        words = _WORDS[field.kind]
    return f"{words} or null" if field.nullable else words


def field_accepts(field: RecordField, value: object) -> bool:
    """Whether ``value`` has ``field``'s type (null where the field allows it)."""
    if value is None:
        return field.nullable
    kind = field.kind
    if kind == "uuid":
        return is_uuid(value)
    if kind == "action":
        return value in ACTIONS
    if kind == "request_kind":
        return value in REQUEST_KINDS
    if kind == "int32":
        return is_int32(value) if field.minimum is None else is_int32(value,
                                                                       minimum=field.minimum)
    if kind == "sha256":
        return is_sha256(value)
    if kind == "locale":
        return is_locale(value)
    if kind == "time":
        return is_time(value)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "purposes":
        return isinstance(value, Mapping) and all(isinstance(k, str) and isinstance(v, bool)
                                                  for k, v in value.items())
    return isinstance(value, Mapping)  # evidence, guardian
