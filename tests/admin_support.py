"""Shared pieces of the console tests: signing in, CSRF tokens, records sent through the
real sync API. The fixtures (``users``, ``clock``) are in conftest.py."""

from __future__ import annotations

import contextlib
import http.client
import re
import threading
import urllib.parse
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from builders import APP, Clock, record
from server import Kelisim
from server.admin.models import AdminUser
from server.admin.security import hash_password

__all__ = ["APP", "NOW", "PASSWORD", "Browser", "Clock", "csrf", "deletion", "demo_version_dir",
           "events", "manifest", "password_hash", "post", "record", "send", "serving", "sign_in"]

PASSWORD = "a long enough password"
NOW = datetime(2030, 1, 15, 12, 0, 0, tzinfo=UTC)


@cache
def password_hash(password: str) -> str:
    """Argon2 is slow by design: each test password is hashed once per process."""
    return hash_password(password)


def assert_owner_only(client: FlaskClient, kelisim: Kelisim, users: dict[str, int],
                      page: str) -> None:
    """``page`` (an app's owner-only page) answers 403 to every other role, whose app page
    does not link it; signs the owner in, whose app page links it."""
    for role in ("publisher", "responder", "viewer"):
        sign_in(client, kelisim, users[role])
        assert client.get(page).status_code == 403
        assert f'href="{page}"' not in client.get(f"/admin/apps/{APP}").get_data(True)
    sign_in(client, kelisim, users["owner"])
    assert f'href="{page}"' in client.get(f"/admin/apps/{APP}").get_data(True)


def sign_in(client: FlaskClient, kelisim: Kelisim, user_id: int, hours: int = 24 * 400
            ) -> str:
    """Start a session on the server and put its id in the client's cookie (as the
    sign-in view does); returns the id. It lasts ``hours`` of the console's clock (long by
    default: tests move the clock by weeks)."""
    from server.admin import sessions

    with kelisim.db.session() as s:
        user = s.get(AdminUser, user_id)
        assert user is not None
        sid = sessions.start(s, user, kelisim.now(), hours, "127.0.0.1")
    with client.session_transaction() as sess:
        sess["sid"] = sid
    return sid


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


class Browser:
    """One browser: its cookies (path /admin) and the page's CSRF token, over HTTP."""

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.headers = headers or {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None
                ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            headers = dict(self.headers)
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = None
            if form is not None:
                body = urllib.parse.urlencode(form).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            for name, value in resp.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, \
                resp.read().decode()
        finally:
            conn.close()

    def token(self, path: str = "/admin/login") -> str:
        status, _, html = self.request("GET", path)
        found = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert found, (status, html[:300])
        return found.group(1)

    def post(self, path: str, form: dict[str, str], token_from: str = "/admin/login"
             ) -> tuple[int, dict[str, str], str]:
        return self.request("POST", path, {**form, "csrf_token": self.token(token_from)})

    def sign_in(self, email: str, password: str) -> int:
        return self.post("/admin/login", {"email": email, "password": password})[0]


@contextlib.contextmanager
def serving(app: Flask) -> Iterator[int]:
    """``app`` itself served over HTTP on 127.0.0.1 (werkzeug, a thread per request), for
    tests that give the app a part of their own (a password hasher that says when it
    runs); yields the port."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(30)
