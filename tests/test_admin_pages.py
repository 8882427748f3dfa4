"""Keys page, audit log page, the console's languages."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from flask.testing import FlaskClient

from admin_support import Clock, sign_in
from server import Kelisim


def test_keys_page_and_expiry_warning(client: FlaskClient, published: Path,
                                      kelisim: Kelisim, users: dict[str, int],
                                      clock: Clock) -> None:
    sign_in(client, kelisim, users["owner"])
    html = client.get("/admin/keys").get_data(True)
    assert "Root version 1" in html and "kelisim root rotate" in html
    assert "The root expires" not in html
    expires = re.search(r'Expires: <strong><time datetime="(\S+)"', html).group(1)
    from client_sdk.protocol.timeutil import parse_time

    clock.now = parse_time(expires) - timedelta(days=30)
    html = client.get("/admin/keys").get_data(True)
    assert f'The root expires on <time datetime="{expires}"' in html
    assert "The manifest of jana-courier expires" in html  # long past the week-long manifest


def test_audit_log_page(client: FlaskClient, kelisim: Kelisim, users: dict[str, int],
                        cli) -> None:
    cli("users", "create", "z@example.com", "--role", "viewer")
    sign_in(client, kelisim, users["owner"])
    html = client.get("/admin/audit").get_data(True)
    assert "user.create" in html and "user/z@example.com" in html and ">cli<" in html
    assert "user/z@example.com" not in client.get("/admin/audit?actor=someone").get_data(True)


def test_language_switch(client: FlaskClient, kelisim: Kelisim, users: dict[str, int]) -> None:
    assert "Войти" in client.get("/admin/login",
                                 headers={"Accept-Language": "ru"}).get_data(True)
    sign_in(client, kelisim, users["owner"])
    resp = client.get("/admin/lang/kk?next=/admin/users")
    assert resp.headers["Location"] == "/admin/users"
    html = client.get("/admin/users").get_data(True)
    assert 'lang="kk"' in html and "Пайдаланушылар" in html
    client.get("/admin/lang/ru")
    assert "Пользователи" in client.get("/admin/users").get_data(True)
    assert client.get("/admin/lang/xx?next=//evil").headers["Location"] == "/admin/"
