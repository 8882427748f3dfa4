"""Which signed version store label files are made from: a version of an app, the manifest
that signs it, and its labels (``kelisim labels``, the console's labels page).

Reads the caller's session; stores nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol.timeutil import format_time
from server.errors import LabelError, UnknownApp
from server.models import App, PolicyVersion
from server.policy.labelfiles import Source, build_files
from server.policy.storelabels import StoreLabels, labels_of
from server.trust.manifests import latest_manifest

__all__ = ["VersionLabels", "version_labels"]


@dataclass(frozen=True)
class VersionLabels:
    """A version (as the manifest carries it), its store labels and where they come from."""

    body: dict[str, Any]
    labels: StoreLabels
    source: Source

    def files(self, play_template: list[list[str]] | None = None, *,
              python_runtime: bool = False) -> dict[str, bytes]:
        """The store files (:func:`~server.policy.labelfiles.build_files`).

        Raises:
            LabelError: the policy does not map everything the files need.
        """
        return build_files(self.body, self.labels, self.source, play_template=play_template,
                           python_runtime=python_runtime)


def version_labels(session: Session, app_id: str, number: int | None,
                   now: datetime) -> VersionLabels:
    """Version ``number`` of ``app_id`` (None: the version in effect at ``now``).

    Raises:
        UnknownApp: no such app.
        LabelError: no such version, no signed manifest, or a version without store labels.
    """
    app = session.get(App, app_id)
    if app is None:
        raise UnknownApp(app_id, "`kelisim apps list` shows them")
    query = select(PolicyVersion).where(PolicyVersion.app_id == app_id)
    if number is None:
        query = query.where(PolicyVersion.effective <= format_time(now))
    else:
        query = query.where(PolicyVersion.number == number)
    row = session.scalars(query.order_by(PolicyVersion.number.desc()).limit(1)).first()
    if row is None:
        raise LabelError([f"{app_id}: no version {number}" if number is not None
                          else f"{app_id}: no version in effect yet"])
    signed = latest_manifest(session, app_id)
    if signed is None:
        raise LabelError([f"{app_id}: no signed manifest yet"])
    labels = labels_of(row.body)
    if labels is None:
        raise LabelError([f"{app_id} version {row.number} ({row.label}) maps nothing for the "
                          f"stores: add store = {{...}} to its data categories and purposes "
                          f"(docs/store-labels.md)"])
    source = Source(app=app_id, app_name=app.name, version=row.number, label=row.label,
                    manifest_seq=signed.seq,
                    manifest_sha256=hashlib.sha256(bytes(signed.envelope)).hexdigest())
    return VersionLabels(dict(row.body), labels, source)
