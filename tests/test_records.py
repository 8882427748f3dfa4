"""One definition of the consent record (client_sdk.protocol.records): every copy of its
fields, actions and limits that must stay written out (a dataclass, a table, a marshmallow
schema, a migration through the model) says the same as the definition, and the server
runs the SDK's rules on a record's evidence."""

from __future__ import annotations

import dataclasses
import sqlite3
import uuid
from pathlib import Path
from typing import Any, cast

import pytest
import sqlalchemy as sa
from marshmallow import validate

from client_sdk._internal.ledger import LedgerRecord
from client_sdk._internal.store import Store
from client_sdk._internal.storerows import SCHEMA
from client_sdk.protocol import rules
from client_sdk.protocol.grammar import LOCALE_MAX
from client_sdk.protocol.model import Version
from client_sdk.protocol.records import (
    ACTIONS,
    EVIDENCE_FIELDS,
    EVIDENCE_LAYERS,
    GUARDIAN_FIELDS,
    GUARDIAN_NAME_MAX,
    MAX_PURPOSES,
    MAX_SECONDS,
    RECORD_ACTIONS,
    RECORD_FIELD_NAMES,
    RECORD_FIELDS,
    REQUEST_ACTIONS,
    SUBJECT_ACTIONS,
    field_accepts,
    request_kind,
)
from server.admin.charts import COLORS
from server.admin.i18n_texts import TEXTS
from server.consent import checks
from server.consent.chain import CHAINED
from server.consent.ingest import RECORD_COLUMNS
from server.http.schemas import EvidenceSchema, GuardianSchema, RecordSchema
from server.models import ConsentRecord
from simulator import version

FIELDS = {f.name: f for f in RECORD_FIELDS}
# Columns of consent_records that are not the record: where it is kept and how it is chained.
BOOKKEEPING = {"row_id", "app_id", "body_hash", "prev_hash", "row_hash", "receipt_id"}


def test_the_action_lists_are_one() -> None:
    """Every action is a ledger action; the sync API takes all but the requests of the data
    subject and the links to a subject (they have their own endpoints); the rules and the
    ledger use the same tuple."""
    assert ACTIONS == ("accept", "decline", "withdraw", "update", "acknowledge",
                       "deletion_request", "access_request", "rectification_request",
                       "blocking_request", "link", "unlink")
    assert ACTIONS[:5] == RECORD_ACTIONS
    assert set(REQUEST_ACTIONS.values()) == set(ACTIONS[5:9])
    assert ACTIONS[9:] == SUBJECT_ACTIONS
    assert all(request_kind(a) == k for k, a in REQUEST_ACTIONS.items())
    assert rules.ACTIONS is ACTIONS


def test_ledger_record_has_the_record_fields_then_its_sync_status() -> None:
    """LedgerRecord (a typed dataclass, so spelled out) lists the record's fields in the
    definition's order, with None allowed exactly where the definition allows null."""
    fields = dataclasses.fields(LedgerRecord)
    assert tuple(f.name for f in fields[:len(RECORD_FIELDS)]) == RECORD_FIELD_NAMES
    assert [f.name for f in fields[len(RECORD_FIELDS):]] == ["status", "receipt", "reason"]
    for f in fields[:len(RECORD_FIELDS)]:
        assert ("None" in str(f.type)) == FIELDS[f.name].nullable, f.name


def test_the_sdk_ledger_table_has_the_record_columns(tmp_path: Path) -> None:
    """The store's ledger table (written out in storerows.SCHEMA, as devices have it) has a
    column per record field, in order, NOT NULL exactly where the field is not nullable."""
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA)
    columns = db.execute("PRAGMA table_info(ledger)").fetchall()
    assert [c[1] for c in columns] == ["seq", *RECORD_FIELD_NAMES]
    for _, name, _, notnull, _, _ in columns[1:]:
        assert bool(notnull) == (not FIELDS[name].nullable), name
    # And what the store writes reads back equal, through the queries built from the list.
    store = Store(tmp_path)
    rec = LedgerRecord(str(uuid.uuid4()), "accept", 1, "ab" * 32, "kk", {"a": True},
                       {"seconds_on_screen": 3}, False, {"name": "Айгүл"},
                       "2026-01-01T00:00:00Z", 2)
    store.append(rec)
    assert store.records() == [rec]


def test_the_sync_schema_has_the_record_fields_and_limits() -> None:
    """RecordSchema (marshmallow, for the API and OpenAPI) names the record's fields, in
    order, all required, null where the definition allows it; its lists and limits are the
    definition's."""
    schema = RecordSchema()
    assert tuple(schema.fields) == RECORD_FIELD_NAMES
    for name, field in schema.fields.items():
        assert field.required and field.allow_none == FIELDS[name].nullable, name
    [one_of] = [v for v in schema.fields["action"].validators if isinstance(v, validate.OneOf)]
    assert tuple(one_of.choices) == RECORD_ACTIONS
    assert schema.fields["purposes"].metadata["maxProperties"] == MAX_PURPOSES
    assert tuple(EvidenceSchema().fields) == EVIDENCE_FIELDS
    assert tuple(GuardianSchema().fields) == GUARDIAN_FIELDS
    evidence = EvidenceSchema()
    assert evidence.validate({"seconds_on_screen": MAX_SECONDS}) == {}
    assert evidence.validate({"seconds_on_screen": MAX_SECONDS + 1}) != {}
    assert evidence.validate({"layers_shown": list(EVIDENCE_LAYERS)}) == {}
    assert GuardianSchema().validate({"name": "x" * GUARDIAN_NAME_MAX}) == {}
    assert GuardianSchema().validate({"name": "x" * (GUARDIAN_NAME_MAX + 1)}) != {}


_COLUMN_TYPES: dict[str, tuple[type[Any], int | None]] = {
    "uuid": (sa.String, 36), "action": (sa.String, max(map(len, ACTIONS))),
    "int32": (sa.Integer, None), "sha256": (sa.String, 64), "locale": (sa.String, LOCALE_MAX),
    "time": (sa.String, 20), "bool": (sa.Boolean, None), "purposes": (sa.JSON, None),
    "evidence": (sa.JSON, None), "guardian": (sa.JSON, None)}


def test_the_server_table_has_the_record_columns() -> None:
    """consent_records (the model; test_migrations compares the migrations with it) has a
    column per record field (the id as record_id) of the field's type and length, nullable
    exactly where the field is; the rest is the server's bookkeeping and chain."""
    table = cast(sa.Table, ConsentRecord.__table__)
    record_columns = {("id" if c.name == "record_id" else c.name): c for c in table.columns
                      if c.name not in BOOKKEEPING | {"seq", "install_id", "server_time"}}
    assert set(record_columns) == set(RECORD_FIELD_NAMES)
    for name, column in record_columns.items():
        kind, length = _COLUMN_TYPES[FIELDS[name].kind]
        assert isinstance(column.type, kind), name
        if name == "action":  # holds every action a record sent to /consents may have
            assert column.type.length >= max(map(len, RECORD_ACTIONS))
            continue
        assert getattr(column.type, "length", None) == length, name
        assert column.nullable == FIELDS[name].nullable, name


def test_the_chain_covers_every_field_and_ingest_writes_every_column() -> None:
    """The chain hash covers every column but the bookkeeping; ingest's INSERT names every
    column but the row id."""
    table = cast(sa.Table, ConsentRecord.__table__)
    columns = {c.name for c in table.columns}
    assert set(CHAINED) == columns - BOOKKEEPING
    assert set(RECORD_COLUMNS) == columns - {"row_id"}
    assert len(RECORD_COLUMNS) == len(set(RECORD_COLUMNS))


def test_every_action_has_a_colour_and_words() -> None:
    """The console's chart colours and translations, and the SDK's history texts, exist for
    every action."""
    from client_sdk.ui.strings import STRINGS

    assert set(COLORS) == set(RECORD_ACTIONS)
    for action in RECORD_ACTIONS:
        assert action in TEXTS["kk"] and action in TEXTS["ru"], action
    for table in STRINGS.values():
        assert {f"action.{a}" for a in ACTIONS} <= set(table)


@pytest.mark.parametrize("name,good,bad", [
    ("id", "2cabfe3f-2024-4e8d-b79a-553aa1cb8fca",
     "2CABFE3F-2024-4E8D-B79A-553AA1CB8FCA"),
    ("action", "withdraw", "delete"),
    ("version", 1, 0),
    ("version", 2**31 - 1, True),
    ("document_sha256", None, "ab" * 31),
    ("locale", "uz-Cyrl", "kk\n"),
    ("purposes", {"a": False}, {"a": 1}),
    ("evidence", {}, None),
    ("age_confirmed", None, 1),
    ("guardian", {"name": "x"}, "x"),
    ("client_time", "2026-02-28T00:00:00Z", "2026-02-30T00:00:00Z"),
])
def test_field_types(name: str, good: object, bad: object) -> None:
    """field_accepts checks each field's type (and null where allowed), nothing more."""
    assert field_accepts(FIELDS[name], good)
    assert not field_accepts(FIELDS[name], bad)


def test_the_server_runs_the_evidence_rules() -> None:
    """The server checks a record with all of the SDK's rules, evidence included: a record
    whose evidence breaks them (had it passed the schema) is refused by id, naming the
    evidence field."""
    v = Version.from_payload(version(1, docs={"kk": b"# K\n"}), "current")
    rec = {"id": str(uuid.uuid4()), "action": "accept", "version": 1,
           "document_sha256": v.locales["kk"].sha256, "locale": "kk",
           "purposes": {p.id: True for p in v.purposes},
           "evidence": {"seconds_on_screen": MAX_SECONDS + 1}, "age_confirmed": None,
           "guardian": None, "client_time": "2026-01-01T00:00:00Z", "manifest_seq": 1}
    refused = checks.record_problems({1: v}, 1, "demo", [rec])
    assert refused is not None
    assert refused.rejected == [{
        "id": rec["id"], "field": "evidence.seconds_on_screen",
        "reason": f"evidence seconds_on_screen must be a number from 0 to {MAX_SECONDS}"}]
    assert checks.record_problems({1: v}, 1, "demo", [{**rec, "evidence": {}}]) is None
