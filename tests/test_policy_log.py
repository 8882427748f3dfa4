"""The deployment's policy log (issue 19 part 3, docs/transparency.md "Policies in a log"):
every signed root and manifest is in it, the manifest answer carries its inclusion proof,
and a device whose root says ``log.require_policy_inclusion`` refuses a manifest that is
not in the log and detects a split view through consistency proofs. Against the real
server over 127.0.0.1, SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from test_client_sync_e2e import setup

from client_sdk import ConsentClient
from client_sdk._internal.policycheck import POLICY_CHECKPOINT_KEY
from client_sdk.errors import ProofError, RepositoryError
from client_sdk.protocol.envelope import PAYLOAD_MANIFEST, PAYLOAD_ROOT, parse_envelope
from client_sdk.protocol.logproof import ProofChecker
from client_sdk.protocol.model import Root
from client_sdk.protocol.policylog import (
    POLICY_PROOF_HEADER,
    manifest_entry,
    policy_leaf,
    policy_origin,
    root_entry,
)
from client_sdk.protocol.tlog import (
    append_hashes,
    parse_checkpoint,
    parse_note,
    parse_tlog_proof,
    tile_hash_reader,
    tree_hash,
    verify_inclusion,
)
from client_sdk.transport import HttpTransport, Response
from livesrv import free_port, get, kelisim_here, running
from server.models import RootVersion, SignedManifest
from server.policylog_models import PolicyLogCheckpoint, PolicyLogEntry, PolicyLogHash
from server.trust.keys import find_key, sign_envelope

APP = "jana-courier"
Edit = Callable[[str, Response], Response]


class Serving:
    """The real transport, with an optional rewrite of each answer (a malicious server)."""

    def __init__(self) -> None:
        self.inner = HttpTransport()
        self.edit: Edit | None = None

    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, max_bytes: int) -> Response:
        resp = self.inner.request(method, url, body=body, headers=headers, max_bytes=max_bytes)
        return resp if self.edit is None else self.edit(url, resp)


@pytest.fixture
def srv(tmp_path: Path, database_url: str) -> dict[str, Any]:
    made = setup(tmp_path, database_url)
    # A publish by the CLI is served at once (no fixed wait for the cache's interval).
    made["env"] = {**made["env"], "KELISIM_CACHE_CHECK_INTERVAL": "0"}
    return {**made, "db": database_url}


def _require(srv: dict[str, Any]) -> None:
    out = kelisim_here(srv["env"], "root", "rotate", "--require-policy-inclusion")
    assert "root v2 signed" in out, out


def _entries(database_url: str) -> list[tuple[int, str, str | None, int, bytes, bytes]]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return [(i, k, a, n, bytes(e), bytes(h)) for i, k, a, n, e, h in conn.execute(
                sa.text("SELECT idx, kind, app_id, number, entry, leaf_hash FROM "
                        "policy_log_entries ORDER BY idx"))]
    finally:
        engine.dispose()


def _client(tmp_path: Path, srv: dict[str, Any], port: int, name: str,
            transport: Serving | None = None) -> ConsentClient:
    return ConsentClient(f"http://127.0.0.1:{port}", APP, srv["root"], tmp_path / name,
                         transport=transport)


def _root(raw: bytes) -> Root:
    return Root.from_payload(parse_envelope(raw, PAYLOAD_ROOT).payload_json())


def test_every_signed_root_and_manifest_is_logged_and_the_answer_proves_it(
        tmp_path: Path, srv: dict[str, Any]) -> None:
    _require(srv)
    entries = _entries(srv["db"])
    kinds = [(k, a, n) for _, k, a, n, _, _ in entries]
    # keys init (root 1), the demo's manifests, the rotation (root 2, then the manifest
    # it re-signed), in the order they were signed.
    assert kinds[0] == ("root", None, 1) and kinds[-2] == ("root", None, 2)
    assert kinds[-1][:2] == ("manifest", APP)
    seqs = [n for k, _, n in kinds if k == "manifest"]
    assert seqs == list(range(1, len(seqs) + 1))
    for _, _, _, _, entry, leaf in entries:
        assert policy_leaf(entry) == leaf and b"sha256" in entry
    port = free_port()
    with running(srv["env"], port):
        status, headers, body = get(port, f"/v1/apps/{APP}/manifest.json")
        assert status == 200
        proof = base64.b64decode(headers[POLICY_PROOF_HEADER.lower()])
        status, _, static_proof = get(port, f"/v1/apps/{APP}/manifest.proof")
        assert status == 200 and static_proof == proof
        status, _, root2 = get(port, "/v1/root/2.json")
        status, _, note = get(port, "/v1/policy-log/checkpoint")
        assert status == 200
        # The public tiles make the checkpoint's tree (anyone can recompute it).
        checkpoint = parse_checkpoint(parse_note(note).text)
        tiles: dict[str, bytes] = {}

        def read_tiles(wanted: Any) -> list[bytes]:
            out = []
            for tile in wanted:
                if tile.path() not in tiles:
                    s, _, data = get(port, f"/v1/policy-log/{tile.path()}")
                    assert s == 200
                    tiles[tile.path()] = data
                out.append(tiles[tile.path()])
            return out
        assert tree_hash(checkpoint.size, tile_hash_reader(checkpoint.size, read_tiles)) \
            == checkpoint.root_hash
        assert checkpoint.size == len(entries)
    root = _root(root2)
    assert root.log is not None and root.log.require_policy_inclusion
    origin = policy_origin(root.log.origin_prefix)
    assert origin == "localhost/policies"
    parsed = parse_tlog_proof(proof)
    verified = ProofChecker(root, APP, origin=origin).checkpoint(parsed.checkpoint)
    payload = parse_envelope(body, PAYLOAD_MANIFEST).payload
    seq = json.loads(payload)["seq"]
    verify_inclusion(parsed.index, verified.checkpoint.size,
                     policy_leaf(manifest_entry(APP, seq, payload)), parsed.hashes,
                     verified.checkpoint.root_hash)
    assert entries[parsed.index][4] == manifest_entry(APP, seq, payload)
    assert entries[0][4] == root_entry(1, parse_envelope(srv["root"], PAYLOAD_ROOT).payload)

    # The SDK walks to root 2, which requires inclusion: it verifies and keeps the
    # checkpoint; the manifest's answer needed no other request.
    client = _client(tmp_path, srv, port, "a")
    with running(srv["env"], port):
        result = client.refresh()
    assert result.ok and result.root_version == 2 and result.manifest_seq == seq, result.error
    held = client.store.get_meta(POLICY_CHECKPOINT_KEY)
    assert held is not None and parse_checkpoint(parse_note(held).text).size == \
        verified.checkpoint.size
    client.close()  # the next launch finds it (and its manifest) as it was stored
    again = _client(tmp_path, srv, port, "a")
    assert again.store.get_meta(POLICY_CHECKPOINT_KEY) == held
    assert again.decide().version is not None and not again.launch_warnings
    again.close()


def _forged(srv: dict[str, Any], honest: bytes) -> bytes:
    """What a dishonest operator holding the manifest key serves: a validly signed
    manifest (next seq, another text) that was never appended to the policy log."""
    env = parse_envelope(honest, PAYLOAD_MANIFEST)
    payload = json.loads(env.payload)
    payload["seq"] += 1
    payload["current"]["label"] = payload["current"]["label"] + "-private"
    keys_dir = Path(srv["env"]["KELISIM_INSTANCE_PATH"]) / "keys"
    key = find_key(json.loads(honest)["signatures"][0]["keyid"], [keys_dir])
    assert key is not None
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return sign_envelope(body, PAYLOAD_MANIFEST, [key])


@pytest.mark.parametrize("required", [True, False], ids=["required", "not-required"])
def test_a_signed_manifest_outside_the_log_is_refused_only_when_required(
        tmp_path: Path, srv: dict[str, Any], required: bool) -> None:
    if required:
        _require(srv)
    else:
        kelisim_here(srv["env"], "root", "rotate")
    port = free_port()
    transport = Serving()
    client = _client(tmp_path, srv, port, "a", transport)
    with running(srv["env"], port):
        first = client.refresh()
        assert first.ok, first.error
        honest = client._trust.manifest.raw if client._trust.manifest else b""
        forged = _forged(srv, honest)

        def serve_forged(url: str, resp: Response) -> Response:
            if url.endswith("/manifest.json") and resp.status in (200, 304):
                # The honest answer's proof header kept: it proves another manifest.
                return Response(200, forged, {k: v for k, v in resp.headers.items()
                                              if k != "etag"})
            return resp
        transport.edit = serve_forged
        result = client.refresh()
        if required:
            assert not result.ok and isinstance(result.error, ProofError), result
            assert result.manifest_seq == first.manifest_seq  # the last verified state
            # Without any proof (no header, and manifest.proof is refused) the same.

            def no_proof(url: str, resp: Response) -> Response:
                if url.endswith("/manifest.proof"):
                    return Response(404, b"{}", {})
                if url.endswith("/manifest.json"):
                    return Response(200, forged, {})
                return resp
            transport.edit = no_proof
            bare = client.refresh()
            assert not bare.ok and isinstance(bare.error, ProofError), bare
            assert "without an inclusion proof" in str(bare.error)
            assert client.decide().version.label == json.loads(  # type: ignore[union-attr]
                parse_envelope(honest, PAYLOAD_MANIFEST).payload)["current"]["label"]
        else:
            # A root without the field: today's behaviour, the signature is what counts.
            assert result.ok and result.manifest_seq == (first.manifest_seq or 0) + 1, result
    assert client.log_evidence() == []


def _rewrite_leaf0(database_url: str, leaf: bytes) -> None:
    """A dishonest operator's rewrite of the policy log: entry 0's leaf replaced and every
    stored hash recomputed, so its next checkpoint is a well-formed tree of that history."""
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as conn:
            leaves = [bytes(h) for (h,) in conn.execute(sa.text(
                "SELECT leaf_hash FROM policy_log_entries ORDER BY idx"))]
            leaves[0] = leaf
            stored: dict[tuple[int, int], bytes] = {}
            new = append_hashes(0, leaves, lambda w: [stored[k] for k in w])
            conn.execute(sa.text("UPDATE policy_log_entries SET leaf_hash = :h WHERE idx = 0"),
                         {"h": leaf})
            conn.execute(sa.text("DELETE FROM policy_log_hashes"))
            conn.execute(sa.text("INSERT INTO policy_log_hashes (level, idx, hash) VALUES "
                                 "(:l, :i, :h)"),
                         [{"l": lv, "i": ix, "h": h} for lv, ix, h in new])
    finally:
        engine.dispose()


def _size(note: bytes | None) -> int:
    assert note is not None
    return parse_checkpoint(parse_note(note).text).size


def test_split_view_of_policies_is_detected_by_both_devices(
        tmp_path: Path, srv: dict[str, Any]) -> None:
    _require(srv)
    honest_leaf0 = _entries(srv["db"])[0][5]
    port = free_port()
    a = _client(tmp_path, srv, port, "a")
    b = _client(tmp_path, srv, port, "b")
    with running(srv["env"], port):
        assert a.refresh().ok
        a_held = a.store.get_meta(POLICY_CHECKPOINT_KEY)
        size0 = _size(a_held)

        # The operator shows a second history (a root entry rewritten) to new devices.
        _rewrite_leaf0(srv["db"], policy_leaf(b'{"kind":"root","version":1,"sha256":"x"}'))
        kelisim_here(srv["env"], "resign", "--force", APP)
        seen_by_b = b.refresh()
        assert seen_by_b.ok, seen_by_b.error  # B's first checkpoint: trusted as it comes
        b_held = b.store.get_meta(POLICY_CHECKPOINT_KEY)
        assert _size(b_held) == size0 + 1

        # A is shown the same new manifest: the tree does not extend the one it verified.
        result = a.refresh()
        assert not result.ok and isinstance(result.error, ProofError), result
        assert a.store.get_meta(POLICY_CHECKPOINT_KEY) == a_held
        [evidence] = a.log_evidence()
        assert evidence.reason == "fork" and evidence.app == "localhost/policies"
        assert evidence.old_checkpoint == a_held and evidence.new_checkpoint == b_held \
            and evidence.proof

        # The operator goes back to the history A saw; B now detects the split.
        _rewrite_leaf0(srv["db"], honest_leaf0)
        kelisim_here(srv["env"], "resign", "--force", APP)
        later = b.refresh()
        assert not later.ok and isinstance(later.error, ProofError), later
        [b_evidence] = b.log_evidence()
        assert b_evidence.reason == "fork" and b_evidence.old_checkpoint == b_held
        assert b.store.get_meta(POLICY_CHECKPOINT_KEY) == b_held
        # A, shown the history it verified, extended: accepted, and it moves on.
        moved = a.refresh()
        assert moved.ok, moved.error
        assert _size(a.store.get_meta(POLICY_CHECKPOINT_KEY)) == size0 + 2
    assert len(a.log_evidence()) == 1


def test_bundle_carries_the_proof_and_a_bundle_without_it_is_refused(
        tmp_path: Path, srv: dict[str, Any]) -> None:
    _require(srv)
    out = tmp_path / "app.kelisim"
    kelisim_here(srv["env"], "bundle", APP, str(out))
    body = json.loads(out.read_bytes())
    assert body["manifest_proof"].startswith("c2sp.org/tlog-proof@v1\n")
    client = ConsentClient.from_bundle("http://127.0.0.1:1", out, tmp_path / "a")
    held = client.store.get_meta(POLICY_CHECKPOINT_KEY)
    assert held is not None and _size(held) >= 4
    assert client.decide().version is not None
    del body["manifest_proof"]
    with pytest.raises(RepositoryError, match="no inclusion proof"):
        ConsentClient.from_bundle("http://127.0.0.1:1", json.dumps(body).encode(),
                                  tmp_path / "b")


def test_export_static_writes_the_policy_log_and_the_manifest_proof(
        tmp_path: Path, srv: dict[str, Any]) -> None:
    """...and a device served by a plain static web server of that folder (no header)
    takes the proof from ``manifest.proof``."""
    _require(srv)
    static = tmp_path / "export"
    kelisim_here(srv["env"], "export-static", str(static))
    note = (static / "v1/policy-log/checkpoint").read_bytes()
    checkpoint = parse_checkpoint(parse_note(note).text)
    assert checkpoint.origin == "localhost/policies"
    proof = (static / f"v1/apps/{APP}/manifest.proof").read_bytes()
    assert parse_tlog_proof(proof).checkpoint.startswith(b"localhost/policies\n")
    tiles = sorted(p.relative_to(static / "v1/policy-log").as_posix()
                   for p in (static / "v1/policy-log/tile").rglob("*") if p.is_file())
    # The hash tile and, the entries being public (hashes of signed roots and
    # manifests), their entry bundle.
    assert tiles == ["tile/0/000.p/" + str(checkpoint.size),
                     "tile/entries/000.p/" + str(checkpoint.size)]
    import functools
    from http.server import SimpleHTTPRequestHandler

    from tests.witnesses import http_server

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    with http_server(functools.partial(Quiet, directory=str(static))) as url:
        client = ConsentClient(url, APP, srv["root"], tmp_path / "device")
        result = client.refresh()
        assert result.ok and result.root_version == 2, result.error
        assert client.store.get_meta(POLICY_CHECKPOINT_KEY) == \
            parse_tlog_proof(proof).checkpoint
        client.close()


def test_audit_verify_checks_every_root_and_manifest_is_logged_and_log_audit_reads_it(
        tmp_path: Path, srv: dict[str, Any]) -> None:
    _require(srv)
    out = kelisim_here(srv["env"], "audit", "verify", APP)
    # Every append signed a checkpoint: one per entry.
    assert re.search(r"policy log: (\d+) entries, every root and manifest in it, \1 "
                     r"checkpoint\(s\) verified", out), out
    root = _root(kelisim_here(srv["env"], "root", "show").strip().encode())
    assert root.log is not None
    port = free_port()
    with running(srv["env"], port):
        # The auditor's command, on the policy log's public files (any mirror of them).
        audit = kelisim_here(srv["env"], "log", "audit",
                             f"http://127.0.0.1:{port}/v1/policy-log",
                             "--origin", "localhost/policies", "--key", root.log.keys[0],
                             "--state", str(tmp_path / "audit.json"))
        assert "FAILED" not in audit and "ok" in audit, audit
    engine = sa.create_engine(srv["db"])
    try:
        with engine.begin() as conn:  # a manifest served but never appended
            conn.execute(sa.text("DELETE FROM policy_log_entries WHERE idx = (SELECT "
                                 "max(idx) FROM policy_log_entries)"))
    finally:
        engine.dispose()
    with pytest.raises(AssertionError, match=r"policy log: manifest jana-courier \d+ is not "
                                             r"in the policy log"):
        kelisim_here(srv["env"], "audit", "verify", APP)


def test_migration_sequences_stored_roots_and_manifests_in_publish_order(
        cli: Any, published: Path, kelisim: Any) -> None:
    cli("resign", "--force")
    cli("root", "rotate")  # root 2 and manifest 3, in this order
    with kelisim.db.session() as s:
        before = [(e.kind, e.app_id, e.number, bytes(e.entry), bytes(e.leaf_hash))
                  for e in s.scalars(sa.select(PolicyLogEntry).order_by(PolicyLogEntry.idx))]
        hashes = {(h.level, h.idx): bytes(h.hash) for h in s.scalars(sa.select(PolicyLogHash))}
    assert [k[:3] for k in before] == [("root", None, 1), ("manifest", APP, 1),
                                       ("manifest", APP, 2), ("root", None, 2),
                                       ("manifest", APP, 3)]
    # The times they were signed (seconds), the rotation's root and manifest in one
    # second (the root first, as `root rotate` stores them); set so that nothing here
    # depends on which second the commands above ran in.
    with kelisim.db.session() as s:
        for version, at in ((1, "00"), (2, "03")):
            s.get(RootVersion, version).created_at = f"2026-01-01T00:00:{at}Z"
        for seq, at in ((1, "01"), (2, "02"), (3, "03")):
            s.get(SignedManifest, (APP, seq)).issued = f"2026-01-01T00:00:{at}Z"
    kelisim.db.downgrade("0016")
    assert "policy_log_entries" not in sa.inspect(kelisim.db.engine).get_table_names()
    kelisim.db.upgrade()
    with kelisim.db.session() as s:
        after = [(e.kind, e.app_id, e.number, bytes(e.entry), bytes(e.leaf_hash))
                 for e in s.scalars(sa.select(PolicyLogEntry).order_by(PolicyLogEntry.idx))]
        assert after == before
        assert {(h.level, h.idx): bytes(h.hash)
                for h in s.scalars(sa.select(PolicyLogHash))} == hashes
        assert s.scalar(sa.select(sa.func.count()).select_from(PolicyLogCheckpoint)) == 0
    # A migration holds no key: the next signing signs a checkpoint covering them all.
    assert "policy log: 5 entries, every root and manifest in it, 0 checkpoint(s)" in \
        cli("audit", "verify", APP).output
    cli("resign", "--force")
    assert "policy log: 6 entries, every root and manifest in it, 1 checkpoint(s)" in \
        cli("audit", "verify", APP).output


def test_concurrent_signings_of_several_apps_append_one_consistent_log(
        cli: Any, published: Path, kelisim: Any, tmp_path: Path) -> None:
    """Four apps' manifests signed from four threads at once (on PostgreSQL, four
    transactions that meet at the generation row's lock): every manifest is in the log
    once, at consecutive indexes, and `audit verify` finds one tree, each checkpoint its."""
    from concurrent.futures import ThreadPoolExecutor

    from builders import DEMO
    from server.trust.manifests import sign_manifest

    apps = [APP]
    for name in ("pl-b", "pl-c", "pl-d"):
        folder = tmp_path / name
        (folder / "1").mkdir(parents=True)
        (folder / "app.toml").write_text((DEMO / "app.toml").read_text().replace(
            'id = "jana-courier"', f'id = "{name}"', 1))
        for f in (DEMO / "2.0").iterdir():
            (folder / "1" / f.name).write_bytes(f.read_bytes())
        cli("apps", "create", str(folder))
        cli("publish", str(folder / "1"))
        apps.append(name)

    def sign(app: str) -> int:
        signed = 0
        for _ in range(5):
            with kelisim.db.session() as s:
                if sign_manifest(s, app, kelisim.keys_dir, datetime.now(UTC),
                                 kelisim.timing) is not None:
                    signed += 1
        return signed

    with kelisim.db.session() as s:
        before = s.scalar(sa.select(sa.func.count()).select_from(PolicyLogEntry))
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(sign, apps)) == [5, 5, 5, 5]
    with kelisim.db.session() as s:
        rows = s.execute(sa.select(PolicyLogEntry.idx, PolicyLogEntry.app_id,
                                   PolicyLogEntry.number)
                         .order_by(PolicyLogEntry.idx)).all()
        sizes = s.scalars(sa.select(PolicyLogCheckpoint.size)).all()
    assert [r[0] for r in rows] == list(range(before + 20))
    for app in apps:
        seqs = [n for _, a, n in rows if a == app]
        assert seqs == list(range(1, len(seqs) + 1))
    assert sorted(sizes)[-20:] == list(range(before + 1, before + 21))
    out = cli("audit", "verify", APP).output
    assert f"policy log: {before + 20} entries, every root and manifest in it" in out, out
