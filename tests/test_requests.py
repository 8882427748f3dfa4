"""Requests of the data subject on the server (in-process, SQLite and PostgreSQL): each
kind with a signed receipt holding its deadline; the deadline rule (the app's setting,
Kyrgyzstan's week for access); the queue's order in the console and the CLI; refusing
with a note; the withdraw choice recorded; bad fields refused by name, nothing stored."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from admin_support import APP, Clock, deletion, events, manifest, post, record, send, sign_in
from client_sdk.protocol.model import Root
from client_sdk.protocol.receipts import confirms_request, verify_receipt
from client_sdk.protocol.timeutil import format_time, parse_time
from helpers import verified_root
from server import Kelisim
from server.consent.deadlines import deadline_days
from server.models import App, DeletionRequest


def _file(client: FlaskClient, auth: dict[str, str], kind: str, note: str | None = None,
          withdraw: bool | None = None, **extra: Any) -> Any:
    body = {"id": str(uuid.uuid4()), "kind": kind, "client_time": manifest(client)["issued"],
            "note": note, "withdraw": withdraw, **extra}
    return client.post(f"/v1/apps/{APP}/requests", json=body,
                       headers={"Authorization": auth["Authorization"]}), body


def _rows(kelisim: Kelisim) -> list[DeletionRequest]:
    with kelisim.db.session(readonly=True) as s:
        return list(s.scalars(sa.select(DeletionRequest).order_by(DeletionRequest.row_id)))


def _country(kelisim: Kelisim, country: str) -> None:
    """The controller's country as app.toml would give it (the demo's is KZ)."""
    with kelisim.db.session() as s:
        app = s.get(App, APP)
        assert app is not None
        app.controller = {**app.controller, "country": country}


def test_every_kind_gets_a_signed_receipt_with_its_deadline(
        client: FlaskClient, published: Path, kelisim: Kelisim, clock: Clock) -> None:
    root = Root.from_payload(verified_root(client.get("/v1/root.json").data))
    auth = send(client, [record(manifest(client))])
    install = auth["X-Install"]
    cases = [("access", None, None), ("rectification", "My name is Äsel, not Asel", None),
             ("blocking", None, None), ("deletion", None, True), ("deletion", None, False)]
    for kind, note, withdraw in cases:
        resp, body = _file(client, auth, kind, note, withdraw)
        assert resp.status_code == 201, resp.get_json()
        answer = resp.get_json()
        receipt = verify_receipt(answer["receipt"].encode(), root, app_id=APP,
                                 install_id=install, kind="request")
        assert confirms_request(receipt, body["id"], kind, body["client_time"], withdraw, note)
        assert receipt.request is not None
        received = parse_time(receipt.request.server_time)
        assert receipt.request.deadline == answer["deadline"] == \
            format_time(received + timedelta(days=30))
        # The same request again: the same receipt (idempotent), nothing new stored.
        again = client.post(f"/v1/apps/{APP}/requests", json=body,
                            headers={"Authorization": auth["Authorization"]})
        assert again.status_code == 201 and again.get_json()["receipt"] == answer["receipt"]
    rows = _rows(kelisim)
    assert [(r.kind, r.note, r.withdraw, r.status) for r in rows] == [
        (k, n, w, "open") for k, n, w in cases]
    # The install reads each back in its history, the withdraw choice included.
    page = client.get(f"/v1/apps/{APP}/installs/{install}/consents",
                      headers={"Authorization": auth["Authorization"]}).get_json()
    assert [(q["kind"], q["withdraw"], q["status"], q["answer"]) for q in page["requests"]] == \
        [(k, w, "open", None) for k, _n, w in cases]
    assert [q["id"] for q in page["deletion_requests"]] == \
        [q["id"] for q in page["requests"] if q["kind"] == "deletion"]


def test_deadline_rule() -> None:
    """The app's days, capped by the controller country's statute where there is one."""
    assert deadline_days("KZ", "access", 30) == 30
    assert deadline_days("KG", "access", 30) == 7
    assert deadline_days("kg", "access", 5) == 5
    assert deadline_days("KG", "deletion", 30) == 30
    assert deadline_days("KG", "rectification", 12) == 12
    assert deadline_days(None, "blocking", 30) == 30


def test_kyrgyz_controller_answers_access_within_a_week(
        client: FlaskClient, published: Path, kelisim: Kelisim, clock: Clock,
        users: dict[str, int]) -> None:
    _country(kelisim, "KG")
    auth = send(client, [record(manifest(client))])
    for kind in ("access", "deletion"):
        assert _file(client, auth, kind, withdraw=False if kind == "deletion" else None
                     )[0].status_code == 201
    # The app's own setting (the console's app page) applies to requests received after.
    sign_in(client, kelisim, users["owner"])
    assert post(client, f"/admin/apps/{APP}/settings",
                {"request_deadline_days": "5"}).status_code == 303
    clock.now += timedelta(hours=1)
    for kind in ("access", "deletion"):
        assert _file(client, auth, kind, withdraw=False if kind == "deletion" else None
                     )[0].status_code == 201
    days = [(r.kind, (parse_time(r.deadline) - parse_time(r.server_time)).days)
            for r in _rows(kelisim)]
    assert days == [("access", 7), ("deletion", 30), ("access", 5), ("deletion", 5)]


def test_the_queue_lists_overdue_first_then_by_deadline(
        client: FlaskClient, published: Path, kelisim: Kelisim, clock: Clock,
        users: dict[str, int], cli: Any) -> None:
    _country(kelisim, "KG")
    auth = send(client, [record(manifest(client))])
    start = clock.now
    ids: dict[str, str] = {}
    # Received in this order; their deadlines fall in another.
    for name, kind, at in [("deletion_old", "deletion", start),
                           ("access_old", "access", start),
                           ("blocking_new", "blocking", start + timedelta(days=5)),
                           ("access_new", "access", start + timedelta(days=6))]:
        clock.now = at
        resp, body = _file(client, auth, kind, withdraw=False if kind == "deletion" else None)
        assert resp.status_code == 201
        ids[name] = body["id"]
    clock.now = start + timedelta(days=8)  # access_old (7 days) is overdue
    expected = ["access_old", "access_new", "deletion_old", "blocking_new"]
    sign_in(client, kelisim, users["responder"])
    html = client.get("/admin/requests").get_data(True)
    positions = [html.index(f'data-request="{ids[n]}"') for n in expected]
    assert positions == sorted(positions), html
    row = html[html.index(f'data-request="{ids["access_old"]}"'):]
    row = row[:row.index("</tr>")]
    assert 'data-kind="access"' in html and "overdue by 1 d" in row
    header, *out = cli("requests", "list", APP).output.splitlines()
    assert header.startswith("id\tkind\t")
    assert [line.split("\t")[0] for line in out] == [ids[n] for n in expected]
    assert [line.split("\t")[1] for line in out] == ["access", "access", "deletion", "blocking"]
    assert cli("requests", "list", APP, "--kind", "access").output.count("\n") == 1 + 2
    # Refused with a reason in the console: it leaves the open queue, the install reads it.
    resp = post(client, f"/admin/requests/{APP}/{ids['blocking_new']}/resolve",
                {"note": "Processing is required by the tax code (Art. 1)",
                 "outcome": "refuse"})
    assert resp.status_code == 303
    cli("requests", "resolve", APP, ids["access_old"], "--note", "Sent the data by e-mail")
    done = {r.request_id: r for r in _rows(kelisim)}
    assert (done[ids["blocking_new"]].status, done[ids["access_old"]].status) == \
        ("refused", "resolved")
    page = client.get(f"/v1/apps/{APP}/installs/{auth['X-Install']}/consents",
                      headers={"Authorization": auth["Authorization"]}).get_json()
    answers = {q["id"]: (q["status"], q["answer"]) for q in page["requests"]}
    assert answers[ids["blocking_new"]] == ("refused",
                                             "Processing is required by the tax code (Art. 1)")
    assert answers[ids["access_old"]] == ("resolved", "Sent the data by e-mail")
    # The queue with the answered ones: a refusal does not look like a resolution.
    html = client.get("/admin/requests?all=1").get_data(True)
    assert html.count('<span class="tag refused">') == 1
    assert html.count('<span class="tag done">') == 1
    assert [e.action for e in events(kelisim)
            if e.action.startswith("request.")] == ["request.refuse", "request.resolve"]
    # The operator's answer is read by the user: nothing that hides or reorders text.
    for bad in ("\u200b", "ok\u202e", "\x07done"):
        out = cli("requests", "resolve", APP, ids["access_new"], "--note", bad,
                  ok=False).output
        assert "note" in out and "visible" in out, out
    # Answered once only.
    assert "resolved at" in cli("requests", "refuse", APP, ids["access_old"], "--note", "x",
                                ok=False).output


@pytest.mark.parametrize("change,field", [
    ({"kind": "erase"}, "kind"),
    ({"kind": None}, "kind"),
    ({"note": ""}, "note"),
    ({"note": "x" * 2001}, "note"),
    ({"note": 5}, "note"),
    ({"kind": "rectification"}, "note"),  # a rectification says what to correct
    ({"kind": "rectification", "note": "   "}, "note"),
    ({"kind": "rectification", "note": "\u200b\u200b"}, "note"),  # nothing visible
    ({"note": "name\u202etxt.exe"}, "note"),  # reorders what the operator reads
    ({"note": "\x1b[2Jcleared"}, "note"),  # a terminal escape for `requests list`
    ({"kind": "deletion"}, "withdraw"),  # a deletion says whether consent is withdrawn
    ({"kind": "deletion", "withdraw": "yes"}, "withdraw"),
    ({"withdraw": True}, "withdraw"),  # only a deletion withdraws
    ({"client_time": "2026-02-30T00:00:00Z"}, "client_time"),
    ({"id": "not-a-uuid"}, "id"),
    ({"surprise": 1}, "surprise"),
])
def test_bad_fields_are_refused_by_name_and_nothing_is_stored(
        client: FlaskClient, published: Path, kelisim: Kelisim, change: dict[str, Any],
        field: str) -> None:
    auth = send(client, [record(manifest(client))])
    body = {"id": str(uuid.uuid4()), "kind": "access", "client_time": manifest(client)["issued"],
            "note": None, "withdraw": None, **change}
    resp = client.post(f"/v1/apps/{APP}/requests", json=body,
                       headers={"Authorization": auth["Authorization"]})
    assert resp.status_code == 422, resp.get_json()
    error = resp.get_json()["error"]
    assert field in str(error["details"]) + error["message"], error
    assert _rows(kelisim) == []


def test_a_missing_field_is_named(client: FlaskClient, published: Path,
                                  kelisim: Kelisim) -> None:
    auth = send(client, [record(manifest(client))])
    for missing in ("note", "withdraw", "kind"):
        body = {"id": str(uuid.uuid4()), "kind": "access",
                "client_time": manifest(client)["issued"], "note": None, "withdraw": None}
        del body[missing]
        resp = client.post(f"/v1/apps/{APP}/requests", json=body,
                           headers={"Authorization": auth["Authorization"]})
        assert resp.status_code == 422 and missing in str(resp.get_json()), resp.get_json()
    assert _rows(kelisim) == []


def test_migration_keeps_deletion_requests_with_their_deadline(
        client: FlaskClient, published: Path, kelisim: Kelisim, clock: Clock,
        users: dict[str, int]) -> None:
    """Rows from before 0008 become deletions due at received + the app's setting."""
    auth = send(client, [record(manifest(client))])
    first = deletion(client, auth)
    sign_in(client, kelisim, users["owner"])
    assert post(client, f"/admin/apps/{APP}/settings",
                {"request_deadline_days": "12"}).status_code == 303
    # As a deployment without a log key had it: no signed checkpoint covers the request
    # (one would keep 0018 from being undone: tests/test_tlog_requests.py).
    with kelisim.db.session() as s:
        s.execute(sa.text("DELETE FROM tlog_checkpoints"))
    kelisim.db.downgrade("0005")
    with kelisim.db.engine.connect() as conn:
        assert "kind" not in {c["name"] for c in sa.inspect(conn).get_columns(
            "deletion_requests")}
    kelisim.db.upgrade()
    (row,) = _rows(kelisim)
    assert (row.request_id, row.kind, row.note, row.withdraw) == (first, "deletion", None, None)
    assert parse_time(row.deadline) - parse_time(row.server_time) == timedelta(days=12)
