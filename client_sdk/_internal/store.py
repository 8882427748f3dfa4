"""The local store: one SQLite file holding trusted state, documents, ledger and outbox.

Every write is one transaction with ``synchronous=FULL`` and a rollback journal: a call
that returned has reached the disk and survives kill -9 and power loss. The ledger is
append-only; the outbox is the sync queue (``sync()`` marks rows synced once their receipt
verifies, or rejected when the server refuses them for good).

What the store does with a file it did not expect (docs/sdk.md, "Local store"):

- a 0-byte ``kelisim.db`` is a :class:`StorageError`, never a fresh store: a new store
  lives in memory until its first write, which builds the file under another name and
  links it into place, so the SDK never leaves an empty file;
- a row the SDK would never write (a field of the wrong type, JSON that does not parse) is a
  :class:`StorageError` naming the table, row and field (:mod:`storerows`, with the schema);
- a lock another process holds is waited for ``lock_timeout`` seconds, then a
  :class:`StoreLockedError`;
- a store another app wrote (the app id kept in its meta, or its manifest's ``app``) is a
  :class:`WrongAppError` (:func:`check_owner`): one data folder, one app.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from client_sdk._internal.ledger import LedgerRecord
from client_sdk._internal.storerows import (
    INSERT_SQL,
    MIGRATE_1,
    MIGRATE_2,
    MIGRATE_3,
    MIGRATE_4,
    RECORDS_SQL,
    REQUEST_COLUMNS,
    SCHEMA,
    SCHEMA_VERSION,
    blob,
    row_record,
    row_values,
)
from client_sdk.errors import RepositoryError, StorageError, StoreLockedError, WrongAppError
from client_sdk.protocol.envelope import PAYLOAD_MANIFEST, parse_envelope

__all__ = ["LedgerRecord", "Store", "check_owner"]

class Store:
    """Thread-safe access to ``<data_dir>/kelisim.db`` (one connection, one lock).

    Raises (constructor): StorageError when the file is empty, not a store, or from a newer
    SDK; StoreLockedError when another process holds it longer than ``lock_timeout``.
    """

    def __init__(self, data_dir: Path, *, lock_timeout: float = 3.0) -> None:
        self.path = Path(data_dir) / "kelisim.db"
        self.lock_timeout = lock_timeout
        self._lock = threading.RLock()
        self._tmp = self.path.with_name(self.path.name + ".new")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            for leftover in (self._tmp, self._tmp.with_name(self._tmp.name + "-journal")):
                leftover.unlink(missing_ok=True)  # from a crash while a store was written
            if not self.path.exists():
                # A new store lives in memory until its first write (see _materialise).
                self._virtual = True
                self._db = self._memory()
                return
            if self.path.stat().st_size == 0:
                raise StorageError(
                    f"{self.path} is empty (0 bytes): it was truncated outside the SDK and "
                    f"its decisions are lost; move it away to start a new store")
            db = self._connect(self.path)
        except sqlite3.Error as exc:
            raise self._error(exc, "cannot open") from None
        except OSError as exc:
            raise StorageError(f"cannot open {self.path}: {exc}") from None
        try:
            self._upgrade(db)
        except sqlite3.Error as exc:
            db.close()
            raise self._error(exc, "cannot open") from None
        except BaseException:
            db.close()
            raise
        self._virtual = False
        self._db = db

    def _upgrade(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StorageError(f"{self.path} was written by a newer SDK (schema {version})")
        steps = {1: MIGRATE_1 + MIGRATE_2 + MIGRATE_3 + MIGRATE_4,
                 2: MIGRATE_2 + MIGRATE_3 + MIGRATE_4, 3: MIGRATE_3 + MIGRATE_4, 4: MIGRATE_4}
        if version in steps:
            db.executescript(f"BEGIN IMMEDIATE;\n{steps[version]}"
                             f"PRAGMA user_version={SCHEMA_VERSION};\nCOMMIT;")
        elif version < SCHEMA_VERSION:
            raise StorageError(f"{self.path} is not a Kelisim store (schema {version})")

    def _connect(self, path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                             timeout=self.lock_timeout)
        # A rollback journal, not WAL: one process writes, rarely, and opening a WAL
        # database costs several times more, on every app launch.
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        return db

    @staticmethod
    def _memory() -> sqlite3.Connection:
        db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        db.executescript(f"{SCHEMA}PRAGMA user_version={SCHEMA_VERSION};")
        db.execute("PRAGMA foreign_keys=ON")
        return db

    def _materialise(self) -> None:
        """Write the new store's first state to disk: built beside the final name with no
        journal, one fsync of the file, linked to ``kelisim.db`` (never over another
        process's store), one fsync of the folder. Two syncs instead of a schema
        transaction and a first transaction, and ``kelisim.db`` is never a file the SDK
        left empty.

        Raises:
            StorageError: the write failed, or another process created the store meanwhile.
        """
        tmp = self._tmp
        disk = sqlite3.connect(tmp, isolation_level=None)
        try:
            disk.execute("PRAGMA journal_mode=OFF")
            disk.execute("PRAGMA synchronous=OFF")
            self._db.backup(disk)
        finally:
            disk.close()
        _fsync(tmp)
        try:
            os.link(tmp, self.path)
        except FileExistsError:
            raise StorageError(f"{self.path} was created by another process at the same "
                               f"time; nothing was written, try again") from None
        finally:
            tmp.unlink(missing_ok=True)
        _fsync(self.path.parent)
        db = self._connect(self.path)
        self._db.close()
        self._db = db
        self._virtual = False

    def _error(self, exc: sqlite3.Error, what: str = "") -> StorageError:
        text = f"{what} {self.path}: {exc}" if what else f"{self.path}: {exc}"
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            return StoreLockedError(f"{self.path} is locked by another process or connection "
                                    f"(waited {self.lock_timeout:g} s): {exc}")
        return StorageError(text)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise self._error(exc) from None
            except BaseException:
                self._rollback()
                raise
            if self._virtual:
                try:
                    self._materialise()
                except (OSError, sqlite3.Error, StorageError) as exc:
                    # Back to the empty store this was before the write: nothing is kept
                    # that did not reach the disk.
                    self._db.close()
                    self._db = self._memory()
                    if isinstance(exc, StorageError):
                        raise
                    raise StorageError(f"cannot create {self.path}: {exc}") from None

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise self._error(exc) from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- trusted state ------------------------------------------------------------------
    def get_meta(self, key: str) -> bytes | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return blob(rows[0][0], self.path, f"meta {key!r}") if rows else None

    def get_metas(self, keys: Iterable[str]) -> dict[str, bytes]:
        """Several keys in one query; absent keys are left out."""
        names = list(keys)
        marks = ",".join("?" * len(names))
        rows = self._read(f"SELECT key, value FROM meta WHERE key IN ({marks})",  # noqa: S608
                          tuple(names))
        return {k: blob(v, self.path, f"meta {k!r}") for k, v in rows}

    def put_meta(self, values: Mapping[str, bytes | None]) -> None:
        """Set (or, with None, delete) several keys in one transaction."""
        self.put_documents({}, values)

    def get_document(self, sha256: str) -> bytes | None:
        rows = self._read("SELECT content FROM documents WHERE sha256 = ?", (sha256,))
        return blob(rows[0][0], self.path, f"document {sha256}") if rows else None

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
            self._put_meta(db, meta or {})

    @staticmethod
    def _put_meta(db: sqlite3.Connection, meta: Mapping[str, bytes | None]) -> None:
        for key, value in meta.items():
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
            db.execute(INSERT_SQL, row_values(record))
            db.execute("INSERT INTO outbox(record_id) VALUES(?)", (record.id,))

    def append_with_meta(self, record: LedgerRecord, meta: Mapping[str, bytes | None]) -> None:
        """:meth:`append` and set (None: delete) meta keys, in one transaction."""
        with self._tx() as db:
            db.execute(INSERT_SQL, row_values(record))
            db.execute("INSERT INTO outbox(record_id) VALUES(?)", (record.id,))
            self._put_meta(db, meta)

    def append_request(self, records: Iterable[LedgerRecord], request_id: str,
                       note: str | None, withdraw: bool | None) -> None:
        """Append ``records`` (a withdrawal, then the request) and the request's details,
        queued for sync, in one transaction: the user's choice is stored whole or not."""
        with self._tx() as db:
            for record in records:
                db.execute(INSERT_SQL, row_values(record))
                db.execute("INSERT INTO outbox(record_id) VALUES(?)", (record.id,))
            db.execute("INSERT INTO requests(record_id, note, withdraw) VALUES(?, ?, ?)",
                       (request_id, note, None if withdraw is None else int(withdraw)))

    def request_rows(self) -> list[tuple[Any, ...]]:
        """Each request's row (``storerows.REQUEST_COLUMNS``), oldest first."""
        return self._read(f"SELECT {REQUEST_COLUMNS} FROM requests r "  # noqa: S608
                          "JOIN ledger l ON l.id = r.record_id "
                          "LEFT JOIN outbox o ON o.record_id = l.id ORDER BY l.seq")

    def request_details(self) -> dict[str, tuple[str | None, bool | None]]:
        """Each request's note and withdraw choice, by record id."""
        rows = self._read("SELECT record_id, note, withdraw FROM requests")
        return {r[0]: (r[1], None if r[2] is None else bool(r[2])) for r in rows}

    def set_request_status(self, updates: Mapping[str, Mapping[str, str | None]],
                           now: str) -> None:
        """Store the status the install's history gave for each request id, in one
        transaction (keys: status, received_at, deadline, answered_at, answer)."""
        with self._tx() as db:
            for record_id, u in updates.items():
                db.execute("UPDATE requests SET status = ?, received_at = ?, deadline = ?, "
                           "answered_at = ?, answer = ?, checked_at = ? WHERE record_id = ?",
                           (u["status"], u["received_at"], u["deadline"], u["answered_at"],
                            u["answer"], now, record_id))

    def records(self) -> list[LedgerRecord]:
        """Every record, oldest first.

        Raises:
            StorageError: a row the SDK would never write.
        """
        return [row_record(r, self.path) for r in self._read(RECORDS_SQL + "ORDER BY l.seq")]

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
                    rows = self._db.execute(RECORDS_SQL + "ORDER BY l.seq").fetchall()
                finally:
                    self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise self._error(exc) from None
        return ({k: blob(v, self.path, f"meta {k!r}") for k, v in metas},
                [row_record(r, self.path) for r in rows])

    # -- outbox ---------------------------------------------------------------------------
    def pending(self, now: str, limit: int = 1000) -> list[LedgerRecord]:
        """Unsynced, not rejected records whose next attempt is due, oldest first."""
        rows = self._read(
            RECORDS_SQL + "WHERE o.synced_at IS NULL AND o.rejected_at IS NULL AND "
            "(o.next_attempt_at IS NULL OR o.next_attempt_at <= ?) ORDER BY l.seq LIMIT ?",
            (now, limit))
        return [row_record(r, self.path) for r in rows]

    def pending_count(self) -> int:
        """Records not yet confirmed by a receipt nor set aside, due or not."""
        return int(self._read("SELECT count(*) FROM outbox WHERE synced_at IS NULL "
                              "AND rejected_at IS NULL")[0][0])

    def attempts(self, record_id: str) -> int:
        rows = self._read("SELECT attempts FROM outbox WHERE record_id = ?", (record_id,))
        return int(rows[0][0]) if rows else 0

    def mark_synced(self, receipts: Mapping[str, bytes], now: str,
                    proofs: Mapping[str, tuple[bytes, bytes]] | None = None,
                    deadlines: Mapping[str, str] | None = None) -> None:
        """Record each id's verified receipt (its exact bytes) and log proof (salt,
        tlog-proof) in one transaction; ``deadlines``: a request's deadline its verified
        log proof covers where its receipt holds none (a ``deletion_request``: the leaf
        is rebuilt from it later, ``client.proof()``). The held checkpoint moves only after
        a consistency check (logsync.advance)."""
        with self._tx() as db:
            for record_id, receipt in receipts.items():
                db.execute("UPDATE outbox SET synced_at = ?, receipt = ?, next_attempt_at = NULL "
                           "WHERE record_id = ? AND synced_at IS NULL",
                           (now, receipt, record_id))
            db.executemany("INSERT OR IGNORE INTO log_proofs(record_id, salt, proof) "
                           "VALUES(?, ?, ?)", [(rid, salt, proof) for rid, (salt, proof)
                                               in (proofs or {}).items()])
            db.executemany("UPDATE requests SET deadline = ? WHERE record_id = ?",
                           [(due, rid) for rid, due in (deadlines or {}).items()])

    def log_proof(self, record_id: str) -> tuple[bytes, bytes] | None:
        """A synced record's (salt, tlog-proof), if the log proved it."""
        rows = self._read("SELECT salt, proof FROM log_proofs WHERE record_id = ?",
                          (record_id,))
        return (bytes(rows[0][0]), bytes(rows[0][1])) if rows else None

    def add_log_evidence(self, row: tuple[str, bytes, bytes, bytes, str, str]) -> None:
        """Keep (app, old, new, proof, reason, detected_at); the same pair once."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO log_evidence(app, old, new, proof, reason, "
                       "detected_at) VALUES(?, ?, ?, ?, ?, ?)", row)

    def log_evidence(self) -> list[tuple[Any, ...]]:
        return self._read("SELECT app, old, new, proof, reason, detected_at FROM "
                          "log_evidence ORDER BY id")

    def mark_rejected(self, reasons: Mapping[str, str], now: str) -> None:
        """Set records aside for good, with the server's reason, in one transaction."""
        with self._tx() as db:
            for record_id, reason in reasons.items():
                db.execute("UPDATE outbox SET rejected_at = ?, reason = ?, "
                           "next_attempt_at = NULL WHERE record_id = ? AND synced_at IS NULL",
                           (now, reason[:1000], record_id))

    def mark_failed(self, record_ids: Iterable[str], next_attempt: Mapping[str, str]) -> None:
        with self._tx() as db:
            for record_id in record_ids:
                db.execute("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? "
                           "WHERE record_id = ?", (next_attempt[record_id], record_id))

    def integrity_check(self) -> str:
        return str(self._read("PRAGMA integrity_check")[0][0])


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_owner(app_id: str, meta: Mapping[str, bytes], path: Path) -> None:
    """Refuse a store another app wrote: its decisions are not this app's user's.

    Stores written before the app id was kept are judged by their manifest's ``app``
    (unverified: this only refuses, it trusts nothing).

    Raises:
        WrongAppError: the store belongs to another app.
    """
    owner: str | None = None
    if "app_id" in meta:
        owner = meta["app_id"].decode("utf-8", "replace")
    elif "manifest" in meta:
        try:
            payload = parse_envelope(meta["manifest"], PAYLOAD_MANIFEST).payload_json()
        except RepositoryError:
            payload = None  # damaged: the launch reports it and does not use it
        if isinstance(payload, dict) and isinstance(payload.get("app"), str):
            owner = payload["app"]
    if owner is not None and owner != app_id:
        raise WrongAppError(f"{path} is the consent store of app {owner!r}, not {app_id!r}: "
                            f"give each app a data_dir of its own", url=str(path))


