"""Ed25519 key files and signing into DSSE envelopes.

Private keys are PEM (PKCS#8) files named ``<role>-<keyid>.pem`` with mode 0600 in
KEYS_DIR. Root keys may be moved offline after ``keys init``: commands that need them take
``--root-key FILE``.

New keys are *staged*: :func:`stage_key` writes ``.<role>-<keyid>.pem.staged`` (0600) and
ties it to a database session; the file is renamed into place only when that session's
transaction commits and removed when it rolls back. A failed ``keys init`` or ``root
rotate`` therefore leaves KEYS_DIR as it was.
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
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from client_sdk.protocol.envelope import keyid_of, pae
from client_sdk.protocol.model import Root
from server.errors import KeyFileError
from server.files import fsync_dir, write_private_file

__all__ = ["SigningKey", "find_key", "load_key", "role_signers",
           "sign_envelope", "stage_key", "staged_key"]


@dataclass(frozen=True)
class SigningKey:
    keyid: str
    public_hex: str
    signer: CryptoSigner
    path: Path | None = None
    # The same key for signing without securesystemslib's wrapper (its Signature object and
    # hex round trip cost a tenth of a one-record ingest request); Ed25519 is deterministic,
    # so both give the same bytes.
    private: Ed25519PrivateKey | None = None

    @property
    def public_dict(self) -> dict[str, object]:
        return {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": self.public_hex}}


def _from_private(private: Ed25519PrivateKey, path: Path | None) -> SigningKey:
    public_hex = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    public = {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": public_hex}}
    keyid = keyid_of(public)
    sslib = SSlibKey(keyid, "ed25519", "ed25519", {"public": public_hex})
    return SigningKey(keyid, public_hex, CryptoSigner(private, sslib), path, private)


_STAGED = "kelisim.staged_keys"
_HOOKED = "kelisim.staging_hooked"


@dataclass(frozen=True)
class _Staged:
    key: SigningKey
    staged: Path
    final: Path


def stage_key(session: Session, keys_dir: Path, role: str) -> SigningKey:
    """Create a key whose file reaches ``<keys_dir>/<role>-<keyid>.pem`` only if the
    session's transaction commits (removed if it rolls back). Until then
    :func:`staged_key` finds it by key id."""
    private = Ed25519PrivateKey.generate()
    key = _from_private(private, None)
    final = keys_dir / f"{role}-{key.keyid}.pem"
    staged = keys_dir / f".{role}-{key.keyid}.pem.staged"
    try:
        write_private_file(staged, private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8,
                                                         NoEncryption()))
    except OSError as exc:
        raise KeyFileError(f"{keys_dir}: cannot write a key file ({exc.strerror}); check "
                           f"KELISIM_KEYS_DIR", keys_dir) from None
    if not session.info.get(_HOOKED):
        # Listeners stay for the session's life (removing one while SQLAlchemy iterates
        # its listeners is not allowed); with nothing staged they do nothing.
        event.listen(session, "after_commit", _promote)
        event.listen(session, "after_transaction_end", _discard)
        session.info[_HOOKED] = True
    pending: dict[str, _Staged] = session.info.setdefault(_STAGED, {})
    signing = SigningKey(key.keyid, key.public_hex, key.signer, final, key.private)
    pending[key.keyid] = _Staged(signing, staged, final)
    return signing


def staged_key(session: Session, keyid: str) -> SigningKey | None:
    """A key staged in this session's transaction, not yet in KEYS_DIR."""
    pending: dict[str, _Staged] = session.info.get(_STAGED) or {}
    item = pending.get(keyid)
    return item.key if item is not None else None


def _promote(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released; the outer transaction may still roll back
    pending: dict[str, _Staged] = session.info.pop(_STAGED, None) or {}
    for item in pending.values():
        os.replace(item.staged, item.final)
    for folder in {item.final.parent for item in pending.values()}:
        fsync_dir(folder)


def _discard(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint ended; the outer transaction decides
    pending: dict[str, _Staged] = session.info.pop(_STAGED, None) or {}
    for item in pending.values():
        item.staged.unlink(missing_ok=True)



def load_key(path: Path) -> SigningKey:
    """Load a private key file, refusing one that others can read.

    Raises:
        KeyFileError: missing, group/world readable, not PEM or not Ed25519.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise KeyFileError(f"{path}: key file not found", path) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path}: permissions {oct(mode & 0o777)} are too open; "
                           f"run `chmod 600 {path}`", path)
    try:
        private = load_pem_private_key(path.read_bytes(), None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path}: not a PEM private key ({exc})", path) from None
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 key", path)
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


def role_signers(root: Root, role: str, keys_dir: Path,
                 session: Session | None = None) -> list[SigningKey]:
    """The private keys of ``role`` that ``root`` names and this server holds, in the
    root's order, at most its threshold (keys staged in ``session`` count). Fewer than the
    threshold means the role cannot sign here; the caller says what that means.

    Raises:
        KeyFileError: a key file that exists but cannot be used.
    """
    spec = root.roles[role]
    found: list[SigningKey] = []
    for keyid in spec.keyids:
        key = (staged_key(session, keyid) if session is not None else None) \
            or find_key(keyid, [keys_dir])
        if key is not None:
            found.append(key)
        if len(found) == spec.threshold:
            break
    return found


def sign_envelope(payload: bytes, payload_type: str, keys: Iterable[SigningKey]) -> bytes:
    """A DSSE envelope over ``payload`` signed by every key, serialised as JSON bytes."""
    to_sign = pae(payload_type, payload)
    signatures = []
    for key in keys:
        raw = (key.private.sign(to_sign) if key.private is not None
               else bytes.fromhex(key.signer.sign(to_sign).signature))
        signatures.append({"keyid": key.keyid, "sig": base64.b64encode(raw).decode()})
    envelope = {
        "payload": base64.b64encode(payload).decode(),
        "payloadType": payload_type,
        "signatures": signatures,
    }
    return json.dumps(envelope, separators=(",", ":")).encode()
