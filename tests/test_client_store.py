"""The local store's clear outcomes for files the SDK did not leave that way: an empty or
foreign file, a failed first write, rows it never writes, a damaged stored root, a lock
held by another process, an older schema."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from client_sdk import ConsentClient, Kind, StorageError, StoreLockedError
from client_sdk._internal.store import Store
from simulator import BASE, NOW, Simulator


def make(sim: Simulator, data: Path, **kw: object) -> ConsentClient:
    return ConsentClient(BASE, sim.app, sim.roots[0], data, transport=sim, clock=lambda: NOW,
                         **kw)  # type: ignore[arg-type]


def test_an_empty_file_is_an_error_not_a_fresh_store(tmp_path: Path) -> None:
    sim = _one_accepted(tmp_path)
    (tmp_path / "kelisim.db").write_bytes(b"")  # truncated by something outside the SDK
    with pytest.raises(StorageError, match="is empty \\(0 bytes\\)"):
        make(sim, tmp_path)
    assert (tmp_path / "kelisim.db").stat().st_size == 0  # left for the app to inspect


def test_a_new_store_is_never_left_empty(tmp_path: Path) -> None:
    sim = Simulator()
    # A crash while the first store was written leaves only the side file; it is removed.
    (tmp_path / "kelisim.db.new").write_bytes(b"half")
    client = make(sim, tmp_path)
    assert not (tmp_path / "kelisim.db.new").exists()
    assert not (tmp_path / "kelisim.db").exists()  # in memory until the first write
    assert client.decide().kind is Kind.UNAVAILABLE and client.history() == []
    assert client.refresh().ok
    assert (tmp_path / "kelisim.db").stat().st_size > 0
    rec = client.accept()
    client.close()
    again = make(sim, tmp_path)
    assert [r.id for r in again.history()] == [rec.id] and again.decide().kind is Kind.NONE


def test_a_failed_first_write_keeps_nothing(tmp_path: Path) -> None:
    sim = Simulator()
    client = make(sim, tmp_path)
    # Another process created the store meanwhile: our first write must not replace it.
    other = make(sim, tmp_path / "other")
    assert other.refresh().ok
    other.close()
    (tmp_path / "other" / "kelisim.db").rename(tmp_path / "kelisim.db")
    result = client.refresh()
    assert not result.ok and isinstance(result.error, StorageError)
    assert "created by another process" in str(result.error)
    assert client.manifest is None and not (tmp_path / "kelisim.db.new").exists()


@pytest.mark.parametrize("sql,field", [
    ("UPDATE ledger SET purposes = '{'", "purposes"),
    ("UPDATE ledger SET purposes = '[1]'", "purposes"),
    ("UPDATE ledger SET purposes = '{\"a\": 1}'", "purposes"),
    ("UPDATE ledger SET evidence = 'null'", "evidence"),
    ("UPDATE ledger SET guardian = '{'", "guardian"),
    ("UPDATE ledger SET action = 'delete'", "action"),
    ("UPDATE ledger SET version = 'two'", "version"),
    ("UPDATE ledger SET version = 0", "version"),
    ("UPDATE ledger SET client_time = '2026-02-30T00:00:00Z'", "client_time"),
    ("UPDATE ledger SET client_time = 5", "client_time"),
    ("UPDATE ledger SET id = 'not-a-uuid'", "id"),
    ("UPDATE ledger SET locale = 'kk\n'", "locale"),
    ("UPDATE ledger SET document_sha256 = 'x'", "document_sha256"),
    ("UPDATE ledger SET age_confirmed = 7", "age_confirmed"),
    ("UPDATE ledger SET manifest_seq = 2147483648", "manifest_seq"),
    ("UPDATE outbox SET receipt = 'text'", "receipt"),
])
def test_rows_the_sdk_never_writes(tmp_path: Path, sql: str, field: str) -> None:
    sim = Simulator()
    client = make(sim, tmp_path)
    assert client.refresh().ok
    client.accept()
    client.close()
    db = sqlite3.connect(tmp_path / "kelisim.db", isolation_level=None)
    db.execute("PRAGMA foreign_keys=OFF")
    db.execute(sql)
    db.close()
    with pytest.raises(StorageError, match=f"ledger row 1 has a {field} the SDK never writes"):
        make(sim, tmp_path)


@pytest.mark.parametrize("damage", [
    lambda raw: raw[:-1],
    lambda raw: b"{}",
    lambda raw: raw.replace(b'"payload":"', b'"payload":"AAAA'),
])
def test_a_damaged_stored_root_falls_back_to_the_pinned_root(
        tmp_path: Path, damage: Callable[[bytes], bytes]) -> None:
    sim = Simulator()
    sim.rotate(manifest=True)  # root v2: the client walks to it and stores it
    sim.publish()
    client = make(sim, tmp_path)
    assert client.refresh().ok and client.root_version == 2
    client.accept()
    client.close()
    store = Store(tmp_path)
    store.put_meta({"root": damage(store.get_meta("root") or b"")})
    store.close()
    client = make(sim, tmp_path)
    assert client.root_version == 1
    assert any("stored root is damaged; using the pinned root" in w
               for w in client.launch_warnings)
    assert [r.action for r in client.history()] == ["accept"]  # decisions kept
    result = client.refresh()
    assert result.ok and client.root_version == 2 and client.decide().kind is Kind.NONE
    client.close()
    assert make(sim, tmp_path).launch_warnings == ()


HOLD = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
"""


@pytest.mark.slow
def test_a_lock_held_by_another_process(tmp_path: Path) -> None:
    sim = Simulator()
    client = make(sim, tmp_path, lock_timeout=0.5)
    assert client.refresh().ok
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "kelisim.db")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        start = time.monotonic()
        with pytest.raises(StoreLockedError, match=r"locked by another process .*waited 0.5 s"):
            client.accept()
        assert time.monotonic() - start < 0.5 + 5  # bounded (generous for a loaded machine)
        with pytest.raises(StoreLockedError):  # a launch while it is held
            make(sim, tmp_path, lock_timeout=0.2)
    finally:
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.close()
        holder.wait(timeout=10)
        holder.stdout.close()
    assert client.history() == [] and client.accept().action == "accept"


def test_a_schema_1_store_is_upgraded(tmp_path: Path) -> None:
    sim = Simulator()
    client = make(sim, tmp_path)
    assert client.refresh().ok
    rec = client.accept()
    client.close()
    db = sqlite3.connect(tmp_path / "kelisim.db", isolation_level=None)
    db.executescript("ALTER TABLE outbox DROP COLUMN rejected_at; "
                     "ALTER TABLE outbox DROP COLUMN reason; PRAGMA user_version=1;")
    db.close()
    client = make(sim, tmp_path)
    assert [(r.id, r.status) for r in client.history()] == [(rec.id, "pending")]
    assert Store(tmp_path).pending_count() == 1


def _one_accepted(data: Path) -> Simulator:
    """A store in ``data`` holding one accept, closed; its simulator."""
    sim = Simulator()
    client = make(sim, data)
    assert client.refresh().ok
    client.accept()
    client.close()
    return sim


def test_a_schema_4_store_gains_the_log_evidence_table(tmp_path: Path) -> None:
    sim = _one_accepted(tmp_path)
    db = sqlite3.connect(tmp_path / "kelisim.db", isolation_level=None)
    db.executescript("DROP TABLE log_evidence; INSERT INTO meta(key, value) "
                     "VALUES('log_checkpoint', x'00'); PRAGMA user_version=4;")
    db.close()
    client = make(sim, tmp_path)
    assert client.log_evidence() == []
    store = Store(tmp_path)
    assert store.get_meta("log_checkpoint") == b"\x00"  # what was verified stays
    store.add_log_evidence(("app", b"old", b"new", b"", "fork", "2026-01-01T00:00:00Z"))
    store.add_log_evidence(("app", b"old", b"new", b"", "fork", "2026-01-02T00:00:00Z"))
    assert len(store.log_evidence()) == 1  # the same pair once
    version = sqlite3.connect(tmp_path / "kelisim.db").execute("PRAGMA user_version")
    assert version.fetchone()[0] == 5


def test_not_a_store(tmp_path: Path) -> None:
    (tmp_path / "kelisim.db").write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(StorageError, match="cannot open"):
        make(Simulator(), tmp_path)
