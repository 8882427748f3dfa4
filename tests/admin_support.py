"""Shared pieces of the console tests: users of every role, signing in, CSRF tokens,
records sent through the real sync API, a settable clock."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from test_sync_api import record  # noqa: F401 (one record shape for sync and console tests)

from server import Kelisim
from server.admin.models import ROLES, AdminUser
from server.admin.security import hash_password

APP = "jana-courier"
PASSWORD = "a long enough password"
NOW = datetime(2030, 1, 15, 12, 0, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(app: Flask) -> Clock:
    c = Clock(datetime.now(UTC).replace(microsecond=0))
    app.extensions["kelisim"].clock = c
    return c


@pytest.fixture
def users(app: Flask, kelisim: Kelisim) -> dict[str, int]:
    """One ready user per role (password PASSWORD, no forced change): role -> id."""
    out: dict[str, int] = {}
    with kelisim.db.session() as s:
        for role in ROLES:
            s.add(AdminUser(email=f"{role}@example.com", role=role, password_hash=_hash(),
                            must_change_password=False, disabled=False, session_generation=1,
                            created_at="2030-01-01T00:00:00Z"))
        s.flush()
        for u in s.scalars(sa.select(AdminUser)):
            out[u.role] = u.id
    return out


_HASHES: list[str] = []


def _hash() -> str:
    # Argon2 is slow by design: hash the shared test password once per run.
    if not _HASHES:
        _HASHES.append(hash_password(PASSWORD))
    return _HASHES[0]


def sign_in(client: FlaskClient, kelisim: Kelisim, user_id: int) -> None:
    """Put a signed-in session in the client's cookie (as the sign-in view does)."""
    with kelisim.db.session() as s:
        user = s.get(AdminUser, user_id)
        assert user is not None
        gen = user.session_generation
    with client.session_transaction() as sess:
        sess["uid"], sess["gen"] = user_id, gen


def csrf(client: FlaskClient, path: str = "/admin/login") -> str:
    html = client.get(path).get_data(as_text=True)
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, html[:500]
    return m.group(1)


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None,
         **kw: Any) -> Any:
    """POST a form the way the browser does, with the page's CSRF token."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf(client)}, **kw)


def events(kelisim: Kelisim, action: str | None = None) -> list[Any]:
    from server.adminlog import AdminEvent

    with kelisim.db.session(readonly=True) as s:
        q = sa.select(AdminEvent).order_by(AdminEvent.id)
        if action:
            q = q.where(AdminEvent.action == action)
        return list(s.scalars(q))


def manifest(client: FlaskClient) -> dict[str, Any]:
    from helpers import payload_of

    return payload_of(client.get(f"/v1/apps/{APP}/manifest.json").data)


def send(client: FlaskClient, records: list[dict[str, Any]], auth: dict[str, str] | None = None
         ) -> dict[str, str]:
    """Send records through the sync API as an app would; returns the install's auth."""
    if auth is None:
        resp = client.post(f"/v1/apps/{APP}/installs")
        assert resp.status_code == 201, resp.get_json()
        body = resp.get_json()
        auth = {"Authorization": f"Bearer {body['token']}", "X-Install": body["install_id"]}
    resp = client.post(f"/v1/apps/{APP}/consents", json={"records": records},
                       headers={"Authorization": auth["Authorization"]})
    assert resp.status_code == 200, resp.get_json()
    return auth


def deletion(client: FlaskClient, auth: dict[str, str]) -> str:
    rid = str(uuid.uuid4())
    resp = client.post(f"/v1/apps/{APP}/deletion-requests",
                       json={"id": rid, "client_time": manifest(client)["issued"]},
                       headers={"Authorization": auth["Authorization"]})
    assert resp.status_code in (200, 201), resp.get_json()
    return rid


def demo_version_dir(demo_dir: Path, label: str) -> Path:
    return demo_dir / label
