"""A transparency log in memory for tests of the witness, the auditor and proof files: a
real RFC 6962 tree and real signed checkpoints from client_sdk.protocol.tlog (no stubs),
with helpers to publish its tiles and checkpoint as a mirror directory."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from client_sdk.protocol.envelope import PAYLOAD_ROOT, keyid_of, pae
from client_sdk.protocol.tlog import (
    SIG_ED25519,
    Checkpoint,
    NoteSigner,
    append_hashes,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    sign_checkpoint,
    tile_data,
    tiles_for_size,
    tree_hash,
)


def note_signer(name: str, sig_type: int = SIG_ED25519) -> NoteSigner:
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return NoteSigner(name, sig_type, public, private.sign)


class MemLog:
    """One log history: leaves, stored subtree hashes, signed checkpoints."""

    def __init__(self, origin: str, signer: NoteSigner | None = None) -> None:
        self.origin = origin
        self.signer = signer or note_signer(origin)
        self.hashes: dict[tuple[int, int], bytes] = {}
        self.size = 0
        self.tag = ""

    def read(self, wanted: object) -> list[bytes]:
        return [self.hashes[w] for w in wanted]  # type: ignore[attr-defined]

    def append(self, *entries: bytes) -> int:
        leaves = [leaf_hash(e) for e in entries]
        for level, index, h in append_hashes(self.size, leaves, self.read):
            self.hashes[(level, index)] = h
        self.size += len(entries)
        return self.size

    def grow(self, n: int) -> int:
        return self.append(*(f"{self.tag}entry {self.size + i}".encode() for i in range(n)))

    def fork(self, at: int, tag: str) -> MemLog:
        """Another history under the same key: the first ``at`` leaves, then its own."""
        other = MemLog(self.origin, self.signer)
        other.hashes = {k: v for k, v in self.hashes.items() if (k[1] + 1) << k[0] <= at}
        other.size = at
        other.tag = tag
        return other

    def root(self, size: int | None = None) -> bytes:
        return tree_hash(self.size if size is None else size, self.read)

    def checkpoint(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        return sign_checkpoint(Checkpoint(self.origin, size, self.root(size)), self.signer)

    def consistency(self, old: int, new: int | None = None) -> list[bytes]:
        return consistency_proof(old, self.size if new is None else new, self.read)

    def inclusion(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self.size if size is None else size, self.read)

    def publish(self, directory: Path, note: bytes | None = None) -> Path:
        """Write ``checkpoint`` and every tile of the current size into ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        for tile in tiles_for_size(self.size):
            path = directory / tile.path()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(tile_data(tile, self.read))
        (directory / "checkpoint").write_bytes(note or self.checkpoint())
        return directory


def origin_hash(origin: str) -> str:
    return hashlib.sha256(origin.encode()).hexdigest()


def root_envelope(version: int, root_keys: list[Ed25519PrivateKey], *,
                  log: dict[str, Any] | None = None, witnesses: tuple[NoteSigner, ...] = (),
                  threshold: int = 0, signers: list[Ed25519PrivateKey] | None = None
                  ) -> bytes:
    """A signed root envelope (every role held by ``root_keys``), with the transparency
    log fields (``log`` -> {origin_prefix, keys}, ``witnesses``, ``witness_threshold``)."""
    keys: dict[str, Any] = {}
    for private in root_keys:
        public = {"keytype": "ed25519", "scheme": "ed25519", "keyval": {
            "public": private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()}}
        keys[keyid_of(public)] = public
    role = {"keyids": list(keys), "threshold": len(keys)}
    payload: dict[str, Any] = {"_type": "root", "spec_version": 1, "version": version,
                               "expires": "2099-01-01T00:00:00Z", "keys": keys,
                               "roles": {"root": role, "manifest": role, "receipt": role}}
    if log is not None:
        payload["log"] = log
        payload["witnesses"] = [{"name": w.name, "vkey": w.verifier.vkey()}
                                for w in witnesses]
        payload["witness_threshold"] = threshold
    raw = json.dumps(payload).encode()
    to_sign = pae(PAYLOAD_ROOT, raw)
    signatures = []
    for private in signers if signers is not None else root_keys:
        public = {"keytype": "ed25519", "scheme": "ed25519", "keyval": {
            "public": private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()}}
        signatures.append({"keyid": keyid_of(public),
                           "sig": base64.b64encode(private.sign(to_sign)).decode()})
    return json.dumps({"payload": base64.b64encode(raw).decode(), "payloadType": PAYLOAD_ROOT,
                       "signatures": signatures}).encode()
