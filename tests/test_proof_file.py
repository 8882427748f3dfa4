"""Proof files (client_sdk/protocol/prooffile.py): `client_sdk.verify_proof_file` and
`kelisim proof verify`, on records and requests of the data subject in a real log tree
with real signatures, honest and tampered step by step."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import client_sdk
from client_sdk.errors import FormatError, ProofError, RollbackError, SignatureError
from client_sdk.protocol.logentry import CHAINED, REQUEST_CHAINED, record_leaf, request_fields
from client_sdk.protocol.prooffile import ProofFile, build_proof_file, parse_proof_file
from client_sdk.protocol.tlog import SIG_COSIGNATURE, TlogProof, add_cosignature, append_hashes
from tests import witnesses
from tests.tlogsim import MemLog, note_signer, root_envelope

PREFIX = "kelisim.test/consents"
APP = "jana-courier"


def fields(seq: int, action: str = "accept") -> dict[str, Any]:
    """A record's chained fields (the names client_sdk.protocol.logentry.CHAINED lists)."""
    values: dict[str, Any] = {name: None for name in CHAINED}
    values.update(seq=seq, record_id=f"r-{seq}", install_id="i-1", action=action,
                  server_time="2026-12-07T01:00:00Z")
    return values


def req_fields(seq: int, kind: str = "rectification") -> dict[str, Any]:
    """A request's chained fields (REQUEST_CHAINED), as the server and the device make
    them."""
    return request_fields(request_id=f"q-{seq}", install_id="i-1", kind=kind,
                          client_time="2026-12-07T00:59:00Z", withdraw=None,
                          note="Surname: Nurlanova", seq=seq,
                          server_time="2026-12-07T01:00:00Z", deadline="2027-01-06T01:00:00Z")


class World:
    """A log of 9 entries (records, and requests at the indexes ``requests``), its root
    (v1) and a witness."""

    def __init__(self, threshold: int = 1, requests: tuple[int, ...] = ()) -> None:
        self.root_key = Ed25519PrivateKey.generate()
        self.log = MemLog(f"{PREFIX}/{APP}")
        self.witness = note_signer("witness.test/w1", SIG_COSIGNATURE)
        self.records = [req_fields(seq) if seq - 1 in requests else fields(seq)
                        for seq in range(1, 10)]
        self.salts = [os.urandom(32) for _ in self.records]
        leaves = [record_leaf(s, r) for s, r in zip(self.salts, self.records, strict=True)]
        for level, index, h in append_hashes(0, leaves, self.log.read):
            self.log.hashes[(level, index)] = h
        self.log.size = len(leaves)
        self.threshold = threshold
        self.root = self.make_root(1)

    def make_root(self, version: int, **kw: Any) -> bytes:
        log = kw.pop("log", {"origin_prefix": PREFIX, "keys": [self.log.signer.verifier.vkey()]})
        return root_envelope(version, [self.root_key], log=log, witnesses=(self.witness,),
                             threshold=self.threshold, **kw)

    def proof(self, i: int, *, cosign: bool = True, app: str = APP, root: bytes | None = None,
              record: dict[str, Any] | None = None, salt: bytes | None = None) -> bytes:
        note = self.log.checkpoint()
        if cosign:
            note = add_cosignature(note, self.witness, 1_765_000_000)
        tlog = TlogProof(i, tuple(self.log.inclusion(i)), note).to_bytes()
        return ProofFile(app, record or self.records[i], salt or self.salts[i], tlog,
                         root or self.root).to_bytes()


def test_an_honest_proof_verifies() -> None:
    w = World()
    proven = client_sdk.verify_proof_file(w.proof(4), w.root)
    assert (proven.app, proven.record_id, proven.index, proven.size) == (APP, "r-5", 4, 9)
    assert proven.origin == f"{PREFIX}/{APP}" and proven.root_version == 1
    assert proven.witnesses == (("witness.test/w1", 1_765_000_000),)
    assert json.loads(w.proof(4))["tlog_proof"].startswith("c2sp.org/tlog-proof@v1\n")


@pytest.mark.parametrize("tamper,error,words", [
    ("record", ProofError, "is not in the tree"),
    ("salt", ProofError, "is not in the tree"),
    ("index", ProofError, "the tlog-proof is for leaf 3, the record is at seq 3 "),
    ("index and seq", ProofError, "is not in the tree"),
    ("app", FormatError, "origin"),
    ("uncosigned", SignatureError, "witness cosignatures"),
    ("log key", SignatureError, "not signed by the log key"),
    ("no log", FormatError, "lists no transparency log"),
    ("same version", SignatureError, "two roots of one version"),
    ("forged successor", SignatureError, "root v2"),
    ("far successor", RollbackError, "root v3"),
    ("json", FormatError, "proof file"),
    ("extra field", FormatError, "evil"),
])
def test_each_tampered_step_is_refused(tamper: str, error: type[Exception], words: str
                                       ) -> None:
    w = World()
    other_key = Ed25519PrivateKey.generate()
    data = {
        "record": lambda: w.proof(2, record={**w.records[2], "action": "decline"}),
        "salt": lambda: w.proof(2, salt=os.urandom(32)),
        "index": lambda: json.dumps({**json.loads(w.proof(2)), "tlog_proof": json.loads(
            w.proof(2))["tlog_proof"].replace("index 2", "index 3")}).encode(),
        # The index and the seq moved together: the leaf (which covers the seq) is not
        # the one at that index.
        "index and seq": lambda: json.dumps({**json.loads(w.proof(2, record={
            **w.records[2], "seq": 4})), "tlog_proof": json.loads(
            w.proof(2))["tlog_proof"].replace("index 2", "index 3")}).encode(),
        "app": lambda: w.proof(2, app="other-app"),
        "uncosigned": lambda: w.proof(2, cosign=False),
        "log key": lambda: w.proof(2, root=w.make_root(1, log={
            "origin_prefix": PREFIX, "keys": [note_signer(PREFIX).verifier.vkey()]})),
        "no log": lambda: w.proof(2, root=root_envelope(1, [w.root_key])),
        "same version": lambda: w.proof(2, root=w.make_root(1, log={
            "origin_prefix": PREFIX, "keys": [note_signer(PREFIX).verifier.vkey()]})),
        "forged successor": lambda: w.proof(2, root=root_envelope(
            2, [other_key], log={"origin_prefix": PREFIX, "keys": [
                w.log.signer.verifier.vkey()]})),
        "far successor": lambda: w.proof(2, root=w.make_root(3)),
        "json": lambda: b'{"_type": "kelisim.proof", "_type": 1}',
        "extra field": lambda: json.dumps({**json.loads(w.proof(2)), "evil": 1}).encode(),
    }[tamper]()
    # "log key" and "no log": the trusted root itself names another key, or no log.
    trusted = json.dumps(json.loads(data)["root"]).encode() \
        if tamper in ("log key", "no log") else w.root
    with pytest.raises(error, match=words):
        client_sdk.verify_proof_file(data, trusted)


def test_a_proof_made_under_the_next_root_verifies() -> None:
    w = World()
    v2 = w.make_root(2)
    assert client_sdk.verify_proof_file(w.proof(0, root=v2), w.root).root_version == 2
    # and an old proof against a newer trusted root: the newer root's keys decide.
    assert client_sdk.verify_proof_file(w.proof(0), v2).root_version == 2


def test_without_a_witness_threshold_no_cosignature_is_needed() -> None:
    w = World(threshold=0)
    assert client_sdk.verify_proof_file(w.proof(8, cosign=False), w.root).witnesses == ()


def test_random_bytes_are_format_errors() -> None:
    for size in (0, 1, 100, 5000):
        with pytest.raises(FormatError):
            client_sdk.verify_proof_file(os.urandom(size), World().root)


def test_the_command_prints_what_was_proven_or_the_failing_step(tmp_path: Path) -> None:
    w = World()
    (tmp_path / "root.json").write_bytes(w.root)
    (tmp_path / "good.kelisim-proof").write_bytes(w.proof(6))
    out = witnesses.run("proof", "verify", str(tmp_path / "good.kelisim-proof"),
                        "--root", str(tmp_path / "root.json")).stdout
    assert f"proven: record r-7 of app {APP} is entry 6 of the log {PREFIX}/{APP}" in out
    assert "tree size 9" in out and "witness: witness.test/w1, cosigned at 2025-12-" in out
    bad = json.loads(w.proof(6))
    bad["salt"] = base64.b64encode(os.urandom(32)).decode()
    (tmp_path / "bad.kelisim-proof").write_text(json.dumps(bad))
    proc = witnesses.run("proof", "verify", str(tmp_path / "bad.kelisim-proof"), "--root",
                         str(tmp_path / "root.json"), ok=False)
    assert proc.returncode == 1 and "does not verify: inclusion proof" in proc.stderr
    proc = witnesses.run("proof", "verify", str(tmp_path / "missing"), "--root",
                         str(tmp_path / "root.json"), ok=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr


def test_a_request_file_round_trips_and_verifies_beside_records(tmp_path: Path) -> None:
    w = World(requests=(3,))
    data = w.proof(3)
    parsed = parse_proof_file(data)
    assert dict(parsed.record) == w.records[3] and set(parsed.record) == set(REQUEST_CHAINED)
    assert parsed.salt == w.salts[3]
    # The one builder writes the same bytes from the same parts.
    assert build_proof_file(APP, w.records[3], w.salts[3], parsed.tlog_proof,
                            w.root) == data
    proven = client_sdk.verify_proof_file(data, w.root)
    assert (proven.entry, proven.record_id, proven.index, proven.size) == (
        "request", "q-4", 3, 9)
    # The note is in the file only as its sha256.
    assert "Nurlanova" not in data.decode() and len(parsed.record["note_sha256"]) == 64
    # A record of the same log: its file unchanged, entry "record".
    record = client_sdk.verify_proof_file(w.proof(4), w.root)
    assert (record.entry, record.record_id, record.index) == ("record", "r-5", 4)
    assert "entry" not in json.loads(w.proof(4))["record"]
    (tmp_path / "root.json").write_bytes(w.root)
    (tmp_path / "q.kelisim-proof").write_bytes(data)
    out = witnesses.run("proof", "verify", str(tmp_path / "q.kelisim-proof"),
                        "--root", str(tmp_path / "root.json")).stdout
    assert f"proven: request q-4 of app {APP} is entry 3 of the log {PREFIX}/{APP}" in out


@pytest.mark.parametrize("change,words", [
    ({"kind": "access"}, "is not in the tree"),
    ({"withdraw": False}, "is not in the tree"),
    ({"deadline": "2027-01-07T01:00:00Z"}, "is not in the tree"),
    ({"note_sha256": None}, "is not in the tree"),
    ({"seq": 5}, "the tlog-proof is for leaf 3, the request is at seq 5 "),
])
def test_a_changed_request_is_refused(change: dict[str, Any], words: str) -> None:
    w = World(requests=(3,))
    with pytest.raises(ProofError, match=words):
        client_sdk.verify_proof_file(w.proof(3, record={**w.records[3], **change}), w.root)


@pytest.mark.parametrize("kind,edit,field", [
    # A request's fields with a record's field added, or a record's with "entry".
    ("request", {"action": "accept"}, "record.action"),
    ("request", {"record_id": "r-4"}, "record.record_id"),
    ("record", {"entry": "request"}, "record.entry"),
    ("record", {"note_sha256": None}, "record.note_sha256"),
    # One field short of either.
    ("request", {"deadline": None}, "record.deadline"),
    ("record", {"purposes": None}, "record.purposes"),
    # A request's fields naming themselves something else.
    ("request", {"entry": "record"}, "record.entry"),
    ("request", {"seq": "4"}, "record.seq"),
    ("request", {"request_id": 4}, "record.request_id"),
])
def test_a_file_mixing_record_and_request_fields_is_refused_naming_the_field(
        kind: str, edit: dict[str, Any], field: str) -> None:
    w = World(requests=(3,))
    i = 3 if kind == "request" else 4
    changed = {**w.records[i], **edit}
    for name, value in edit.items():
        if value is None and name in w.records[i]:
            del changed[name]  # None here: the field removed
    doc = json.loads(w.proof(i))
    doc["record"] = changed
    data = json.dumps(doc).encode()
    for attempt in (lambda: parse_proof_file(data),
                    lambda: client_sdk.verify_proof_file(data, w.root),
                    lambda: build_proof_file(APP, changed, w.salts[i],
                                             doc["tlog_proof"].encode(), w.root)):
        with pytest.raises(FormatError) as caught:
            attempt()
        assert caught.value.field == field, (caught.value.field, str(caught.value))
