"""Console sign-in: one-time passwords, throttling, CSRF, cookie flags, sign-out."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from admin_support import PASSWORD, Clock, csrf, events, post, sign_in
from server import Kelisim, create_app
from server.admin.models import AdminUser, LoginAttempt


@pytest.fixture
def config(config: dict[str, Any]) -> dict[str, Any]:
    return {**config, "ADMIN_LOGIN_LIMIT_ACCOUNT": "3/minute",
            "ADMIN_LOGIN_LIMIT_IP": "5/minute"}


def login(client: FlaskClient, email: str, password: str, **extra: str) -> Any:
    return client.post("/admin/login", data={"email": email, "password": password,
                                             "csrf_token": csrf(client), **extra})


def test_cli_user_must_replace_one_time_password(client: FlaskClient, cli, kelisim: Kelisim
                                                 ) -> None:
    out = cli("users", "create", "Ada@Example.com", "--role", "publisher").output
    one_time = re.search(r"one-time password: (\S+)", out).group(1)
    resp = login(client, "ada@example.com", one_time)
    assert resp.status_code == 303
    # Every page sends the user to choose a password first.
    assert client.get("/admin/").headers["Location"].endswith("/admin/password")
    resp = post(client, "/admin/password", {"current": one_time, "new": "short",
                                            "confirm": "short"})
    assert resp.status_code == 422 and "At least 12 characters" in resp.get_data(True)
    resp = post(client, "/admin/password", {"current": one_time, "new": PASSWORD,
                                            "confirm": PASSWORD})
    assert resp.status_code == 303
    assert client.get("/admin/").status_code == 200
    with kelisim.db.session(readonly=True) as s:
        user = s.scalars(sa.select(AdminUser)).one()
        assert user.email == "ada@example.com" and not user.must_change_password
        assert user.password_hash.startswith("$argon2id$")
    assert [e.action for e in events(kelisim)] == ["user.create", "console.sign_in",
                                                   "user.password_changed"]
    assert events(kelisim)[0].actor == "cli"


def test_cli_refuses_bad_users(cli) -> None:
    assert "not an e-mail" in cli("users", "create", "nobody", "--role", "viewer",
                                  ok=False).output.lower()
    cli("users", "create", "a@example.com", "--role", "viewer")
    assert "exists already" in cli("users", "create", "A@example.com", "--role", "owner",
                                   ok=False).output
    assert "Invalid value for '--role'" in cli("users", "create", "b@example.com", "--role",
                                               "admin", ok=False).output
    assert "a@example.com\tviewer\tactive" in cli("users", "list").output


def test_wrong_password_and_throttling(client: FlaskClient, users: dict[str, int],
                                       kelisim: Kelisim, clock: Clock) -> None:
    for _ in range(3):
        resp = login(client, "viewer@example.com", "wrong")
        assert resp.status_code == 401
        assert "Wrong e-mail or password" in resp.get_data(True)
    # Over the account's limit: refused even with the right password, without checking it.
    resp = login(client, "viewer@example.com", PASSWORD)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "60"
    assert "Too many failed sign-ins" in resp.get_data(True)
    # Another account from the same address still works until the address's limit.
    assert login(client, "owner@example.com", "wrong").status_code == 401
    assert login(client, "owner@example.com", "wrong").status_code == 401
    assert login(client, "publisher@example.com", PASSWORD).status_code == 429  # 5 from IP
    clock.now += timedelta(seconds=61)
    assert login(client, "viewer@example.com", PASSWORD).status_code == 303
    with kelisim.db.session(readonly=True) as s:
        left = s.scalars(sa.select(LoginAttempt.email)).all()
    assert "viewer@example.com" not in left  # a sign-in clears the account's failures


def test_unknown_email_is_the_same_answer(client: FlaskClient, users: dict[str, int]) -> None:
    a = login(client, "nobody@example.com", "x")
    b = login(client, "viewer@example.com", "x")
    assert a.status_code == b.status_code == 401
    def page(resp: Any, email: str) -> str:
        html = resp.get_data(True).replace(email, "X")
        return re.sub(r'name="csrf_token" value="[^"]+"', "", html)

    assert page(a, "nobody@example.com") == page(b, "viewer@example.com")


def test_post_without_csrf_token_is_refused_and_stores_nothing(
        client: FlaskClient, users: dict[str, int], kelisim: Kelisim) -> None:
    resp = client.post("/admin/login", data={"email": "owner@example.com",
                                             "password": PASSWORD})
    assert resp.status_code == 400 and "did not come from this console" in resp.get_data(True)
    assert client.get("/admin/").status_code == 302  # not signed in
    sign_in(client, kelisim, users["owner"])
    before = len(events(kelisim))
    resp = client.post("/admin/users", data={"email": "x@example.com", "role": "owner"})
    assert resp.status_code == 400
    resp = client.post("/admin/users", data={"email": "x@example.com", "role": "owner",
                                             "csrf_token": "forged"})
    assert resp.status_code == 400
    with kelisim.db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AdminUser)) == 4
    assert len(events(kelisim)) == before


def test_cookie_flags(client: FlaskClient, users: dict[str, int]) -> None:
    resp = login(client, "viewer@example.com", PASSWORD)
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie
    tls = client.application.test_client()
    token = csrf(tls)  # same app; the form token is tied to that client's session
    resp = tls.post("/admin/login", base_url="https://localhost",
                    data={"email": "viewer@example.com", "password": PASSWORD,
                          "csrf_token": token})
    # Over TLS Flask-WTF also checks the Referer; a browser sends it.
    if resp.status_code == 400:
        resp = tls.post("/admin/login", base_url="https://localhost",
                        headers={"Referer": "https://localhost/admin/login"},
                        data={"email": "viewer@example.com", "password": PASSWORD,
                              "csrf_token": csrf(tls)})
    assert resp.status_code == 303
    assert "Secure" in resp.headers["Set-Cookie"]


def test_cookie_secure_always(config: dict[str, Any]) -> None:
    app = create_app({**config, "ADMIN_COOKIE_SECURE": "always"})
    app.extensions["kelisim"].db.upgrade()
    resp = app.test_client().get("/admin/login")
    assert "Secure" in resp.headers["Set-Cookie"]
    app.extensions["kelisim"].db.dispose()


def test_sign_out_and_disabled_user(client: FlaskClient, users: dict[str, int],
                                    kelisim: Kelisim) -> None:
    assert login(client, "viewer@example.com", PASSWORD).status_code == 303
    assert client.get("/admin/").status_code == 200
    resp = post(client, "/admin/logout")
    assert resp.status_code == 303
    assert client.get("/admin/").status_code == 302
    assert login(client, "viewer@example.com", PASSWORD).status_code == 303
    with kelisim.db.session() as s:
        user = s.get(AdminUser, users["viewer"])
        assert user is not None
        user.disabled = True
        user.session_generation += 1
    assert client.get("/admin/").status_code == 302  # the old cookie no longer works
    assert login(client, "viewer@example.com", PASSWORD).status_code == 401
    assert [e.action for e in events(kelisim) if e.actor == "viewer@example.com"] == [
        "console.sign_in", "console.sign_out", "console.sign_in"]


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/",
                                    "/elsewhere", "/admin/keys"])
def test_next_stays_on_the_console(client: FlaskClient, users: dict[str, int],
                                   target: str) -> None:
    resp = login(client, "owner@example.com", PASSWORD, next=target)
    expected = target if target == "/admin/keys" else "/admin/"
    assert resp.headers["Location"] == expected


def test_demo_setup_creates_the_first_owner_once(cli, app: Flask) -> None:
    out = cli("demo-setup").output
    assert re.search(r"owner@localhost, one-time password \S{16}", out)
    assert "one-time password" not in cli("demo-setup").output


def test_bad_login_form_is_422(client: FlaskClient) -> None:
    resp = client.post("/admin/login", data={"email": "x" * 300, "csrf_token": csrf(client)})
    assert resp.status_code == 422
    body = resp.get_data(True)
    assert 'data-field="email"' in body and 'data-field="password"' in body


def test_hostile_values_are_4xx_never_500(client: FlaskClient, kelisim: Kelisim,
                                          users: dict[str, int]) -> None:
    # Signed out: a CR LF in `next` (it would split the Location header) and a NUL in the
    # e-mail (PostgreSQL text cannot hold it).
    resp = client.get("/admin/lang/en?next=/admin%0D%0AX:%201")
    assert resp.status_code in (302, 303) and "\n" not in resp.headers["Location"]
    assert login(client, "a\x00b@x.kz", "whatever").status_code == 400
    resp = login(client, "owner@example.com", PASSWORD, next="/admin\r\nX: 1")
    assert resp.status_code in (302, 303) and "\r" not in resp.headers["Location"]
    sign_in(client, kelisim, users["owner"])
    assert client.get("/admin/apps/%00").status_code == 400
    assert client.get("/admin/audit?actor=%00").status_code == 400
    for big in ("2147483648", "99999999999999999999"):
        assert client.get(f"/admin/drafts/{big}").status_code == 404
        assert client.get(f"/admin/drafts/{big}/diff").status_code == 404
    count = sa.select(sa.func.count()).select_from(AdminUser)
    with kelisim.db.session(readonly=True) as s:
        before = s.scalar(count)
    assert post(client, "/admin/users", {"email": "x\x00@y.kz", "role": "viewer"}
                ).status_code == 400
    with kelisim.db.session(readonly=True) as s:
        assert s.scalar(count) == before
