"""Data-subject requests: deadline countdown, overdue first, resolving with a note."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from admin_support import APP, Clock, deletion, events, manifest, post, record, send, sign_in
from client_sdk.protocol.timeutil import parse_time
from server import Kelisim
from server.models import DeletionRequest


def test_queue_deadline_and_resolve(client: FlaskClient, published: Path, kelisim: Kelisim,
                                    users: dict[str, int], clock: Clock) -> None:
    auth = send(client, [record(manifest(client))])
    first = deletion(client, auth)
    with kelisim.db.session(readonly=True) as s:
        received = parse_time(s.scalars(sa.select(DeletionRequest.server_time)).one())
    clock.now = received + timedelta(hours=1)
    sign_in(client, kelisim, users["responder"])
    html = client.get("/admin/requests").get_data(True)
    # 29 days and 23 hours left: whole days counted up
    assert first[:8] in html and "30 d left" in html and 'class="overdue"' not in html
    clock.now = received + timedelta(days=31)
    html = client.get("/admin/requests").get_data(True)
    assert 'class="overdue"' in html and "overdue by" in html
    # An owner sets a 7-day deadline for this app (e.g. Kyrgyzstan).
    sign_in(client, kelisim, users["owner"])
    resp = post(client, f"/admin/apps/{APP}/settings", {"request_deadline_days": "0"})
    assert resp.status_code == 422 and 'data-field="request_deadline_days"' in resp.get_data(True)
    assert post(client, f"/admin/apps/{APP}/settings",
                {"request_deadline_days": "7"}).status_code == 303
    # The setting applies to requests received from now on: a request's deadline was fixed
    # (and signed in its receipt) when it arrived.
    clock.now = received + timedelta(days=4, hours=1)
    html = client.get("/admin/requests").get_data(True)
    assert "26 d left" in html and 'class="overdue"' not in html
    second = deletion(client, auth)
    html = client.get("/admin/requests").get_data(True)
    assert "7 d left" in html and html.index(second[:8]) < html.index(first[:8])
    sign_in(client, kelisim, users["responder"])
    # A note is required; nothing changes without one.
    resp = post(client, f"/admin/requests/{APP}/{first}/resolve", {"note": "  "})
    assert resp.status_code == 422 and 'data-field="note"' in resp.get_data(True)
    assert "Write what was done, or why the request is refused." in resp.get_data(True)
    resp = post(client, f"/admin/requests/{APP}/{first}/resolve", {"note": "done\u202e"})
    assert resp.status_code == 422 and "no control or direction-changing" in resp.get_data(True)
    with kelisim.db.session(readonly=True) as s:
        assert set(s.scalars(sa.select(DeletionRequest.status))) == {"open"}
    resp = post(client, f"/admin/requests/{APP}/{first}/resolve",
                {"note": "Erased from CRM and backups"})
    assert resp.status_code == 303
    with kelisim.db.session(readonly=True) as s:
        d = s.scalars(sa.select(DeletionRequest).where(
            DeletionRequest.request_id == first)).one()
        assert d.status == "resolved" and d.resolution == "Erased from CRM and backups"
    assert post(client, f"/admin/requests/{APP}/{second}/resolve",
                {"note": "Erased"}).status_code == 303
    assert "No open requests" in client.get("/admin/requests").get_data(True)
    assert "Erased from CRM" in client.get("/admin/requests?all=1").get_data(True)
    assert post(client, f"/admin/requests/{APP}/{first}/resolve",
                {"note": "again"}).status_code == 409
    ev = events(kelisim, "deletion.resolve")
    assert [(e.actor, e.target) for e in ev] == [("responder@example.com", f"{APP}/{first}"),
                                                 ("responder@example.com", f"{APP}/{second}")]
    assert events(kelisim, "app.settings")[0].details == {"request_deadline_days": [None, 7]}


def test_the_queue_shows_the_nearest_deadlines_first_and_says_how_many_more(
        client: FlaskClient, published: Path, kelisim: Kelisim, users: dict[str, int],
        clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    """A flood of requests (one address filed 1,164 in a minute) cannot make the page
    unbounded: it shows QUEUE_ROWS, the nearest deadlines (the overdue) first, and says
    how many there are."""
    import server.admin.views.requests as view

    monkeypatch.setattr(view, "QUEUE_ROWS", 3)
    auth = send(client, [record(manifest(client))])
    start = clock.now
    filed = []
    for day in range(5):  # received a day apart: deadlines a day apart
        clock.now = start + timedelta(days=day)
        filed.append(deletion(client, auth))
    clock.now = start + timedelta(days=30, hours=12)  # the first is overdue
    sign_in(client, kelisim, users["responder"])
    html = client.get("/admin/requests").get_data(True)
    shown = [rid for rid in filed if f'data-request="{rid}"' in html]
    assert shown == filed[:3]
    assert html.index(filed[0]) < html.index(filed[1]) < html.index(filed[2])
    assert 'id="queue-cut"' in html and "of 5" in html
    # Answered ones come after the open ones, and count too.
    assert post(client, f"/admin/requests/{APP}/{filed[0]}/resolve",
                {"note": "Erased"}).status_code == 303
    html = client.get("/admin/requests?all=1").get_data(True)
    assert [rid for rid in filed if f'data-request="{rid}"' in html] == filed[1:4]
    assert "of 5" in html



def test_the_apps_list_links_open_requests_for_those_who_handle_them(
        client: FlaskClient, published: Path, kelisim: Kelisim, users: dict[str, int]) -> None:
    """The count of open requests on the apps list opens the queue for owners and
    responders; the other roles see the number, with no link to a page they may not open."""
    auth = send(client, [record(manifest(client))])
    deletion(client, auth)
    link = '<a href="/admin/requests" class="open-requests"><strong>1</strong></a>'
    for role in ("owner", "responder", "publisher", "viewer", "auditor"):
        sign_in(client, kelisim, users[role])
        html = client.get("/admin/").get_data(True)
        assert "<strong>1</strong>" in html, role
        assert (link in html) is (role in ("owner", "responder")), role
        if link in html:
            assert client.get("/admin/requests").status_code == 200
