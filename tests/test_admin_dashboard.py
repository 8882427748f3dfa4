"""The acceptance dashboard: numbers from SQL aggregates match the records sent."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from admin_support import APP, manifest, record, send, sign_in
from server import Kelisim
from server.admin import acceptance


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
    row = re.search(r'data-purpose="notifications">(.*?)</tr>', html, re.S).group(1)
    assert "50.0%" in row  # granted in 2 of the 4 accept/update records
    assert re.search(r'data-locale="kk"><td>kk</td><td class="num">3<', html)
    assert re.search(r'data-locale="ru"><td>ru</td><td class="num">1<', html)
    assert "<svg" in html and "<script" not in html


def test_filters(client: FlaskClient, records: dict[str, Any], kelisim: Kelisim,
                 users: dict[str, int]) -> None:
    sign_in(client, kelisim, users["viewer"])
    html = client.get(f"/admin/apps/{APP}/dashboard?version=2").get_data(True)
    assert metric(html, "accept") == 0
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
            mod.by_purpose(s, scope, ["delivery", "notifications"]))


def test_rollups_equal_the_direct_aggregates(client: FlaskClient, records: dict[str, Any],
                                             kelisim: Kelisim) -> None:
    from server.admin import rollup

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
