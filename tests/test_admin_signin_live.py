"""Console sign-in and sessions over HTTP on SQLite and PostgreSQL: against the real server
(`kelisim serve`, two workers) parallel sign-ins stay within the limits (issue 17, item 6),
sign-out and a password change end sessions on the server (item 8), every /admin answer
carries the console's security headers, HSTS over TLS (item 13); against the app served in
this process, with a password hasher that says when it runs, no database lock is held
while a password is checked (item 7) and checks at once are bounded (item 6)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from admin_support import APP, PASSWORD, Browser, events, post, record, serving, sign_in
from builders import server_env
from livesrv import free_port, post_json, running
from server import Kelisim, create_app
from server.admin.models import AdminUser, LoginAttempt

pytestmark = pytest.mark.slow


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
            viewer_id = s.scalars(sa.select(AdminUser.id).where(
                AdminUser.email == "viewer@example.com")).one()
        assert a.post(f"/admin/users/{viewer_id}", {"action": "disable"},
                      token_from="/admin/users")[0] == 200
        assert v.request("GET", "/admin/")[0] == 302
        # So does a demotion.
        p = Browser(port)
        assert p.sign_in("publisher@example.com", PASSWORD) == 303
        assert p.request("GET", "/admin/")[0] == 200
        with kelisim.db.session(readonly=True) as s:
            publisher_id = s.scalars(sa.select(AdminUser.id).where(
                AdminUser.email == "publisher@example.com")).one()
        assert a.post(f"/admin/users/{publisher_id}", {"action": "role", "role": "viewer"},
                      token_from="/admin/users")[0] == 200
        assert p.request("GET", "/admin/")[0] == 302
    assert [e.action for e in events(kelisim) if e.action.startswith("console.sign")].count(
        "console.sign_out") == 1


_ROTATING = {"ADMIN_LOGIN_LIMIT_PAIR": "100/minute", "ADMIN_LOGIN_LIMIT_IP": "100/minute",
             "ADMIN_LOGIN_LIMIT_ACCOUNT": "4/hour", "TRUSTED_PROXIES": "1"}


def _from(b: Browser, n: int) -> Browser:
    b.headers["X-Forwarded-For"] = f"10.{n // 250}.{n % 250}.7"  # a new address each time
    return b


def _lock_account(port: int, email: str, start: int) -> None:
    """Fail sign-ins for ``email`` from new addresses, no device cookie, until the
    account-wide limit (4 an hour) answers 429."""
    statuses = [_from(Browser(port), start + i).sign_in(email, "not the password!")
                for i in range(5)]
    assert statuses == [401] * 4 + [429], statuses


def test_a_device_cookie_loses_its_trust(served: dict[str, Any], kelisim: Kelisim) -> None:
    """Red team: whoever held a ``kelisim_device`` cookie got unlimited guesses from
    rotating addresses even once the account was locked, and the cookie kept its trust
    across a password reset, a password change and disabling the account. Now a cookie
    with DEVICE_FAILURES (5) failures is locked out like any browser, and a reset, a change
    or disabling ends the account's device trust (its generation is in the cookie)."""
    from server.admin.security import DEVICE_FAILURES

    port = free_port()
    with running(_env(served, **_ROTATING), port):
        owner = _from(Browser(port), 1)
        assert owner.sign_in("owner@example.com", PASSWORD) == 303
        devices = {}
        for n, who in enumerate(("viewer", "publisher", "responder"), start=2):
            devices[who] = _from(Browser(port), n)
            assert devices[who].sign_in(f"{who}@example.com", PASSWORD) == 303
            assert "kelisim_device" in devices[who].cookies
            assert devices[who].post("/admin/logout", {}, token_from="/admin/")[0] == 303
        second = _from(Browser(port), 5)  # another browser of the owner's
        assert second.sign_in("owner@example.com", PASSWORD) == 303
        assert second.post("/admin/logout", {}, token_from="/admin/")[0] == 303

        # 1. The viewer's cookie, stolen: guesses from new addresses after the lock.
        _lock_account(port, "viewer@example.com", 100)
        stolen = devices["viewer"]
        statuses = [_from(stolen, 200 + i).sign_in("viewer@example.com", f"guess {i}!")
                    for i in range(DEVICE_FAILURES + 3)]
        assert statuses == [401] * DEVICE_FAILURES + [429] * 3, statuses
        # The right password too: the cookie is locked out with the account.
        assert _from(stolen, 300).sign_in("viewer@example.com", PASSWORD) == 429

        # 2. A password reset by the owner ends the publisher's device trust.
        assert owner.post(f"/admin/users/{_id(kelisim, 'publisher')}", {"action": "reset"},
                          token_from="/admin/users")[0] == 200
        _lock_account(port, "publisher@example.com", 400)
        assert _from(devices["publisher"], 500).sign_in("publisher@example.com",
                                                         "not the password!") == 429
        # 3. So does disabling the account.
        assert owner.post(f"/admin/users/{_id(kelisim, 'responder')}", {"action": "disable"},
                          token_from="/admin/users")[0] == 200
        _lock_account(port, "responder@example.com", 600)
        assert _from(devices["responder"], 700).sign_in("responder@example.com",
                                                         "not the password!") == 429
        # 4. And a password change: the owner's other browser loses it; the browser the
        # change was made in keeps it (a new cookie at the new generation).
        new = "plum orchard under snow"
        assert owner.post("/admin/password", {"current": PASSWORD, "new": new,
                                              "confirm": new},
                          token_from="/admin/password")[0] == 303
        assert owner.post("/admin/logout", {}, token_from="/admin/")[0] == 303
        _lock_account(port, "owner@example.com", 800)
        assert _from(second, 900).sign_in("owner@example.com", new) == 429
        assert _from(owner, 901).sign_in("owner@example.com", new) == 303
    with kelisim.db.session(readonly=True) as s:
        devices_seen = s.scalars(sa.select(LoginAttempt.device).where(
            LoginAttempt.email == "viewer@example.com",
            LoginAttempt.device.is_not(None))).all()
    assert len(set(devices_seen)) == 1 and len(devices_seen) >= DEVICE_FAILURES


def _id(kelisim: Kelisim, role: str) -> int:
    with kelisim.db.session(readonly=True) as s:
        return int(s.scalars(sa.select(AdminUser.id).where(AdminUser.role == role)).one())


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


class GatedHasher(PasswordHasher):
    """argon2-cffi's hasher whose ``verify`` says it started and then waits to be let go."""

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Event()
        self.release = threading.Event()
        self.runs = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.runs += 1
        self.started.set()
        assert self.release.wait(120), "the test never let the check go"
        return super().verify(hash, password)


def _ingest(port: int, manifest: dict[str, Any]) -> int:
    def call(path: str, body: dict[str, Any], token: str = "") -> tuple[int, Any]:
        return post_json(port, path, body, token or None)

    status, body = call(f"/v1/apps/{APP}/installs", {})
    assert status == 201, body
    return call(f"/v1/apps/{APP}/consents", {"records": [record(manifest)]},
                body["token"])[0]


def test_no_database_lock_is_held_while_a_password_is_checked(
        app: Any, kelisim: Kelisim, users: dict[str, int], manifest: dict[str, Any]) -> None:
    """Issue 17, item 7: on SQLite each sign-in held the only write lock during Argon2,
    so ingest waited (then 503, "database is locked"). With a check stopped half-way,
    ingest and another sign-in's bookkeeping go on."""
    hasher = GatedHasher()
    app.extensions["kelisim.admin"].checks.hasher = hasher
    results: list[int] = []
    with serving(app) as port:
        signing_in = Browser(port)
        token = signing_in.token()
        thread = threading.Thread(target=lambda: results.append(signing_in.request(
            "POST", "/admin/login", {"email": "viewer@example.com", "password": PASSWORD,
                                     "csrf_token": token})[0]))
        thread.start()
        try:
            assert hasher.started.wait(120)
            assert _ingest(port, manifest) == 200  # while the password is being checked
            with kelisim.db.session() as s:  # and any write at all
                s.add(LoginAttempt(at="2030-01-01T00:00:00Z", email="x@example.com",
                                   ip="10.9.9.9", outcome="failed"))
        finally:
            hasher.release.set()
            thread.join(120)
    assert results == [303]
    assert [e.action for e in events(kelisim, "console.sign_in")] == ["console.sign_in"]


def test_password_checks_at_once_are_bounded(config: dict[str, Any], kelisim: Kelisim,
                                             users: dict[str, int]) -> None:
    """Issue 17, item 6: every sign-in ran Argon2 (~64 MiB) at once, without a bound.
    With one check allowed per process and no wait, a second sign-in while one runs gets
    a clear 503 with Retry-After; its attempt is not counted and nothing was checked."""
    bounded = create_app({**config, "ADMIN_PASSWORD_CHECKS": 1,
                          "ADMIN_PASSWORD_CHECK_WAIT": 0})
    hasher = GatedHasher()
    bounded.extensions["kelisim.admin"].checks.hasher = hasher
    results: list[int] = []
    try:
        with serving(bounded) as port:
            first = Browser(port)
            token = first.token()
            thread = threading.Thread(target=lambda: results.append(first.request(
                "POST", "/admin/login", {"email": "viewer@example.com", "password": PASSWORD,
                                         "csrf_token": token})[0]))
            thread.start()
            try:
                assert hasher.started.wait(120)
                second = Browser(port)
                status, headers, html = second.post(
                    "/admin/login", {"email": "owner@example.com", "password": PASSWORD})
                # An owner's password reset needs a check too: a 503 page, nothing changed.
                owner = bounded.test_client()
                sign_in(owner, bounded.extensions["kelisim"], users["owner"])
                reset = post(owner, f"/admin/users/{users['publisher']}", {"action": "reset"})
            finally:
                hasher.release.set()
                thread.join(120)
    finally:
        bounded.extensions["kelisim"].db.dispose()
    assert status == 503 and headers["retry-after"] == "1"
    assert "Too many sign-ins at once" in html
    assert reset.status_code == 503 and reset.headers["Retry-After"] == "1"
    assert "Too many sign-ins at once" in reset.get_data(True)
    assert [e.action for e in events(kelisim) if e.action.startswith("user.")] == []
    assert results == [303] and hasher.runs == 1
    with kelisim.db.session(readonly=True) as s:
        got = s.execute(sa.select(LoginAttempt.email, LoginAttempt.outcome)
                        .order_by(LoginAttempt.id)).all()
    assert [tuple(r) for r in got] == [("viewer@example.com", "ok"),
                                       ("owner@example.com", "dropped")]
