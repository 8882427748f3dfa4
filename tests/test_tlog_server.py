"""The server's transparency log of consent records (issue 19): the log key in the root,
sequencing in the group commit, proofs in the sync answer, the migration's backfill. On
SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import os
import stat
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from hypothesis import example, given
from hypothesis import strategies as st

from builders import APP, install, record
from client_sdk.errors import FormatError, ProofError
from client_sdk.protocol.jsonutil import canonical_bytes
from client_sdk.protocol.logentry import CHAINED, entry_fields, record_leaf
from client_sdk.protocol.model import Root
from client_sdk.protocol.reader import Reader
from client_sdk.protocol.rootlog import log_fields
from client_sdk.protocol.tlog import (
    parse_tlog_proof,
    parse_vkey,
    tree_hash,
    verify_checkpoint,
    verify_tlog_proof,
)
from helpers import payload_of, verified_root
from server import Kelisim
from server.consent.chain import chained_parts, join_chained, verify_chain
from server.consent.ingest import AppendBatch, IngestRequest, IngestResult
from server.consent.rawsql import raw
from server.consent.tlog import db_reader
from server.models import ConsentRecord
from server.tlog_models import LogCheckpoint, LogHash, LogLeaf

pytestmark = pytest.mark.rate_limits_off


def _root(client: FlaskClient) -> dict[str, Any]:
    return verified_root(client.get("/v1/root.json").data)


def _post(client: FlaskClient, auth: dict[str, str], recs: list[dict[str, Any]]
          ) -> dict[str, Any]:
    resp = client.post(f"/v1/apps/{APP}/consents", json={"records": recs}, headers=auth)
    assert resp.status_code == 200, resp.get_json()
    body: dict[str, Any] = resp.get_json()
    return body


def check_proofs(root: dict[str, Any], install_id: str, recs: list[dict[str, Any]],
                 body: dict[str, Any]) -> list[int]:
    """Verify each record's proof the way a device does: the leaf from its own record,
    its receipt's seq and server time, and the salt; the checkpoint by the root's log key.
    Returns the checkpoint sizes."""
    log_key = parse_vkey(root["log"]["keys"][0])
    origin = f"{root['log']['origin_prefix']}/{APP}"
    sizes = []
    for rec, entry in zip(recs, body["records"], strict=True):
        receipt = payload_of(body["receipts"][entry["receipt"]].encode())
        placed = next(x for x in receipt["records"] if x["id"] == rec["id"])
        fields = entry_fields(rec, install_id=install_id, seq=placed["seq"],
                              server_time=placed["server_time"])
        leaf = record_leaf(base64.b64decode(entry["log"]["salt"]), fields)
        proof = entry["log"]["proof"].encode()
        verified = verify_tlog_proof(proof, leaf, origin=origin, log_key=log_key)
        assert parse_tlog_proof(proof).index == placed["seq"] - 1
        sizes.append(verified.checkpoint.size)
        # Another record's bytes, or another salt, do not open the leaf.
        with pytest.raises(ProofError):
            verify_tlog_proof(proof, record_leaf(os.urandom(32), fields), origin=origin,
                              log_key=log_key)
    return sizes


def test_keys_init_lists_the_log_key_in_the_root(cli: Any, client: FlaskClient,
                                                 kelisim: Kelisim) -> None:
    kelisim.settings.deployment_name = "consent.example.kz"
    cli("keys", "init")
    root = _root(client)
    assert root["log"]["origin_prefix"] == "consent.example.kz/consents"
    assert root["witnesses"] == [] and root["witness_threshold"] == 0
    vkey = parse_vkey(root["log"]["keys"][0])
    assert vkey.name == "consent.example.kz/consents" and vkey.sig_type == 1
    files = list(kelisim.keys_dir.glob("log-*.pem"))
    assert len(files) == 1 and stat.S_IMODE(files[0].stat().st_mode) == 0o600
    parsed = Root.from_payload(root)
    assert parsed.log is not None and parsed.log.keys == (root["log"]["keys"][0],)
    assert parsed.log_origin(APP) == f"consent.example.kz/consents/{APP}"
    # A later rotation keeps the log; --new log replaces its key, same origins.
    cli("root", "rotate")
    assert _root(client)["log"] == root["log"]
    cli("root", "rotate", "--new", "log")
    log3 = _root(client)["log"]
    assert log3["origin_prefix"] == root["log"]["origin_prefix"]
    assert log3["keys"] != root["log"]["keys"]


def test_root_log_fields_are_checked() -> None:
    good = "example.kz/consents+00000000+AQ=="
    for bad, where in [({"log": {"origin_prefix": "a b", "keys": []}}, "log.origin_prefix"),
                       ({"log": {"origin_prefix": "x", "keys": [good]}}, "log.keys[0]"),
                       ({"witness_threshold": 1}, "witness_threshold"),
                       ({"witnesses": [{"name": "w", "vkey": "nope"}]}, "witnesses[0].vkey")]:
        with pytest.raises(FormatError) as caught:
            log_fields(Reader(bad, ""))
        assert caught.value.field == where, (bad, caught.value)


def test_ingest_sequences_signs_one_checkpoint_per_group_and_proves(
        client: FlaskClient, manifest: dict[str, Any], kelisim: Kelisim) -> None:
    root = _root(client)
    install_id, auth = install(client)
    first = [record(manifest), record(manifest, action="acknowledge", purposes={})]
    body = _post(client, auth, first)
    assert check_proofs(root, install_id, first, body) == [2, 2]
    second = [record(manifest)]
    body2 = _post(client, auth, second)
    assert check_proofs(root, install_id, second, body2) == [3]
    # A retry (its first answer lost) stores nothing and proves the record again, in the
    # newest checkpoint.
    again = _post(client, auth, second)
    assert again["stored"] == 0
    assert check_proofs(root, install_id, second, again) == [3]
    assert check_proofs(root, install_id, first, _post(client, auth, first)) == [3, 3]
    with kelisim.db.session() as s:
        leaves = s.scalars(sa.select(LogLeaf).order_by(LogLeaf.idx)).all()
        records = s.scalars(sa.select(ConsentRecord).order_by(ConsentRecord.seq)).all()
        assert [x.record_id for x in leaves] == [x.record_id for x in records]
        assert [x.idx for x in leaves] == [x.seq - 1 for x in records]
        checkpoints = s.scalars(sa.select(LogCheckpoint).order_by(LogCheckpoint.size)).all()
        assert [c.size for c in checkpoints] == [2, 3]
        r = raw(s)
        assert tree_hash(3, db_reader(r, APP)) == checkpoints[-1].root_hash
        r.close()
    # The salt is private: the sync answer carries it to the record's install only, and
    # the stored salts are those the answers gave.
    salts = {e["id"]: e["log"]["salt"] for e in [*body["records"], *body2["records"]]}
    assert {x.record_id: base64.b64encode(x.salt).decode() for x in leaves} == salts


def test_migration_backfills_in_chain_order_and_rotation_signs(
        cli: Any, client: FlaskClient, manifest: dict[str, Any], kelisim: Kelisim) -> None:
    install_id, auth = install(client)
    recs = [record(manifest) for _ in range(5)]
    for rec in recs:
        _post(client, auth, [rec])
    with kelisim.db.session() as s:
        before = {x.record_id: x.salt for x in s.scalars(sa.select(LogLeaf))}
    kelisim.db.downgrade("0012")
    tables = set(sa.inspect(kelisim.db.engine).get_table_names())
    assert not tables & {"tlog_leaves", "tlog_hashes", "tlog_checkpoints"}
    kelisim.db.upgrade()
    with kelisim.db.session() as s:
        leaves = s.scalars(sa.select(LogLeaf).order_by(LogLeaf.idx)).all()
        assert [x.record_id for x in leaves] == [r["id"] for r in recs]
        assert all(before[x.record_id] != x.salt for x in leaves)  # fresh salts
        assert s.scalar(sa.select(sa.func.count()).select_from(LogCheckpoint)) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(LogHash)) == 5 + 2 + 1
        rows = s.scalars(sa.select(ConsentRecord).order_by(ConsentRecord.seq)).all()
        for leaf, row in zip(leaves, rows, strict=True):
            sent = {c.name: getattr(row, c.name) for c in ConsentRecord.__table__.c}
            fields = entry_fields({**sent, "id": row.record_id}, install_id=row.install_id,
                                  seq=row.seq, server_time=row.server_time)
            assert record_leaf(leaf.salt, fields) == leaf.leaf_hash
    # The root names a log key: a rotation signs the backfilled log's first checkpoint.
    assert "signed the first checkpoint of 1 app log(s)" in cli("root", "rotate").output
    root = _root(client)
    with kelisim.db.session() as s:
        cp = s.scalars(sa.select(LogCheckpoint)).one()
        assert cp.size == 5
        verified = verify_checkpoint(cp.note, origin=f"{root['log']['origin_prefix']}/{APP}",
                                     log_key=parse_vkey(root["log"]["keys"][0]))
        assert verified.checkpoint.root_hash == cp.root_hash
    # Sequencing goes on from there.
    more = [record(manifest)]
    assert check_proofs(root, install_id, more, _post(client, auth, more)) == [6]


def _tamper_leaf_hash(s: Any) -> str:
    leaf = s.scalars(sa.select(LogLeaf).where(LogLeaf.idx == 2)).one()
    leaf.leaf_hash = bytes(32)
    return f"leaf 2 (record {leaf.record_id}): the record and its salt do not match"


def _tamper_salt(s: Any) -> str:
    leaf = s.scalars(sa.select(LogLeaf).where(LogLeaf.idx == 4)).one()
    leaf.salt = os.urandom(32)
    return f"leaf 4 (record {leaf.record_id}): the record and its salt do not match"


def _tamper_record(s: Any) -> str:
    # A record rewritten together with its chain hashes (the chain alone cannot tell: its
    # head is the operator's); the log's leaf still commits to the old bytes.
    rows = s.scalars(sa.select(ConsentRecord).order_by(ConsentRecord.seq)).all()
    rows[1].evidence = {**rows[1].evidence, "seconds_on_screen": 1}
    from server.consent.chain import chained_fields, row_hash
    prev = rows[0].row_hash
    for row in rows[1:]:
        row.prev_hash = prev
        row.row_hash = prev = row_hash(prev, chained_fields(row))
    from server.models import ChainHead
    s.get(ChainHead, APP).head_hash = prev
    return f"leaf 1 (record {rows[1].record_id}): the record and its salt do not match"


def _tamper_hash(s: Any) -> str:
    node = s.scalars(sa.select(LogHash).where(LogHash.level == 1, LogHash.idx == 1)).one()
    node.hash = bytes(32)
    return "stored hash (level 1, index 1) does not match the tree of the leaves"


def _tamper_checkpoint(s: Any) -> str:
    cp = s.scalars(sa.select(LogCheckpoint).where(LogCheckpoint.size == 4)).one()
    cp.note = cp.note.replace(b"consents/", b"consent/")
    return "checkpoint of size 4: the signed note does not verify"


def _tamper_checkpoint_root(s: Any) -> str:
    cp = s.scalars(sa.select(LogCheckpoint).where(LogCheckpoint.size == 2)).one()
    cp.root_hash = bytes(32)
    return "checkpoint of size 2: its root is not the tree's"


@pytest.mark.parametrize("tamper", [_tamper_leaf_hash, _tamper_salt, _tamper_record,
                                    _tamper_hash, _tamper_checkpoint,
                                    _tamper_checkpoint_root])
def test_audit_verify_recomputes_the_log_and_names_what_changed(
        cli: Any, client: FlaskClient, manifest: dict[str, Any], kelisim: Kelisim,
        tamper: Any) -> None:
    _, auth = install(client)
    for n in (2, 2, 1, 1):
        _post(client, auth, [record(manifest) for _ in range(n)])
    out = cli("audit", "verify", APP).output
    assert "6 record(s), chain intact; log: 6 leaves, 4 checkpoint(s) verified" in out
    with kelisim.db.session() as s:
        expected = tamper(s)
    out = cli("audit", "verify", APP, ok=False).output
    assert f"log of {APP}: {expected}" in out, out


def test_new_leaves_proofs_need_only_the_old_frontier_and_the_new_hashes() -> None:
    """What lets the sync answer's proofs be made after the commit, from the group's
    hashes in memory (server/consent/tlog.py LogPlace): the root and every new leaf's
    inclusion proof read only the old size's complete subtrees and the new hashes."""
    from client_sdk.protocol.tlog import append_hashes, inclusion_proof, leaf_hash
    from server.consent.tlog import frontier

    leaves = [leaf_hash(os.urandom(8)) for _ in range(700)]
    full = {(level, idx): h for level, idx, h in append_hashes(0, leaves, lambda w: [])}
    for old in range(0, 600, 7):
        for add in (1, 2, 3, 5, 8, 31, 64, 100):
            new = append_hashes(old, leaves[old:old + add], lambda w: [full[x] for x in w])
            held = {k: full[k] for k in frontier(old)} | {(lv, i): h for lv, i, h in new}

            def read(wanted: Any, held: dict[Any, bytes] = held) -> list[bytes]:
                return [held[w] for w in wanted]  # KeyError: a hash not held
            size = old + add
            assert tree_hash(size, read) == tree_hash(size, lambda w: [full[x] for x in w])
            for i in range(old, size):
                assert inclusion_proof(i, size, read) == inclusion_proof(
                    i, size, lambda w: [full[x] for x in w])


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                     lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=8)


@given(st.dictionaries(st.sampled_from([c for c in CHAINED if c != "seq"]), _JSON),
       st.integers(0, 2**62))
@example({"locale": "e\u0301", "purposes": {"a\u0301": "\u212b"}, "version": 1}, 7)
@example({"action": "accept"}, 1)  # nothing after seq
@example({"server_time": "t"}, 1)  # nothing before it
@example({}, 0)
def test_a_rows_canonical_bytes_are_joined_around_its_seq(fields: dict[str, Any],
                                                           seq: int) -> None:
    """The append encodes a record's chained fields before the chain-head lock, seq left
    out, and joins the bytes around its seq under the lock: the same bytes as encoding the
    whole row (which the chain's hash and the log's leaf cover), non-NFC text included."""
    joined = join_chained(chained_parts(fields), seq)
    assert joined == canonical_bytes({**fields, "seq": seq})
    with pytest.raises(ValueError, match="seq"):
        chained_parts({**fields, "seq": seq})


def test_a_groups_proofs_are_made_together_after_the_commit(
        client: FlaskClient, manifest: dict[str, Any], kelisim: Kelisim) -> None:
    """Several requests appended in one group: one checkpoint, and the proofs of all the
    group's new leaves made once, by whichever request thread asks first (several at
    once here), each one verifying against the device's own leaf of its record."""
    from client_sdk.protocol.timeutil import utcnow

    root = _root(client)
    _post(client, install(client)[1], [record(manifest)])  # the tree is not empty
    installs = [install(client)[0] for _ in range(4)]
    recs = [[record(manifest)], [record(manifest), record(manifest)], [record(manifest)],
            [record(manifest, action="acknowledge", purposes={})]]
    batch = AppendBatch(kelisim.keys_dir, kelisim.db.url)
    with kelisim.db.session() as s:
        r = raw(s)
        prepared = batch.prepare(r, [(APP, IngestRequest(i, 1, rs, utcnow()))
                                     for i, rs in zip(installs, recs, strict=True)])
        r.close()
        outcomes = batch(s, prepared)
    results = [out for out in outcomes if isinstance(out, IngestResult)]
    assert len(results) == 4
    places = [p for out in results for p in out.proofs.values()]
    assert len(places) == 5 and len({id(p.group) for p in places}) == 1
    assert sorted(p.index for p in places) == [1, 2, 3, 4, 5]
    made: dict[int, list[bytes | None]] = {}
    start = threading.Barrier(len(places))

    def ask(n: int) -> None:
        start.wait(timeout=30)
        made[n] = [places[n].proof() for _ in range(2)]
    threads = [threading.Thread(target=ask, args=(n,)) for n in range(len(places))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert all(v[0] is not None and v[0] == v[1] for v in made.values())
    for install_id, rs, out in zip(installs, recs, results, strict=True):
        body = {"receipts": [x.decode() for x in out.receipts],
                "records": [{"id": x["id"], "receipt": out.index[x["id"]],
                             "log": {"salt": base64.b64encode(out.proofs[x["id"]].salt)
                                     .decode(), "proof": out.proofs[x["id"]].proof()
                                     .decode()}} for x in rs]}  # type: ignore[union-attr]
        assert check_proofs(root, install_id, rs, body) == [6] * len(rs)
    with kelisim.db.session() as s:
        assert [c.size for c in s.scalars(sa.select(LogCheckpoint)
                                           .order_by(LogCheckpoint.size))] == [1, 6]
        # The rows' values were converted for the driver in prepare (JSON, booleans):
        # the ORM reads back what was sent.
        stored = {x.record_id: x for x in s.scalars(sa.select(ConsentRecord))}
        for x in (x for rs in recs for x in rs):
            row = stored[x["id"]]
            assert (row.purposes, row.evidence, row.age_confirmed, row.guardian,
                    row.locale, row.version) == (x["purposes"], x["evidence"],
                                                 x["age_confirmed"], x["guardian"],
                                                 x["locale"], x["version"])
        assert verify_chain(s, APP) == (6, None)


def test_a_retrys_proofs_read_their_hashes_once(client: FlaskClient, manifest: dict[str, Any],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch sent again (its first answer lost) is proved from the stored tree: its
    records' proofs are made together, their hashes read in one query, not one or more
    per record."""
    import server.consent.tlog as tlog

    root = _root(client)
    install_id, auth = install(client)
    recs = [record(manifest) for _ in range(20)]
    _post(client, auth, recs[:7])
    _post(client, auth, recs[7:])
    reads: list[int] = []
    real = tlog._read_hashes

    def counted(r: Any, wanted: Any) -> Any:
        reads.append(1)
        return real(r, wanted)
    monkeypatch.setattr(tlog, "_read_hashes", counted)
    again = _post(client, auth, recs)
    assert again["stored"] == 0
    assert check_proofs(root, install_id, recs, again) == [20] * 20
    assert len(reads) == 1


@pytest.mark.parametrize("stored", ["good", "forged", "unlisted"])
def test_audit_verify_checks_the_stored_witness_cosignatures(
        cli: Any, client: FlaskClient, manifest: dict[str, Any], kelisim: Kelisim,
        stored: str) -> None:
    """A cosignature stored for a checkpoint by a witness the root lists must verify; one of
    a witness no root listed cannot be checked and is left as is."""
    from tlogsim import note_signer

    from client_sdk.protocol.tlog import SIG_COSIGNATURE, add_cosignature
    from server.tlog_models import LogCosignature

    witness = note_signer("witness.test/w1", SIG_COSIGNATURE)
    other = note_signer("witness.test/other", SIG_COSIGNATURE)
    cli("root", "rotate", "--add-witness", witness.verifier.vkey())
    _, auth = install(client)
    _post(client, auth, [record(manifest)])
    with kelisim.db.session() as s:
        cp = s.scalars(sa.select(LogCheckpoint).order_by(LogCheckpoint.size.desc())).first()
        assert cp is not None
        signer = other if stored == "unlisted" else witness
        note = bytes(cp.note)
        if stored == "forged":  # w1's cosignature of another checkpoint, stored for this one
            note = note.replace(f"\n{cp.size}\n".encode(), f"\n{cp.size + 1}\n".encode(), 1)
        line = add_cosignature(note, signer, 1_780_000_000)[len(note):]
        s.add(LogCosignature(app_id=APP, size=cp.size, witness=signer.name, line=line,
                             created_at="2026-12-07T00:00:00Z"))
    if stored == "forged":
        out = cli("audit", "verify", APP, ok=False).output
        assert "the stored cosignature of witness.test/w1 does not verify" in out, out
    else:
        assert "chain intact" in cli("audit", "verify", APP).output
