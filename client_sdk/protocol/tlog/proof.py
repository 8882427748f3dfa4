"""Transparency log proofs (C2SP ``tlog-proof``): an entry's offline-verifiable proof of
inclusion, in one text file (extension ``.tlog-proof``)::

    c2sp.org/tlog-proof@v1
    [extra <base64 of opaque, unauthenticated data>]
    index <zero-based index of the entry>
    <base64 hash>...            the inclusion proof, from the leaf's sibling up
    <empty line>
    <the signed checkpoint, verbatim, with its cosignatures>

The leaf hash comes from the application (Kelisim: a salted hash of the record); verifying
checks the checkpoint (origin, log key, witness threshold) and that the inclusion proof
binds the leaf to its root. The ``extra`` data is not authenticated: nothing in this module
trusts it.

API::

    HEADER;  MAX_PROOF_BYTES
    TlogProof(index, hashes, checkpoint, extra=None);  .to_bytes() -> bytes
    parse_tlog_proof(raw) -> TlogProof
    verify_tlog_proof(raw, leaf_hash, *, origin, log_key, witnesses=(), threshold=0,
                      url=None) -> VerifiedCheckpoint
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from client_sdk.errors import FormatError
from client_sdk.protocol.tlog.checkpoint import VerifiedCheckpoint, verify_checkpoint
from client_sdk.protocol.tlog.merkle import (
    HASH_SIZE,
    MAX_PROOF_HASHES,
    MAX_TREE_SIZE,
    verify_inclusion,
)
from client_sdk.protocol.tlog.note import MAX_NOTE_BYTES, NoteVerifier, b64decode_strict

__all__ = ["HEADER", "MAX_EXTRA_BYTES", "MAX_PROOF_BYTES", "TlogProof", "parse_tlog_proof",
           "verify_tlog_proof"]

HEADER: Final = "c2sp.org/tlog-proof@v1"
MAX_EXTRA_BYTES: Final = 16 * 1024
MAX_PROOF_BYTES: Final = MAX_NOTE_BYTES + 32 * 1024


@dataclass(frozen=True, slots=True)
class TlogProof:
    index: int
    hashes: tuple[bytes, ...]
    checkpoint: bytes
    extra: bytes | None = None

    def to_bytes(self) -> bytes:
        lines = [HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode())
        lines.append(f"index {self.index}")
        lines += [base64.b64encode(h).decode() for h in self.hashes]
        return ("\n".join(lines) + "\n\n").encode() + self.checkpoint


def _decimal(text: str, field: str) -> int:
    if not (text.isascii() and text.isdigit()) or (len(text) > 1 and text[0] == "0") \
            or len(text) > 19 or int(text) > MAX_TREE_SIZE:
        raise FormatError(f"{text[:24]!r} is not a decimal index without leading zeros",
                          field=field)
    return int(text)


def parse_tlog_proof(raw: bytes) -> TlogProof:
    """The parts of a tlog-proof file, strictly; the checkpoint is checked by
    :func:`verify_tlog_proof`, not here. FormatError names the line."""
    if not isinstance(raw, bytes):
        raise FormatError("is not bytes", field="tlog-proof")
    if len(raw) > MAX_PROOF_BYTES:
        raise FormatError(f"is larger than {MAX_PROOF_BYTES} bytes", field="tlog-proof")
    head, sep, checkpoint = raw.partition(b"\n\n")
    if not sep:
        raise FormatError("has no empty line before the checkpoint", field="tlog-proof")
    try:
        lines = head.decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise FormatError("the lines before the checkpoint are not ASCII",
                          field="tlog-proof") from None
    if lines[0] != HEADER:
        raise FormatError(f"is not {HEADER!r}", field="tlog-proof line 1")
    n = 1
    extra = None
    if n < len(lines) and lines[n].startswith("extra "):
        extra = b64decode_strict(lines[n][len("extra "):], f"tlog-proof line {n + 1} (extra)")
        if len(extra) > MAX_EXTRA_BYTES:
            raise FormatError(f"is larger than {MAX_EXTRA_BYTES} bytes",
                              field=f"tlog-proof line {n + 1} (extra)")
        n += 1
    if n >= len(lines) or not lines[n].startswith("index "):
        raise FormatError("must be 'index <n>'", field=f"tlog-proof line {n + 1}")
    index = _decimal(lines[n][len("index "):], f"tlog-proof line {n + 1} (index)")
    hashes = []
    for i, line in enumerate(lines[n + 1:], start=n + 2):
        h = b64decode_strict(line, f"tlog-proof line {i}")
        if len(h) != HASH_SIZE:
            raise FormatError(f"is {len(h)} bytes, not a {HASH_SIZE}-byte hash",
                              field=f"tlog-proof line {i}")
        hashes.append(h)
    if len(hashes) > MAX_PROOF_HASHES:
        raise FormatError(f"has {len(hashes)} proof hashes, more than {MAX_PROOF_HASHES}",
                          field="tlog-proof")
    if not checkpoint:
        raise FormatError("has no checkpoint after the empty line", field="tlog-proof")
    return TlogProof(index, tuple(hashes), checkpoint, extra)


def verify_tlog_proof(raw: bytes, leaf_hash: bytes, *, origin: str, log_key: NoteVerifier,
                      witnesses: Sequence[NoteVerifier] = (), threshold: int = 0,
                      url: str | None = None) -> VerifiedCheckpoint:
    """Verifies that the entry whose leaf hash is ``leaf_hash`` is in the log, per the
    spec's steps: the checkpoint's origin and log signature, the witnesses' cosignatures
    (at least ``threshold``), then the inclusion proof against its root.

    Raises FormatError, SignatureError, ProofError (the entry is not in that tree)."""
    proof = parse_tlog_proof(raw)
    verified = verify_checkpoint(proof.checkpoint, origin=origin, log_key=log_key,
                                 witnesses=witnesses, threshold=threshold, url=url)
    cp = verified.checkpoint
    verify_inclusion(proof.index, cp.size, leaf_hash, proof.hashes, cp.root_hash)
    return verified
