"""Fixes from the security review of the policy log (docs/transparency.md, "Policies in a
log"): a tree size above 2**63 - 1 is a 422 naming the parameter, not a 500 (F5); a root
rotation and a concurrent re-sign of the same app no longer deadlock on PostgreSQL (F8);
a witness's cosignature moves the served proofs only to a checkpoint with the root's
threshold of cosignatures, never back to an older one (F4). A real server over 127.0.0.1
or the real domain code on a real database, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from test_client_sync_e2e import setup

from client_sdk import ConsentClient
from client_sdk._internal.policycheck import POLICY_CHECKPOINT_KEY
from client_sdk.transport import HttpTransport, Response
from livesrv import free_port, get, kelisim_here, running

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


def _proofs(kelisim: Any) -> dict[str, tuple[int, list[bytes]]]:
    """Each app's newest manifest's stored proof: (its checkpoint's size, cosignatures)."""
    from client_sdk.protocol.tlog import parse_tlog_proof
    from server.policylog_models import PolicyLogEntry

    out: dict[str, tuple[int, list[bytes]]] = {}
    with kelisim.db.session() as s:
        for entry in s.scalars(sa.select(PolicyLogEntry).where(PolicyLogEntry.kind ==
                                                                "manifest")
                               .order_by(PolicyLogEntry.idx)):
            note = parse_tlog_proof(bytes(entry.proof)).checkpoint
            lines = note.split(b"\n")
            out[entry.app_id] = (int(lines[1]), [x for x in lines if x.startswith(b"\xe2\x80"
                                                                                   b"\x94 w")])
    return out


def test_a_cosignature_moves_proofs_only_to_a_checkpoint_with_the_threshold_and_forward(
        cli: Any, published: Path, kelisim: Any, tmp_path: Path) -> None:
    """Three witnesses, two required: one witness ahead of the others, or one behind,
    never leaves a device a proof it refuses or an older one."""
    from builders import DEMO
    from server.policylog_models import PolicyLogCosignature
    from server.trust.policylog import policy_size, prove_in_cosigned
    from tests import witnesses

    names = [f"witness.test/w{i}" for i in (1, 2, 3)]
    vkeys = [witnesses.init(tmp_path / f"w{i}", name) for i, name in enumerate(names)]
    cli("root", "rotate", *[a for v in vkeys for a in ("--add-witness", v)],
        "--witness-threshold", "2", "--require-policy-inclusion")

    def cosign(witness: int, size: int) -> int:
        # What the worker stores for a witness's answer (server/consent/witnessing.py).
        with kelisim.db.session() as s:
            s.add(PolicyLogCosignature(size=size, witness=names[witness],
                                       line=f"\u2014 w{witness + 1} {size}\n".encode(),
                                       created_at="2026-12-07T00:00:00Z"))
            s.flush()
            return prove_in_cosigned(s, size)

    with kelisim.db.session() as s:
        n = policy_size(s)
    assert _proofs(kelisim)[APP][0] == n
    assert cosign(0, n) == 0  # one of two: the proof stays
    assert cosign(1, n) == 1
    both = _proofs(kelisim)[APP]
    assert both == (n, [f"\u2014 w1 {n}".encode(), f"\u2014 w2 {n}".encode()])
    # Another app's publish grows the log; the first witness is ahead of the others.
    other = tmp_path / "pl-b"
    (other / "1").mkdir(parents=True)
    (other / "app.toml").write_text((DEMO / "app.toml").read_text().replace(
        'id = "jana-courier"', 'id = "pl-b"', 1))
    for f in (DEMO / "2.0").iterdir():
        (other / "1" / f.name).write_bytes(f.read_bytes())
    cli("apps", "create", str(other))
    cli("publish", str(other / "1"))
    with kelisim.db.session() as s:
        grown = policy_size(s)
    assert cosign(0, grown) == 0
    assert _proofs(kelisim)[APP] == both  # not the checkpoint with one cosignature
    assert cosign(2, grown) == 2  # the threshold: both apps' proofs move forward
    moved = _proofs(kelisim)
    assert moved[APP][0] == moved["pl-b"][0] == grown
    # A lagging witness cosigns the older checkpoint: it has three now, but is older.
    assert cosign(2, n) == 0
    assert _proofs(kelisim) == moved


class NotModified(HttpTransport):
    """A server that answers every conditional manifest request with 304 Not Modified,
    whatever it serves (a hostile one, or one that kept an old manifest)."""

    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, max_bytes: int) -> Response:
        if url.endswith("/manifest.json") and headers and "If-None-Match" in headers:
            return Response(304, b"", {"etag": headers["If-None-Match"]})
        return super().request(method, url, body=body, headers=headers, max_bytes=max_bytes)


def test_a_root_that_starts_requiring_inclusion_fetches_the_manifest_with_its_proof(
        tmp_path: Path, database_url: str) -> None:
    """The device held a manifest accepted under a root without the requirement; the
    root it moves to requires it: a 304 no longer keeps that manifest trusted unproved."""
    srv = setup(tmp_path, database_url)
    env = {**srv["env"], "KELISIM_CACHE_CHECK_INTERVAL": "0"}
    port = free_port()
    client = ConsentClient(f"http://127.0.0.1:{port}", APP, srv["root"], tmp_path / "device",
                           transport=NotModified())
    with running(env, port):
        first = client.refresh()
        assert first.ok and first.root_version == 1, first.error
        assert client.store.get_meta(POLICY_CHECKPOINT_KEY) is None
        out = kelisim_here(env, "root", "rotate", "--require-policy-inclusion")
        assert "root v2 signed" in out, out
        moved = client.refresh()
        assert moved.ok and moved.root_version == 2, moved.error
        assert moved.manifest_seq == (first.manifest_seq or 0) + 1, moved
        assert client.store.get_meta(POLICY_CHECKPOINT_KEY) is not None
        # Proved once under this root: the next refresh may be answered 304.
        again = client.refresh()
        assert again.ok and again.manifest_seq == moved.manifest_seq, again.error


def test_a_static_mirror_without_the_consistency_endpoint_serves_the_next_manifest(
        tmp_path: Path, database_url: str) -> None:
    """A root that requires inclusion, served by a plain file server (`export-static`, no
    GET /v1/policy-log/consistency): once the log grew, the device makes the consistency
    proof from the public tiles; a mirror whose tiles are not the signed tree is refused
    and keeps no evidence."""
    from functools import partial
    from http.server import SimpleHTTPRequestHandler

    from tests import witnesses

    srv = setup(tmp_path, database_url)
    env = srv["env"]
    out = kelisim_here(env, "root", "rotate", "--require-policy-inclusion")
    assert "root v2 signed" in out, out
    serving = {"dir": tmp_path / "static1"}
    kelisim_here(env, "export-static", str(serving["dir"]))

    class Files(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    def handler(*args: Any, **kwargs: Any) -> Files:
        return partial(Files, directory=str(serving["dir"]))(*args, **kwargs)

    with witnesses.http_server(handler) as url:
        client = ConsentClient(url, APP, srv["root"], tmp_path / "device")
        first = client.refresh()
        assert first.ok and first.root_version == 2, first.error
        held = client.store.get_meta(POLICY_CHECKPOINT_KEY)
        assert held is not None
        kelisim_here(env, "resign", "--force")  # the log grows by the new manifest
        serving["dir"] = tmp_path / "static2"
        kelisim_here(env, "export-static", str(serving["dir"]))
        # A mirror whose tile is not the log's: refused, no evidence, nothing changes.
        tiles = sorted((serving["dir"] / "v1/policy-log/tile/0").rglob("*"))
        tile = [t for t in tiles if t.is_file()][-1]
        good = tile.read_bytes()
        tile.write_bytes(bytes(32) + good[32:])
        bad = client.refresh()
        assert not bad.ok and "tiles do not make" in str(bad.error), bad
        assert client.store.get_meta(POLICY_CHECKPOINT_KEY) == held
        tile.write_bytes(good)
        second = client.refresh()
        assert second.ok and second.manifest_seq == (first.manifest_seq or 0) + 1, \
            second.error
        assert client.store.get_meta(POLICY_CHECKPOINT_KEY) != held
    assert client.log_evidence() == []


def test_a_bundled_checkpoint_of_a_fork_is_checked_at_the_next_refresh(
        tmp_path: Path, database_url: str) -> None:
    """An app update's bundle carries a checkpoint of another history than the one the
    device verified; the operator shows the device's history again afterwards. The bundle
    is loaded offline as before, its checkpoint held back, and the next refresh keeps the
    fork as evidence (it was dropped unseen) while it accepts the honest manifest."""
    from test_policy_log import _entries, _rewrite_leaf0

    from client_sdk._internal.policycheck import PENDING_KEY
    from client_sdk.protocol.policylog import policy_leaf

    srv = setup(tmp_path, database_url)
    env = {**srv["env"], "KELISIM_CACHE_CHECK_INTERVAL": "0"}
    kelisim_here(env, "root", "rotate", "--require-policy-inclusion")
    honest_leaf0 = _entries(database_url)[0][5]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    device = tmp_path / "device"
    with running(env, port):
        first = ConsentClient(url, APP, srv["root"], device).refresh()
        assert first.ok, first.error
    held = ConsentClient(url, APP, srv["root"], device).store.get_meta(POLICY_CHECKPOINT_KEY)
    # The app's build gets a bundle of a rewritten history; the device's is shown again.
    _rewrite_leaf0(database_url, policy_leaf(b'{"kind":"root","version":1,"sha256":"x"}'))
    kelisim_here(env, "resign", "--force", APP)
    bundle = tmp_path / "app.kelisim"
    kelisim_here(env, "bundle", APP, str(bundle))
    forked = json.loads(bundle.read_bytes())["manifest_proof"].encode().partition(b"\n\n")[2]
    _rewrite_leaf0(database_url, honest_leaf0)
    kelisim_here(env, "resign", "--force", APP)

    updated = ConsentClient.from_bundle(url, bundle, device)  # offline, at launch
    assert updated.store.get_meta(POLICY_CHECKPOINT_KEY) == held
    assert updated.store.get_meta(PENDING_KEY) == forked
    assert updated.log_evidence() == []
    with running(env, port):
        result = updated.refresh()
    assert result.ok and result.manifest_seq == (first.manifest_seq or 0) + 2, result.error
    [evidence] = updated.log_evidence()
    assert evidence.reason == "fork" and evidence.app == "localhost/policies"
    assert evidence.old_checkpoint == held and evidence.new_checkpoint == forked
    assert updated.store.get_meta(PENDING_KEY) is None
