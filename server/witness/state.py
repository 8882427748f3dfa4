"""A witness's state, one SQLite file (``<dir>/witness.db``): the logs it witnesses (origin
and the log's verifier keys) and, per origin, the latest checkpoint it cosigned.

Checking a submission against the stored checkpoint and storing the new one happen in one
``BEGIN IMMEDIATE`` transaction (SQLite's write lock, held across threads and processes), so
two concurrent submissions cannot both move the state from the same size (tlog-witness's
"checked and persisted atomically"). WAL with ``synchronous=FULL``: a cosignature is
answered only after its state is on disk, and a process killed at any point leaves the
previous or the new state, never a mix.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar

from client_sdk.protocol import FormatError
from client_sdk.protocol.tlog.merkle import EMPTY_ROOT
from client_sdk.protocol.tlog.note import SIG_ED25519, NoteVerifier, parse_vkey
from server.witness.errors import WitnessSetupError

__all__ = ["STATE_FILE", "Cosigned", "WitnessState"]

STATE_FILE: Final = "witness.db"
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS logs (
    origin TEXT PRIMARY KEY,
    vkeys TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refused (
    origin TEXT NOT NULL REFERENCES logs(origin),
    size INTEGER NOT NULL,
    note BLOB NOT NULL,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS cosigned (
    origin TEXT PRIMARY KEY REFERENCES logs(origin),
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note BLOB NOT NULL,
    at INTEGER NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Cosigned:
    """The latest checkpoint cosigned for a log (size 0 and the empty root if none)."""

    size: int
    root: bytes
    note: bytes | None


class WitnessState:
    """The state file; one connection per call (threads share nothing but the file)."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = 30_000) -> None:
        self.path = path
        self._busy = busy_timeout_ms

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, isolation_level=None, timeout=self._busy / 1000,
                              check_same_thread=False)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        con.execute(f"PRAGMA busy_timeout={self._busy}")
        return con

    def create(self) -> None:
        """Create the file and its tables (idempotent)."""
        with self._transaction() as con:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    con.execute(statement)

    def check(self) -> None:
        """Refuse a missing or foreign state file, naming it."""
        if not self.path.is_file():
            raise WitnessSetupError(f"no witness state at {self.path}: run `kelisim witness "
                                    f"init`", path=str(self.path))
        try:
            with self._transaction() as con:
                con.execute("SELECT origin, vkeys FROM logs LIMIT 1").fetchall()
                con.execute("SELECT origin, size, root, note FROM cosigned LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            raise WitnessSetupError(f"{self.path} is not a witness state file: {exc}",
                                    path=str(self.path)) from None
        self.create()  # tables added since the file was made

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    def add_log(self, origin: str, vkeys: list[str]) -> None:
        """Witness the log ``origin`` signed by any of ``vkeys`` (replaces its keys; keeps
        its cosigned state)."""
        if not origin or any(c < " " for c in origin):
            raise WitnessSetupError("the origin is empty or has a control character",
                                    field="origin")
        for text in vkeys:
            try:
                key = parse_vkey(text)
            except FormatError as exc:
                raise WitnessSetupError(f"log key {text[:60]!r}: {exc}", field="key") from None
            if key.sig_type != SIG_ED25519:
                raise WitnessSetupError(f"log key {key.name}: a log signs with an Ed25519 "
                                        f"(0x01) key", field="key")
        if not vkeys:
            raise WitnessSetupError("a log needs at least one key", field="key")
        with self._transaction() as con:
            con.execute("INSERT INTO logs (origin, vkeys) VALUES (?, ?) ON CONFLICT(origin) "
                        "DO UPDATE SET vkeys = excluded.vkeys", (origin, "\n".join(vkeys)))

    def logs(self) -> dict[str, list[str]]:
        """Every witnessed origin and its keys."""
        with self._transaction() as con:
            rows = con.execute("SELECT origin, vkeys FROM logs ORDER BY origin").fetchall()
        return {origin: vkeys.split("\n") for origin, vkeys in rows}

    def log_keys(self, origin: str) -> list[NoteVerifier] | None:
        """The keys of a witnessed log, or None for an origin this witness does not know."""
        con = self._connect()
        try:
            row = con.execute("SELECT vkeys FROM logs WHERE origin = ?", (origin,)).fetchone()
        finally:
            con.close()
        return None if row is None else [parse_vkey(v) for v in row[0].split("\n")]

    def record_refusal(self, origin: str, size: int, note: bytes, reason: str) -> None:
        """Keep a validly signed checkpoint the witness refused as inconsistent: evidence
        that the log forked or rewrote its history (tlog-witness allows logging it)."""
        with self._transaction() as con:
            con.execute("INSERT INTO refused (origin, size, note, reason, at) VALUES "
                        "(?, ?, ?, ?, strftime('%s','now'))", (origin, size, note, reason))

    def refusals(self, origin: str) -> list[tuple[int, bytes, str]]:
        """The refused checkpoints of ``origin``: (size, signed note, reason), oldest first."""
        with self._transaction() as con:
            rows = con.execute("SELECT size, note, reason FROM refused WHERE origin = ? "
                               "ORDER BY rowid", (origin,)).fetchall()
        return [(int(size), bytes(note), str(reason)) for size, note, reason in rows]

    def latest(self, origin: str) -> Cosigned:
        """The latest cosigned checkpoint of ``origin`` (read without the write lock)."""
        con = self._connect()
        try:
            return _latest(con, origin)
        finally:
            con.close()

    def latest_by(self, match: Callable[[str], bool]) -> tuple[str, Cosigned] | None:
        """The first witnessed origin ``match`` accepts and its latest checkpoint."""
        for origin in self.logs():
            if match(origin):
                return origin, self.latest(origin)
        return None

    def advance(self, origin: str, decide: Callable[[Cosigned], tuple[T, Cosigned | None]]
                ) -> T:
        """Under the write lock: ``decide(current)`` returns a result and the state to store
        (None: store nothing). The new state is committed before this returns."""
        with self._transaction() as con:
            result, new = decide(_latest(con, origin))
            if new is not None:
                assert new.note is not None
                con.execute(
                    "INSERT INTO cosigned (origin, size, root, note, at) VALUES "
                    "(?, ?, ?, ?, strftime('%s','now')) ON CONFLICT(origin) DO UPDATE SET "
                    "size = excluded.size, root = excluded.root, note = excluded.note, "
                    "at = excluded.at", (origin, new.size, new.root, new.note))
        return result


def _latest(con: sqlite3.Connection, origin: str) -> Cosigned:
    row = con.execute("SELECT size, root, note FROM cosigned WHERE origin = ?",
                      (origin,)).fetchone()
    return Cosigned(0, EMPTY_ROOT, None) if row is None else Cosigned(row[0], row[1], row[2])
