"""The root's optional transparency-log fields (docs/transparency.md): ``log`` ->
{``origin_prefix``, ``keys`` (note verifier keys)}, ``witnesses`` [{``name``, ``vkey``}] and
``witness_threshold`` (k of the witnesses must cosign a checkpoint; 0 by default); and
``log.require_policy_inclusion`` (optional, false by default): every manifest must come
with its inclusion proof in the deployment's policy log (client_sdk/protocol/policylog.py).

A root without them is a root of before the log. An SDK older than them refuses a root that
has them (the root's grammar refuses unknown fields: the root is what every other check
trusts), so the server lists them in a new deployment's first root, and in an existing
one's only when the operator adds the log (``kelisim root rotate --new log``), once the
apps in the field read them.

The root is parsed at every launch: this module checks the verifier keys' shape (C2SP
signed-note: ``name+<key id>+base64(type || key)``, the key id that of the rest) with the
standard library only, and keeps them as strings; :mod:`client_sdk.protocol.tlog` (not
imported on the launch path) turns them into verifiers when a proof is checked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Final

from client_sdk.errors import FormatError
from client_sdk.protocol.reader import Reader
from client_sdk.protocol.record import Record, record

__all__ = ["LOG_FIELDS", "SIG_COSIGNATURE", "SIG_ED25519", "LogSpec", "Witness",
           "log_fields", "vkey_parts"]

LOG_FIELDS: Final = ("log", "witnesses", "witness_threshold")
SIG_ED25519: Final = 0x01
SIG_COSIGNATURE: Final = 0x04
_NAME = re.compile(r"[^\s+\x00-\x1f]+")
_HEX8 = re.compile(r"[0-9a-f]{8}")


@record
class LogSpec(Record):
    """The root's ``log``: the origins' common prefix and the log's note verifier keys."""

    origin_prefix: str
    keys: tuple[str, ...]
    # The SDK refuses a manifest without a valid inclusion proof in the policy log
    # (client_sdk/protocol/policylog.py) when True.
    require_policy_inclusion: bool = False


@record
class Witness(Record):
    """A witness the root names: its name and cosignature verifier key."""

    name: str
    vkey: str


def vkey_parts(text: object, field: str) -> tuple[str, int, bytes]:
    """(name, signature type, public key) of a verifier key, or FormatError naming
    ``field``: an Ed25519 (0x01) or cosignature (0x04) key of 32 bytes, its key id the
    first four bytes of SHA-256(name || 0x0A || type || key)."""
    if not isinstance(text, str) or len(text) > 1024:
        raise FormatError("must be a verifier key string", field=field)
    parts = text.split("+", 2)
    if len(parts) != 3 or not _NAME.fullmatch(parts[0]) or not _HEX8.fullmatch(parts[1]):
        raise FormatError("must be name+<8 hex digits>+<base64 key>", field=field)
    name, hexid, material = parts
    try:
        raw = base64.b64decode(material.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise FormatError("has a key that is not base64", field=field) from None
    if base64.b64encode(raw).decode("ascii") != material or len(raw) != 33 \
            or raw[0] not in (SIG_ED25519, SIG_COSIGNATURE):
        raise FormatError("must hold a 32-byte Ed25519 (0x01) or cosignature (0x04) key",
                          field=field)
    digest = hashlib.sha256(name.encode() + b"\n" + raw).digest()
    if digest[:4].hex() != hexid:
        raise FormatError(f"key id {hexid} is not the one of this key", field=field)
    return name, raw[0], raw[1:]


def log_fields(r: Reader) -> tuple[LogSpec | None, tuple[Witness, ...], int]:
    """The optional log fields of the root ``r`` reads."""
    log = None
    if "log" in r.data:
        lr = Reader(r.mapping("log"), "log")
        lr.only("origin_prefix", "keys", "require_policy_inclusion")
        prefix = lr.string("origin_prefix")
        if not _NAME.fullmatch(prefix) or prefix.endswith("/") or len(prefix) > 128:
            raise FormatError("must be a note key name (no space, no '+'), at most 128 "
                              "characters, not ending in '/'", field="log.origin_prefix")
        keys = []
        for i, item in enumerate(lr.array("keys")):
            if vkey_parts(item, f"log.keys[{i}]")[1] != SIG_ED25519:
                raise FormatError("must be an Ed25519 (0x01) note key", field=f"log.keys[{i}]")
            assert isinstance(item, str)
            keys.append(item)
        if not keys:
            raise FormatError("must list at least one key", field="log.keys")
        required = lr.data.get("require_policy_inclusion", False)
        if not isinstance(required, bool):
            raise FormatError("must be true or false", field="log.require_policy_inclusion")
        log = LogSpec(prefix, tuple(keys), required)
    witnesses: list[Witness] = []
    if "witnesses" in r.data:
        for i, item in enumerate(r.array("witnesses")):
            wr = Reader(item, f"witnesses[{i}]")
            wr.only("name", "vkey")
            name, sig_type, _ = vkey_parts(wr.string("vkey"), f"witnesses[{i}].vkey")
            if sig_type != SIG_COSIGNATURE or name != wr.string("name"):
                raise FormatError("must be a cosignature (0x04) key named like the witness",
                                  field=f"witnesses[{i}].vkey")
            witnesses.append(Witness(name, wr.string("vkey")))
    if len({w.name for w in witnesses}) != len(witnesses):
        raise FormatError("names a witness twice", field="witnesses")
    threshold = r.optional_integer("witness_threshold") or 0
    if threshold > len(witnesses):
        raise FormatError("is larger than the number of witnesses", field="witness_threshold")
    return log, tuple(witnesses), threshold
