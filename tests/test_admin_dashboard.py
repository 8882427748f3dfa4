"""The acceptance dashboard: numbers from SQL aggregates match the records sent."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from admin_support import APP, manifest, record, send, sign_in
from conftest import Cli
from server import Kelisim
from server.admin import acceptance, rollup
from server.admin.acceptance import PurposeRate


@pytest.fixture
def records(client: FlaskClient, published: Path) -> dict[str, Any]:
    m = manifest(client)
    en = {"locale": "ru", "document_sha256": m["current"]["locales"]["ru"]["sha256"]}
    send(client, [record(m, purposes={"delivery": True, "notifications": True}),
                  record(m, purposes={"delivery": True, "notifications": False}),
                  record(m, purposes={"delivery": True, "notifications": True}, **en),
                  record(m, action="decline", purposes={})])
    send(client, [record(m, action="update", purposes={"notifications": False},
                         locale=None, document_sha256=None),
                  record(m, action="withdraw", purposes={"delivery": False,
                                                         "notifications": False},
                         locale=None, document_sha256=None),
                  record(m, action="acknowledge", purposes={})])
    return m


def metric(html: str, name: str) -> int:
    return int(re.search(rf'data-metric="{name}">(\d+)<', html).group(1))


def test_numbers_match_the_records(client: FlaskClient, records: dict[str, Any],
                                   kelisim: Kelisim, users: dict[str, int]) -> None:
    sign_in(client, kelisim, users["viewer"])
    html = client.get(f"/admin/apps/{APP}/dashboard").get_data(True)
    assert {n: metric(html, n) for n in ("answered", "accept", "decline", "withdraw",
                                         "update", "acknowledge")} == {
        "answered": 4, "accept": 3, "decline": 1, "withdraw": 1, "update": 1, "acknowledge": 1}
    assert "75.0%" in html and "25.0%" in html and "33.3%" in html
    row = re.search(r'data-purpose="notifications" data-version="1">(.*?)</tr>', html,
                    re.S).group(1)
    assert "66.7%" in row  # granted in 2 of the 3 accepts (the update is counted apart)
    assert re.search(r'data-locale="kk"><td>kk</td><td class="num">3<', html)
    assert re.search(r'data-locale="ru"><td>ru</td><td class="num">1<', html)
    assert "<svg" in html and "<script" not in html


def test_filters(client: FlaskClient, records: dict[str, Any], kelisim: Kelisim,
                 users: dict[str, int]) -> None:
    sign_in(client, kelisim, users["viewer"])
    # A label no version has (only 1.0 is published): the field says so, the page stays.
    resp = client.get(f"/admin/apps/{APP}/dashboard?version=2.0")
    assert resp.status_code == 422
    assert "No version of this app has this label" in resp.get_data(True)
    html = client.get(f"/admin/apps/{APP}/dashboard?version=1.0").get_data(True)
    assert metric(html, "accept") == 3
    day = records["issued"][:10]
    html = client.get(f"/admin/apps/{APP}/dashboard?date_from=2000-01-01&date_to=2000-01-02"
                      ).get_data(True)
    assert metric(html, "accept") == 0
    with kelisim.db.session(readonly=True) as s:
        daily = acceptance.daily(s, acceptance.Scope(APP))
    assert sum(c.get("accept", 0) for c in daily.values()) == 3 and day <= max(daily)
    resp = client.get(f"/admin/apps/{APP}/dashboard?date_from=2030-02-30&version=x")
    assert resp.status_code == 422
    body = resp.get_data(True)
    assert 'data-field="date_from"' in body and 'data-field="version"' in body


def _all(s: Any, mod: Any, scope: acceptance.Scope) -> tuple[Any, ...]:
    return (mod.summary(s, scope).counts, {k: v.counts for k, v in mod.by_locale(s, scope).items()},
            {k: v.counts for k, v in mod.by_version(s, scope).items()}, mod.daily(s, scope),
            mod.by_purpose(s, scope, {1: ["delivery", "notifications"]}))


def test_rollups_equal_the_direct_aggregates(client: FlaskClient, records: dict[str, Any],
                                             kelisim: Kelisim) -> None:
    scopes = [acceptance.Scope(APP), acceptance.Scope(APP, version=1),
              acceptance.Scope(APP, day_from=records["issued"][:10]),
              acceptance.Scope(APP, day_to="2000-01-01")]
    with kelisim.db.session() as s:
        assert rollup.refresh(s, APP) == 7
        assert rollup.refresh(s, APP) == 0  # nothing new: the head moved
    with kelisim.db.session(readonly=True) as s:
        for scope in scopes:
            assert _all(s, rollup, scope) == _all(s, acceptance, scope)
    m = records
    send(client, [record(m, purposes={"delivery": True, "notifications": True}),
                  record(m, action="decline", purposes={})])
    with kelisim.db.session() as s:
        assert rollup.refresh(s, APP) == 2
    with kelisim.db.session(readonly=True) as s:
        for scope in scopes:
            assert _all(s, rollup, scope) == _all(s, acceptance, scope)
        assert rollup.summary(s, acceptance.Scope(APP))["accept"] == 4


# -- the opt-in rate: granted / offered, per version (issue 18.2) ----------------------------
OFFERS = {1: ["delivery", "notifications"], 2: ["delivery", "notifications", "analytics"]}


@pytest.fixture
def two_versions(client: FlaskClient, published: Path, cli: Cli) -> None:
    """Version 1.0: four users accept, all granting the optional notifications, one
    declines, one later switches notifications off. Version 2.0 adds analytics: two users
    accept, both grant it, one without notifications."""
    m1 = manifest(client)
    auth = send(client, [record(m1, purposes={"delivery": True, "notifications": True})
                         for _ in range(4)] + [record(m1, action="decline", purposes={})])
    send(client, [record(m1, action="update", purposes={"notifications": False},
                         locale=None, document_sha256=None)], auth)
    cli("publish", str(published / "2.0"))
    m2 = manifest(client)
    assert m2["current"]["version"] == 2
    send(client, [record(m2, purposes={"delivery": True, "notifications": True,
                                       "analytics": True}),
                  record(m2, purposes={"delivery": True, "notifications": False,
                                       "analytics": True})])


EXPECTED = [PurposeRate(1, "delivery", 4, 4, 0, 0), PurposeRate(1, "notifications", 4, 4, 0, 1),
            PurposeRate(2, "delivery", 2, 2, 0, 0), PurposeRate(2, "notifications", 2, 1, 0, 0),
            PurposeRate(2, "analytics", 2, 2, 0, 0)]


def test_the_opt_in_rate_is_granted_of_offered_per_version(
        client: FlaskClient, two_versions: None, kelisim: Kelisim,
        users: dict[str, int]) -> None:
    """A required purpose is 100 %, an optional one that everybody offered it granted is
    100 %, a purpose counts only in the versions that had it; the direct aggregates and the
    roll-ups agree."""
    with kelisim.db.session() as s:
        assert rollup.refresh(s, APP) == 8
    with kelisim.db.session(readonly=True) as s:
        assert acceptance.by_purpose(s, acceptance.Scope(APP), OFFERS) == EXPECTED
        assert rollup.by_purpose(s, acceptance.Scope(APP), OFFERS) == EXPECTED
        v2 = acceptance.Scope(APP, version=2)
        assert rollup.by_purpose(s, v2, {2: OFFERS[2]}) == EXPECTED[2:]
        assert acceptance.by_purpose(s, v2, {2: OFFERS[2]}) == EXPECTED[2:]
    sign_in(client, kelisim, users["viewer"])
    html = client.get(f"/admin/apps/{APP}/dashboard").get_data(True)

    def rate(version: int, purpose: str) -> str:
        row = re.search(rf'data-purpose="{purpose}" data-version="{version}">(.*?)</tr>',
                        html, re.S)
        assert row, (version, purpose)
        return re.search(r"data-rate>([^<]*)<", row.group(1)).group(1)

    assert [rate(1, "delivery"), rate(1, "notifications"), rate(2, "analytics"),
            rate(2, "notifications")] == ["100.0%", "100.0%", "100.0%", "50.0%"]
    assert 'data-purpose="analytics" data-version="1"' not in html  # 1.0 did not offer it
    assert 'id="rate-definition"' in html  # the page says what the rate counts
    html = client.get(f"/admin/apps/{APP}/dashboard?version=2.0").get_data(True)
    assert 'data-version="1"' not in html and 'data-purpose="analytics" data-version="2"' \
        in html


def _as(client: FlaskClient, lang: str) -> None:
    """Choose the console's language, as the switch in the page header does (the session
    cookie's path is /admin)."""
    with client.session_transaction("/admin/") as sess:
        sess["lang"] = lang


@pytest.mark.parametrize("lang,delivery,notifications", [
    ("ru", "Выполнение доставки", "Уведомления"),
    ("kk", "Жеткізуді орындау", "Хабарламалар"),
    ("en", "Making deliveries", "Notifications")])
def test_purposes_are_shown_by_title_in_the_page_language(
        client: FlaskClient, two_versions: None, kelisim: Kelisim, users: dict[str, int],
        lang: str, delivery: str, notifications: str) -> None:
    """Dashboard, consent log, a record and the app page name a purpose by its title in
    the console's language, with its id in small type (no more "location → delivery")."""
    sign_in(client, kelisim, users["viewer"])
    _as(client, lang)
    small = '<small class="pid"><code>{}</code></small>'
    titled = f'{delivery}</span> {small.format("delivery")}'
    pages = {name: client.get(f"/admin/apps/{APP}{path}").get_data(True)
             for name, path in (("dashboard", "/dashboard"), ("log", "/consents"), ("app", ""))}
    for name, html in pages.items():
        assert titled in html, name
    assert f'{notifications}</span> {small.format("notifications")}' in pages["log"]
    perm = re.search(r'data-permission="location">(.*?)</li>', pages["app"]).group(1)
    assert perm == f'<code>location</code> → <span translate="no">{titled}'
    record_id = re.search(r"/consents/([0-9a-f-]{36})", pages["log"]).group(1)
    html = client.get(f"/admin/apps/{APP}/consents/{record_id}").get_data(True)
    assert titled in html


def test_a_title_missing_in_the_page_language_falls_back_to_the_default_locale(
        app: Any) -> None:
    from server.admin.i18n import purpose_titles

    body = {"default_locale": "ru", "purposes": [
        {"id": "a", "title": {"kk": "Бірінші", "ru": "Первая"}},
        {"id": "b", "title": {"en": "Second", "ru": "Вторая"}},
        {"id": "c", "title": {"uz-Cyrl": "Учинчи"}}]}
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert purpose_titles(body) == {"a": "Первая", "b": "Second", "c": "Учинчи"}
    with app.test_request_context(headers={"Accept-Language": "kk"}):
        assert purpose_titles(body) == {"a": "Бірінші", "b": "Вторая", "c": "Учинчи"}
