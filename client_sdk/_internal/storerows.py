"""The store's schema, and what a row must hold to be read back: a row the SDK would never
write (a field of the wrong type, JSON that does not parse) is a :class:`StorageError`
naming the table, row and field, never a crash deep in the app.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from client_sdk._internal.ledger import ACTIONS, LedgerRecord, Status
from client_sdk.errors import StorageError
from client_sdk.protocol.grammar import is_int32, is_locale, is_sha256, is_time, is_uuid

__all__ = ["MIGRATE_1", "RECORDS_SQL", "SCHEMA", "SCHEMA_VERSION", "blob", "row_record"]

SCHEMA_VERSION = 2

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
"""

# Schema 1 -> 2: records the server refuses for good are set aside with its reason.
MIGRATE_1 = "ALTER TABLE outbox ADD COLUMN rejected_at TEXT;\n" \
            "ALTER TABLE outbox ADD COLUMN reason TEXT;\n"

RECORDS_SQL = (
    "SELECT l.seq, l.id, l.action, l.version, l.document_sha256, l.locale, l.purposes, "
    "l.evidence, l.age_confirmed, l.guardian, l.client_time, l.manifest_seq, "
    "o.synced_at, o.receipt, o.rejected_at, o.reason "
    "FROM ledger l LEFT JOIN outbox o ON o.record_id = l.id ")


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


def row_record(r: tuple[Any, ...], path: Path) -> LedgerRecord:
    """A ledger row as a record, or a StorageError naming what the SDK would never write."""
    (seq, rid, action, version, sha, locale, purposes_text, evidence_text, age,
     guardian_text, client_time, manifest_seq, synced_at, receipt, rejected_at, reason) = r

    def bad(field: str) -> StorageError:
        return StorageError(f"{path}: ledger row {seq} has a {field} the SDK never writes; "
                            f"the store was changed outside the SDK")

    purposes = _json_object(purposes_text)
    evidence = _json_object(evidence_text)
    guardian = None if guardian_text is None else _json_object(guardian_text)
    checks = (
        ("id", is_uuid(rid)), ("action", action in ACTIONS),
        ("version", is_int32(version, minimum=1)),
        ("document_sha256", sha is None or is_sha256(sha)),
        ("locale", locale is None or is_locale(locale)),
        ("purposes", purposes is not None and all(isinstance(v, bool)
                                                  for v in purposes.values())),
        ("evidence", evidence is not None),
        ("age_confirmed", age in (None, 0, 1) and not isinstance(age, bool)),
        ("guardian", guardian_text is None or guardian is not None),
        ("client_time", is_time(client_time)),
        ("manifest_seq", is_int32(manifest_seq, minimum=1)),
        ("receipt", receipt is None or isinstance(receipt, bytes)),
        ("reason", reason is None or isinstance(reason, str)),
    )
    for field, ok in checks:
        if not ok:
            raise bad(field)
    status: Status = "synced" if synced_at is not None else \
        "rejected" if rejected_at is not None else "pending"
    assert purposes is not None and evidence is not None
    return LedgerRecord(
        id=rid, action=action, version=version, document_sha256=sha, locale=locale,
        purposes=purposes, evidence=evidence, age_confirmed=None if age is None else bool(age),
        guardian=guardian, client_time=client_time, manifest_seq=manifest_seq, status=status,
        receipt=None if receipt is None else bytes(receipt), reason=reason)
