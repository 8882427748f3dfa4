"""Interoperability of client_sdk.protocol.tlog with an implementation we did not write:
Go's golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog, from Debian's
golang-golang-x-mod-dev (scripts/system-deps.sh test installs it with golang-go).

tests/go/tlogcheck/main.go is built offline, in GOPATH mode against the Debian source tree
(/usr/share/gocode/src): GO111MODULE=off, GOPROXY=off, GOTOOLCHAIN=local, so no module is
ever downloaded. Go checks our signed checkpoints (note.Open), our inclusion and consistency
proofs (tlog.CheckRecord, tlog.CheckTree) and our tiles (tlog.TileHashReader, which checks
them against the tree hash, and tlog.ReadTileData byte for byte); it signs a checkpoint and
proves over the same leaves (tlog.ProveRecord, tlog.ProveTree), which our code verifies.
Tampered inputs must be refused by both.
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask.testing import FlaskClient
from test_tlog_entries import fill

from builders import APP
from client_sdk.protocol.tlog import (
    SIG_COSIGNATURE,
    SIG_ED25519,
    Checkpoint,
    NoteSigner,
    Tile,
    add_cosignature,
    append_hashes,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    parse_checkpoint,
    parse_note,
    parse_vkey,
    sign_checkpoint,
    tile_data,
    tiles_for_size,
    tree_hash,
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
)
from client_sdk.protocol.tlog.merkle import HASH_SIZE
from client_sdk.protocol.tlog.tiles import parse_entry_bundle
from helpers import verified_root

pytestmark = pytest.mark.slow

SOURCE = Path(__file__).parent / "go" / "tlogcheck" / "main.go"
GOPATH = Path("/usr/share/gocode")
XMOD = GOPATH / "src" / "golang.org" / "x" / "mod" / "sumdb"
ORIGIN = "kelisim.example/consents/interop"
SIZE = 66_000  # three tile levels: 257 full level-0 tiles, partial tiles at levels 0-2


def _b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


@pytest.fixture(scope="module")
def tlogcheck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    go = shutil.which("go")
    if go is None or not XMOD.is_dir():
        why = ("needs Go and golang.org/x/mod's source: Debian's golang-go and "
               "golang-golang-x-mod-dev, which `bash scripts/system-deps.sh test` installs")
        if os.environ.get("CI"):
            pytest.fail(why)  # CI installs them: never skip there
        pytest.skip(why)
    out = tmp_path_factory.mktemp("go")
    env = {"PATH": os.environ["PATH"], "HOME": str(out), "GOPATH": str(GOPATH),
           "GO111MODULE": "off", "GOPROXY": "off", "GOFLAGS": "", "GOTOOLCHAIN": "local",
           "CGO_ENABLED": "0", "GOCACHE": str(out / "cache")}
    binary = out / "tlogcheck"
    subprocess.run([go, "build", "-o", str(binary), str(SOURCE)], env=env, cwd=out,
                   check=True, capture_output=True, timeout=300)
    return binary


class Tree:
    def __init__(self, size: int) -> None:
        rng = random.Random(19)
        self.leaves = [leaf_hash(rng.randbytes(40)) for _ in range(size)]
        self.hashes: dict[tuple[int, int], bytes] = {}
        for level, index, h in append_hashes(0, self.leaves, self.read):
            self.hashes[(level, index)] = h

    def read(self, wanted: Any) -> list[bytes]:
        return [self.hashes[w] for w in wanted]


@pytest.fixture(scope="module")
def tree() -> Iterator[Tree]:
    yield Tree(SIZE)


def _signer(name: str, sig_type: int) -> NoteSigner:
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return NoteSigner(name, sig_type, public, private.sign)


INCLUSION = [(0, 1), (0, 2), (1, 2), (4, 5), (5, 8), (255, 256), (256, 257), (1000, 4097),
             (30_000, 65_537), (65_999, SIZE), (12_345, SIZE)]
CONSISTENCY = [(1, 2), (1, 8), (3, 7), (6, 8), (255, 256), (256, 1000), (4097, 65_537),
               (65_535, SIZE), (17, SIZE)]


PATH_TILES = [Tile(level, index, width) for level in (0, 5) for width in (256, 7)
              for index in (0, 1, 999, 1000, 1_234_067, 123_456_078, 2**40 + 5)]


def test_go_and_python_agree(tlogcheck: Path, tree: Tree) -> None:
    log = _signer(ORIGIN, SIG_ED25519)
    witness = _signer("witness.example/w1", SIG_COSIGNATURE)
    root = tree_hash(SIZE, tree.read)
    checkpoint = Checkpoint(ORIGIN, SIZE, root)
    good = sign_checkpoint(checkpoint, log)
    other = sign_checkpoint(Checkpoint(ORIGIN, SIZE - 1, root), _signer(ORIGIN, SIG_ED25519))
    checkpoints = {
        "good": good.decode(),
        "cosigned": add_cosignature(good, witness, 1_700_000_000).decode(),
        "tampered": good.decode().replace(f"\n{SIZE}\n", f"\n{SIZE + 1}\n"),
        "other_key": other.decode(),
    }

    def root_of(n: int) -> str:
        return _b64(tree_hash(n, tree.read))

    inclusion = []
    for m, n in INCLUSION:
        proof = [_b64(h) for h in inclusion_proof(m, n, tree.read)]
        entry = {"index": m, "size": n, "leaf": _b64(tree.leaves[m]), "root": root_of(n)}
        inclusion.append({"name": f"{m}/{n}", **entry, "proof": proof})
        inclusion.append({"name": f"{m}/{n} wrong leaf", **entry, "proof": proof,
                          "leaf": _b64(tree.leaves[m ^ 1])})
        if proof:
            inclusion.append({"name": f"{m}/{n} bad hash", **entry,
                              "proof": [_b64(leaf_hash(b"x")), *proof[1:]]})
    consistency = []
    for m, n in CONSISTENCY:
        proof = [_b64(h) for h in consistency_proof(m, n, tree.read)]
        entry = {"old_size": m, "new_size": n, "old_root": root_of(m), "new_root": root_of(n)}
        consistency.append({"name": f"{m}/{n}", **entry, "proof": proof})
        consistency.append({"name": f"{m}/{n} forked", **entry, "proof": proof,
                            "old_root": _b64(leaf_hash(b"fork"))})
        consistency.append({"name": f"{m}/{n} truncated", **entry, "proof": proof[:-1]})
    tiles = {t.path(): base64.b64encode(tile_data(t, tree.read)).decode()
             for t in tiles_for_size(SIZE)}
    # Not 0: Go's TreeHash(0) is 32 zero bytes, where RFC 6962 (and so the checkpoint
    # spec) says SHA-256 of nothing, as ours is; no Kelisim checkpoint has size 0 anyway.
    sizes = sorted({n for _, n in INCLUSION} | {m for m, _ in CONSISTENCY})
    request = {
        "vkey": log.verifier.vkey(), "checkpoints": checkpoints,
        "leaf_hashes": [_b64(h) for h in tree.leaves], "inclusion": inclusion,
        "consistency": consistency, "tile_size": SIZE, "tiles": tiles,
        "go_origin": "go.example/interop", "go_sizes": sizes,
        "go_inclusion": INCLUSION, "go_consistency": CONSISTENCY,
        "path_tiles": [[t.level, t.index, t.width] for t in PATH_TILES],
    }
    done = subprocess.run([str(tlogcheck)], input=json.dumps(request), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    results: dict[str, str] = answer["results"]

    # Go accepts what we made, and refuses what was tampered with.
    assert results["vkey"] == ""
    assert results["checkpoint:good"] == results["checkpoint:cosigned"] == ""
    assert answer["checkpoint_text"]["good"] == checkpoint.text()
    assert answer["checkpoint_text"]["cosigned"] == checkpoint.text()
    assert "invalid signature" in results["checkpoint:tampered"]
    assert "no verifiable signatures" in results["checkpoint:other_key"]
    for case in [*inclusion, *consistency]:
        kind = "inclusion" if "index" in case else "consistency"
        got = results[f"{kind}:{case['name']}"]
        if case["name"].count(" "):
            assert got != "", f"Go accepted the {kind} proof {case['name']}"
        else:
            assert got == "", f"Go refused the {kind} proof {case['name']}: {got}"
    assert results["tiles"] == ""
    assert answer["go_paths"] == [t.path() for t in PATH_TILES]
    # Go's NewTiles lists a partial tile of every width up to the size (sumdb serves them
    # all); tlog-tiles needs those of checkpointed sizes only. Ours are Go's, byte for byte.
    go_tiles: dict[str, str] = answer["go_tiles"]
    assert {p: go_tiles[p] for p in tiles} == tiles
    assert {p for p in go_tiles if ".p/" not in p} == {p for p in tiles if ".p/" not in p}

    # We accept what Go made: roots, proofs (the same as ours) and its signed checkpoint.
    assert answer["go_roots"] == {str(n): root_of(n) for n in sizes}
    assert len(answer["go_inclusion"]) == len(INCLUSION)
    for p in answer["go_inclusion"]:
        m, n = p["a"], p["b"]
        proof = [base64.b64decode(h) for h in p["proof"]]
        assert proof == inclusion_proof(m, n, tree.read)
        verify_inclusion(m, n, tree.leaves[m], proof, tree_hash(n, tree.read))
    assert len(answer["go_consistency"]) == len(CONSISTENCY)
    for p in answer["go_consistency"]:
        m, n = p["a"], p["b"]
        proof = [base64.b64decode(h) for h in p["proof"]]
        assert proof == consistency_proof(m, n, tree.read)
        verify_consistency(m, n, tree_hash(m, tree.read), tree_hash(n, tree.read), proof)
    go_key = parse_vkey(answer["go_vkey"])
    got = verify_checkpoint(answer["go_checkpoint"].encode(), origin="go.example/interop",
                            log_key=go_key)
    assert got.checkpoint == Checkpoint("go.example/interop", SIZE, root)


def test_go_checks_the_policy_log_of_a_real_deployment(tlogcheck: Path, tmp_path: Path
                                                       ) -> None:
    """The policy log (issue 19 part 3) of a real deployment, as `export-static` writes it:
    Go hashes each entry of its public entry bundle itself (tlog.RecordHash) and gets our
    leaves and our tree's root, opens the policy log's checkpoint and the one in the
    manifest's proof with the root's log key, accepts the manifest's inclusion proof (and
    refuses it for another entry), reads our tiles, and proves the manifest's entry the
    same way."""
    import sqlalchemy as sa
    from test_client_sync_e2e import setup

    from client_sdk.protocol.policylog import policy_leaf
    from client_sdk.protocol.tlog import parse_checkpoint, parse_note, parse_tlog_proof
    from livesrv import kelisim_here

    srv = setup(tmp_path, "")
    kelisim_here(srv["env"], "root", "rotate", "--require-policy-inclusion")
    static = tmp_path / "static"
    kelisim_here(srv["env"], "export-static", str(static))
    vkey = json.loads(kelisim_here(srv["env"], "root", "show", "--payload"))["log"]["keys"][0]
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'instance' / 'kelisim.db'}")
    try:
        with engine.connect() as conn:
            entries = [bytes(e) for (e,) in conn.execute(sa.text(
                "SELECT entry FROM policy_log_entries ORDER BY idx"))]
    finally:
        engine.dispose()
    log_dir = static / "v1" / "policy-log"
    note = (log_dir / "checkpoint").read_bytes()
    checkpoint = parse_checkpoint(parse_note(note).text)
    assert checkpoint.origin.endswith("/policies") and checkpoint.size == len(entries)
    # Go hashes the entries as anyone reads them: from the public entry bundle.
    bundle = log_dir / "tile" / "entries" / f"000.p/{len(entries)}"
    assert parse_entry_bundle(bundle.read_bytes(), len(entries)) == entries
    proof = parse_tlog_proof((static / "v1/apps/jana-courier/manifest.proof").read_bytes())
    proved = parse_checkpoint(parse_note(proof.checkpoint).text)
    leaves = [policy_leaf(e) for e in entries]
    case = {"index": proof.index, "size": proved.size, "root": _b64(proved.root_hash),
            "proof": [_b64(h) for h in proof.hashes]}
    tiles = {p.relative_to(log_dir).as_posix(): base64.b64encode(p.read_bytes()).decode()
             for p in (log_dir / "tile").rglob("*") if p.is_file() and
             "entries" not in p.parts}
    request = {
        "vkey": vkey, "checkpoints": {"policy": note.decode(),
                                      "manifest_proof": proof.checkpoint.decode()},
        "leaf_hashes": [], "records": [base64.b64encode(e).decode() for e in entries],
        "inclusion": [{"name": "manifest", **case, "leaf": _b64(leaves[proof.index])},
                      {"name": "manifest other entry", **case,
                       "leaf": _b64(leaves[proof.index - 1])}],
        "consistency": [], "tile_size": checkpoint.size, "tiles": tiles,
        "go_origin": "go.example/interop", "go_sizes": [proved.size],
        "go_inclusion": [[proof.index, proved.size]], "go_consistency": [], "path_tiles": [],
    }
    done = subprocess.run([str(tlogcheck)], input=json.dumps(request), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    results: dict[str, str] = answer["results"]
    assert answer["record_hashes"] == [_b64(h) for h in leaves]
    assert answer["go_roots"][str(checkpoint.size)] == _b64(checkpoint.root_hash)
    assert answer["go_roots"][str(proved.size)] == _b64(proved.root_hash)
    assert results["checkpoint:policy"] == results["checkpoint:manifest_proof"] == ""
    assert answer["checkpoint_text"]["policy"] == checkpoint.text()
    assert results["inclusion:manifest"] == ""
    assert results["inclusion:manifest other entry"] != ""
    assert results["tiles"] == ""
    assert answer["go_inclusion"][0]["proof"] == [_b64(h) for h in proof.hashes]


def test_go_hashes_the_exported_entries_to_the_logs_leaves(
        cli: Any, client: FlaskClient, manifest: dict[str, Any], tmp_path: Path,
        tlogcheck: Path) -> None:
    """The consent log's entries as `kelisim consents export-log` writes them (records and
    requests; tests/test_tlog_entries.py): Go's `sumdb/tlog` (tlog.RecordHash, TreeHash,
    CheckTree over our tiles) reads them as plain log entries: their hashes are the
    leaves of our tiles, and their tree has our checkpoint's root."""
    fill(client, manifest, 300)
    folder = tmp_path / "export"
    cli("consents", "export-log", APP, str(folder))
    note = (folder / "checkpoint").read_bytes()
    checkpoint = parse_checkpoint(parse_note(note).text)
    entries = parse_entry_bundle((folder / "tile/entries/000").read_bytes(), 256) + \
        parse_entry_bundle((folder / "tile/entries/001.p/48").read_bytes(), 48)
    level0 = (folder / "tile/0/000").read_bytes() + (folder / "tile/0/001.p/48").read_bytes()
    leaves = [level0[i:i + HASH_SIZE] for i in range(0, len(level0), HASH_SIZE)]
    root = verified_root(client.get("/v1/root.json").data)
    tiles = {p.relative_to(folder).as_posix(): base64.b64encode(p.read_bytes()).decode()
             for p in (folder / "tile").rglob("*") if p.is_file() and "entries" not in p.parts}
    request = {
        "vkey": root["log"]["keys"][0], "checkpoints": {"consents": note.decode()},
        "leaf_hashes": [], "records": [base64.b64encode(e).decode() for e in entries],
        "inclusion": [], "consistency": [], "tile_size": checkpoint.size, "tiles": tiles,
        "go_origin": "go.example/interop", "go_sizes": [checkpoint.size],
        "go_inclusion": [], "go_consistency": [], "path_tiles": [],
    }
    done = subprocess.run([str(tlogcheck)], input=json.dumps(request), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["record_hashes"] == [base64.b64encode(h).decode() for h in leaves]
    assert answer["go_roots"][str(checkpoint.size)] == \
        base64.b64encode(checkpoint.root_hash).decode()
    assert answer["results"]["checkpoint:consents"] == "" and answer["results"]["tiles"] == ""
