"""The consent log: search, a record's receipt and chain check, export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from admin_support import APP, events, manifest, record, send, sign_in
from server import Kelisim
from server.models import ConsentRecord


@pytest.fixture
def sent(client: FlaskClient, published: Path, kelisim: Kelisim,
         users: dict[str, int]) -> dict[str, Any]:
    m = manifest(client)
    a = [record(m), record(m, action="acknowledge", purposes={})]
    b = [record(m, action="decline", purposes={})]
    auth_a = send(client, a)
    send(client, b)
    sign_in(client, kelisim, users["viewer"])
    return {"a": a, "b": b, "install_a": auth_a["X-Install"]}


def test_search(client: FlaskClient, sent: dict[str, Any]) -> None:
    html = client.get(f"/admin/apps/{APP}/consents").get_data(True)
    assert html.count('class="tag ') == 3
    html = client.get(f"/admin/apps/{APP}/consents?install_id={sent['install_a']}"
                      ).get_data(True)
    assert html.count('class="tag ') == 2
    html = client.get(f"/admin/apps/{APP}/consents?action=decline").get_data(True)
    assert html.count('class="tag ') == 1 and sent["b"][0]["id"][:8] in html
    html = client.get(f"/admin/apps/{APP}/consents?record_id={sent['a'][1]['id']}"
                      "&version=1&date_from=2000-01-01").get_data(True)
    assert html.count('class="tag ') == 1
    resp = client.get(f"/admin/apps/{APP}/consents?install_id=nope&action=eat")
    assert resp.status_code == 422
    body = resp.get_data(True)
    assert 'data-field="install_id"' in body and 'data-field="action"' in body


def test_record_verify_and_tampering(client: FlaskClient, sent: dict[str, Any],
                                     kelisim: Kelisim) -> None:
    rid = sent["a"][0]["id"]
    html = client.get(f"/admin/apps/{APP}/consents/{rid}").get_data(True)
    assert "application/vnd.kelisim.receipt+json" in html and 'id="checks"' not in html
    html = client.get(f"/admin/apps/{APP}/consents/{rid}?verify=1").get_data(True)
    assert html.count('<li class="ok">') == 5 and '<li class="bad">' not in html
    with kelisim.db.session() as s:
        s.execute(sa.update(ConsentRecord).where(ConsentRecord.record_id == rid)
                  .values(purposes={"delivery": True, "notifications": True}))
    html = client.get(f"/admin/apps/{APP}/consents/{rid}?verify=1").get_data(True)
    assert '<li class="bad">✘ record content matches its hash' in html
    # The next record's link still points at the stored hash, which is consistent.
    nxt = sent["a"][1]["id"]
    html = client.get(f"/admin/apps/{APP}/consents/{nxt}?verify=1").get_data(True)
    assert '<li class="bad">' not in html


def test_export(client: FlaskClient, sent: dict[str, Any], kelisim: Kelisim) -> None:
    resp = client.get(f"/admin/apps/{APP}/consents.csv?install_id={sent['install_a']}")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(True))))
    assert [r["record_id"] for r in rows] == [r["id"] for r in sent["a"]]
    assert rows[0]["operator_bin"] and rows[0]["chain_hash"]
    resp = client.get(f"/admin/apps/{APP}/consents.jsonl?action=decline")
    lines = [json.loads(x) for x in resp.get_data(True).splitlines()]
    assert [x["record_id"] for x in lines] == [sent["b"][0]["id"]]
    assert [e.details["format"] for e in events(kelisim, "consents.export")] == ["csv", "jsonl"]
    assert client.get(f"/admin/apps/{APP}/consents.csv?version=0").status_code == 422
