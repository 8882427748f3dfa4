"""The deployment's root of trust: creating root v1 and rotating to N+1.

:func:`init_root` and :func:`rotate` are services: they take a session, ``now`` and the
``actor``, stage new key files (moved into KEYS_DIR only when the transaction commits) and
write the admin log in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol import FormatError
from client_sdk.protocol.envelope import PAYLOAD_ROOT, parse_envelope, verify_threshold
from client_sdk.protocol.jsonutil import canonical_bytes
from client_sdk.protocol.model import Root
from client_sdk.protocol.rootlog import LOG_FIELDS
from client_sdk.protocol.timeutil import format_time
from server import adminlog
from server.errors import RootError
from server.models import App, RootVersion
from server.trust.keys import SigningKey, find_key, sign_envelope, stage_key
from server.trust.log_keys import DEFAULT_DEPLOYMENT, new_log_fields, origin_prefix
from server.trust.manifests import Timing, has_version_in_effect, sign_manifest
from server.trust.policylog import append_root
from server.trust.rootstore import LoadedRoot, current_root

__all__ = ["NEW_KEYS", "LoadedRoot", "Rotation", "WitnessChange", "current_root", "init_root",
           "rotate", "rotate_root"]

ROLES = ("root", "manifest", "receipt")
# What ``--new`` may replace: the roles, and the transparency log's key (root field ``log``).
NEW_KEYS = (*ROLES, "log")

# A role's keys by their public halves: [(keyid, {"keytype", "scheme", "keyval"})].
_RoleKeys = list[tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class WitnessChange:
    """Changes to the root's witnesses: verifier keys to add (``name+hexid+base64``, a
    cosignature key; the witness's name is the key's), names to remove, and a new
    ``witness_threshold`` (k of the witnesses must cosign; None: kept)."""

    add: Sequence[str] = ()
    remove: Sequence[str] = ()
    threshold: int | None = None


def _witnessed(log: dict[str, Any] | None, change: WitnessChange) -> dict[str, Any]:
    """The root's log fields ``log`` after ``change``.

    Raises:
        RootError: no log in the root, a witness added twice or removed that is not there,
            a threshold larger than the witnesses.
    """
    if log is None or "log" not in log:
        raise RootError("the root lists no log; add one with `--new log` first")
    witnesses = [dict(w) for w in log.get("witnesses", [])]
    for name in change.remove:
        if not any(w["name"] == name for w in witnesses):
            raise RootError(f"the root lists no witness named {name!r}")
        witnesses = [w for w in witnesses if w["name"] != name]
    for vkey in change.add:
        name = vkey.split("+", 1)[0]
        if any(w["name"] == name for w in witnesses):
            raise RootError(f"the root lists a witness named {name!r} already")
        witnesses.append({"name": name, "vkey": vkey})
    threshold = log.get("witness_threshold", 0) if change.threshold is None \
        else change.threshold
    if not 0 <= threshold <= len(witnesses):
        raise RootError(f"--witness-threshold must be between 0 and the number of "
                        f"witnesses ({len(witnesses)})")
    return {**log, "witnesses": witnesses, "witness_threshold": threshold}


def _policy_inclusion(log: dict[str, Any] | None, required: bool) -> dict[str, Any]:
    """The root's log fields with ``log.require_policy_inclusion`` set (left out when
    False: a root without it reads the same in SDKs that predate it).

    Raises:
        RootError: no log in the root.
    """
    if log is None or "log" not in log:
        raise RootError("the root lists no log; add one with `--new log` first")
    spec = {k: v for k, v in log["log"].items() if k != "require_policy_inclusion"}
    return {**log, "log": {**spec, **({"require_policy_inclusion": True} if required
                                      else {})}}


def _public(keys: Sequence[SigningKey]) -> _RoleKeys:
    return [(k.keyid, k.public_dict) for k in keys]


def _payload(version: int, expires: datetime,
             roles: dict[str, tuple[_RoleKeys, int]],
             log: dict[str, Any] | None = None) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    role_map: dict[str, Any] = {}
    for name, (role_keys, threshold) in roles.items():
        keys.update(role_keys)
        role_map[name] = {"keyids": [kid for kid, _ in role_keys], "threshold": threshold}
    payload = {
        "_type": "root",
        "spec_version": 1,
        "version": version,
        "expires": format_time(expires),
        "keys": keys,
        "roles": role_map,
    }
    if log is not None:  # {"log": ..., "witnesses": ..., "witness_threshold": ...}
        payload.update(log)
    return payload


def _store(session: Session, keys_dir: Path, version: int, envelope: bytes,
           payload: dict[str, Any], now: datetime) -> LoadedRoot:
    # Check our own output with the client's rules before anyone can download it.
    Root.from_payload(payload)
    session.add(RootVersion(version=version, envelope=envelope, expires=payload["expires"],
                            created_at=format_time(now)))
    session.flush()
    loaded = LoadedRoot(version, envelope, Root.from_payload(payload), payload)
    append_root(session, keys_dir, loaded, now)  # in the policy log, same transaction
    return loaded


def _roles_summary(root: LoadedRoot) -> dict[str, Any]:
    return {name: {"keyids": list(role.keyids), "threshold": role.threshold}
            for name, role in root.root.roles.items()}


def init_root(session: Session, keys_dir: Path, now: datetime, ttl: timedelta,
              root_keys: int = 1, root_threshold: int = 1, *,
              actor: str, deployment: str = DEFAULT_DEPLOYMENT) -> LoadedRoot:
    """Generate root, manifest, receipt and log keys and sign root version 1 (its ``log``
    names the log key and the origins ``<deployment>/consents/<app>``).

    Raises:
        RootError: a root exists already, or the threshold is impossible.
    """
    if current_root(session) is not None:
        raise RootError("a root exists already; use `kelisim root rotate` to change keys")
    if root_keys < 1:
        raise RootError(f"--root-keys must be at least 1 (got {root_keys})")
    if not 1 <= root_threshold <= root_keys:
        raise RootError(f"--root-threshold must be between 1 and --root-keys ({root_keys})")
    roots = [stage_key(session, keys_dir, "root") for _ in range(root_keys)]
    manifest = stage_key(session, keys_dir, "manifest")
    receipt = stage_key(session, keys_dir, "receipt")
    log = new_log_fields(session, keys_dir, origin_prefix(deployment))
    payload = _payload(1, now + ttl, {"root": (_public(roots), root_threshold),
                                      "manifest": (_public([manifest]), 1),
                                      "receipt": (_public([receipt]), 1)}, log)
    body = canonical_bytes(payload)
    loaded = _store(session, keys_dir, 1, sign_envelope(body, PAYLOAD_ROOT, roots), payload, now)
    adminlog.record(session, actor, "root.init", "root",
                    {"version": 1, "roles": _roles_summary(loaded)}, now)
    return loaded


def rotate_root(
    session: Session,
    keys_dir: Path,
    now: datetime,
    ttl: timedelta,
    *,
    new_roles: Sequence[str] = (),
    root_key_files: Sequence[Path] = (),
    root_threshold: int | None = None,
    deployment: str = DEFAULT_DEPLOYMENT,
    witnesses: WitnessChange | None = None,
    policy_inclusion: bool | None = None,
) -> LoadedRoot:
    """Sign root N+1 with fresh (staged) keys for ``new_roles`` (root, manifest, receipt,
    log: a new log key, the origin prefix of root N or else of ``deployment``; the log's
    fields of root N are kept otherwise, and a root without them stays without).
    ``policy_inclusion``: set (or clear) ``log.require_policy_inclusion`` (None: kept).

    N+1 is signed by a threshold of root N's keys and a threshold of its own, so a client
    that trusts N can walk to N+1. With no new roles it only extends ``expires``. Manifests
    are not re-signed here: :func:`rotate` does both.

    Raises:
        RootError: no root yet, an unknown role, or not enough of root N's private keys.
        KeyFileError: a root key file that cannot be used.
    """
    old = current_root(session)
    if old is None:
        raise RootError("no root yet; run `kelisim keys init` first")
    for wanted in new_roles:
        if wanted not in NEW_KEYS:
            raise RootError(f"unknown role {wanted!r}; choose root, manifest, receipt or log")
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
    for name in ROLES:
        old_role = old.root.roles[name]
        threshold = old_role.threshold
        count = len(old_role.keyids)
        if name == "root" and root_threshold is not None:
            if not 1 <= root_threshold <= count:
                raise RootError(f"--root-threshold must be between 1 and {count}")
            threshold = root_threshold
        if name in new_roles:
            fresh = [stage_key(session, keys_dir, name) for _ in range(count)]
            keys = _public(fresh)
            if name == "root":
                new_signers = fresh
        else:
            keys = [(kid, old.payload["keys"][kid]) for kid in old_role.keyids]
        roles[name] = (keys, threshold)
    new_version = old.version + 1
    log: dict[str, Any] | None = {
        k: old.payload[k] for k in LOG_FIELDS if k in old.payload} or None
    if "log" in new_roles:
        prefix = old.root.log.origin_prefix if old.root.log else origin_prefix(deployment)
        log = {**(log or {}), **new_log_fields(session, keys_dir, prefix)}
    if witnesses is not None:
        log = _witnessed(log, witnesses)
    if policy_inclusion is not None:
        log = _policy_inclusion(log, policy_inclusion)
    payload = _payload(new_version, now + ttl, roles, log)
    try:
        Root.from_payload(payload)
    except FormatError as exc:  # e.g. a witness key that is not a cosignature key
        raise RootError(f"the new root would not be valid: {exc}") from None
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
    return _store(session, keys_dir, new_version, envelope, payload, now)


@dataclass(frozen=True)
class Rotation:
    """What :func:`rotate` did: the new root, the apps whose manifest it re-signed (with
    their new seq), and the apps it skipped because they have no version in effect."""

    root: LoadedRoot
    resigned: dict[str, int]
    skipped: list[str]


def rotate(
    session: Session,
    keys_dir: Path,
    now: datetime,
    ttl: timedelta,
    timing: Timing,
    *,
    actor: str,
    new_roles: Sequence[str] = (),
    root_key_files: Sequence[Path] = (),
    root_threshold: int | None = None,
    deployment: str = DEFAULT_DEPLOYMENT,
    witnesses: WitnessChange | None = None,
    policy_inclusion: bool | None = None,
) -> Rotation:
    """Sign root N+1 (see :func:`rotate_root`) and re-sign, under it, the manifest of every
    app that has a version in effect; all in the caller's transaction, with the new key
    files moved into KEYS_DIR only when it commits.

    Raises:
        RootError: no root yet, an unknown role, a bad threshold, or too few root keys.
        KeyFileError: a key file that cannot be used.
        SigningError: the new manifest key cannot sign.
    """
    new = rotate_root(session, keys_dir, now, ttl, new_roles=new_roles,
                      root_key_files=root_key_files, root_threshold=root_threshold,
                      deployment=deployment, witnesses=witnesses,
                      policy_inclusion=policy_inclusion)
    resigned: dict[str, int] = {}
    skipped: list[str] = []
    for app in session.scalars(select(App).order_by(App.id)):
        if not has_version_in_effect(session, app.id, now):
            skipped.append(app.id)
            continue
        row = sign_manifest(session, app.id, keys_dir, now, timing)
        if row is not None:
            resigned[app.id] = row.seq
    adminlog.record(session, actor, "root.rotate", "root", {
        "version": new.version, "new_roles": sorted(set(new_roles)),
        "roles": _roles_summary(new), "resigned": resigned, "skipped": skipped,
        "witnesses": [w.name for w in new.root.witnesses],
        "witness_threshold": new.root.witness_threshold,
        "require_policy_inclusion": bool(new.root.log and
                                         new.root.log.require_policy_inclusion)}, now)
    return Rotation(new, resigned, skipped)
