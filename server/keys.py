"""Ed25519 key files and signing into DSSE envelopes.

Private keys are PEM (PKCS#8) files named ``<role>-<keyid>.pem`` with mode 0600 in
KEYS_DIR. Root keys may be moved offline after ``keys init``: commands that need them take
``--root-key FILE``.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from securesystemslib.signer import CryptoSigner, SSlibKey

from client_sdk.envelope import keyid_of, pae

from .config import write_private_file

__all__ = ["KeyError_", "SigningKey", "find_key", "generate_key", "load_key", "sign_envelope"]


class KeyError_(Exception):
    """A key file that is missing, unreadable, too widely readable or not Ed25519."""


@dataclass(frozen=True)
class SigningKey:
    keyid: str
    public_hex: str
    signer: CryptoSigner
    path: Path | None = None

    @property
    def public_dict(self) -> dict[str, object]:
        return {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": self.public_hex}}


def _from_private(private: Ed25519PrivateKey, path: Path | None) -> SigningKey:
    public_hex = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    public = {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": public_hex}}
    keyid = keyid_of(public)
    sslib = SSlibKey(keyid, "ed25519", "ed25519", {"public": public_hex})
    return SigningKey(keyid, public_hex, CryptoSigner(private, sslib), path)


def generate_key(keys_dir: Path, role: str) -> SigningKey:
    """Create a new Ed25519 key and write it to ``<keys_dir>/<role>-<keyid>.pem`` (0600)."""
    private = Ed25519PrivateKey.generate()
    key = _from_private(private, None)
    path = keys_dir / f"{role}-{key.keyid}.pem"
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    write_private_file(path, pem)
    return SigningKey(key.keyid, key.public_hex, key.signer, path)


def load_key(path: Path) -> SigningKey:
    """Load a private key file, refusing one that others can read.

    Raises:
        KeyError_: missing, group/world readable, not PEM or not Ed25519.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise KeyError_(f"{path}: key file not found") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyError_(f"{path}: permissions {oct(mode & 0o777)} are too open; "
                        f"run `chmod 600 {path}`")
    try:
        private = load_pem_private_key(path.read_bytes(), None)
    except (ValueError, TypeError) as exc:
        raise KeyError_(f"{path}: not a PEM private key ({exc})") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyError_(f"{path}: not an Ed25519 key")
    return _from_private(private, path)


def find_key(keyid: str, search: Iterable[Path]) -> SigningKey | None:
    """Find the private key for ``keyid`` among files and directories in ``search``."""
    for place in search:
        if place.is_dir():
            for path in sorted(place.glob(f"*-{keyid}.pem")):
                return load_key(path)
        elif place.is_file():
            key = load_key(place)
            if key.keyid == keyid:
                return key
    return None


def sign_envelope(payload: bytes, payload_type: str, keys: Iterable[SigningKey]) -> bytes:
    """A DSSE envelope over ``payload`` signed by every key, serialised as JSON bytes."""
    to_sign = pae(payload_type, payload)
    signatures = []
    for key in keys:
        sig = key.signer.sign(to_sign)
        signatures.append(
            {"keyid": key.keyid, "sig": base64.b64encode(bytes.fromhex(sig.signature)).decode()}
        )
    envelope = {
        "payload": base64.b64encode(payload).decode(),
        "payloadType": payload_type,
        "signatures": signatures,
    }
    return json.dumps(envelope, separators=(",", ":")).encode()
