"""``kelisim export-static``: the published (signed) files in the server's URL layout.

Clients trust signatures, not the host, so any static web server or CDN can serve these.
Files are written to a temporary folder beside OUT and swapped in with one rename, so a
web server never sees half an export.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.consent.tlog import public_files
from server.errors import ExportError
from server.files import write_atomic
from server.models import App, Document, PolicyVersion, RootVersion
from server.policy.bundle import ManifestSource
from server.policylog_models import PolicyLogEntry
from server.trust.manifests import latest_manifest
from server.trust.policylog import policy_public_files

if TYPE_CHECKING:
    from server.db import Database

__all__ = ["ExportError", "export_static"]


def _manifest_proof(s: Session, app_id: str, manifest: Path) -> bytes | None:
    if not manifest.exists():
        return None
    seq = json.loads(base64.b64decode(json.loads(manifest.read_bytes())["payload"]))["seq"]
    proof = s.scalar(select(PolicyLogEntry.proof).where(
        PolicyLogEntry.kind == "manifest", PolicyLogEntry.app_id == app_id,
        PolicyLogEntry.number == seq))
    return None if proof is None else bytes(proof)


def export_static(db: Database, signed_manifest: ManifestSource, out_dir: Path, *,
                  app_id: str | None = None) -> dict[str, int]:
    """Write ``v1/root.json``, ``v1/root/<n>.json``, ``v1/apps/<app>/manifest.json``,
    ``v1/apps/<app>/log/{checkpoint,tile/...}``, ``v1/apps/<app>/manifest.proof`` and
    ``v1/policy-log/{checkpoint,tile/...}`` (the policy log) and ``v1/documents/<sha256>`` under
    ``out_dir`` (replacing what it held); with ``app_id``,
    only that app's manifest and the documents of its published versions.

    Raises:
        ExportError: the folder cannot be used, or there is no app ``app_id``.
    """
    out_dir = out_dir.resolve()
    if out_dir.exists() and (not out_dir.is_dir() or set(os.listdir(out_dir)) - {"v1"}):
        # Replacing a folder that holds anything but an earlier export would delete it.
        raise ExportError(f"{out_dir} exists and holds more than an earlier export (v1/); "
                          f"choose an empty or new folder", out_dir)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    except OSError as exc:
        raise ExportError(f"{out_dir}: cannot write beside it ({exc.strerror})",
                          out_dir) from None
    counts = {"roots": 0, "manifests": 0, "documents": 0, "log_files": 0}
    try:
        with db.session() as s:
            roots = list(s.scalars(select(RootVersion).order_by(RootVersion.version)))
            for r in roots:
                write_atomic(stage / "v1" / "root" / f"{r.version}.json", r.envelope)
                counts["roots"] += 1
            if roots:
                write_atomic(stage / "v1" / "root.json", roots[-1].envelope)
            apps = list(s.scalars(select(App.id)))
            if app_id is not None and app_id not in apps:
                raise ExportError(f"no app {app_id!r}")
            for one in apps if app_id is None else [app_id]:
                # Through the cache, so a manifest that is due is re-signed before export.
                row = latest_manifest(s, one)
                body = signed_manifest(one) or (row.envelope if row else None)
                if body is not None:
                    write_atomic(stage / "v1" / "apps" / one / "manifest.json", body)
                    counts["manifests"] += 1
                # The consent log's public files (hashes only) at its newest checkpoint.
                for path, data in public_files(s, one):
                    write_atomic(stage / "v1" / "apps" / one / "log" / path, data)
                    counts["log_files"] += 1
            # The policy log's public files, and each exported manifest's proof in it.
            for path, data in policy_public_files(s):
                write_atomic(stage / "v1" / "policy-log" / path, data)
                counts["log_files"] += 1
            for one in apps if app_id is None else [app_id]:
                manifest = stage / "v1" / "apps" / one / "manifest.json"
                proof = _manifest_proof(s, one, manifest)
                if proof is not None:
                    write_atomic(manifest.with_name("manifest.proof"), proof)
            docs = select(Document.sha256, Document.content)
            if app_id is not None:
                bodies = s.scalars(select(PolicyVersion.body)
                                   .where(PolicyVersion.app_id == app_id))
                shas = {d["sha256"] for body in bodies for d in body["locales"].values()}
                docs = docs.where(Document.sha256.in_(shas))
            for sha, content in s.execute(docs):
                write_atomic(stage / "v1" / "documents" / sha, content)
                counts["documents"] += 1
        os.chmod(stage, 0o755)  # noqa: S103 - a public export, meant to be world-readable
        old = None
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}-old-{os.getpid()}")
            os.rename(out_dir, old)
        os.rename(stage, out_dir)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return counts
