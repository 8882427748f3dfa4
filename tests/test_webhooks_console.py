"""The console's webhook page (owner only, CSRF, audited; SQLite and PostgreSQL): an
endpoint added with its events, its secret shown once and never cached; bad input named
and nothing stored; paused, resumed, a test event queued, a delivery replayed, deleted only
with its box ticked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from admin_support import APP, assert_owner_only, events, post
from server import Kelisim
from server.models import WebhookDelivery, WebhookEndpoint

SECRET = re.compile(r"whsec_[A-Za-z0-9_-]{43}")


def _endpoints(kelisim: Kelisim) -> list[tuple[str, str, list[str]]]:
    with kelisim.db.session(readonly=True) as s:
        return [(p.endpoint_id, p.status, list(p.events))
                for p in s.scalars(select(WebhookEndpoint))]


def test_console_owner_manages_webhooks(client: FlaskClient, published: Path,
                                        kelisim: Kelisim, users: dict[str, int]) -> None:
    page = f"/admin/apps/{APP}/webhooks"
    assert_owner_only(client, kelisim, users, page)
    good = {"url": "https://hooks.example/kelisim", "event": ["consent.withdrawn",
                                                              "request.created"]}
    for bad, field in [({**good, "url": ""}, "url"), ({**good, "url": "ftp://x/"}, "url"),
                       ({**good, "url": "http://169.254.169.254/"}, "url"),
                       ({"url": good["url"]}, "events"),
                       ({**good, "event": ["consent.eaten"]}, "events")]:
        resp = post(client, page, bad)
        assert resp.status_code == 422 and f'data-field="{field}"' in resp.get_data(True)
    assert _endpoints(kelisim) == []
    assert client.post(page, data=good).status_code == 400  # no CSRF token
    assert _endpoints(kelisim) == []

    resp = post(client, page, good)
    html = resp.get_data(True)
    assert resp.status_code == 201 and resp.headers["Cache-Control"] == "no-store"
    [secret] = SECRET.findall(html)
    [(endpoint_id, status, subscribed)] = _endpoints(kelisim)
    assert status == "active" and subscribed == ["consent.withdrawn", "request.created"]
    listed = client.get(page).get_data(True)
    assert secret not in listed and endpoint_id in listed
    base = f"{page}/{endpoint_id}"
    assert post(client, f"{base}/pause").status_code == 303
    assert _endpoints(kelisim)[0][1] == "paused"
    assert post(client, f"{base}/resume").status_code == 303
    assert _endpoints(kelisim)[0][1] == "active"
    resp = post(client, f"{base}/test")
    assert resp.status_code == 303
    # The page says the test event is queued, for which address, in the page's language.
    html = client.get(resp.headers["Location"]).get_data(True)
    assert 'id="done"' in html and "A test event is queued for https://" in html
    html = client.get(resp.headers["Location"], headers={"Accept-Language": "ru"}
                      ).get_data(True)
    assert "Тестовое событие поставлено в очередь для https://" in html
    with kelisim.db.session(readonly=True) as s:
        [delivery] = s.scalars(select(WebhookDelivery)).all()
        delivery_id = delivery.id
    assert "webhook.test" in client.get(page).get_data(True)
    resp = post(client, f"{page}/deliveries/{delivery_id}/replay")
    assert resp.status_code == 303
    assert 'id="done"' in client.get(resp.headers["Location"]).get_data(True)
    assert post(client, f"{page}/deliveries/999999/replay").status_code == 404
    assert post(client, f"{page}/000000000000/pause").status_code == 404
    assert post(client, f"{base}/explode").status_code == 404
    resp = post(client, f"{base}/delete")
    assert resp.status_code == 422 and 'data-field="confirm"' in resp.get_data(True)
    assert len(_endpoints(kelisim)) == 1
    assert post(client, f"{base}/delete", {"confirm": "yes"}).status_code == 303
    assert _endpoints(kelisim) == []
    assert client.get("/admin/apps/nosuch/webhooks").status_code == 404
    logged: list[Any] = [(e.actor, e.action, e.target) for e in events(kelisim)
                         if e.action.startswith("webhook.")]
    target = f"{APP}/{endpoint_id}"
    assert logged == [("owner@example.com", f"webhook.{a}", target) for a in
                      ("create", "pause", "resume", "test", "replay", "delete")]
