"""Console sign-in and sessions against the real server (`kelisim serve`, two workers) on
SQLite and PostgreSQL: parallel sign-ins stay within the limits (issue 17, item 6), sign-out
and a password change end sessions on the server (item 8), and every /admin answer carries
the console's security headers, HSTS over TLS (item 13)."""

from __future__ import annotations

import http.client
import re
import threading
import urllib.parse
from typing import Any

import pytest
import sqlalchemy as sa

from admin_support import PASSWORD, events
from builders import server_env
from livesrv import free_port, running
from server import Kelisim
from server.admin.models import LoginAttempt

pytestmark = pytest.mark.slow


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


def _env(config: dict[str, Any], **keys: str) -> dict[str, str]:
    return server_env(config["INSTANCE_PATH"], config["DATABASE_URL"], **keys)


@pytest.fixture
def served(config: dict[str, Any], cli: Any, users: dict[str, int]) -> dict[str, Any]:
    cli("keys", "init")  # /healthz wants the receipt key before the server counts as up
    return config


def test_parallel_sign_ins_check_at_most_the_limit(served: dict[str, Any],
                                                   kelisim: Kelisim) -> None:
    """64 sign-ins at once for one account from one address: at most the pair's limit (5)
    of passwords are checked (each check leaves an audit event), the rest answer 429
    without a check, none fails. Before, the limit was read before and written after the
    check: 33 of 64 were checked on PostgreSQL."""
    port = free_port()
    n = 64
    with running(_env(served), port):
        browsers = [Browser(port) for _ in range(n)]
        tokens = [b.token() for b in browsers]
        barrier = threading.Barrier(n)
        statuses: list[int] = []

        def attempt(b: Browser, token: str) -> None:
            barrier.wait()
            statuses.append(b.request("POST", "/admin/login", {
                "email": "viewer@example.com", "password": "not the password!",
                "csrf_token": token})[0])

        threads = [threading.Thread(target=attempt, args=(b, t))
                   for b, t in zip(browsers, tokens, strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
    checked = events(kelisim, "console.sign_in_failed")
    assert len(statuses) == n and set(statuses) <= {401, 429}, statuses
    assert 1 <= len(checked) <= 5, len(checked)
    assert statuses.count(401) == len(checked)
    with kelisim.db.session(readonly=True) as s:
        outcomes = s.scalars(sa.select(LoginAttempt.outcome)).all()
    assert sorted(outcomes) == ["failed"] * len(checked)  # none left pending


def test_sign_out_and_password_change_end_sessions_on_the_server(
        served: dict[str, Any], kelisim: Kelisim) -> None:
    port = free_port()
    with running(_env(served), port):
        a, b = Browser(port), Browser(port)
        assert a.sign_in("owner@example.com", PASSWORD) == 303
        assert a.request("GET", "/admin/users")[0] == 200
        stolen = dict(a.cookies)  # a copy of the cookie, taken before sign-out
        assert a.post("/admin/logout", {}, token_from="/admin/users")[0] == 303
        thief = Browser(port)
        thief.cookies = dict(stolen)
        status, headers, _ = thief.request("GET", "/admin/users")
        assert status == 302 and "/admin/login" in headers["location"]
        # Nor can it write: the users page's form, with a token the thief had read before.
        thief.cookies = dict(stolen)
        status, _, _ = thief.request("POST", "/admin/users", {
            "email": "mallory@example.com", "role": "owner", "csrf_token": "x"})
        assert status in (302, 400)
        # A password change ends every other session of the user; this browser stays in.
        assert a.sign_in("owner@example.com", PASSWORD) == 303
        assert b.sign_in("owner@example.com", PASSWORD) == 303
        new = "plum orchard under snow"
        status, _, _ = a.post("/admin/password", {"current": PASSWORD, "new": new,
                                                  "confirm": new},
                              token_from="/admin/password")
        assert status == 303
        assert a.request("GET", "/admin/users")[0] == 200
        assert b.request("GET", "/admin/users")[0] == 302
        # Disabling a user ends the sessions it had.
        v = Browser(port)
        assert v.sign_in("viewer@example.com", PASSWORD) == 303
        assert v.request("GET", "/admin/")[0] == 200
        with kelisim.db.session(readonly=True) as s:
            from server.admin.models import AdminUser

            viewer_id = s.scalars(sa.select(AdminUser.id).where(
                AdminUser.email == "viewer@example.com")).one()
        assert a.post(f"/admin/users/{viewer_id}", {"action": "disable"},
                      token_from="/admin/users")[0] == 200
        assert v.request("GET", "/admin/")[0] == 302
    assert [e.action for e in events(kelisim) if e.action.startswith("console.sign")].count(
        "console.sign_out") == 1


def test_every_admin_answer_has_the_console_headers(served: dict[str, Any]) -> None:
    port = free_port()
    with running(_env(served, TRUSTED_PROXIES="1"), port):
        plain, tls = Browser(port), Browser(port, {"X-Forwarded-Proto": "https"})
        answers = {
            "page": plain.request("GET", "/admin/login"),
            "unrouted": plain.request("GET", "/admin/no/such/page"),
            "405": plain.request("PUT", "/admin/login"),
            "405 on a page": plain.request("DELETE", "/admin/users"),
            "tls page": tls.request("GET", "/admin/login"),
            "tls unrouted": tls.request("GET", "/admin/nothing"),
        }
        assert answers["unrouted"][0] == 404 and answers["405"][0] == 405
        for name, (_, headers, _) in answers.items():
            csp = headers.get("content-security-policy", "")
            assert "base-uri 'none'" in csp and "frame-ancestors 'none'" in csp, name
            assert headers.get("x-frame-options") == "DENY", name
            assert headers.get("x-content-type-options") == "nosniff", name
            assert headers.get("referrer-policy") == "same-origin", name
            assert headers.get("cache-control") == "no-store", name
            hsts = headers.get("strict-transport-security")
            assert (hsts == "max-age=31536000") == name.startswith("tls"), (name, hsts)
        # The public API keeps its own headers.
        _, headers, _ = plain.request("GET", "/healthz")
        assert "content-security-policy" not in headers
