"""Signed notes (C2SP ``signed-note``): text, a blank line, then signature lines::

    <text, ending in a newline>
    <empty line>
    — <key name> <base64(4-byte key ID || signature)>
    ...

A key is known by its name and its key ID, ``SHA-256(name || 0x0A || type || public
key)[:4]``, and published as a verifier key ``<name>+<hex key ID>+<base64(type || public
key)>``. Two types are understood: ``0x01`` Ed25519 over the note text (a log's signature)
and ``0x04`` the timestamped Ed25519 cosignature of ``tlog-cosignature`` (a witness's),
whose signed message is ``cosignature/v1\\ntime <t>\\n`` followed by the note text.

Opening a note: every signature line whose name and key ID match a known key must verify
(else :class:`~client_sdk.errors.SignatureError`); lines of unknown keys are kept aside,
unchecked; a note with no verified signature is refused. Malformed bytes (not UTF-8, a
control character, no signature block, a bad name or base64, more than
:data:`MAX_SIGNATURES` lines or :data:`MAX_NOTE_BYTES` bytes) are a
:class:`~client_sdk.errors.FormatError` naming the line.

API::

    SIG_ED25519 (0x01), SIG_COSIGNATURE (0x04)
    key_id(name, sig_type, public) -> int
    NoteVerifier(name, sig_type, public);  .key_id;  .vkey() -> str
    parse_vkey(text) -> NoteVerifier
    NoteSignature(name, key_id, signature);  .line() -> str
    Note(text, signatures);  parse_note(raw) -> Note
    OpenedNote(text, verified, unverified);  open_note(raw, verifiers) -> OpenedNote
    NoteSigner(name, sig_type, public, sign)      sign: Callable[[bytes], bytes]
    sign_note(text, signers, *, timestamp=None) -> bytes
    cosignature_message(text, timestamp) -> bytes
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from client_sdk.errors import FormatError, SignatureError, UsageError
from client_sdk.protocol.ed25519 import VerifyKey

__all__ = [
    "MAX_NOTE_BYTES",
    "MAX_SIGNATURES",
    "SIG_COSIGNATURE",
    "SIG_ED25519",
    "Note",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "OpenedNote",
    "b64decode_strict",
    "cosignature_message",
    "is_key_name",
    "key_id",
    "open_note",
    "parse_note",
    "parse_vkey",
    "sign_note",
]

SIG_ED25519: Final = 0x01
SIG_COSIGNATURE: Final = 0x04
_KNOWN_TYPES: Final = {SIG_ED25519: "Ed25519", SIG_COSIGNATURE: "Ed25519 cosignature"}
#: The spec asks verifiers to accept at least 16; Go's note package stops at 100.
MAX_SIGNATURES: Final = 100
#: 100 lines of the longest signature the spec names (ML-DSA-44, 2,432 bytes) fit.
MAX_NOTE_BYTES: Final = 384 * 1024
_DASH: Final = "\u2014 "
# The spec forbids the ASCII controls below U+0020 but the newline (DEL is allowed, as in
# Go's note package).
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_SPACE = re.compile(r"\s")
_MAX_TIMESTAMP: Final = 2**63 - 1


def b64decode_strict(text: str, field: str) -> bytes:
    """Standard base64 (RFC 4648 §4) in its one canonical spelling, else FormatError."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise FormatError(f"{text[:40]!r} is not base64", field=field) from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise FormatError(f"{text[:40]!r} is not canonical base64", field=field)
    return raw


def is_key_name(name: str) -> bool:
    """A key name: non-empty, with no Unicode space, no ``+`` and no control character."""
    return bool(name) and not _SPACE.search(name) and "+" not in name \
        and not _CONTROL.search(name)


def key_id(name: str, sig_type: int, public: bytes) -> int:
    """The recommended key ID: the first four bytes of SHA-256(name || 0x0A || type || key),
    big-endian."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public).digest()
    return int.from_bytes(digest[:4], "big")


def cosignature_message(text: str, timestamp: int) -> bytes:
    """What a ``tlog-cosignature`` Ed25519 cosigner signs for note ``text`` at ``timestamp``."""
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


@dataclass(frozen=True, slots=True)
class NoteVerifier:
    """A public key that may sign notes: Ed25519 (``SIG_ED25519``) or an Ed25519 cosigner
    (``SIG_COSIGNATURE``)."""

    name: str
    sig_type: int
    public: bytes

    def __post_init__(self) -> None:
        if not is_key_name(self.name):
            raise FormatError(f"{self.name!r} is empty or holds a space or a +",
                              field="key name")
        if self.sig_type not in _KNOWN_TYPES:
            raise FormatError(f"signature type {self.sig_type:#04x} is not supported",
                              field="key type")
        if len(self.public) != 32:
            raise FormatError("an Ed25519 public key is 32 bytes", field="public key")

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.sig_type, self.public)

    def vkey(self) -> str:
        """The verifier key string ``name+hexid+base64(type || key)``."""
        material = base64.b64encode(bytes([self.sig_type]) + self.public).decode()
        return f"{self.name}+{self.key_id:08x}+{material}"

    def verify(self, text: str, signature: bytes) -> bool:
        """Whether ``signature`` (without the key ID) is this key's over note ``text``."""
        key = VerifyKey(self.name, self.public)
        if self.sig_type == SIG_ED25519:
            return len(signature) == 64 and key.verify(signature, text.encode())
        if len(signature) != 8 + 64:
            return False
        (timestamp,) = struct.unpack(">Q", signature[:8])
        if timestamp > _MAX_TIMESTAMP:
            return False
        return key.verify(signature[8:], cosignature_message(text, timestamp))


def parse_vkey(text: str) -> NoteVerifier:
    """A verifier key ``<name>+<8 hex digits>+<base64(type || key)>``; its key ID must be
    the one computed from the rest."""
    if not isinstance(text, str) or len(text) > 1024:
        raise FormatError("is not a verifier key string", field="verifier key")
    parts = text.split("+", 2)  # the base64 key may hold + itself
    if len(parts) != 3:
        raise FormatError(f"{text!r} is not name+keyid+key", field="verifier key")
    name, hexid, material = parts
    if not re.fullmatch(r"[0-9a-f]{8}", hexid):
        raise FormatError(f"{hexid!r} is not 8 lower-case hex digits", field="verifier key")
    raw = b64decode_strict(material, "verifier key")
    if not raw:
        raise FormatError("has no key material", field="verifier key")
    verifier = NoteVerifier(name, raw[0], raw[1:])
    if verifier.key_id != int(hexid, 16):
        raise FormatError(f"key ID {hexid} is not the one of this key "
                          f"({verifier.key_id:08x})", field="verifier key")
    return verifier


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: ``key_id`` as an integer, ``signature`` without the key ID."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        blob = self.key_id.to_bytes(4, "big") + self.signature
        return f"{_DASH}{self.name} {base64.b64encode(blob).decode()}\n"


@dataclass(frozen=True, slots=True)
class Note:
    text: str
    signatures: tuple[NoteSignature, ...]


def parse_note(raw: bytes) -> Note:
    """The text and signature lines of a signed note; checks the form only."""
    if not isinstance(raw, bytes):
        raise FormatError("is not bytes", field="note")
    if len(raw) > MAX_NOTE_BYTES:
        raise FormatError(f"is larger than {MAX_NOTE_BYTES} bytes", field="note")
    try:
        whole = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FormatError(f"is not UTF-8 (byte {e.start})", field="note") from None
    control = _CONTROL.search(whole)
    if control:
        at = whole.count("\n", 0, control.start()) + 1
        raise FormatError(f"line {at} holds control character "
                          f"{ord(control.group()):#04x}", field="note")
    split = whole.rfind("\n\n")
    if split < 0:
        raise FormatError("has no blank line before its signatures", field="note")
    text, block = whole[:split + 1], whole[split + 2:]
    if not block.endswith("\n"):
        raise FormatError("does not end with a newline", field="note")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise FormatError(f"has more than {MAX_SIGNATURES} signatures", field="note")
    first = text.count("\n") + 2
    signatures = []
    for n, line in enumerate(lines, start=first):
        field = f"note line {n}"
        if not line.startswith(_DASH):
            raise FormatError("is not a signature line (— name signature)", field=field)
        name, sep, b64 = line[len(_DASH):].partition(" ")
        if not sep or not is_key_name(name):
            raise FormatError(f"{name!r} is not a key name", field=field)
        blob = b64decode_strict(b64, field)
        if len(blob) < 5:
            raise FormatError("the signature is shorter than a key ID and one byte",
                              field=field)
        signatures.append(NoteSignature(name, int.from_bytes(blob[:4], "big"), blob[4:]))
    return Note(text, tuple(signatures))


@dataclass(frozen=True, slots=True)
class OpenedNote:
    """A note with at least one verified signature; ``verified`` pairs each with its key."""

    text: str
    verified: tuple[tuple[NoteVerifier, NoteSignature], ...]
    unverified: tuple[NoteSignature, ...]


def open_note(raw: bytes, verifiers: Iterable[NoteVerifier], *, role: str = "log",
              url: str | None = None) -> OpenedNote:
    """Parses ``raw`` and verifies the signatures of the keys in ``verifiers``.

    Raises FormatError for a malformed note, SignatureError when a known key's signature
    fails or when no signature verifies, UsageError for two verifiers of one name and ID."""
    known: dict[tuple[str, int], NoteVerifier] = {}
    for v in verifiers:
        if (v.name, v.key_id) in known and known[(v.name, v.key_id)] != v:
            raise UsageError(f"two verifiers for {v.name}+{v.key_id:08x}")
        known[(v.name, v.key_id)] = v
    note = parse_note(raw)
    verified: list[tuple[NoteVerifier, NoteSignature]] = []
    unverified: list[NoteSignature] = []
    seen: set[tuple[str, int]] = set()
    for sig in note.signatures:
        key = known.get((sig.name, sig.key_id))
        if key is None:
            unverified.append(sig)
            continue
        if not key.verify(note.text, sig.signature):
            raise SignatureError(f"the signature of {sig.name}+{sig.key_id:08x} does not "
                                 "verify", role=role, threshold=1, url=url)
        if (sig.name, sig.key_id) not in seen:
            seen.add((sig.name, sig.key_id))
            verified.append((key, sig))
    if not verified:
        raise SignatureError("no signature by a known key", role=role, threshold=1, url=url)
    return OpenedNote(note.text, tuple(verified), tuple(unverified))


@dataclass(frozen=True, slots=True)
class NoteSigner:
    """A private key: ``sign(message) -> 64-byte Ed25519 signature``."""

    name: str
    sig_type: int
    public: bytes
    sign: Callable[[bytes], bytes]

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, self.sig_type, self.public)


def sign_note(text: str, signers: Sequence[NoteSigner], *, timestamp: int | None = None) -> bytes:
    """``text`` signed by each signer: a complete signed note. Cosigners (``SIG_COSIGNATURE``)
    need ``timestamp`` (POSIX seconds)."""
    if not text.endswith("\n") or _CONTROL.search(text):
        raise UsageError("a note text ends in a newline and has no control character")
    if not signers:
        raise UsageError("a note needs at least one signer")
    lines = []
    for s in signers:
        v = s.verifier
        if s.sig_type == SIG_ED25519:
            sig = s.sign(text.encode())
        else:
            if timestamp is None or not 0 <= timestamp <= _MAX_TIMESTAMP:
                raise UsageError("a cosignature needs a timestamp from 0 to 2**63 - 1")
            sig = struct.pack(">Q", timestamp) + s.sign(cosignature_message(text, timestamp))
        lines.append(NoteSignature(v.name, v.key_id, sig).line())
    return (text + "\n" + "".join(lines)).encode()
