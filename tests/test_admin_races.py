"""Console actions that race: two publishes of one app at once (a double-clicked Publish, two
publishers, a schedule and a publish-now), two owners demoting each other. Real HTTP
requests to a threaded werkzeug server on 127.0.0.1, on SQLite and PostgreSQL; a barrier in
the console's request hooks lets both requests pass sign-in and CSRF before either goes
on, so that both act on the state they read at the same time."""

from __future__ import annotations

import http.client
import re
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, request
from flask.testing import FlaskClient
from test_admin_drafts import draft_from_current, save, summarise
from werkzeug.serving import make_server

from admin_support import APP, Clock, csrf, events, sign_in
from server import Kelisim
from server.admin.models import AdminUser, Draft
from server.models import PolicyVersion


@contextmanager
def serving(app: Flask) -> Iterator[int]:
    """The app on a threaded werkzeug server on 127.0.0.1; yields its port."""
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv.server_port
    finally:
        srv.shutdown()
        thread.join(timeout=30)


def together(app: Flask, blueprint: str, endpoint: str) -> threading.Barrier:
    """Hold each request to ``endpoint`` after the console's own hooks (signed in, CSRF
    checked) until two have arrived."""
    barrier = threading.Barrier(2, timeout=60)

    def wait() -> None:
        if request.endpoint == endpoint:
            barrier.wait()

    # Appended after the console's hooks have been set up and requests served:
    # app.before_request would refuse a hook added this late.
    app.before_request_funcs.setdefault(blueprint, []).append(wait)
    return barrier


class Browser:
    """A signed-in console user's cookie and CSRF token, for real HTTP requests."""

    def __init__(self, app: Flask, client: FlaskClient, page: str) -> None:
        html = client.get(page).get_data(True)
        m = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert m, html[:500]
        self.token = m.group(1)
        name = app.config["SESSION_COOKIE_NAME"]
        cookie = client.get_cookie(name, path=app.config["SESSION_COOKIE_PATH"] or "/")
        assert cookie is not None
        self.cookie = f"{name}={cookie.value}"
        self.page = html

    def post(self, port: int, path: str, data: dict[str, str]) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            body = urllib.parse.urlencode({**data, "csrf_token": self.token})
            conn.request("POST", path, body, {
                "Cookie": self.cookie, "Content-Type": "application/x-www-form-urlencoded"})
            resp = conn.getresponse()
            return resp.status, resp.read().decode("utf-8", "replace")
        finally:
            conn.close()


def at_once(*calls: Any) -> list[tuple[int, str]]:
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert all(r is not None for r in results), results
    return results


def seen_of(html: str) -> str:
    m = re.search(r'name="seen" value="(\d+)"', html)
    assert m, "the draft page's publish form carries the version it shows"
    return m.group(1)


def ready_draft(client: FlaskClient, label: str, **changes: Any) -> int:
    draft_id = draft_from_current(client)
    summarise(client, draft_id)
    assert save(client, draft_id, label=label, significance="minor", **changes
                ).status_code == 303
    assert "Ready to publish" in client.get(f"/admin/drafts/{draft_id}").get_data(True)
    return draft_id


def versions(kelisim: Kelisim) -> list[tuple[int, str]]:
    with kelisim.db.session(readonly=True) as s:
        return [(v.number, v.label) for v in s.scalars(
            sa.select(PolicyVersion).order_by(PolicyVersion.number))]


def test_a_double_clicked_publish_publishes_once_and_says_so(
        app: Flask, client: FlaskClient, published: Path, users: dict[str, int],
        kelisim: Kelisim, clock: Clock) -> None:
    sign_in(client, kelisim, users["publisher"])
    draft_id = ready_draft(client, "1.1")
    browser = Browser(app, client, f"/admin/drafts/{draft_id}")
    form = {"seen": seen_of(browser.page), "go": "publish", "confirm": "yes"}
    together(app, "admin.drafts", "admin.drafts.publish_draft")
    path = f"/admin/drafts/{draft_id}/publish"
    with serving(app) as port:
        results = at_once(lambda: browser.post(port, path, form),
                          lambda: browser.post(port, path, form))
    statuses = sorted(status for status, _ in results)
    assert statuses == [303, 409], [(s, b[:2000]) for s, b in results]
    loser = next(body for status, body in results if status == 409)
    assert (f"version 2 (1.1) of {APP} was just published by publisher@example.com"
            in loser), loser[:3000]
    assert "this draft is published; nothing more was done" in loser
    assert versions(kelisim) == [(1, "1.0"), (2, "1.1")]
    assert len(events(kelisim, "version.publish")) == 2  # the CLI's 1.0, then 1.1 once
    with kelisim.db.session(readonly=True) as s:
        d = s.get(Draft, draft_id)
        assert d is not None and (d.status, d.published_number) == ("published", 2)


def test_two_publishes_at_once_a_schedule_and_a_publish_now(
        app: Flask, client: FlaskClient, published: Path, users: dict[str, int],
        kelisim: Kelisim, clock: Clock) -> None:
    """Two publishers, two drafts of one app: one is scheduled, one published now. One
    wins; the other is told which version was just published, by whom, and stores
    nothing."""
    sign_in(client, kelisim, users["publisher"])
    later = (clock.now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    scheduled = ready_draft(client, "1.1", effective=later)
    now_draft = ready_draft(client, "1.2")
    first = Browser(app, client, f"/admin/drafts/{scheduled}")
    second = Browser(app, client, f"/admin/drafts/{now_draft}")
    together(app, "admin.drafts", "admin.drafts.publish_draft")
    with serving(app) as port:
        results = at_once(
            lambda: first.post(port, f"/admin/drafts/{scheduled}/publish",
                               {"seen": seen_of(first.page), "confirm": "yes"}),
            lambda: second.post(port, f"/admin/drafts/{now_draft}/publish",
                                {"seen": seen_of(second.page), "confirm": "yes"}))
    assert sorted(s for s, _ in results) == [303, 409], [(s, b[:2000]) for s, b in results]
    stored = versions(kelisim)
    assert len(stored) == 2 and stored[0] == (1, "1.0")
    winner = stored[1][1]
    loser = next(body for status, body in results if status == 409)
    assert (f"version 2 ({winner}) of {APP} was just published by publisher@example.com"
            in loser), loser[:3000]
    assert "check the draft against it and publish again" in loser
    with kelisim.db.session(readonly=True) as s:
        statuses = {d.spec["label"]: d.status for d in s.scalars(sa.select(Draft))}
    assert sorted(statuses.values()) == ["open", "published"]
    assert statuses[winner] == "published"


def test_two_owners_demoting_each_other_keep_one_owner(
        app: Flask, client: FlaskClient, users: dict[str, int], kelisim: Kelisim,
        clock: Clock) -> None:
    with kelisim.db.session() as s:
        owner = s.get(AdminUser, users["owner"])
        assert owner is not None
        s.add(AdminUser(email="second-owner@example.com", role="owner",
                        password_hash=owner.password_hash, must_change_password=False,
                        disabled=False, session_generation=1,
                        created_at="2030-01-01T00:00:00Z"))
        s.flush()
        other = s.scalars(sa.select(AdminUser.id).where(
            AdminUser.email == "second-owner@example.com")).one()
    browsers = []
    for uid in (users["owner"], other):
        c = app.test_client()
        sign_in(c, kelisim, uid)
        csrf(c, "/admin/users")
        browsers.append(Browser(app, c, "/admin/users"))
    together(app, "admin.users", "admin.users.update")
    demote = {"action": "role", "role": "viewer"}
    with serving(app) as port:
        results = at_once(
            lambda: browsers[0].post(port, f"/admin/users/{other}", demote),
            lambda: browsers[1].post(port, f"/admin/users/{users['owner']}", demote))
    assert sorted(s for s, _ in results) == [200, 422], [(s, b[:2000]) for s, b in results]
    loser = next(body for status, body in results if status == 422)
    assert "The console must keep at least one active owner." in loser
    with kelisim.db.session(readonly=True) as s:
        owners = list(s.scalars(sa.select(AdminUser.email).where(
            AdminUser.role == "owner", AdminUser.disabled.is_(False))))
    assert len(owners) == 1, owners



@pytest.fixture
def config(config: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("lock_timeout")
    if marker is not None:
        config["LOCK_TIMEOUT"] = marker.args[0]
    return config


@pytest.mark.lock_timeout(0.5)
def test_a_publish_lock_held_too_long_is_a_console_409_not_a_503(
        app: Flask, client: FlaskClient, published: Path, users: dict[str, int],
        kelisim: Kelisim, clock: Clock, database_url: str) -> None:
    """Another publish holding the app's lock past LOCK_TIMEOUT: the console says another
    publish is in progress (409, its own page), not the 503 of an outage; nothing stored.
    The test holds the lock itself (the app's row FOR UPDATE; SQLite's write lock) for
    the whole request."""
    sign_in(client, kelisim, users["publisher"])
    draft_id = ready_draft(client, "1.1")
    page = client.get(f"/admin/drafts/{draft_id}").get_data(True)
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            if database_url.startswith("sqlite"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.execute(sa.text("SELECT id FROM apps WHERE id = :id FOR UPDATE"),
                             {"id": APP})
            resp = client.post(f"/admin/drafts/{draft_id}/publish",
                               data={"seen": seen_of(page), "confirm": "yes", "csrf_token": csrf(
                                   client, f"/admin/drafts/{draft_id}")})
            conn.rollback()
    finally:
        engine.dispose()
    assert resp.status_code == 409, resp.get_data(True)[:3000]
    body = resp.get_data(True)
    assert "<html" in body and f"Another publish of {APP} is in progress" in body
    assert versions(kelisim) == [(1, "1.0")]
