"""The transparency log's signing key: an Ed25519 note key (C2SP ``signed-note``).

It is a key file like the others (``log-<keyid>.pem``, 0600, in KEYS_DIR; the key id is
the DSSE one, of its public half) and the root lists it as a note verifier key
``<name>+<key id>+<base64(0x01 || public key)>`` in ``log.keys``. Its name is the origin
prefix, ``<deployment name>/consents``: the origin of app A's log is
``<deployment name>/consents/A``, one key signs every app's checkpoints, and a witness or
auditor that knows the deployment knows every app's origin. Loaded once per root version
and process, like the receipt keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy.orm import Session

from client_sdk.protocol.envelope import keyid_of
from client_sdk.protocol.tlog.note import SIG_ED25519, NoteSigner, NoteVerifier, parse_vkey
from server.errors import LogKeyUnavailable
from server.trust.keys import SigningKey, find_key, stage_key, staged_key
from server.trust.rootstore import LoadedRoot, current_root

__all__ = ["DEFAULT_DEPLOYMENT", "LogSigner", "log_keyid", "log_signer", "log_signer_of",
           "new_log_fields",
           "note_signer", "origin_prefix"]

DEFAULT_DEPLOYMENT = "localhost"


def origin_prefix(deployment: str) -> str:
    """What precedes ``/<app>`` in the origin of every app's consent log."""
    return f"{deployment.strip('/')}/consents"


def note_signer(key: SigningKey, name: str) -> NoteSigner:
    """``key`` as a signed-note signer named ``name``."""
    assert key.private is not None
    public = key.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return NoteSigner(name, SIG_ED25519, public, key.private.sign)


def new_log_fields(session: Session, keys_dir: Path, prefix: str) -> dict[str, Any]:
    """A new (staged) log key, and the root fields that list it: ``log``, ``witnesses``
    (none yet) and ``witness_threshold`` (0)."""
    key = stage_key(session, keys_dir, "log")
    vkey = note_signer(key, prefix).verifier.vkey()
    return {"log": {"origin_prefix": prefix, "keys": [vkey]},
            "witnesses": [], "witness_threshold": 0}


@dataclass(frozen=True)
class LogSigner:
    """What signs an app's checkpoints: the note signer and the origin prefix."""

    prefix: str
    signer: NoteSigner

    def origin(self, app_id: str) -> str:
        return f"{self.prefix}/{app_id}"


_CACHE: dict[tuple[Path, int], LogSigner | None] = {}


def log_keyid(vkey: str) -> str:
    """The key id (as in ``log-<keyid>.pem``) of a log key the root lists as a vkey."""
    return _keyid(parse_vkey(vkey))


def _keyid(verifier: NoteVerifier) -> str:
    return keyid_of({"keytype": "ed25519", "scheme": "ed25519",
                     "keyval": {"public": verifier.public.hex()}})


def log_signer(root: LoadedRoot, keys_dir: Path,
               session: Session | None = None) -> LogSigner | None:
    """The log signer of ``root``: None when the root lists no log (a root of before the
    log: nothing is sequenced).

    Raises:
        LogKeyUnavailable: the root lists a log key this server does not hold (503).
    """
    cached = _CACHE.get((keys_dir, root.version))
    if cached is not None or (keys_dir, root.version) in _CACHE:
        return cached
    spec = root.root.log
    if spec is None:
        _CACHE[(keys_dir, root.version)] = None
        return None
    for vkey in spec.keys:
        kid = _keyid(parse_vkey(vkey))
        key = (staged_key(session, kid) if session is not None else None) \
            or find_key(kid, [keys_dir])
        if key is not None:
            found = LogSigner(spec.origin_prefix, note_signer(key, spec.origin_prefix))
            if session is None or staged_key(session, kid) is None:
                _CACHE[(keys_dir, root.version)] = found
            return found
    raise LogKeyUnavailable()


def log_signer_of(session: Session, keys_dir: Path, version: int | None) -> LogSigner | None:
    """:func:`log_signer` of the newest root, whose version the caller read (``None``: no
    root, no log)."""
    if version is None:
        return None
    if (keys_dir, version) in _CACHE:
        return _CACHE[(keys_dir, version)]
    root = current_root(session)
    return None if root is None else log_signer(root, keys_dir)
