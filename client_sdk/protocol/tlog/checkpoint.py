"""Checkpoints (C2SP ``tlog-checkpoint``): a log's signed tree head, as a signed note::

    <origin>                       the log's identity, e.g. kelisim.example/consents/jana
    <tree size>                    decimal, no leading zeros
    <root hash>                    base64 of the RFC 6962 root, 32 bytes
    [<extension line>...]          opaque, non-empty
    <empty line>
    — <log key name> <signature>   Ed25519 (type 0x01) by the log's key
    — <witness> <cosignature>      tlog-cosignature, type 0x04, timestamped

Verification takes the expected origin, the log's key and optionally witnesses' keys with a
threshold of cosignatures (k of n); every cosignature of a known witness must verify.

API::

    Checkpoint(origin, size, root_hash, extensions=());  .text() -> str
    parse_checkpoint(text) -> Checkpoint
    sign_checkpoint(checkpoint, log_signer) -> bytes
    add_cosignature(note, cosigner, timestamp) -> bytes
    VerifiedCheckpoint(checkpoint, note, cosigners)     cosigners: ((name, timestamp), ...)
    verify_checkpoint(note, *, origin, log_key, witnesses=(), threshold=0, url=None)
"""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from client_sdk.errors import FormatError, SignatureError, UsageError
from client_sdk.protocol.tlog.merkle import HASH_SIZE, MAX_TREE_SIZE
from client_sdk.protocol.tlog.note import (
    SIG_COSIGNATURE,
    SIG_ED25519,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    b64decode_strict,
    cosignature_message,
    open_note,
    parse_note,
    sign_note,
)

__all__ = [
    "MAX_EXTENSIONS",
    "Checkpoint",
    "VerifiedCheckpoint",
    "add_cosignature",
    "parse_checkpoint",
    "sign_checkpoint",
    "verify_checkpoint",
]

MAX_EXTENSIONS: Final = 16
_MAX_ORIGIN: Final = 256
_CONTROL = re.compile(r"[\x00-\x1f]")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or len(self.origin) > _MAX_ORIGIN or _CONTROL.search(self.origin):
            raise FormatError(f"must be 1 to {_MAX_ORIGIN} characters, no control character",
                              field="checkpoint origin")
        if isinstance(self.size, bool) or not 0 <= self.size <= MAX_TREE_SIZE:
            raise FormatError(f"must be from 0 to {MAX_TREE_SIZE}", field="checkpoint size")
        if len(self.root_hash) != HASH_SIZE:
            raise FormatError(f"must be {HASH_SIZE} bytes", field="checkpoint root hash")
        if len(self.extensions) > MAX_EXTENSIONS:
            raise FormatError(f"more than {MAX_EXTENSIONS}", field="checkpoint extensions")
        for i, line in enumerate(self.extensions):
            if not line or _CONTROL.search(line):
                raise FormatError("must be non-empty, with no control character",
                                  field=f"checkpoint line {4 + i}")

    def text(self) -> str:
        """The note text: origin, size, base64 root and extension lines, each ending in a
        newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode(),
                 *self.extensions]
        return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """A checkpoint's note text (without signatures), strictly: FormatError names the line."""
    if not isinstance(text, str):
        raise FormatError(f"is {type(text).__name__}, not text", field="checkpoint")
    if not text.endswith("\n"):
        raise FormatError("does not end with a newline", field="checkpoint")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise FormatError(f"has {len(lines)} lines, not at least 3 (origin, size, root)",
                          field="checkpoint")
    origin, size, root, *extensions = lines
    if not origin:
        raise FormatError("is empty", field="checkpoint line 1 (origin)")
    if not (size.isascii() and size.isdigit()) or (len(size) > 1 and size[0] == "0") \
            or len(size) > 19:
        raise FormatError(f"{size[:24]!r} is not a decimal without leading zeros",
                          field="checkpoint line 2 (size)")
    root_hash = b64decode_strict(root, "checkpoint line 3 (root hash)")
    if len(root_hash) != HASH_SIZE:
        raise FormatError(f"is {len(root_hash)} bytes, not {HASH_SIZE}",
                          field="checkpoint line 3 (root hash)")
    if int(size) > MAX_TREE_SIZE:
        raise FormatError(f"is larger than {MAX_TREE_SIZE}", field="checkpoint line 2 (size)")
    return Checkpoint(origin, int(size), root_hash, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, log_signer: NoteSigner) -> bytes:
    """The signed note of ``checkpoint``, signed by the log's Ed25519 key."""
    if log_signer.sig_type != SIG_ED25519:
        raise UsageError("a log signs its checkpoints with an Ed25519 (0x01) key")
    return sign_note(checkpoint.text(), [log_signer])


def add_cosignature(note: bytes, cosigner: NoteSigner, timestamp: int) -> bytes:
    """``note`` with one more signature line: ``cosigner``'s cosignature at ``timestamp``.
    The caller (a witness) has checked the checkpoint before."""
    if cosigner.sig_type != SIG_COSIGNATURE:
        raise UsageError("a cosigner signs with an Ed25519 cosignature (0x04) key")
    if not 0 <= timestamp <= 2**63 - 1:
        raise UsageError("a cosignature's timestamp is from 0 to 2**63 - 1")
    parsed = parse_note(note)
    signature = struct.pack(">Q", timestamp) + \
        cosigner.sign(cosignature_message(parsed.text, timestamp))
    line = NoteSignature(cosigner.name, cosigner.verifier.key_id, signature).line()
    return note + line.encode()


@dataclass(frozen=True, slots=True)
class VerifiedCheckpoint:
    """A checkpoint whose log signature (and witness threshold) verified; ``note`` is the
    signed note as received, ``cosigners`` the witnesses whose cosignature verified."""

    checkpoint: Checkpoint
    note: bytes
    cosigners: tuple[tuple[str, int], ...]


def verify_checkpoint(note: bytes, *, origin: str, log_key: NoteVerifier,
                      witnesses: Sequence[NoteVerifier] = (), threshold: int = 0,
                      url: str | None = None) -> VerifiedCheckpoint:
    """Verifies a signed checkpoint: its origin is ``origin``, ``log_key`` signed it, and at
    least ``threshold`` of ``witnesses`` cosigned it (every known cosignature must verify).

    Raises FormatError (malformed), SignatureError (role ``log`` or ``witness``)."""
    if log_key.sig_type != SIG_ED25519:
        raise UsageError("the log key is an Ed25519 (0x01) key")
    if any(w.sig_type != SIG_COSIGNATURE for w in witnesses):
        raise UsageError("witness keys are Ed25519 cosignature (0x04) keys")
    if not 0 <= threshold <= len(witnesses):
        raise UsageError(f"a threshold of {threshold} from {len(witnesses)} witnesses")
    opened = open_note(note, [log_key, *witnesses], role="log", url=url)
    checkpoint = parse_checkpoint(opened.text)
    if checkpoint.origin != origin:
        raise FormatError(f"is {checkpoint.origin!r}, not {origin!r}",
                          field="checkpoint line 1 (origin)")
    if not any(v == log_key for v, _ in opened.verified):
        raise SignatureError(f"not signed by the log key {log_key.name}+{log_key.key_id:08x}",
                             role="log", threshold=1, url=url)
    cosigners = tuple((v.name, struct.unpack(">Q", s.signature[:8])[0])
                      for v, s in opened.verified if v.sig_type == SIG_COSIGNATURE)
    if len(cosigners) < threshold:
        raise SignatureError(f"{len(cosigners)} witness cosignatures, {threshold} required",
                             role="witness", threshold=threshold,
                             valid_keyids=tuple(name for name, _ in cosigners), url=url)
    return VerifiedCheckpoint(checkpoint, note, cosigners)
