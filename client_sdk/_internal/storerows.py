"""The store's schema, and what a row must hold to be read back: a row the SDK would never
write (a field of the wrong type, JSON that does not parse) is a :class:`StorageError`
naming the table, row and field, never a crash deep in the app.

The ledger's columns are the consent record's fields
(:data:`client_sdk.protocol.records.RECORD_FIELDS`): the queries and the checks of a row
are built from that list; the table itself stays written out below, as the stores on
devices have it (tests/test_records.py compares it with the list).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from client_sdk._internal.ledger import LedgerRecord, Status
from client_sdk.errors import StorageError
from client_sdk.protocol.records import (
    RECORD_FIELD_NAMES,
    RECORD_FIELDS,
    RecordField,
    field_accepts,
)

__all__ = ["INSERT_SQL", "MIGRATE_1", "MIGRATE_2", "MIGRATE_3", "MIGRATE_4", "RECORDS_SQL",
           "REQUESTS",
           "REQUEST_COLUMNS", "SCHEMA", "SCHEMA_VERSION", "blob",
           "row_record", "row_values"]

SCHEMA_VERSION = 5

# A synced record's place in the app's transparency log: the salt of its leaf and its
# verified tlog-proof (docs/transparency.md). The newest verified checkpoint is the meta
# key ``log_checkpoint``.
LOG_PROOFS = """
CREATE TABLE IF NOT EXISTS log_proofs (
    record_id TEXT PRIMARY KEY REFERENCES ledger(id),
    salt BLOB NOT NULL,
    proof BLOB NOT NULL
);
"""

# Evidence of a log that forked, rewrote or rolled back its history (schema 5): the
# checkpoint the device had verified, the signed one that does not extend it, the
# consistency proof the log gave (newline-separated base64; empty when none was asked),
# what was wrong, and when. Never deleted.
LOG_EVIDENCE = """
CREATE TABLE IF NOT EXISTS log_evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app TEXT NOT NULL,
    old BLOB NOT NULL,
    new BLOB NOT NULL,
    proof BLOB NOT NULL,
    reason TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    UNIQUE (old, new)
);
"""

# A request of the data subject: what the user asked (its ledger record holds the kind as
# ``<kind>_request``), and its status as the install's history last said (status null
# until the server was asked).
REQUESTS = """
CREATE TABLE IF NOT EXISTS requests (
    record_id TEXT PRIMARY KEY REFERENCES ledger(id),
    note TEXT,
    withdraw INTEGER,
    status TEXT,
    received_at TEXT,
    deadline TEXT,
    answered_at TEXT,
    answer TEXT,
    checked_at TEXT
);
"""

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS documents (sha256 TEXT PRIMARY KEY, content BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS ledger (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    action TEXT NOT NULL,
    version INTEGER NOT NULL,
    document_sha256 TEXT,
    locale TEXT,
    purposes TEXT NOT NULL,
    evidence TEXT NOT NULL,
    age_confirmed INTEGER,
    guardian TEXT,
    client_time TEXT NOT NULL,
    manifest_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    record_id TEXT PRIMARY KEY REFERENCES ledger(id),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    synced_at TEXT,
    receipt BLOB,
    rejected_at TEXT,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(synced_at) WHERE synced_at IS NULL;
""" + REQUESTS + LOG_PROOFS + LOG_EVIDENCE

# Schema 1 -> 2: records the server refuses for good are set aside with its reason.
MIGRATE_1 = "ALTER TABLE outbox ADD COLUMN rejected_at TEXT;\n" \
            "ALTER TABLE outbox ADD COLUMN reason TEXT;\n"
# Schema 2 -> 3: requests of every kind with their status; a deletion request recorded
# before has no note and no withdraw choice.
MIGRATE_2 = REQUESTS + ("INSERT INTO requests(record_id) SELECT id FROM ledger "  # noqa: S608
                        "WHERE action = 'deletion_request';\n")

# Schema 3 -> 4: transparency-log proofs.
MIGRATE_3 = LOG_PROOFS
MIGRATE_4 = LOG_EVIDENCE

RECORDS_SQL = (
    f"SELECT l.seq, {', '.join(f'l.{name}' for name in RECORD_FIELD_NAMES)}, "  # noqa: S608
    "o.synced_at, o.receipt, o.rejected_at, o.reason "
    "FROM ledger l LEFT JOIN outbox o ON o.record_id = l.id ")

# What Store.request_rows reads of a request (the ledger's l, the outbox's o).
REQUEST_COLUMNS = ("l.id, l.action, l.client_time, r.note, r.withdraw, o.synced_at, "
                   "o.rejected_at, o.reason, o.receipt, r.status, r.received_at, r.deadline, "
                   "r.answered_at, r.answer, r.checked_at")

INSERT_SQL = (f"INSERT INTO ledger({', '.join(RECORD_FIELD_NAMES)}) "
              f"VALUES({', '.join('?' * len(RECORD_FIELD_NAMES))})")
# The columns that hold JSON text.
_JSON = frozenset(f.name for f in RECORD_FIELDS if f.kind in ("purposes", "evidence", "guardian"))


def blob(value: object, path: Path, where: str) -> bytes:
    """A BLOB column's bytes, or a StorageError naming ``where``."""
    if not isinstance(value, bytes | str):
        raise StorageError(f"{path}: {where} is not a blob")
    return value.encode() if isinstance(value, str) else bytes(value)


def _json_object(text: object) -> dict[str, Any] | None:
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def row_values(record: LedgerRecord) -> tuple[Any, ...]:
    """The values of :data:`INSERT_SQL` for ``record``: objects as JSON text, the age
    confirmation as 0 or 1."""
    values: list[Any] = []
    for name in RECORD_FIELD_NAMES:
        value = getattr(record, name)
        if name in _JSON and value is not None:
            # Purposes and evidence sorted (one text per content); the guardian as given.
            value = json.dumps(dict(value), sort_keys=name != "guardian")
        elif isinstance(value, bool):
            value = int(value)
        values.append(value)
    return tuple(values)


def _column(field: RecordField, value: Any) -> tuple[Any, bool]:
    """A column's stored value as the record's value, and whether it is one the SDK
    writes (JSON text of an object; 0 or 1 for a boolean)."""
    if field.name in _JSON:
        if value is None:
            return None, True
        parsed = _json_object(value)
        return parsed, parsed is not None
    if field.kind == "bool":
        ok = value in (None, 0, 1) and not isinstance(value, bool)
        return (None if value is None else bool(value)), ok
    return value, True


def row_record(r: tuple[Any, ...], path: Path) -> LedgerRecord:
    """A ledger row as a record, or a StorageError naming what the SDK would never write."""
    seq = r[0]
    count = len(RECORD_FIELDS)
    synced_at, receipt, rejected_at, reason = r[1 + count:]

    def bad(field: str) -> StorageError:
        return StorageError(f"{path}: ledger row {seq} has a {field} the SDK never writes; "
                            f"the store was changed outside the SDK")

    values: dict[str, Any] = {}
    for field, stored in zip(RECORD_FIELDS, r[1:1 + count], strict=True):
        value, ok = _column(field, stored)
        if not (ok and field_accepts(field, value)):
            raise bad(field.name)
        values[field.name] = value
    if not (receipt is None or isinstance(receipt, bytes)):
        raise bad("receipt")
    if not (reason is None or isinstance(reason, str)):
        raise bad("reason")
    status: Status = "synced" if synced_at is not None else \
        "rejected" if rejected_at is not None else "pending"
    return LedgerRecord(**values, status=status,
                        receipt=None if receipt is None else bytes(receipt), reason=reason)
