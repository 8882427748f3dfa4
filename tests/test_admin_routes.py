"""Every console route for every role: the server refuses what the role may not do."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from admin_support import APP, csrf, deletion, manifest, post, record, send, sign_in
from server import Kelisim
from server.admin.models import ROLES
from server.admin.security import ACCESS

OPEN = {"admin.auth.login", "admin.auth.logout", "admin.auth.language", "admin.static"}


@pytest.fixture
def world(app: Flask, client: FlaskClient, published: Any, users: dict[str, int],
          kelisim: Kelisim) -> dict[str, Any]:
    m = manifest(client)
    rec = record(m)
    auth = send(client, [rec])
    request_id = deletion(client, auth)
    sign_in(client, kelisim, users["owner"])
    resp = post(client, f"/admin/apps/{APP}/drafts")
    assert resp.status_code == 303, resp.get_data(True)[:2000]
    draft_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    from server.consent.apikeys import create_key
    from server.webhooks import endpoints as webhooks

    with kelisim.db.session() as s:
        key_id = create_key(s, APP, "routes", ["consent:read"], "test", kelisim.now())[0].key_id
        endpoint = webhooks.create_endpoint(s, APP, "https://hooks.example/k", ["consent.accepted"],
                                            "test", kelisim.now(), key=b"k" * 32,
                                            allow_private=False)[0].endpoint_id
        delivery_id = webhooks.send_test(s, APP, endpoint, "test", kelisim.now())["id"]
    return {"key_id": key_id, "app_id": APP, "draft_id": draft_id, "locale": "en",
            "endpoint_id": endpoint, "action": "pause", "delivery_id": delivery_id,
            "record_id": rec["id"], "request_id": request_id, "user_id": users["viewer"],
            "fmt": "csv", "code": "ru", "filename": "console.css", "number": 1,
            "name": "PrivacyInfo.xcprivacy"}


def routes(app: Flask) -> list[tuple[str, str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, rule.rule))
    return sorted(out, key=lambda r: (r[1] != "GET", r[0]))  # GETs first: POSTs change state


def test_every_console_view_declares_its_role(app: Flask) -> None:
    missing = [e for e, _, _ in routes(app)
               if e not in OPEN and not hasattr(app.view_functions[e], "admin_area")]
    assert missing == []
    assert len(routes(app)) >= 25


@pytest.mark.parametrize("role", [*ROLES, None])
def test_route_by_role(app: Flask, client: FlaskClient, world: dict[str, Any],
                       kelisim: Kelisim, users: dict[str, int], role: str | None) -> None:
    seen = []
    for endpoint, method, rule in routes(app):
        if endpoint in OPEN:
            continue
        path = rule
        for key, value in world.items():
            path = path.replace(f"<{key}>", str(value)).replace(f"<int:{key}>", str(value))
        assert "<" not in path, path
        with client.session_transaction() as sess:
            sess.clear()
        if role is not None:
            sign_in(client, kelisim, users[role])
        if method == "GET":
            resp = client.get(path)
        else:
            resp = client.post(path, data={"csrf_token": csrf(client)})
        area = app.view_functions[endpoint].admin_area
        seen.append((endpoint, method, resp.status_code))
        if role is None:
            assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"], \
                (endpoint, resp.status_code)
        elif role not in ACCESS[area]:
            assert resp.status_code == 403, (endpoint, method, role, resp.status_code)
            assert "does not allow" in resp.get_data(True)
        elif method == "GET":
            assert resp.status_code == 200, (endpoint, role, resp.get_data(True)[:1500])
        else:
            assert resp.status_code in (200, 303, 404, 409, 422), (
                endpoint, role, resp.status_code, resp.get_data(True)[:1500])
    assert len(seen) >= 25


def test_unknown_things_are_404_pages(client: FlaskClient, world: dict[str, Any],
                                      kelisim: Kelisim, users: dict[str, int]) -> None:
    sign_in(client, kelisim, users["owner"])
    for path in ("/admin/apps/nosuch", "/admin/apps/nosuch/dashboard",
                 "/admin/apps/nosuch/consents", f"/admin/apps/{APP}/consents/nosuch",
                 "/admin/drafts/999", "/admin/drafts/999/diff", "/admin/drafts/999/preview",
                 f"/admin/drafts/{world['draft_id']}/doc/xx",
                 f"/admin/apps/{APP}/consents/export", "/admin/apps/nosuch/api-keys"):
        resp = client.get(path)
        assert resp.status_code == 404, path
        assert "text/html" in resp.content_type
