"""Building and signing manifests; the only code that writes ``signed_manifests``.

:func:`resign` is the service behind ``kelisim resign`` (and the console): it re-signs the
manifests that are due, writing the admin log in the caller's transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from client_sdk.protocol.envelope import PAYLOAD_MANIFEST
from client_sdk.protocol.jsonutil import canonical_bytes
from client_sdk.protocol.model import Manifest
from client_sdk.protocol.timeutil import format_time, parse_time
from server import adminlog
from server.errors import SigningError, UnknownApp
from server.models import App, Generation, PolicyVersion, SignedManifest
from server.policy.storelabels import has_store_fields
from server.trust.keys import SigningKey, role_signers, sign_envelope
from server.trust.policylog import append_manifest
from server.trust.rootstore import LoadedRoot, current_root

__all__ = ["Resigned", "SigningError", "Timing", "bump_generation", "etag_for",
           "has_version_in_effect", "latest_manifest", "manifest_keys", "resign",
           "sign_manifest"]

@dataclass(frozen=True)
class Timing:
    ttl: timedelta
    resign_before: timedelta


def etag_for(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def bump_generation(session: Session) -> None:
    session.execute(update(Generation).where(Generation.id == 1)
                    .values(value=Generation.value + 1))


def manifest_keys(root: LoadedRoot, keys_dir: Path,
                  session: Session | None = None) -> list[SigningKey]:
    """The private manifest keys that the current root names, at least its threshold
    (keys staged in ``session``'s transaction count).

    Raises:
        SigningError: fewer key files than the threshold.
        KeyFileError: a key file that cannot be used.
    """
    role = root.root.roles["manifest"]
    found = role_signers(root.root, "manifest", keys_dir, session)
    if len(found) < role.threshold:
        raise SigningError(
            f"root v{root.version} needs {role.threshold} manifest key(s); found {len(found)} "
            f"in {keys_dir} (looked for {', '.join(role.keyids)})")
    return found


def _history_entry(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": body["version"],
        "label": body["label"],
        "significance": body["significance"],
        "effective": body["effective"],
        "summary": {tag: doc["summary"] for tag, doc in body["locales"].items() if doc["summary"]},
    }


def build_payload(app: App, versions: list[PolicyVersion], seq: int, now: datetime,
                  timing: Timing) -> tuple[dict[str, Any], datetime]:
    """The manifest payload at ``now``, and when it must be replaced.

    Raises:
        SigningError: the app has no version in effect at ``now``.
    """
    stamp = format_time(now)
    in_effect = [v for v in versions if v.effective <= stamp]
    future = [v for v in versions if v.effective > stamp]
    if not in_effect:
        raise SigningError(f"app {app.id} has no version in effect at {stamp}", app.id)
    current = in_effect[-1]
    upcoming = future[0] if future else None
    expires = now + timing.ttl
    refresh_at = expires - timing.resign_before
    if upcoming is not None:
        refresh_at = min(refresh_at, parse_time(upcoming.effective))
    payload = {
        "_type": "manifest",
        # 2 only when a version carries store labels: without them the manifest is the
        # spec 1 every SDK reads (docs/manifest-spec.md).
        "spec_version": 2 if any(v is not None and has_store_fields(v.body)
                                 for v in (current, upcoming)) else 1,
        "app": app.id,
        "seq": seq,
        "issued": stamp,
        "expires": format_time(expires),
        # The controller the version in effect was published with.
        "controller": (current.app_meta or {}).get("controller") or app.controller,
        "current": current.body,
        "upcoming": upcoming.body if upcoming is not None else None,
        "history": [_history_entry(v.body) for v in in_effect[:-1]],
    }
    return payload, refresh_at


def has_version_in_effect(session: Session, app_id: str, now: datetime) -> bool:
    """Whether ``app_id`` has a version whose effective time has come (so a manifest can
    be signed for it)."""
    return session.scalar(select(PolicyVersion.id).where(
        PolicyVersion.app_id == app_id, PolicyVersion.effective <= format_time(now))
        .limit(1)) is not None


def latest_manifest(session: Session, app_id: str) -> SignedManifest | None:
    return session.scalars(
        select(SignedManifest).where(SignedManifest.app_id == app_id)
        .order_by(SignedManifest.seq.desc()).limit(1)
    ).first()


def sign_manifest(session: Session, app_id: str, keys_dir: Path, now: datetime,
                  timing: Timing, *, expect_seq: int | None = None) -> SignedManifest | None:
    """Sign the app's manifest as of ``now`` with seq + 1 and store it.

    With ``expect_seq``, sign only if the newest seq is still that one (a worker that
    re-signs on its own uses this so that concurrent workers do not both re-sign); returns
    None when another worker won.

    Raises:
        SigningError: no root, no key files, or no version in effect.
    """
    # The publish generation's row lock first, before anything is read or inserted: a root
    # rotation takes it (append_root) before it inserts this app's next seq, so a signing
    # that inserted (app, seq + 1) first and then waited for the lock in append_manifest
    # deadlocked with it on PostgreSQL. Taken here, signings queue behind the rotation and
    # then read its root and seq. (value = value: the lock without a new generation.)
    session.execute(update(Generation).where(Generation.id == 1)
                    .values(value=Generation.value))
    root = current_root(session)
    if root is None:
        raise SigningError("no root yet; run `kelisim keys init`")
    app = session.get(App, app_id)
    if app is None:
        raise SigningError(f"unknown app {app_id!r}", app_id)
    versions = list(session.scalars(
        select(PolicyVersion).where(PolicyVersion.app_id == app_id)
        .order_by(PolicyVersion.number)))
    last_seq = session.scalar(
        select(func.max(SignedManifest.seq)).where(SignedManifest.app_id == app_id)) or 0
    if expect_seq is not None and last_seq != expect_seq:
        return None
    keys = manifest_keys(root, keys_dir, session)
    payload, refresh_at = build_payload(app, versions, last_seq + 1, now, timing)
    Manifest.from_payload(payload)  # our own output must pass the client's rules
    body = canonical_bytes(payload)
    envelope = sign_envelope(body, PAYLOAD_MANIFEST, keys)
    row = SignedManifest(app_id=app_id, seq=last_seq + 1, envelope=envelope,
                         etag=etag_for(envelope), issued=payload["issued"],
                         expires=payload["expires"], refresh_at=format_time(refresh_at))
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # Another worker signed this seq first; theirs is served.
        return None
    # In the policy log, in this transaction: no manifest is served outside it.
    append_manifest(session, keys_dir, root, app_id, row.seq, envelope, now)
    bump_generation(session)
    return row


@dataclass(frozen=True)
class Resigned:
    """One app's outcome of :func:`resign`: ``status`` is ``signed`` (``seq``, ``expires``
    of the new manifest), ``fresh`` (``seq`` and ``refresh_at`` of the current one, not due)
    or ``unpublished``."""

    app_id: str
    status: str
    seq: int | None = None
    expires: str | None = None
    refresh_at: str | None = None


def resign(session: Session, app_ids: list[str] | None, keys_dir: Path, now: datetime,
           timing: Timing, *, actor: str, force: bool = False) -> list[Resigned]:
    """Re-sign the manifests of ``app_ids`` (every app when None) that are due: close to
    expiry or with an upcoming version whose time has come; every one with ``force``.

    Raises:
        UnknownApp: an id in ``app_ids`` is not registered (nothing is re-signed).
        SigningError: a manifest cannot be signed.
    """
    ids = app_ids if app_ids else list(session.scalars(select(App.id).order_by(App.id)))
    for app_id in ids:
        if session.get(App, app_id) is None:
            raise UnknownApp(app_id)
    stamp = format_time(now)
    out: list[Resigned] = []
    for app_id in ids:
        row = latest_manifest(session, app_id)
        if row is None:
            out.append(Resigned(app_id, "unpublished"))
            continue
        if not force and row.refresh_at > stamp:
            out.append(Resigned(app_id, "fresh", row.seq, row.expires, row.refresh_at))
            continue
        new = sign_manifest(session, app_id, keys_dir, now, timing, expect_seq=row.seq)
        if new is None:  # another worker re-signed it in between: theirs stands
            new = latest_manifest(session, app_id)
            assert new is not None
        out.append(Resigned(app_id, "signed", new.seq, new.expires, new.refresh_at))
    for r in out:
        if r.status == "signed":
            adminlog.record(session, actor, "manifest.resign", r.app_id,
                            {"seq": r.seq, "expires": r.expires, "force": force}, now)
    return out
