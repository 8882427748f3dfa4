"""client_sdk.protocol.tlog: RFC 6962 trees, tiles, signed notes, checkpoints, cosignatures
and tlog-proof files, against published vectors (tests/data/tlog/README.md says whence), a
reference written straight from RFC 6962's recursive definitions, and tampered input."""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import struct
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from client_sdk.errors import FormatError, ProofError, SignatureError, UsageError
from client_sdk.protocol import ed25519
from client_sdk.protocol.tlog import (
    EMPTY_ROOT,
    SIG_COSIGNATURE,
    SIG_ED25519,
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    Tile,
    TlogProof,
    add_cosignature,
    append_hashes,
    consistency_proof,
    inclusion_proof,
    inclusion_proofs,
    key_id,
    leaf_hash,
    new_tiles,
    node_hash,
    open_note,
    parse_checkpoint,
    parse_note,
    parse_tile_path,
    parse_tlog_proof,
    parse_vkey,
    sign_checkpoint,
    sign_note,
    tile_data,
    tile_hash_reader,
    tiles_for_size,
    tree_hash,
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
    verify_tlog_proof,
)

DATA = Path(__file__).parent / "data" / "tlog"
CT = json.loads((DATA / "rfc6962-ct.json").read_text())
GO = json.loads((DATA / "go-sumdb.json").read_text())
ORIGIN = "kelisim.example/consents/jana-courier"


# A reference from RFC 6962 §2.1 as written: recursion over the list of leaf hashes.

def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@functools.cache
def ref_mth(d: tuple[bytes, ...]) -> bytes:
    if not d:
        return EMPTY_ROOT
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return node_hash(ref_mth(d[:k]), ref_mth(d[k:]))


def ref_path(m: int, d: tuple[bytes, ...]) -> list[bytes]:
    if len(d) <= 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: tuple[bytes, ...], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


class Store:
    """Complete-subtree hashes in a dict, grown by append_hashes; counts the reads."""

    def __init__(self) -> None:
        self.hashes: dict[tuple[int, int], bytes] = {}
        self.size = 0
        self.batches = 0

    def read(self, wanted: Sequence[tuple[int, int]]) -> list[bytes]:
        self.batches += 1
        return [self.hashes[w] for w in wanted]

    def append(self, leaves: Sequence[bytes]) -> None:
        for level, index, h in append_hashes(self.size, leaves, self.read):
            assert (level, index) not in self.hashes
            self.hashes[(level, index)] = h
        self.size += len(leaves)


def _leaves(n: int) -> list[bytes]:
    return [leaf_hash(f"leaf {i}".encode()) for i in range(n)]


def _grown(leaves: Sequence[bytes], group: int = 1) -> Store:
    store = Store()
    for i in range(0, len(leaves), group):
        store.append(leaves[i:i + group])
    return store


# Merkle trees

def test_the_certificate_transparency_vectors() -> None:
    leaves = [leaf_hash(bytes.fromhex(x)) for x in CT["leaves_hex"]]
    store = Store()
    assert tree_hash(0, store.read).hex() == CT["empty_root_hex"]
    for n, root in enumerate(CT["roots_hex"], start=1):
        store.append([leaves[n - 1]])
        assert tree_hash(n, store.read).hex() == root
    for v in CT["inclusion"]:
        proof = [bytes.fromhex(h) for h in v["proof_hex"]]
        assert inclusion_proof(v["index"], v["size"], store.read) == proof
        root = bytes.fromhex(CT["roots_hex"][v["size"] - 1])
        verify_inclusion(v["index"], v["size"], leaves[v["index"]], proof, root)
    for v in CT["consistency"]:
        proof = [bytes.fromhex(h) for h in v["proof_hex"]]
        assert consistency_proof(v["old_size"], v["new_size"], store.read) == proof
        verify_consistency(v["old_size"], v["new_size"],
                           bytes.fromhex(CT["roots_hex"][v["old_size"] - 1]),
                           bytes.fromhex(CT["roots_hex"][v["new_size"] - 1]), proof)


def test_gos_record_hash_vector() -> None:
    v = GO["record_hash"]
    assert base64.b64encode(leaf_hash(v["data"].encode())).decode() == v["hash_b64"]


def test_every_proof_up_to_40_leaves_matches_the_rfcs_definitions() -> None:
    leaves = _leaves(40)
    store = _grown(leaves)
    # Grown one by one or in groups, the same hashes; each is the MTH of its leaves.
    assert _grown(leaves, 3).hashes == _grown(leaves, 16).hashes == store.hashes
    for (level, index), h in store.hashes.items():
        assert h == ref_mth(tuple(leaves[index << level:(index + 1) << level]))
    for n in range(1, 41):
        d = tuple(leaves[:n])
        root = ref_mth(d)
        assert tree_hash(n, store.read) == root
        for m in range(n):
            proof = inclusion_proof(m, n, store.read)
            assert proof == ref_path(m, d)
            verify_inclusion(m, n, leaves[m], proof, root)
        for m in range(1, n + 1):
            proof = consistency_proof(m, n, store.read)
            assert proof == (ref_subproof(m, d, True) if m < n else [])
            verify_consistency(m, n, ref_mth(d[:m]), root, proof)


def test_a_proof_reads_its_hashes_in_one_batch() -> None:
    store = _grown(_leaves(1000), 7)
    store.batches = 0
    inclusion_proof(333, 1000, store.read)
    consistency_proof(333, 1000, store.read)
    tree_hash(1000, store.read)
    assert store.batches == 3


def test_proofs_of_many_leaves_are_made_together() -> None:
    """What a group's new leaves get after the commit (server/consent/tlog.py
    GroupProofs): the same proofs as one by one, their hashes read in one batch."""
    store = _grown(_leaves(300), 5)
    for size in (1, 2, 3, 7, 64, 255, 256, 257, 300):
        indexes = [*range(0, size, 3), *range(max(0, size - 9), size)]
        store.batches = 0
        made = inclusion_proofs(indexes, size, store.read)
        assert store.batches == (0 if size == 1 else 1)
        assert made == [inclusion_proof(i, size, store.read) for i in indexes]
    assert inclusion_proofs([], 300, store.read) == []
    for bad in (-1, 300, True):
        with pytest.raises(FormatError) as caught:
            inclusion_proofs([0, bad], 300, store.read)
        assert caught.value.field == "index"


def test_append_reads_only_what_lies_before_the_old_size() -> None:
    store = _grown(_leaves(5))
    asked: list[tuple[int, int]] = []

    def read(wanted: Sequence[tuple[int, int]]) -> list[bytes]:
        asked.extend(wanted)
        return store.read(wanted)

    append_hashes(5, _leaves(12)[5:], read)
    assert all((i + 1) << lv <= 5 for lv, i in asked)
    # Leaf 5's left sibling and, for leaf 7, leaves 0-3; all else pairs with new hashes.
    assert asked == [(0, 4), (2, 0)]


def _tampered_inclusions(m: int, n: int, leaf: bytes, proof: list[bytes], root: bytes
                         ) -> list[tuple[int, int, bytes, list[bytes], bytes]]:
    other = leaf_hash(b"other")
    # A size with the same path shape (5 and 6 for leaves 0-3) gives the same root, as in
    # RFC 9162: sizes that double change the shape.
    cases = [(m + 1, n, leaf, proof, root), (m, n * 2, leaf, proof, root),
             (m, n, other, proof, root), (m, n, leaf, proof, other),
             (m, n, leaf, [*proof, other], root), (m, n, leaf, [other, *proof], root)]
    if m:
        cases.append((m - 1, n, leaf, proof, root))
    if proof:
        cases.append((m, n, leaf, proof[:-1], root))
        for i in range(len(proof)):
            cases.append((m, n, leaf, [*proof[:i], other, *proof[i + 1:]], root))
    return cases


def test_a_tampered_inclusion_proof_is_refused() -> None:
    leaves = _leaves(37)
    store = _grown(leaves)
    for n in (1, 2, 5, 8, 37):
        root = tree_hash(n, store.read)
        for m in range(n):
            proof = inclusion_proof(m, n, store.read)
            for case in _tampered_inclusions(m, n, leaves[m], proof, root):
                with pytest.raises(ProofError) as e:
                    verify_inclusion(*case)
                assert e.value.kind == "inclusion"


def test_a_tampered_consistency_proof_is_refused() -> None:
    leaves = _leaves(37)
    store = _grown(leaves)
    other = leaf_hash(b"other")
    for m, n in [(1, 2), (1, 8), (3, 7), (4, 8), (6, 8), (2, 5), (16, 37), (36, 37)]:
        old, new = tree_hash(m, store.read), tree_hash(n, store.read)
        proof = consistency_proof(m, n, store.read)
        bad = [(m, n, old, new, proof[:-1]), (m, n, old, new, [*proof, other]),
               (m, n, old, new, [other, *proof]), (m, n, other, new, proof),
               (m, n, old, other, proof), (n, m, new, old, proof), (m, n, new, old, proof),
               (m + 1, n, old, new, proof), (m, n * 2, old, new, proof)]
        bad += [(m, n, old, new, [*proof[:i], other, *proof[i + 1:]])
                for i in range(len(proof))]
        for case in bad:
            with pytest.raises(ProofError) as e:
                verify_consistency(*case)
            assert e.value.kind == "consistency"
    # Edge sizes: the empty tree, equal sizes.
    verify_consistency(0, 5, EMPTY_ROOT, tree_hash(5, store.read), [])
    with pytest.raises(ProofError):
        verify_consistency(0, 5, other, tree_hash(5, store.read), [])
    with pytest.raises(ProofError):
        verify_consistency(5, 5, tree_hash(5, store.read), other, [])
    with pytest.raises(ProofError):
        verify_consistency(1, 2, leaves[0], tree_hash(2, store.read), [])


def test_bad_sizes_and_hashes_are_format_errors() -> None:
    store = _grown(_leaves(4))
    root = tree_hash(4, store.read)
    with pytest.raises(FormatError, match="index"):
        inclusion_proof(4, 4, store.read)
    with pytest.raises(FormatError, match="size"):
        tree_hash(-1, store.read)
    with pytest.raises(FormatError, match="size"):
        tree_hash(2**63, store.read)
    with pytest.raises(FormatError, match="old_size"):
        consistency_proof(5, 4, store.read)
    with pytest.raises(FormatError, match=r"proof\[0\]"):
        verify_inclusion(0, 4, _leaves(1)[0], [b"short"], root)
    with pytest.raises(FormatError, match="proof"):
        verify_inclusion(0, 4, _leaves(1)[0], [root] * 65, root)
    with pytest.raises(FormatError, match="root"):
        verify_consistency(1, 4, root, root[:31], [root])
    with pytest.raises(FormatError, match="hash reader"):
        tree_hash(3, lambda wanted: [])


# Tiles

def test_tile_paths_encode_and_parse_canonically() -> None:
    for v in GO["tile_index_paths"]:
        assert Tile(0, v["index"]).path() == "tile/0/" + v["path"]
        assert parse_tile_path(f"tile/2/{v['path']}.p/7") == Tile(2, v["index"], 7)
    assert Tile(1, 1234067, 255).path() == "tile/1/x001/x234/067.p/255"
    assert Tile(0, 0).path() == "tile/0/000"
    assert Tile(0, 1000).path() == "tile/0/x001/000"
    for bad in ["tile/0/1", "tile/00/000", "tile/0/x000/001", "tile/0/001.p/256",
                "tile/0/001.p/0", "tile/0/001.p/05", "tile/64/000", "tile/0/001/002",
                "tile/0/x001", "tile/0/000.p", "tile/a/000", "tiles/0/000", "tile/0/0001",
                "tile/0/x1/000", "tile/0/+01", "tile/0/٠٠١", "tile/0/000/", ""]:
        with pytest.raises(FormatError, match="tile"):
            parse_tile_path(bad)
    with pytest.raises(FormatError, match="entry bundles are not published"):
        parse_tile_path("tile/entries/000")


def test_tiles_of_the_specs_70000_leaf_example() -> None:
    tiles = tiles_for_size(70_000)
    level0 = [t for t in tiles if t.level == 0]
    assert len(level0) == 274 and sum(t.full for t in level0) == 273
    assert level0[-1] == Tile(0, 273, 112)
    assert [t for t in tiles if t.level > 0] == [Tile(1, 0), Tile(1, 1, 17), Tile(2, 0, 1)]
    assert tiles_for_size(256) == [Tile(0, 0), Tile(1, 0, 1)]
    assert tiles_for_size(0) == []
    assert new_tiles(255, 256) == [Tile(0, 0), Tile(1, 0, 1)]
    assert new_tiles(256, 257) == [Tile(0, 1, 1)]
    assert new_tiles(300, 300) == []


def test_tiles_rebuild_the_tree_and_its_proofs() -> None:
    leaves = _leaves(700)
    store = _grown(leaves, 50)
    published: dict[Tile, bytes] = {}
    size = 0
    for new_size in (1, 255, 256, 300, 511, 513, 700):
        for tile in new_tiles(size, new_size):
            published[tile] = tile_data(tile, store.read)
        size = new_size
        reader = tile_hash_reader(size, lambda ts: [published[t] for t in ts])
        assert tree_hash(size, reader) == tree_hash(size, store.read)
        for m in (0, size // 2, size - 1):
            assert inclusion_proof(m, size, reader) == inclusion_proof(m, size, store.read)
        assert consistency_proof(1, size, reader) == consistency_proof(1, size, store.read)
    assert published[Tile(1, 0, 2)] == store.hashes[(8, 0)] + store.hashes[(8, 1)]
    short = tile_hash_reader(700, lambda ts: [published[t][:-1] for t in ts])
    with pytest.raises(FormatError, match="tile/0/000"):
        short([(0, 0)])
    with pytest.raises(FormatError, match="complete subtree"):
        tile_hash_reader(700, lambda ts: [])([(8, 2)])


# Signed notes

def _signer(name: str, sig_type: int = SIG_ED25519) -> NoteSigner:
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return NoteSigner(name, sig_type, public, private.sign)


def test_gos_signed_note_vectors() -> None:
    v = GO["note"]
    peter, enoch = parse_vkey(v["peter_vkey"]), parse_vkey(v["enoch_vkey"])
    assert peter.key_id == 0xC74F20A3 and enoch.key_id == 0xAF0CFE78
    assert peter.vkey() == v["peter_vkey"]
    both = (v["text"] + "\n" + v["peter_sig"] + v["enoch_sig"]).encode()
    opened = open_note(both, [peter])
    assert opened.text == v["text"]
    assert [s.name for _, s in opened.verified] == ["PeterNeumann"]
    assert [s.name for s in opened.unverified] == ["EnochRoot"]
    assert len(open_note(both, [peter, enoch]).verified) == 2
    with pytest.raises(SignatureError, match="no signature by a known key"):
        open_note(both, [])
    for bad in v["bad_vkeys"]:
        with pytest.raises(FormatError):
            parse_vkey(bad)
    sig = v["peter_sig"]
    with pytest.raises(SignatureError, match="PeterNeumann\\+c74f20a3 does not verify"):
        open_note((v["text"] + "\n" + sig[:60] + "ABCD" + sig[60:]).encode(), [peter])
    # Go's malformed notes.
    text = v["text"]
    for bad in [text, text + "\n", text + "\n" + sig[:-1], "\x01" + text + "\n" + sig,
                text + "\n— Bad Name " + sig.split(" ")[-1], text + "\n" + sig + "Unexpected.\n",
                text + "\n" + sig * 101]:
        with pytest.raises(FormatError, match="note"):
            parse_note(bad.encode())
    with pytest.raises(FormatError, match="UTF-8"):
        parse_note(b"\xff" + (text + "\n" + sig).encode())


def test_a_note_signed_here_opens_and_rejects_tampering() -> None:
    log, other = _signer("kelisim.example/log"), _signer("kelisim.example/log")
    signed = sign_note("hello\n\nworld\n", [log])
    assert open_note(signed, [log.verifier]).text == "hello\n\nworld\n"
    # Same name, other key: a different key ID, so the signature is someone else's.
    with pytest.raises(SignatureError, match="no signature"):
        open_note(signed, [other.verifier])
    with pytest.raises(SignatureError, match="does not verify"):
        open_note(signed.replace(b"world", b"World"), [log.verifier])
    assert parse_vkey(log.verifier.vkey()) == log.verifier
    assert log.verifier.key_id == key_id("kelisim.example/log", 1, log.public)
    with pytest.raises(UsageError):
        sign_note("no newline", [log])
    # DEL and non-ASCII are allowed (only controls below U+0020 but the newline are not),
    # in the text and in an unknown signer's name, which is then ignored.
    odd = sign_note("del \x7f, кілт\n", [log, _signer("wítness\x7f.example")])
    assert open_note(odd, [log.verifier]).text == "del \x7f, кілт\n"
    with pytest.raises(FormatError, match="line 1 holds control character 0x09"):
        parse_note(b"tab\there\n\n" + signed.split(b"\n\n")[1])

    class Colliding(NoteVerifier):
        """Another key claiming the log's name and key ID (a real four-byte collision is
        not worth searching for)."""

        @property
        def key_id(self) -> int:
            return log.verifier.key_id

    with pytest.raises(UsageError, match="two verifiers"):
        open_note(signed, [log.verifier, Colliding(log.name, SIG_ED25519, bytes(32))])


def test_vkeys_are_strict() -> None:
    # Fixed keys, some of whose base64 holds "+": only the first two "+" separate fields.
    keys = [Ed25519PrivateKey.from_private_bytes(bytes([i]) * 32) for i in range(40)]
    verifiers = [NoteVerifier("k.example", SIG_COSIGNATURE, k.public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)) for k in keys]
    assert any("+" in v.vkey().split("+", 2)[2] for v in verifiers)
    assert all(parse_vkey(v.vkey()) == v for v in verifiers)
    # A key ID with a letter, so that the upper-case spelling differs.
    good = next(v.vkey() for v in verifiers if not v.vkey().split("+")[1].isdigit())
    name, hexid, material = good.split("+", 2)
    for bad in [f"{name}+{hexid}", f"{name}+{hexid.upper()}+{material}",
                f"{name}+00000000+{material}", f"+{hexid}+{material}",
                f"a b+{hexid}+{material}", f"{name}+{hexid}+{material}=",
                f"{name}+{hexid}+{material[:-4]}", f"{name}+{hexid}+"]:
        with pytest.raises(FormatError):
            parse_vkey(bad)


@given(st.binary(max_size=300))
def test_any_bytes_parse_or_raise_format_error(raw: bytes) -> None:
    for parse in (parse_note, parse_tlog_proof):
        with contextlib.suppress(FormatError):
            parse(raw)
    with contextlib.suppress(FormatError):
        parse_checkpoint(raw.decode("utf-8", "replace"))


# Checkpoints and cosignatures

def _tree(n: int) -> tuple[list[bytes], Store]:
    leaves = _leaves(n)
    return leaves, _grown(leaves)


def test_checkpoint_text_is_parsed_strictly() -> None:
    cp = Checkpoint(ORIGIN, 20852163, bytes(range(32)), ("ext one",))
    assert parse_checkpoint(cp.text()) == cp
    assert cp.text().split("\n")[:3] == [ORIGIN, "20852163",
                                         base64.b64encode(bytes(range(32))).decode()]
    root = base64.b64encode(bytes(32)).decode()
    for bad, field in [(f"{ORIGIN}\n5\n{root}", "newline"), (f"{ORIGIN}\n5\n", "3"),
                       (f"\n5\n{root}\n", "origin"), (f"{ORIGIN}\n05\n{root}\n", "size"),
                       (f"{ORIGIN}\n-5\n{root}\n", "size"), (f"{ORIGIN}\n+5\n{root}\n", "size"),
                       (f"{ORIGIN}\n9223372036854775808\n{root}\n", "size"),
                       (f"{ORIGIN}\n5\n{root[:-2]}\n", "root"),
                       (f"{ORIGIN}\n5\n{base64.b64encode(bytes(31)).decode()}\n", "root"),
                       (f"{ORIGIN}\n5\n{root}\n\n", "line 4")]:
        with pytest.raises(FormatError, match=field):
            parse_checkpoint(bad)
    assert parse_checkpoint(f"{ORIGIN}\n0\n{root}\n").size == 0


def test_a_signed_checkpoint_verifies_with_its_witnesses() -> None:
    _, store = _tree(10)
    log = _signer(ORIGIN)
    w1, w2, w3 = (_signer(f"witness{i}.example", SIG_COSIGNATURE) for i in (1, 2, 3))
    cp = Checkpoint(ORIGIN, 10, tree_hash(10, store.read))
    note = sign_checkpoint(cp, log)
    assert verify_checkpoint(note, origin=ORIGIN, log_key=log.verifier).checkpoint == cp
    cosigned = add_cosignature(add_cosignature(note, w1, 1_700_000_000), w2, 1_700_000_001)
    witnesses = [w1.verifier, w2.verifier, w3.verifier]
    got = verify_checkpoint(cosigned, origin=ORIGIN, log_key=log.verifier,
                            witnesses=witnesses, threshold=2)
    assert got.cosigners == (("witness1.example", 1_700_000_000),
                             ("witness2.example", 1_700_000_001))
    # The same cosignature twice counts once.
    twice = cosigned + cosigned.decode().splitlines(keepends=True)[-1].encode()
    with pytest.raises(SignatureError, match="2 witness cosignatures, 3 required"):
        verify_checkpoint(twice, origin=ORIGIN, log_key=log.verifier, witnesses=witnesses,
                          threshold=3)
    with pytest.raises(SignatureError, match="2 witness cosignatures, 3 required") as e:
        verify_checkpoint(cosigned, origin=ORIGIN, log_key=log.verifier,
                          witnesses=witnesses, threshold=3)
    assert e.value.role == "witness"
    # A cosignature's timestamp is signed: changing it breaks the cosignature.
    lines = cosigned.decode().split("\n")
    blob = bytearray(base64.b64decode(lines[-2].split(" ")[-1]))
    blob[4:12] = struct.pack(">Q", 1_700_000_002)
    lines[-2] = lines[-2].rsplit(" ", 1)[0] + " " + base64.b64encode(bytes(blob)).decode()
    with pytest.raises(SignatureError, match=r"witness2\.example"):
        verify_checkpoint("\n".join(lines).encode(), origin=ORIGIN, log_key=log.verifier,
                          witnesses=witnesses, threshold=1)
    # A cosignature line needs its own key type: the log's key cannot stand in for it.
    with pytest.raises(UsageError):
        verify_checkpoint(note, origin=ORIGIN, log_key=log.verifier, witnesses=[log.verifier])
    with pytest.raises(FormatError, match="origin"):
        verify_checkpoint(note, origin=ORIGIN + "x", log_key=log.verifier)
    # Signed only by a witness: the log's signature is missing.
    only_witness = sign_note(cp.text(), [w1], timestamp=5)
    with pytest.raises(SignatureError, match="not signed by the log key") as e:
        verify_checkpoint(only_witness, origin=ORIGIN, log_key=log.verifier,
                          witnesses=[w1.verifier])
    assert e.value.role == "log"


def test_cosignature_message_is_the_specs() -> None:
    w = _signer("witness.example/w1", SIG_COSIGNATURE)
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    note = sign_note(text, [w], timestamp=1679315147)
    blob = base64.b64decode(note.decode().rsplit(" ", 1)[1])
    assert blob[:4] == w.verifier.key_id.to_bytes(4, "big")
    assert struct.unpack(">Q", blob[4:12])[0] == 1679315147
    message = b"cosignature/v1\ntime 1679315147\n" + text.encode()
    assert ed25519.VerifyKey("w", w.public).verify(blob[12:], message)


# tlog-proof

def _proof_fixture() -> tuple[list[bytes], NoteSigner, bytes, Store]:
    leaves, store = _tree(21)
    log = _signer(ORIGIN)
    note = sign_checkpoint(Checkpoint(ORIGIN, 21, tree_hash(21, store.read)), log)
    return leaves, log, note, store


def test_a_tlog_proof_round_trips_and_verifies() -> None:
    leaves, log, note, store = _proof_fixture()
    proof = TlogProof(13, tuple(inclusion_proof(13, 21, store.read)), note, b"salt?")
    raw = proof.to_bytes()
    assert raw.startswith(b"c2sp.org/tlog-proof@v1\nextra c2FsdD8=\nindex 13\n")
    assert parse_tlog_proof(raw) == proof
    got = verify_tlog_proof(raw, leaves[13], origin=ORIGIN, log_key=log.verifier)
    assert got.checkpoint.size == 21
    with pytest.raises(ProofError):
        verify_tlog_proof(raw, leaves[12], origin=ORIGIN, log_key=log.verifier)
    wrong_index = TlogProof(12, proof.hashes, note).to_bytes()
    with pytest.raises(ProofError):
        verify_tlog_proof(wrong_index, leaves[13], origin=ORIGIN, log_key=log.verifier)
    with pytest.raises(SignatureError):
        verify_tlog_proof(raw, leaves[13], origin=ORIGIN, log_key=_signer(ORIGIN).verifier)
    no_extra = TlogProof(13, proof.hashes, note)
    assert parse_tlog_proof(no_extra.to_bytes()) == no_extra


def test_a_malformed_tlog_proof_names_its_line() -> None:
    leaves, _, note, _ = _proof_fixture()
    h = base64.b64encode(leaves[0]).decode()
    for head, field in [("c2sp.org/tlog-proof@v2\nindex 1", "line 1"),
                        ("c2sp.org/tlog-proof@v1", "line 2"),
                        ("c2sp.org/tlog-proof@v1\nindex 01", "line 2"),
                        ("c2sp.org/tlog-proof@v1\nindex -1", "line 2"),
                        ("c2sp.org/tlog-proof@v1\nextra @@\nindex 1", "line 2"),
                        ("c2sp.org/tlog-proof@v1\nindex 1\nextra AA==", "line 3"),
                        (f"c2sp.org/tlog-proof@v1\nindex 1\n{h}\n{h[:-4]}", "line 4"),
                        (f"c2sp.org/tlog-proof@v1\nindex 1\n{h} ", "line 3")]:
        with pytest.raises(FormatError, match=field):
            parse_tlog_proof(head.encode() + b"\n\n" + note)
    with pytest.raises(FormatError, match="no checkpoint"):
        parse_tlog_proof(b"c2sp.org/tlog-proof@v1\nindex 1\n\n")
    with pytest.raises(FormatError, match="more than 64"):
        parse_tlog_proof(("c2sp.org/tlog-proof@v1\nindex 1\n" + f"{h}\n" * 65).encode()
                         + b"\n" + note)
    with pytest.raises(FormatError, match="larger than"):
        parse_tlog_proof(b"c2sp.org/tlog-proof@v1\nindex 1\n\n" + note + b"x" * 500_000)


# securesystemslib's verifier (cryptography's in a Python that has it, its pure-Python
# Ed25519 on devices without: the test after this one)

def test_securesystemslibs_verifier_gives_the_same_answers(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    leaves, log, note, store = _proof_fixture()
    w = _signer("witness.example", SIG_COSIGNATURE)
    raw = TlogProof(3, tuple(inclusion_proof(3, 21, store.read)),
                    add_cosignature(note, w, 42)).to_bytes()
    monkeypatch.setattr(ed25519, "_verify", ed25519._with_securesystemslib())
    got = verify_tlog_proof(raw, leaves[3], origin=ORIGIN, log_key=log.verifier,
                            witnesses=[w.verifier], threshold=1)
    assert got.cosigners == (("witness.example", 42),)
    with pytest.raises(SignatureError):
        verify_tlog_proof(raw.replace(b"\n21\n", b"\n22\n"), leaves[3], origin=ORIGIN,
                          log_key=log.verifier)


@pytest.mark.slow
def test_proofs_verify_in_a_python_without_cryptography(tmp_path: Path) -> None:
    leaves, log, note, store = _proof_fixture()
    raw = TlogProof(3, tuple(inclusion_proof(3, 21, store.read)), note).to_bytes()
    (tmp_path / "p.tlog-proof").write_bytes(raw)
    script = f"""
import sys
sys.modules["cryptography"] = None  # as on iOS: the import fails
from client_sdk.errors import ProofError
from client_sdk.protocol.tlog import parse_vkey, verify_tlog_proof
raw = open(sys.argv[1], "rb").read()
key = parse_vkey({log.verifier.vkey()!r})
got = verify_tlog_proof(raw, bytes.fromhex({leaves[3].hex()!r}), origin={ORIGIN!r}, log_key=key)
try:
    verify_tlog_proof(raw, bytes(32), origin={ORIGIN!r}, log_key=key)
except ProofError:
    print("refused")
import client_sdk.protocol.ed25519 as e
print(got.checkpoint.size, e._verify.__module__, "cryptography" in repr(e._verify))
"""
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "p.tlog-proof")],
                         capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["refused", "21", "client_sdk.protocol.ed25519", "False"]

