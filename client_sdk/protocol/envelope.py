"""DSSE envelopes: strict parsing and threshold verification over the exact payload bytes.

Trust rule code: it takes bytes and keys, does no I/O, and never re-serialises the payload
before verifying it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

from client_sdk.errors import FormatError, SignatureError
from client_sdk.protocol.digest import sha256_hex
from client_sdk.protocol.ed25519 import VerifyKey
from client_sdk.protocol.jsonutil import canonical_bytes, loads_strict
from client_sdk.protocol.record import Record, record

__all__ = [
    "PAYLOAD_MANIFEST",
    "PAYLOAD_RECEIPT",
    "PAYLOAD_ROOT",
    "PAYLOAD_SUBJECT_STATE",
    "ParsedEnvelope",
    "key_from_dict",
    "keyid_of",
    "pae",
    "parse_envelope",
    "verify_threshold",
]

PAYLOAD_ROOT = "application/vnd.kelisim.root+json"
PAYLOAD_MANIFEST = "application/vnd.kelisim.manifest+json"
PAYLOAD_RECEIPT = "application/vnd.kelisim.receipt+json"
PAYLOAD_SUBJECT_STATE = "application/vnd.kelisim.subject-state+json"

_MAX_SIGNATURES = 32


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: ``DSSEv1 <len> <type> <len> <payload>``."""
    ptype = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(ptype), ptype, len(payload), payload)


@record
class ParsedEnvelope(Record):
    """An envelope whose structure is valid; its signatures are not yet checked."""

    payload: bytes
    payload_type: str
    signatures: tuple[tuple[str, bytes], ...]  # (keyid, raw signature bytes)

    def pae(self) -> bytes:
        """DSSE pre-authentication encoding of the payload: what the keys sign."""
        return pae(self.payload_type, self.payload)

    def payload_json(self, *, url: str | None = None) -> Any:
        """The payload parsed with the strict JSON rules."""
        return loads_strict(self.payload, what=f"{self.payload_type} payload", url=url)


def _b64(value: Any, field: str, url: str | None) -> bytes:
    if not isinstance(value, str):
        raise FormatError("must be a base64 string", field=field, url=url)
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise FormatError("is not valid base64", field=field, url=url) from None
    # Only the canonical encoding: otherwise unused padding bits let several strings
    # decode to the same bytes, and an envelope could change without its meaning changing.
    if base64.b64encode(raw).decode("ascii") != value:
        raise FormatError("is not canonical base64", field=field, url=url)
    return raw


def parse_envelope(data: bytes, expected_type: str, *, url: str | None = None) -> ParsedEnvelope:
    """Parse envelope bytes strictly and check the payload type.

    Raises:
        FormatError: not a DSSE envelope, an unknown field, or another payload type.
    """
    doc = loads_strict(data, what="envelope", url=url)
    if not isinstance(doc, dict):
        raise FormatError("envelope must be a JSON object", url=url)
    unknown = set(doc) - {"payload", "payloadType", "signatures"}
    if unknown:
        raise FormatError(f"unknown envelope field(s) {sorted(unknown)}", url=url)
    ptype = doc.get("payloadType")
    if ptype != expected_type:
        raise FormatError(
            f"expected payloadType {expected_type!r}, got {ptype!r}", field="payloadType", url=url
        )
    payload = _b64(doc.get("payload"), "payload", url)
    sigs = doc.get("signatures")
    if not isinstance(sigs, list) or not sigs:
        raise FormatError("must be a non-empty list", field="signatures", url=url)
    if len(sigs) > _MAX_SIGNATURES:
        raise FormatError(f"more than {_MAX_SIGNATURES} signatures", field="signatures", url=url)
    parsed: list[tuple[str, bytes]] = []
    for i, sig in enumerate(sigs):
        where = f"signatures[{i}]"
        if not isinstance(sig, dict) or set(sig) != {"keyid", "sig"}:
            raise FormatError("must be an object with exactly keyid and sig", field=where, url=url)
        keyid = sig["keyid"]
        if not isinstance(keyid, str) or not keyid:
            raise FormatError("must be a non-empty string", field=f"{where}.keyid", url=url)
        parsed.append((keyid, _b64(sig["sig"], f"{where}.sig", url)))
    return ParsedEnvelope(payload=payload, payload_type=ptype, signatures=tuple(parsed))


def keyid_of(public: Mapping[str, Any]) -> str:
    """Key id: sha256 of the canonical JSON of the key's type, scheme and public value."""
    return sha256_hex(canonical_bytes(dict(public)))


def key_from_dict(keyid: str, data: object, *, field: str = "key",
                  verify_keyid: bool = True) -> VerifyKey:
    """Build a verification key from its root entry, checking that the id matches the key.

    Raises:
        FormatError: not an Ed25519 key, or ``keyid`` is not the hash of the key.
    """
    if not isinstance(data, Mapping):
        raise FormatError("must be an object", field=field)
    if data.get("keytype") != "ed25519" or data.get("scheme") != "ed25519":
        raise FormatError("only ed25519 keys are accepted", field=field)
    keyval = data.get("keyval")
    if (
        not isinstance(keyval, Mapping)
        or set(keyval) != {"public"}
        or not isinstance(keyval["public"], str)
        or len(keyval["public"]) != 64
    ):
        raise FormatError("keyval.public must be 64 hex digits", field=field)
    try:
        bytes.fromhex(keyval["public"])
    except ValueError:
        raise FormatError("keyval.public must be 64 hex digits", field=field) from None
    if set(data) != {"keytype", "scheme", "keyval"}:
        raise FormatError("unknown key field(s)", field=field)
    if verify_keyid and keyid_of(data) != keyid:
        raise FormatError(f"key id {keyid} does not match the key", field=field)
    return VerifyKey(keyid, bytes.fromhex(keyval["public"]))


def verify_threshold(
    env: ParsedEnvelope,
    keys: Mapping[str, VerifyKey],
    authorized: Sequence[str],
    threshold: int,
    *,
    role: str,
    url: str | None = None,
) -> tuple[str, ...]:
    """Check that ``threshold`` distinct authorised keys signed the envelope.

    Returns the key ids whose signatures verified.

    Raises:
        SignatureError: fewer than ``threshold`` valid signatures by authorised keys.
    """
    if threshold < 1:
        raise SignatureError(
            f"{role} threshold must be at least 1", role=role, threshold=threshold, url=url
        )
    pae = env.pae()
    valid: list[str] = []
    allowed = set(authorized)
    for keyid, raw in env.signatures:
        if keyid not in allowed or keyid in valid or keyid not in keys:
            continue
        if keys[keyid].verify(raw, pae):
            valid.append(keyid)
    if len(valid) < threshold:
        signed_by = ", ".join(k for k, _ in env.signatures) or "nobody"
        raise SignatureError(
            f"{role}: {len(valid)} valid signature(s) of {threshold} needed "
            f"(signed by: {signed_by}; trusted: {', '.join(sorted(allowed))})",
            role=role,
            threshold=threshold,
            valid_keyids=tuple(valid),
            url=url,
        )
    return tuple(valid)
