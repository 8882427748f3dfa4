"""The compiled hot-path check accepts exactly what its marshmallow schema accepts: the
faster validator is checked against the one schema, on generated and near-valid input."""

from __future__ import annotations

import json
import uuid
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, assume, given, settings
from marshmallow import Schema, ValidationError, fields, validate

from builders import EDGES, json_text, near_valid
from server.http.fast_validator import compile_schema
from server.http.schemas import (
    BATCH_SCHEMA,
    DELETION_SCHEMA,
    EMPTY_SCHEMA,
    EvidenceSchema,
    GuardianSchema,
    RecordSchema,
)

SHA = "ab" * 32
RECORD = {"id": str(uuid.uuid4()), "action": "accept", "version": 1, "document_sha256": SHA,
          "locale": "kk", "purposes": {"delivery": True, "notifications": False},
          "evidence": {"layers_shown": ["first_layer", "full_text"], "full_text_opened": True,
                       "scrolled_to_end": True, "seconds_on_screen": 30,
                       "seconds_by_layer": {"first_layer": 3}, "ui_locale": "uz-Cyrl"},
          "age_confirmed": None, "guardian": {"name": "Aigerim", "relation": "mother"},
          "client_time": "2025-11-01T09:30:00Z", "manifest_seq": 3}
SCHEMAS: list[tuple[Schema, dict[str, Any]]] = [
    (BATCH_SCHEMA, {"records": [RECORD]}),
    (RecordSchema(), RECORD),
    (EvidenceSchema(), RECORD["evidence"]),
    (GuardianSchema(), RECORD["guardian"]),
    (DELETION_SCHEMA, {"id": RECORD["id"], "client_time": RECORD["client_time"]}),
    (EMPTY_SCHEMA, {}),
]


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:  # an integer over 4,300 digits: refused before any schema
        assume(False)


@pytest.mark.parametrize("schema,valid", SCHEMAS,
                         ids=[type(s).__name__ for s, _ in SCHEMAS])
def test_compiled_check_agrees_with_marshmallow(schema: Schema, valid: dict[str, Any]) -> None:
    check = compile_schema(schema)
    assert check(valid)

    @settings(max_examples=400, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(text=st.one_of(near_valid(valid), json_text))
    def run(text: str) -> None:
        value = _value(text)
        try:
            loaded = schema.load(value)
        except ValidationError:
            assert not check(value), text
        else:
            assert check(value), text
            assert loaded == value

    run()


def _agree(schema: Schema, value: Any) -> None:
    try:
        schema.load(value)
        ok = True
    except ValidationError:
        ok = False
    assert compile_schema(schema)(value) is ok, value


@pytest.mark.parametrize("schema,valid", SCHEMAS,
                         ids=[type(s).__name__ for s, _ in SCHEMAS])
def test_every_edge_value_in_every_field(schema: Schema, valid: dict[str, Any]) -> None:
    """Exhaustive next to the random search: each field set to each edge value."""
    for key in valid:
        for edge in EDGES:
            _agree(schema, {**valid, key: json.loads(edge)})
        without = dict(valid)
        del without[key]
        _agree(schema, without)


def test_records_nested_in_a_batch_are_checked_field_by_field() -> None:
    check = compile_schema(BATCH_SCHEMA)

    @settings(max_examples=300, deadline=None, database=None)
    @given(record=near_valid(RECORD))
    def run(record: str) -> None:
        value = _value('{"records": [' + record + "]}")
        try:
            BATCH_SCHEMA.load(value)
            ok = True
        except ValidationError:
            ok = False
        assert check(value) is ok, record

    run()


def test_a_rule_without_compiled_form_is_an_error_not_skipped() -> None:
    class Email(Schema):
        address = fields.String(validate=validate.Email())

    class Loose(Schema):
        class Meta:
            unknown = "exclude"

    for schema in (Email(), Loose()):
        with pytest.raises(TypeError):
            compile_schema(schema)
