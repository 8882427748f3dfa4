"""The local store: one SQLite file holding trusted state, documents, ledger and outbox.

Every write is one transaction with ``synchronous=FULL`` and a rollback journal: a call
that returned has reached the disk and survives kill -9 and power loss. The ledger is
append-only; the outbox is the sync queue (``sync()`` marks rows synced once their receipt
verifies).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import StorageError

__all__ = ["LedgerRecord", "Store"]

SCHEMA_VERSION = 1

_SCHEMA = """
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
    receipt BLOB
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(synced_at) WHERE synced_at IS NULL;
"""


@dataclass(frozen=True)
class LedgerRecord:
    """One decision of the user, as stored and as sent to the server."""

    id: str
    action: str  # accept | decline | withdraw | update | acknowledge | deletion_request
    version: int
    document_sha256: str | None
    locale: str | None
    purposes: Mapping[str, bool]
    evidence: Mapping[str, Any]
    age_confirmed: bool | None
    guardian: Mapping[str, Any] | None
    client_time: str
    manifest_seq: int
    synced: bool = False
    receipt: bytes | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "action": self.action, "version": self.version,
            "document_sha256": self.document_sha256, "locale": self.locale,
            "purposes": dict(self.purposes), "evidence": dict(self.evidence),
            "age_confirmed": self.age_confirmed,
            "guardian": dict(self.guardian) if self.guardian is not None else None,
            "client_time": self.client_time, "manifest_seq": self.manifest_seq,
        }


class Store:
    """Thread-safe access to ``<data_dir>/kelisim.db`` (one connection, one lock)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "kelisim.db"
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False,
                                       isolation_level=None, timeout=30)
            # A rollback journal, not WAL: one process writes, rarely, and opening a WAL
            # database costs several times more, on every app launch.
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StorageError(f"{self.path} was written by a newer SDK (schema {version})")
            if version < SCHEMA_VERSION:
                # executescript commits first, so the transaction is part of the script.
                self._db.executescript(
                    f"BEGIN IMMEDIATE;\n{_SCHEMA}PRAGMA user_version={SCHEMA_VERSION};\nCOMMIT;")
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open {self.path}: {exc}") from None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise StorageError(f"{self.path}: {exc}") from None
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StorageError(f"{self.path}: {exc}") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- trusted state ------------------------------------------------------------------
    def get_meta(self, key: str) -> bytes | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return bytes(rows[0][0]) if rows else None

    def get_metas(self, keys: Iterable[str]) -> dict[str, bytes]:
        """Several keys in one query; absent keys are left out."""
        names = list(keys)
        marks = ",".join("?" * len(names))
        rows = self._read(f"SELECT key, value FROM meta WHERE key IN ({marks})",  # noqa: S608
                          tuple(names))
        return {k: bytes(v) for k, v in rows}

    def put_meta(self, values: Mapping[str, bytes | None]) -> None:
        """Set (or, with None, delete) several keys in one transaction."""
        self.put_documents({}, values)

    def get_document(self, sha256: str) -> bytes | None:
        rows = self._read("SELECT content FROM documents WHERE sha256 = ?", (sha256,))
        return bytes(rows[0][0]) if rows else None

    def has_documents(self, shas: Iterable[str]) -> set[str]:
        names = list(shas)
        if not names:
            return set()
        marks = ",".join("?" * len(names))
        rows = self._read(f"SELECT sha256 FROM documents WHERE sha256 IN ({marks})",  # noqa: S608
                          tuple(names))
        return {r[0] for r in rows}

    def put_document(self, sha256: str, content: bytes) -> None:
        self.put_documents({sha256: content})

    def put_documents(self, documents: Mapping[str, bytes],
                      meta: Mapping[str, bytes | None] | None = None) -> None:
        """Store documents (and optionally meta keys) in one transaction: one fsync."""
        with self._tx() as db:
            db.executemany("INSERT OR IGNORE INTO documents(sha256, content) VALUES(?, ?)",
                           list(documents.items()))
            for key, value in (meta or {}).items():
                if value is None:
                    db.execute("DELETE FROM meta WHERE key = ?", (key,))
                else:
                    db.execute("INSERT INTO meta(key, value) VALUES(?, ?) "
                               "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                               (key, value))

    # -- ledger -------------------------------------------------------------------------
    def append(self, record: LedgerRecord) -> None:
        """Append a record and queue it for sync, durably, in one transaction."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO ledger(id, action, version, document_sha256, locale, purposes, "
                "evidence, age_confirmed, guardian, client_time, manifest_seq) "
                "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record.id, record.action, record.version, record.document_sha256,
                 record.locale, json.dumps(dict(record.purposes), sort_keys=True),
                 json.dumps(dict(record.evidence), sort_keys=True),
                 None if record.age_confirmed is None else int(record.age_confirmed),
                 None if record.guardian is None else json.dumps(dict(record.guardian)),
                 record.client_time, record.manifest_seq))
            db.execute("INSERT INTO outbox(record_id) VALUES(?)", (record.id,))

    _RECORDS_SQL = (
        "SELECT l.id, l.action, l.version, l.document_sha256, l.locale, l.purposes, "
        "l.evidence, l.age_confirmed, l.guardian, l.client_time, l.manifest_seq, "
        "o.synced_at, o.receipt FROM ledger l LEFT JOIN outbox o ON o.record_id = l.id "
        "ORDER BY l.seq")

    def records(self) -> list[LedgerRecord]:
        return [_record(r) for r in self._read(self._RECORDS_SQL)]

    def launch_snapshot(self, keys: Iterable[str]) -> tuple[dict[str, bytes], list[LedgerRecord]]:
        """``get_metas(keys)`` and ``records()`` in one read transaction (one lock, one
        look at the file: this is on every app launch)."""
        names = list(keys)
        marks = ",".join("?" * len(names))
        with self._lock:
            try:
                self._db.execute("BEGIN")
                try:
                    metas = self._db.execute(
                        f"SELECT key, value FROM meta WHERE key IN ({marks})",  # noqa: S608
                        tuple(names)).fetchall()
                    rows = self._db.execute(self._RECORDS_SQL).fetchall()
                finally:
                    self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StorageError(f"{self.path}: {exc}") from None
        return {k: bytes(v) for k, v in metas}, [_record(r) for r in rows]

    # -- outbox ---------------------------------------------------------------------------
    def pending(self, now: str, limit: int = 1000) -> list[LedgerRecord]:
        """Unsynced records whose next attempt is due, oldest first."""
        rows = self._read(
            self._RECORDS_SQL.replace(
                "ORDER BY l.seq",
                "WHERE o.synced_at IS NULL AND (o.next_attempt_at IS NULL OR "
                "o.next_attempt_at <= ?) ORDER BY l.seq LIMIT ?"), (now, limit))
        return [_record(r) for r in rows]

    def pending_count(self) -> int:
        """Records not yet confirmed by a receipt, due or not."""
        return int(self._read("SELECT count(*) FROM outbox WHERE synced_at IS NULL")[0][0])

    def attempts(self, record_id: str) -> int:
        rows = self._read("SELECT attempts FROM outbox WHERE record_id = ?", (record_id,))
        return int(rows[0][0]) if rows else 0

    def mark_synced(self, receipts: Mapping[str, bytes], now: str) -> None:
        """Record each id's verified receipt, in one transaction."""
        with self._tx() as db:
            for record_id, receipt in receipts.items():
                db.execute("UPDATE outbox SET synced_at = ?, receipt = ?, next_attempt_at = NULL "
                           "WHERE record_id = ? AND synced_at IS NULL",
                           (now, receipt, record_id))

    def mark_failed(self, record_ids: Iterable[str], next_attempt: Mapping[str, str]) -> None:
        with self._tx() as db:
            for record_id in record_ids:
                db.execute("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? "
                           "WHERE record_id = ?", (next_attempt[record_id], record_id))

    def integrity_check(self) -> str:
        return str(self._read("PRAGMA integrity_check")[0][0])


def _record(r: tuple[Any, ...]) -> LedgerRecord:
    return LedgerRecord(
        id=r[0], action=r[1], version=r[2], document_sha256=r[3], locale=r[4],
        purposes=json.loads(r[5]), evidence=json.loads(r[6]),
        age_confirmed=None if r[7] is None else bool(r[7]),
        guardian=None if r[8] is None else json.loads(r[8]),
        client_time=r[9], manifest_seq=r[10], synced=r[11] is not None,
        receipt=None if r[12] is None else bytes(r[12]))
