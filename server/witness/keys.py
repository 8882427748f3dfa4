"""A witness's own key: an Ed25519 cosigning key (``tlog-cosignature``, type ``0x04``),
kept in ``<dir>/witness.key`` (mode 0600) as a signed-note private key line
``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x04 || 32-byte seed)>``, and its verifier key
(``<name>+<hex key ID>+<base64(0x04 || public key)>``) in ``<dir>/witness.vkey``.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from client_sdk.protocol.tlog.note import SIG_COSIGNATURE, NoteSigner, is_key_name, key_id
from server.witness.errors import WitnessSetupError

__all__ = ["KEY_FILE", "VKEY_FILE", "create_key", "load_signer", "signer_from_seed"]

KEY_FILE: Final = "witness.key"
VKEY_FILE: Final = "witness.vkey"
_PREFIX: Final = "PRIVATE+KEY+"


def signer_from_seed(name: str, seed: bytes) -> NoteSigner:
    """The cosigner for ``name`` from a 32-byte Ed25519 seed."""
    private = Ed25519PrivateKey.from_private_bytes(seed)
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return NoteSigner(name, SIG_COSIGNATURE, public, private.sign)


def create_key(directory: Path, name: str) -> NoteSigner:
    """Make a new key in ``directory`` (created 0700 if missing); refuses to overwrite one."""
    if not is_key_name(name):
        raise WitnessSetupError(f"witness name {name!r}: no spaces, no '+', not empty",
                                field="name")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / KEY_FILE
    seed = os.urandom(32)
    signer = signer_from_seed(name, seed)
    kid = key_id(name, SIG_COSIGNATURE, signer.public)
    line = f"{_PREFIX}{name}+{kid:08x}+" \
        f"{base64.b64encode(bytes([SIG_COSIGNATURE]) + seed).decode()}\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise WitnessSetupError(f"{path} exists: this folder already has a witness key",
                                path=str(path)) from None
    with os.fdopen(fd, "w") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())
    (directory / VKEY_FILE).write_text(signer.verifier.vkey() + "\n")
    return signer


def load_signer(directory: Path) -> NoteSigner:
    """The witness's cosigner from ``<directory>/witness.key``; refuses a key file others
    can read."""
    path = directory / KEY_FILE
    try:
        if path.stat().st_mode & 0o077:
            raise WitnessSetupError(f"{path} can be read by others: chmod 600 it",
                                    path=str(path))
        text = path.read_text().strip()
    except FileNotFoundError:
        raise WitnessSetupError(f"no witness key at {path}: run `kelisim witness init`",
                                path=str(path)) from None
    parts = text[len(_PREFIX):].split("+", 2) if text.startswith(_PREFIX) else []
    try:
        name, kid, encoded = parts
        raw = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error):
        raise WitnessSetupError(f"{path} is not a witness key file", path=str(path)) from None
    if len(raw) != 33 or raw[0] != SIG_COSIGNATURE or not is_key_name(name):
        raise WitnessSetupError(f"{path} is not an Ed25519 cosignature key", path=str(path))
    signer = signer_from_seed(name, raw[1:])
    if f"{signer.verifier.key_id:08x}" != kid:
        raise WitnessSetupError(f"{path}: the key ID does not match the key", path=str(path))
    return signer
