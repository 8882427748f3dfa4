"""Fixes from the security review of the policy log (docs/transparency.md, "Policies in a
log"): a tree size above 2**63 - 1 is a 422 naming the parameter, not a 500 (F5); a root
rotation and a concurrent re-sign of the same app no longer deadlock on PostgreSQL (F8);
a witness's cosignature moves the served proofs only to a checkpoint with the root's
threshold of cosignatures, never back to an older one (F4). A real server over 127.0.0.1
or the real domain code on a real database, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from test_client_sync_e2e import setup

from livesrv import free_port, get, running

APP = "jana-courier"
# 2**31 (PostgreSQL's INTEGER), 2**63 (SQLite's) and the largest 19 digits
TOO_BIG = ["2147483648", "9223372036854775808", "9999999999999999999"]


@pytest.mark.parametrize("size", TOO_BIG)
def test_a_tree_size_above_the_largest_is_a_422_naming_the_parameter(
        tmp_path: Path, database_url: str, size: str) -> None:
    srv = setup(tmp_path, database_url)
    port = free_port()
    with running(srv["env"], port):
        for path in ("/v1/policy-log/consistency", f"/v1/apps/{APP}/log/consistency"):
            for query, field in ((f"old=0&new={size}", "new"), (f"old={size}", "old")):
                status, _, body = get(port, f"{path}?{query}")
                assert status == 422, (path, query, body)
                error = json.loads(body)["error"]
                assert error["message"].startswith(f"{field}: "), (path, query, error)
                assert "2147483647" in error["message"], error
        # The largest size is one: no checkpoint has it (a 422 too, not a 500).
        status, _, body = get(port, "/v1/policy-log/consistency?old=0&new=2147483647")
        assert status == 422, body
        assert json.loads(body)["error"]["message"].startswith("new: "), body


def test_a_rotation_and_a_concurrent_resign_of_the_same_app_do_not_deadlock(
        published: Path, kelisim: Any, database_url: str) -> None:
    """The rotation's order (the generation row's lock in append_root, then the app's next
    manifest) against a re-sign that starts while the rotation holds the lock: the re-sign
    waits for the rotation at its start, then signs after it (seq + 2)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks and deadlocks are PostgreSQL's (SQLite writes one at a time)")
    from server.trust.manifests import latest_manifest, sign_manifest
    from server.trust.roots import rotate_root

    with kelisim.db.session() as s:
        row = latest_manifest(s, APP)
        assert row is not None
        seq = row.seq
    outcome: dict[str, Any] = {}

    def resign() -> None:
        try:
            with kelisim.db.session() as s:
                signed = sign_manifest(s, APP, kelisim.keys_dir, datetime.now(UTC),
                                       kelisim.timing)
                outcome["seq"] = None if signed is None else signed.seq
        except Exception as exc:
            outcome["error"] = exc

    watcher = sa.create_engine(database_url)
    thread = threading.Thread(target=resign)
    try:
        with kelisim.db.session() as s:
            pid = s.scalar(sa.text("SELECT pg_backend_pid()"))
            rotate_root(s, kelisim.keys_dir, datetime.now(UTC), timedelta(days=365))
            thread.start()
            # Wait (with a deadline) until the re-sign waits for a lock this one holds.
            deadline = datetime.now(UTC) + timedelta(seconds=30)
            while True:
                with watcher.connect() as conn:
                    waiting = conn.scalar(sa.text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE :pid = ANY(pg_blocking_pids(pid))"), {"pid": pid})
                if waiting:
                    break
                assert "error" not in outcome and "seq" not in outcome, outcome
                assert datetime.now(UTC) < deadline, "the re-sign never waited for the lock"
                thread.join(0.02)
            mine = sign_manifest(s, APP, kelisim.keys_dir, datetime.now(UTC), kelisim.timing)
            assert mine is not None and mine.seq == seq + 1
        thread.join(60)
        assert not thread.is_alive()
    finally:
        watcher.dispose()
    assert "error" not in outcome, outcome["error"]
    assert outcome["seq"] == seq + 2
