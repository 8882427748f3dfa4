"""An app's transparency-log page (/admin/apps/<app>/log): every role sees the log's state,
its public files and the policy log; owners and auditors download the entry bundles (a
.tar.gz `kelisim log audit --entries` accepts) and any record's or request's proof file
by its id, each audited; a bad or unknown id is a field error. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import re
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from admin_support import APP, events, manifest, post, record, send, sign_in
from helpers import verified_root
from server import Kelisim
from server.admin.models import ROLES
from server.admin.security import ACCESS
from server.policylog_models import PolicyLogEntry

pytestmark = pytest.mark.rate_limits_off

PAGE = f"/admin/apps/{APP}/log"


def _request(client: FlaskClient, auth: dict[str, str], request_id: str | None = None
             ) -> str:
    """A data-subject request (access) filed as an app does; returns its id."""
    rid = request_id or str(uuid.uuid4())
    resp = client.post(f"/v1/apps/{APP}/requests", headers=auth, json={
        "id": rid, "kind": "access", "note": "What do you keep about me?", "withdraw": None,
        "client_time": "2026-03-01T08:00:00Z"})
    assert resp.status_code == 201, resp.get_json()
    return rid


@pytest.fixture
def logged(client: FlaskClient, published: Path, kelisim: Kelisim,
           users: dict[str, int]) -> dict[str, Any]:
    """Three records and a request between them: leaves record, record, request, record."""
    m = manifest(client)
    recs = [record(m), record(m, action="decline", purposes={}), record(m)]
    auth = send(client, recs[:2])
    request_id = _request(client, auth)
    send(client, recs[2:], auth)
    return {"records": [r["id"] for r in recs], "request": request_id, "auth": auth}


def _dd(html: str, dd_id: str) -> str:
    found = re.search(rf'<dd id="{dd_id}">([^<]*)</dd>', html)
    assert found, dd_id
    return found.group(1)


def test_every_role_sees_the_log_and_owners_and_auditors_its_private_parts(
        client: FlaskClient, logged: dict[str, Any], kelisim: Kelisim,
        users: dict[str, int]) -> None:
    root = verified_root(client.get("/v1/root.json").data)
    origin = f"{root['log']['origin_prefix']}/{APP}"
    for role in ROLES:
        sign_in(client, kelisim, users[role])
        assert f'href="{PAGE}"' in client.get(f"/admin/apps/{APP}").get_data(True)
        resp = client.get(PAGE)
        assert resp.status_code == 200, (role, resp.status_code)
        html = resp.get_data(True)
        assert (_dd(html, "log-size"), _dd(html, "log-records"),
                _dd(html, "log-requests")) == ("4", "3", "1"), role
        assert f"{origin}\n4\n" in html  # the newest checkpoint's text
        assert f"http://localhost/v1/apps/{APP}/log/checkpoint" in html
        assert f"kelisim log audit http://localhost/v1/apps/{APP}/log --origin {origin} " \
               f"--key {root['log']['keys'][0]}" in html
        assert "http://localhost/v1/policy-log/checkpoint" in html
        private = role in ACCESS["audit"]
        assert ('id="entries"' in html) is private and ('id="proof"' in html) is private
        assert ('id="personal-data"' in html) is private
        if not private:
            assert post(client, f"{PAGE}/entries").status_code == 403
            assert post(client, f"{PAGE}/proof", {"id": logged["records"][0]}
                        ).status_code == 403
    assert events(kelisim, "log.entries") == [] and events(kelisim, "consents.proof") == []
    assert set(ACCESS["audit"]) == {"owner", "auditor"}


def test_the_entry_bundles_make_a_log_that_the_audit_accepts(
        client: FlaskClient, logged: dict[str, Any], kelisim: Kelisim,
        users: dict[str, int], cli: Any, tmp_path: Path) -> None:
    sign_in(client, kelisim, users["auditor"])
    resp = post(client, f"{PAGE}/entries")
    assert resp.status_code == 200 and resp.mimetype == "application/gzip"
    assert resp.headers["Content-Disposition"] == f'attachment; filename="{APP}-log.tar.gz"'
    assert resp.headers["Cache-Control"] == "no-store"
    with tarfile.open(fileobj=io.BytesIO(resp.data), mode="r:gz") as tar:
        names = tar.getnames()
        tar.extractall(tmp_path, filter="data")
    assert f"{APP}-log/checkpoint" in names and f"{APP}-log/tile/entries/000.p/4" in names
    assert all(n.startswith(f"{APP}-log/") for n in names)
    root = verified_root(client.get("/v1/root.json").data)
    out = cli("log", "audit", str(tmp_path / f"{APP}-log"), "--origin",
              f"{root['log']['origin_prefix']}/{APP}", "--key", root["log"]["keys"][0],
              "--entries").output
    assert "ok entries: each of the 4 hashes to its leaf (3 record(s), 1 request(s))" in out
    assert "FAILED" not in out
    # The page's command names the folder the file unpacks to.
    assert f"kelisim log audit {APP}-log --origin" in client.get(PAGE).get_data(True)
    assert [(e.actor, e.target, e.details) for e in events(kelisim, "log.entries")] == [
        ("auditor@example.com", APP, {"size": 4})]
    # Without the CSRF token: refused, nothing audited; the owner may too.
    assert client.post(f"{PAGE}/entries").status_code == 400
    assert len(events(kelisim, "log.entries")) == 1
    sign_in(client, kelisim, users["owner"])
    assert post(client, f"{PAGE}/entries").status_code == 200
    assert len(events(kelisim, "log.entries")) == 2
    # An unknown app: 404, nothing audited.
    assert post(client, "/admin/apps/nosuch/log/entries").status_code == 404
    html = client.get("/admin/audit").get_data(True)
    assert "<code>log.entries</code>" in html and "tree size" in html


def test_a_log_without_a_checkpoint_offers_nothing_to_download(
        client: FlaskClient, published: Path, kelisim: Kelisim,
        users: dict[str, int]) -> None:
    sign_in(client, kelisim, users["owner"])
    html = client.get(PAGE).get_data(True)
    assert _dd(html, "log-size") == "0" and '<p id="entries">' in html
    assert '<p id="witnesses">' in html
    resp = post(client, f"{PAGE}/entries")
    assert resp.status_code == 409 and "no signed checkpoint yet" in resp.get_data(True)
    assert events(kelisim, "log.entries") == []


def test_the_proof_form_answers_a_records_file_and_names_a_bad_id(
        client: FlaskClient, logged: dict[str, Any], kelisim: Kelisim,
        users: dict[str, int], cli: Any, tmp_path: Path) -> None:
    sign_in(client, kelisim, users["auditor"])
    for bad, status, words in (
            ("nope", 422, "Not an id (a lower-case UUID)."),
            ("", 422, "required"),
            (str(uuid.uuid4()), 404, "No record or request of this app has this id.")):
        resp = post(client, f"{PAGE}/proof", {"id": bad})
        html = resp.get_data(True)
        assert resp.status_code == status, (bad, resp.status_code)
        assert f'<p class="field-error" data-field="id">{words}</p>' in html, bad
        assert f'name="id" value="{bad}"' in html  # the page comes back with the id
    client.get("/admin/lang/kk")
    html = post(client, f"{PAGE}/proof", {"id": str(uuid.uuid4())}).get_data(True)
    assert "Бұл қолданбаның мұндай id-і бар жазбасы да, сұрауы да жоқ." in html
    client.get("/admin/lang/en")
    assert events(kelisim, "consents.proof") == []
    rid = logged["records"][2]
    # Pasted with spaces and capitals: the record's file all the same.
    resp = post(client, f"{PAGE}/proof", {"id": f" {rid.upper()} "})
    assert resp.status_code == 200, resp.get_data(True)
    assert resp.headers["Content-Disposition"] == \
        f'attachment; filename="{APP}-{rid}.kelisim-proof"'
    assert json.loads(resp.data)["record"]["record_id"] == rid
    (tmp_path / "root.json").write_bytes(client.get("/v1/root.json").data)
    (tmp_path / "r.kelisim-proof").write_bytes(resp.data)
    out = cli("proof", "verify", str(tmp_path / "r.kelisim-proof"),
              "--root", str(tmp_path / "root.json")).output
    assert f"proven: record {rid} of app {APP} is entry 3 of the log" in out
    assert [(e.actor, e.details) for e in events(kelisim, "consents.proof")] == [
        ("auditor@example.com", {"record_id": rid})]
    assert client.post(f"{PAGE}/proof", data={"id": rid}).status_code == 400  # no CSRF
    assert len(events(kelisim, "consents.proof")) == 1


def test_the_proof_form_answers_a_requests_file(
        client: FlaskClient, logged: dict[str, Any], kelisim: Kelisim,
        users: dict[str, int], cli: Any, tmp_path: Path) -> None:
    # The queue is the responders' and owners': an auditor reaches a request's proof here.
    # (Needs the request proof files of client_sdk/protocol/prooffile.py.)
    sign_in(client, kelisim, users["auditor"])
    assert client.get("/admin/requests").status_code == 403
    resp = post(client, f"{PAGE}/proof", {"id": logged["request"]})
    assert resp.status_code == 200, resp.get_data(True)[:2000]
    doc = json.loads(resp.data)
    assert doc["record"]["entry"] == "request"
    assert doc["record"]["request_id"] == logged["request"]
    (tmp_path / "root.json").write_bytes(client.get("/v1/root.json").data)
    (tmp_path / "q.kelisim-proof").write_bytes(resp.data)
    out = cli("proof", "verify", str(tmp_path / "q.kelisim-proof"),
              "--root", str(tmp_path / "root.json")).output
    assert f"request {logged['request']} of app {APP} is entry 2 of the log" in out
    assert [(e.actor, e.details) for e in events(kelisim, "requests.proof")] == [
        ("auditor@example.com", {"request_id": logged["request"]})]
    assert post(client, f"/admin/requests/{APP}/{logged['request']}/proof"
                ).status_code == 200  # the queue's own route takes an auditor too


def test_a_record_and_a_request_with_one_id_the_page_asks_which(
        client: FlaskClient, logged: dict[str, Any], kelisim: Kelisim,
        users: dict[str, int]) -> None:
    rid = logged["records"][0]
    _request(client, logged["auth"], rid)  # a request that reuses a record's id
    sign_in(client, kelisim, users["owner"])
    resp = post(client, f"{PAGE}/proof", {"id": rid})
    html = resp.get_data(True)
    assert resp.status_code == 422 and 'data-field="kind"' in html
    assert '<select name="kind">' in html
    resp = post(client, f"{PAGE}/proof", {"id": rid, "kind": "record"})
    assert resp.status_code == 200 and json.loads(resp.data)["record"]["record_id"] == rid
    resp = post(client, f"{PAGE}/proof", {"id": rid, "kind": "letter"})
    assert resp.status_code == 422 and 'data-field="kind"' in resp.get_data(True)
    assert [e.details for e in events(kelisim, "consents.proof")] == [{"record_id": rid}]


def test_the_policy_log_card_counts_roots_and_manifests(
        client: FlaskClient, logged: dict[str, Any], kelisim: Kelisim,
        users: dict[str, int], cli: Any) -> None:
    cli("resign", "--force")  # a second manifest of the app
    cli("root", "rotate", "--new", "manifest")  # a second root, and a third manifest
    with kelisim.db.session(readonly=True) as s:
        rows = s.execute(sa.select(PolicyLogEntry.idx, PolicyLogEntry.kind,
                                   PolicyLogEntry.app_id, PolicyLogEntry.number)
                         .order_by(PolicyLogEntry.idx)).all()
    roots = [r for r in rows if r.kind == "root"]
    mine = [(r.number, r.idx) for r in rows if r.kind == "manifest" and r.app_id == APP]
    assert len(roots) == 2 and len(mine) == 3
    sign_in(client, kelisim, users["viewer"])
    html = client.get(PAGE).get_data(True)
    assert (_dd(html, "policy-size"), _dd(html, "policy-roots"),
            _dd(html, "policy-manifests")) == (str(len(rows)), "2", str(len(rows) - 2))
    table = html[html.index('id="policy-app-manifests"'):]
    table = table[:table.index("</table>")]
    shown = [tuple(int(x) for x in row) for row in re.findall(
        r'<tr><td class="num">(\d+)</td><td class="num">(\d+)</td></tr>', table)]
    assert shown == sorted(mine, reverse=True)  # newest first: seq -> entry index
    root = verified_root(client.get("/v1/root.json").data)
    prefix = root["log"]["origin_prefix"].removesuffix("/consents")
    assert f"{prefix}/policies\n{len(rows)}\n" in html  # the newest checkpoint
    assert f"kelisim log audit http://localhost/v1/policy-log --origin {prefix}/policies " \
           f"--key {root['log']['keys'][0]}" in html
