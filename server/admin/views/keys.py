"""Keys and root: what apps trust, when it expires, how to rotate (a CLI action)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint
from sqlalchemy import select

from client_sdk.protocol.timeutil import parse_time
from server.admin.security import now, requires
from server.admin.views import kelisim, page
from server.models import App, RootVersion
from server.trust.manifests import latest_manifest
from server.trust.roots import current_root

__all__ = ["bp"]

bp = Blueprint("keys", __name__)

# Warn this long before the root or a manifest expires.
ROOT_WARN = timedelta(days=60)
MANIFEST_WARN = timedelta(days=2)


@bp.get("/keys")
@requires("owner")
def show() -> Any:
    when = now()
    k = kelisim()
    warnings: list[str] = []
    with k.db.session(readonly=True) as s:
        root = current_root(s)
        history = [(r.version, r.created_at, r.expires) for r in s.scalars(
            select(RootVersion).order_by(RootVersion.version.desc()))]
        manifests = []
        for app_id in s.scalars(select(App.id).order_by(App.id)):
            m = latest_manifest(s, app_id)
            manifests.append((app_id, m))
            if m is not None and parse_time(m.expires) - when < MANIFEST_WARN:
                warnings.append(f"manifest_expiring:{app_id}:{m.expires}")
    roles: list[tuple[str, list[str], int, bool]] = []
    if root is None:
        warnings.append("no_root")
    else:
        expires = parse_time(root.payload["expires"])
        if expires - when < ROOT_WARN:
            warnings.append(f"root_expiring:{root.payload['expires']}")
        for name, role in root.payload["roles"].items():
            # Root keys may rightly be offline; manifest and receipt keys must be here.
            present = all((k.keys_dir / f"{name}-{kid}.pem").exists()
                          for kid in role["keyids"])
            roles.append((name, role["keyids"], role["threshold"], present))
            if name == "root" and present:
                warnings.append("root_online")
    return page("keys.html", root=root, roles=roles, history=history, manifests=manifests,
                warnings=warnings, keys_dir=str(k.keys_dir))
