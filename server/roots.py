"""The deployment's root of trust: creating root v1 and rotating to N+1."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.envelope import PAYLOAD_ROOT, parse_envelope, verify_threshold
from client_sdk.jsonutil import canonical_bytes
from client_sdk.model import Root
from client_sdk.timeutil import format_time

from .keys import SigningKey, find_key, generate_key, sign_envelope
from .models import RootVersion

__all__ = ["RootError", "current_root", "init_root", "rotate_root"]


class RootError(Exception):
    """A root operation that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class LoadedRoot:
    version: int
    envelope: bytes
    root: Root
    payload: dict[str, Any]


def current_root(session: Session) -> LoadedRoot | None:
    row = session.scalars(select(RootVersion).order_by(RootVersion.version.desc()).limit(1)).first()
    if row is None:
        return None
    env = parse_envelope(row.envelope, PAYLOAD_ROOT)
    payload = env.payload_json()
    return LoadedRoot(row.version, row.envelope, Root.from_payload(payload), payload)


# A role's keys by their public halves: [(keyid, {"keytype", "scheme", "keyval"})].
_RoleKeys = list[tuple[str, dict[str, Any]]]


def _public(keys: Sequence[SigningKey]) -> _RoleKeys:
    return [(k.keyid, k.public_dict) for k in keys]


def _payload(version: int, expires: datetime,
             roles: dict[str, tuple[_RoleKeys, int]]) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    role_map: dict[str, Any] = {}
    for name, (role_keys, threshold) in roles.items():
        keys.update(role_keys)
        role_map[name] = {"keyids": [kid for kid, _ in role_keys], "threshold": threshold}
    return {
        "_type": "root",
        "spec_version": 1,
        "version": version,
        "expires": format_time(expires),
        "keys": keys,
        "roles": role_map,
    }


def _store(session: Session, version: int, envelope: bytes, payload: dict[str, Any],
           now: datetime) -> LoadedRoot:
    # Check our own output with the client's rules before anyone can download it.
    Root.from_payload(payload)
    session.add(RootVersion(version=version, envelope=envelope, expires=payload["expires"],
                            created_at=format_time(now)))
    session.flush()
    return LoadedRoot(version, envelope, Root.from_payload(payload), payload)


def init_root(session: Session, keys_dir: Path, now: datetime, ttl: timedelta,
              root_keys: int = 1, root_threshold: int = 1) -> LoadedRoot:
    """Generate root, manifest and receipt keys and sign root version 1.

    Raises:
        RootError: a root exists already, or the threshold is impossible.
    """
    if current_root(session) is not None:
        raise RootError("a root exists already; use `kelisim root rotate` to change keys")
    if not 1 <= root_threshold <= root_keys:
        raise RootError(f"--root-threshold must be between 1 and --root-keys ({root_keys})")
    roots = [generate_key(keys_dir, "root") for _ in range(root_keys)]
    manifest = generate_key(keys_dir, "manifest")
    receipt = generate_key(keys_dir, "receipt")
    payload = _payload(1, now + ttl, {"root": (_public(roots), root_threshold),
                                      "manifest": (_public([manifest]), 1),
                                      "receipt": (_public([receipt]), 1)})
    body = canonical_bytes(payload)
    return _store(session, 1, sign_envelope(body, PAYLOAD_ROOT, roots), payload, now)


def rotate_root(
    session: Session,
    keys_dir: Path,
    now: datetime,
    ttl: timedelta,
    *,
    new_roles: Sequence[str] = (),
    root_key_files: Sequence[Path] = (),
    root_threshold: int | None = None,
) -> LoadedRoot:
    """Sign root N+1 with fresh keys for ``new_roles`` (root, manifest, receipt).

    N+1 is signed by a threshold of root N's keys and a threshold of its own, so a client
    that trusts N can walk to N+1. With no new roles it only extends ``expires``.

    Raises:
        RootError: no root yet, an unknown role, or not enough of root N's private keys.
    """
    old = current_root(session)
    if old is None:
        raise RootError("no root yet; run `kelisim keys init` first")
    for wanted in new_roles:
        if wanted not in ("root", "manifest", "receipt"):
            raise RootError(f"unknown role {wanted!r}; choose root, manifest or receipt")
    search = [*root_key_files, keys_dir]
    old_root_role = old.root.roles["root"]
    old_signers = [k for k in (find_key(kid, search) for kid in old_root_role.keyids) if k]
    if len(old_signers) < old_root_role.threshold:
        raise RootError(
            f"root v{old.version} needs {old_root_role.threshold} of its root keys to sign; "
            f"found {len(old_signers)} in {', '.join(map(str, search))} (pass --root-key FILE)"
        )
    roles: dict[str, tuple[_RoleKeys, int]] = {}
    new_signers = old_signers
    for name in ("root", "manifest", "receipt"):
        old_role = old.root.roles[name]
        threshold = old_role.threshold
        if name in new_roles:
            fresh = [generate_key(keys_dir, name) for _ in old_role.keyids]
            keys = _public(fresh)
            if name == "root":
                new_signers = fresh
        else:
            keys = [(kid, old.payload["keys"][kid]) for kid in old_role.keyids]
        if name == "root" and root_threshold is not None:
            if not 1 <= root_threshold <= len(keys):
                raise RootError(f"--root-threshold must be between 1 and {len(keys)}")
            threshold = root_threshold
        roles[name] = (keys, threshold)
    new_version = old.version + 1
    payload = _payload(new_version, now + ttl, roles)
    body = canonical_bytes(payload)
    signers = {k.keyid: k for k in [*old_signers, *new_signers]}
    envelope = sign_envelope(body, PAYLOAD_ROOT, signers.values())
    # Prove, with the client's own rule, that a client holding root N accepts N+1.
    env = parse_envelope(envelope, PAYLOAD_ROOT)
    verify_threshold(env, old.root.keys, old_root_role.keyids, old_root_role.threshold,
                     role="root (old)")
    new_root = Root.from_payload(payload)
    verify_threshold(env, new_root.keys, new_root.roles["root"].keyids,
                     new_root.roles["root"].threshold, role="root (new)")
    return _store(session, new_version, envelope, payload, now)
