"""Reading the stored roots: the newest is the one in force.

Kept apart from :mod:`server.trust.roots` (which creates and rotates roots and re-signs
manifests) so that manifest signing can read the root without importing rotation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol.envelope import PAYLOAD_ROOT, parse_envelope
from client_sdk.protocol.model import Root
from server.models import RootVersion

__all__ = ["LoadedRoot", "current_root"]


@dataclass(frozen=True)
class LoadedRoot:
    version: int
    envelope: bytes
    root: Root
    payload: dict[str, Any]


def current_root(session: Session) -> LoadedRoot | None:
    """The newest signed root, or None before ``kelisim keys init``."""
    row = session.scalars(select(RootVersion).order_by(RootVersion.version.desc()).limit(1)).first()
    if row is None:
        return None
    env = parse_envelope(row.envelope, PAYLOAD_ROOT)
    payload = env.payload_json()
    return LoadedRoot(row.version, row.envelope, Root.from_payload(payload), payload)
