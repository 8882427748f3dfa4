"""A device notices a log that rewrote its history (issue 19, part 2): a real server over
127.0.0.1 (SQLite and PostgreSQL) whose tree is rewritten in its database between two
syncs, and two devices shown different histories (a split view). The device verifies a
consistency proof before it replaces the checkpoint it holds; a failure keeps both signed
checkpoints as evidence, the records still sync, nothing verified is dropped."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from test_client_sync_e2e import setup

from client_sdk import ConsentClient, LogEvidence
from client_sdk._internal.logsync import CHECKPOINT_KEY, stored_size
from client_sdk.errors import ProofError
from client_sdk.protocol.envelope import PAYLOAD_ROOT, parse_envelope
from client_sdk.protocol.logproof import ProofChecker
from client_sdk.protocol.model import Root
from client_sdk.protocol.tlog import leaf_hash, node_hash, verify_consistency
from livesrv import free_port, running

APP = "jana-courier"


@pytest.fixture
def srv(tmp_path: Path, database_url: str) -> dict[str, Any]:
    return {**setup(tmp_path, database_url), "db": database_url}


def _client(tmp_path: Path, srv: dict[str, Any], port: int, name: str) -> ConsentClient:
    return ConsentClient(f"http://127.0.0.1:{port}", APP, srv["root"], tmp_path / name,
                         bundled_manifest=srv["manifest"])


def _held(client: ConsentClient) -> bytes:
    held = client.store.get_meta(CHECKPOINT_KEY)
    assert held is not None
    return held


def _rewrite_first_entry(database_url: str) -> None:
    """What a dishonest operator does to a log of two leaves: entry 0 replaced (another
    record, another salt) and the tree's stored hashes above it recomputed, so the next
    checkpoint it signs is a well-formed tree of the rewritten history."""
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as conn:
            h1 = conn.execute(sa.text("SELECT hash FROM tlog_hashes WHERE app_id = :a AND "
                                      "level = 0 AND idx = 1"), {"a": APP}).scalar_one()
            forged = leaf_hash(b"a record that was never sent")
            conn.execute(sa.text("UPDATE tlog_leaves SET leaf_hash = :h WHERE app_id = :a "
                                 "AND idx = 0"), {"h": forged, "a": APP})
            for level, h in ((0, forged), (1, node_hash(forged, bytes(h1)))):
                conn.execute(sa.text("UPDATE tlog_hashes SET hash = :h WHERE app_id = :a AND "
                                     "level = :l AND idx = 0"), {"h": h, "a": APP, "l": level})
    finally:
        engine.dispose()


def test_rewritten_history_and_split_view_are_detected_with_evidence(
        tmp_path: Path, srv: dict[str, Any]) -> None:
    port = free_port()
    root = Root.from_payload(parse_envelope(srv["root"], PAYLOAD_ROOT).payload_json())
    a = _client(tmp_path, srv, port, "a")
    first = a.accept(age_confirmed=True)
    with running(srv["env"], port):
        assert a.sync().ok  # trusted on first use: size 1
        second = a.withdraw()
        honest = a.sync()
        # An honest log: the proof from 1 to 2 verifies and the held checkpoint advances.
        assert honest.ok and honest.log_evidence is None, honest
        assert stored_size(_held(a)) == 2 and a.log_evidence() == []
        a_history = _held(a)

        _rewrite_first_entry(srv["db"])

        # Device B arrives after the rewrite: it is shown the other history (size 3).
        b = _client(tmp_path, srv, port, "b")
        b.accept(age_confirmed=True)
        seen_by_b = b.sync()
        assert seen_by_b.ok and seen_by_b.log_evidence is None
        assert stored_size(_held(b)) == 3

        # The split view: the log's own proof from A's size to B's does not hold.
        status, split = _get(port, "?old=2&new=3")
        assert status == 200 and split["new"] == 3
        checker = ProofChecker(root, APP)
        old = checker.checkpoint(a_history).checkpoint
        new = checker.checkpoint(_held(b)).checkpoint
        with pytest.raises(ProofError):
            verify_consistency(old.size, new.size, old.root_hash, new.root_hash,
                               [base64.b64decode(h) for h in split["proof"]])

        third = a.accept(age_confirmed=True)
        result = a.sync()
    # The record still synced (its receipt and inclusion proof verify) ...
    assert result.ok and result.synced == 1 and result.pending == 0, result.error
    assert {r.status for r in a.history()} == {"synced"}
    # ... but the log's new history does not extend the one A verified: evidence.
    evidence = result.log_evidence
    assert isinstance(evidence, LogEvidence) and evidence.reason == "fork"
    assert evidence.app == APP and evidence.old_checkpoint == a_history
    assert stored_size(evidence.new_checkpoint) == 4 and evidence.proof
    assert a.log_evidence() == [evidence]  # kept in the store
    # Both halves are checkpoints the log's key signed: the proof that it forked.
    assert checker.checkpoint(evidence.old_checkpoint).checkpoint.size == 2
    assert checker.checkpoint(evidence.new_checkpoint).checkpoint.size == 4
    # Nothing verified was dropped: the held checkpoint is still A's, every proof kept.
    assert _held(a) == a_history
    assert all(a.store.log_proof(r.id) for r in (first, second, third))
    # The evidence survives a restart.
    a.close()
    again = _client(tmp_path, srv, port, "a")
    assert again.log_evidence() == [evidence]


def _get(port: int, query: str, app: str = APP) -> tuple[int, Any]:
    url = f"http://127.0.0.1:{port}/v1/apps/{app}/log/consistency{query}"
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_consistency_endpoint_answers_public_hashes_and_refuses_bad_sizes(
        tmp_path: Path, srv: dict[str, Any]) -> None:
    port = free_port()
    root = Root.from_payload(parse_envelope(srv["root"], PAYLOAD_ROOT).payload_json())
    c = _client(tmp_path, srv, port, "c")
    with running(srv["env"], port):
        for _ in range(3):
            c.accept(age_confirmed=True)
            assert c.sync().ok
        held = ProofChecker(root, APP).checkpoint(_held(c)).checkpoint
        assert held.size == 3
        status, body = _get(port, "?old=1&new=3")
        assert status == 200 and set(body) == {"old", "new", "checkpoint", "proof"}
        newest = ProofChecker(root, APP).checkpoint(body["checkpoint"].encode()).checkpoint
        assert newest.size == 3 == body["new"]
        status, one = _get(port, "?old=1&new=1")
        assert status == 200 and one["proof"] == []
        old_root = ProofChecker(root, APP).checkpoint(one["checkpoint"].encode()
                                                      ).checkpoint.root_hash
        verify_consistency(1, 3, old_root, newest.root_hash,
                           [base64.b64decode(h) for h in body["proof"]])
        status, default = _get(port, "?old=2")
        assert status == 200 and default["new"] == 3
        for query, field in [("", "old"), ("?old=abc", "old"), ("?old=-1", "old"),
                             ("?old=01", "old"), ("?old=4&new=3", "old"),
                             ("?old=1&new=2x", "new"), ("?old=1&new=99", "new"),
                             ("?old=1&salt=1", "salt"), ("?old=" + "9" * 30, "old")]:
            status, err = _get(port, query)
            assert status == 422, (query, status, err)
            assert set(err["error"]) == {"code", "message", "details"}, err
            assert field in json.dumps(err["error"]), (query, err)
        status, err = _get(port, "?old=0", app="no-such-app")
        assert status == 422 and "new" in json.dumps(err["error"])



def _snapshot(database_url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table: the backup an operator restores to go back in time."""
    engine = sa.create_engine(database_url)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {t.name: [dict(r._mapping) for r in conn.execute(t.select())]
                    for t in meta.sorted_tables}
    finally:
        engine.dispose()


def _restore(database_url: str, snapshot: dict[str, list[dict[str, Any]]]) -> None:
    engine = sa.create_engine(database_url)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.begin() as conn:
            changed = [t for t in meta.sorted_tables
                       if [dict(r._mapping) for r in conn.execute(t.select())]
                       != snapshot.get(t.name, [])]
            for table in reversed(changed):
                conn.execute(table.delete())
            for table in changed:
                if snapshot.get(table.name):
                    conn.execute(table.insert(), snapshot[table.name])
    finally:
        engine.dispose()


@pytest.mark.parametrize(("later", "reason"), [(1, "same-size fork"), (2, "rollback")])
def test_a_log_restored_from_a_backup_is_a_rollback_or_a_fork(
        tmp_path: Path, srv: dict[str, Any], later: int, reason: str) -> None:
    """The operator restores the database from a backup of size 1 after the device
    verified size 3: the device's next record lands at size 2 (a smaller tree than the one
    it holds) or, after another device's record, at size 3 with another root."""
    port = free_port()
    a = _client(tmp_path, srv, port, "a")
    a.accept(age_confirmed=True)
    with running(srv["env"], port):
        assert a.sync().ok
    backup = _snapshot(srv["db"])
    with running(srv["env"], port):
        for _ in range(2):
            a.accept(age_confirmed=True)
            assert a.sync().ok
    held = _held(a)
    assert stored_size(held) == 3
    _restore(srv["db"], backup)
    with running(srv["env"], port):
        if later == 1:  # someone else's record first: the device's lands at size 3
            other = _client(tmp_path, srv, port, "b")
            other.accept(age_confirmed=True)
            assert other.sync().ok
        a.accept(age_confirmed=True)
        result = a.sync()
    assert result.ok and result.synced == 1, result.error
    evidence = result.log_evidence
    assert evidence is not None and evidence.reason == reason, evidence
    assert evidence.old_checkpoint == held and evidence.proof == ()
    assert stored_size(evidence.new_checkpoint) == 2 if later == 2 else 3
    assert _held(a) == held and a.log_evidence() == [evidence]
