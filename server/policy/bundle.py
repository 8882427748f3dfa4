"""The one-file app bundle (``kelisim bundle APP OUT``): what an app ships for an offline
first launch.

It holds the root in force (pinned by the app), the app's signed manifest and the
documents of its current and upcoming versions, in the format
:mod:`client_sdk.protocol.bundle` reads (the format is described there). Written to a temporary
file, fsynced and renamed, so OUT is never half written.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol.bundle import BUNDLE_FORMAT
from client_sdk.protocol.grammar import is_app_id
from client_sdk.protocol.jsonutil import loads_strict
from server.errors import ExportError
from server.files import write_atomic
from server.models import App, Document, RootVersion
from server.policylog_models import PolicyLogEntry
from server.trust.manifests import latest_manifest

if TYPE_CHECKING:
    from server.db import Database

# The app's signed manifest as served now (re-signed first if it is due), or None.
ManifestSource = Callable[[str], bytes | None]

__all__ = ["BundleWriteError", "ManifestSource", "build_bundle", "write_bundle"]


class BundleWriteError(ExportError):
    """The bundle cannot be made (unknown app, nothing published yet)."""


def _shas(manifest: bytes) -> list[str]:
    envelope = json.loads(manifest)
    payload: dict[str, Any] = loads_strict(base64.b64decode(envelope["payload"]))
    versions = [payload["current"], payload.get("upcoming")]
    return sorted({doc["sha256"] for v in versions if v for doc in v["locales"].values()})


def _requires_proof(root_envelope: bytes) -> bool:
    payload = json.loads(base64.b64decode(json.loads(root_envelope)["payload"]))
    return bool((payload.get("log") or {}).get("require_policy_inclusion"))


def _proof(s: Session, app_id: str, manifest: bytes) -> bytes:
    seq = json.loads(base64.b64decode(json.loads(manifest)["payload"]))["seq"]
    proof = s.scalar(select(PolicyLogEntry.proof).where(
        PolicyLogEntry.kind == "manifest", PolicyLogEntry.app_id == app_id,
        PolicyLogEntry.number == seq))
    if proof is None:
        raise BundleWriteError(f"app {app_id!r}'s manifest seq {seq} has no proof in the "
                               f"policy log yet (the root requires one): re-sign it with "
                               f"`kelisim resign --force {app_id}`")
    return bytes(proof)


def build_bundle(db: Database, signed_manifest: ManifestSource, app_id: str) -> bytes:
    """The bundle's bytes for ``app_id``.

    Raises:
        BundleWriteError: no such app, no root, or no signed manifest yet.
    """
    if not is_app_id(app_id):  # the SDK's grammar: a bundle it would refuse is never made
        raise BundleWriteError(f"{app_id!r} is not an app id")
    with db.session(readonly=True) as s:
        if s.get(App, app_id) is None:
            raise BundleWriteError(f"no app {app_id!r}; `kelisim apps list` shows them")
        root = s.scalars(select(RootVersion).order_by(RootVersion.version.desc())
                         .limit(1)).first()
        if root is None:
            raise BundleWriteError("no root yet; run `kelisim keys init`")
        row = latest_manifest(s, app_id)
        manifest = signed_manifest(app_id) or (row.envelope if row else None)
        if manifest is None:
            raise BundleWriteError(f"app {app_id!r} has no published version yet")
        shas = _shas(manifest)
        proof = _proof(s, app_id, manifest) if _requires_proof(root.envelope) else None
        docs = {sha: content for sha, content in s.execute(
            select(Document.sha256, Document.content).where(Document.sha256.in_(shas)))}
        root_bytes = root.envelope
    missing = [sha for sha in shas if sha not in docs]
    if missing:
        raise BundleWriteError(f"documents missing from the database: {missing}")
    body = {"format": BUNDLE_FORMAT, "format_version": 1, "app": app_id,
            "root": bytes(root_bytes).decode("utf-8"), "manifest": manifest.decode("utf-8"),
            "documents": {sha: bytes(docs[sha]).decode("utf-8") for sha in shas},
            # Only for a root that requires it: older SDKs refuse a bundle with it.
            **({"manifest_proof": proof.decode("utf-8")} if proof is not None else {})}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


def write_bundle(db: Database, signed_manifest: ManifestSource, app_id: str, out: Path) -> int:
    """Write the bundle to ``out`` atomically; returns the number of documents."""
    data = build_bundle(db, signed_manifest, app_id)
    write_atomic(out.resolve(), data, 0o644)  # shipped inside an app: nothing secret
    return len(json.loads(data)["documents"])
