"""Issue 18, what the console says: version labels where a person reads or types a version,
times in the operator's zone (UTC on hover), the evidence in the exports and in words, the
audit log's details in the page's language, and the small things a newcomer noticed."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from admin_support import APP, events, manifest, post, record, send, sign_in
from client_sdk.protocol.timeutil import parse_time
from server import Kelisim
from server.consent.export import CSV_COLUMNS, EVIDENCE_COLUMNS, export_rows, to_csv_line

EVIDENCE = {"layers_shown": ["first_layer", "full_text"], "full_text_opened": True,
            "scrolled_to_end": True, "seconds_on_screen": 42,
            "seconds_by_layer": {"first_layer": 30, "full_text": 12}}


@pytest.fixture
def sent(client: FlaskClient, published: Path, kelisim: Kelisim,
         users: dict[str, int]) -> dict[str, Any]:
    m = manifest(client)
    accepted = record(m, evidence=EVIDENCE)
    bare = record(m, evidence={})
    withdrawn = record(m, action="withdraw", purposes={}, locale=None, evidence={},
                       document_sha256=None)
    send(client, [accepted, bare, withdrawn])
    sign_in(client, kelisim, users["owner"])
    return {"accepted": accepted, "bare": bare, "withdrawn": withdrawn}


def _cell(html: str, record_id: str) -> str:
    row = re.search(rf"<tr><td>\d+</td>(.*?){record_id[:8]}", html, re.S)
    assert row, record_id
    return row.group(1)


def test_the_consent_log_reads_and_takes_labels(client: FlaskClient,
                                                sent: dict[str, Any]) -> None:
    html = client.get(f"/admin/apps/{APP}/consents").get_data(True)
    # The version column reads the label, not the internal number.
    assert '<td data-version="1">1.0</td>' in _cell(html, sent["accepted"]["id"])
    # The filter is a select of the app's labels, not a number field.
    assert 'type="number" name="version"' not in html
    assert '<option value="1.0" >1.0</option>' in html
    html = client.get(f"/admin/apps/{APP}/consents?version=1.0").get_data(True)
    assert html.count('class="tag ') == 3 and 'value="1.0" selected' in html
    # A label no version has: a clear message on the log's page, nothing else shown.
    resp = client.get(f"/admin/apps/{APP}/consents?version=2.1")
    body = resp.get_data(True)
    assert resp.status_code == 422 and 'class="tag ' not in body
    assert re.search(r'data-field="version">No version of this app has this label', body)
    resp = post(client, f"/admin/apps/{APP}/consents/export", {"fmt": "csv",
                                                                "version": "2.1"})
    assert resp.status_code == 422 and 'data-field="version"' in resp.get_data(True)
    assert events(client.application.extensions["kelisim"], "consents.export") == []
    # The record page reads the label too, the number in small type.
    html = client.get(f"/admin/apps/{APP}/consents/{sent['accepted']['id']}").get_data(True)
    assert re.search(r'<dd id="version">1\.0 <small class="pid">#1</small></dd>', html)


def test_times_are_in_the_operators_zone_with_utc_on_hover(client: FlaskClient,
                                                           sent: dict[str, Any],
                                                           kelisim: Kelisim) -> None:
    from server.models import ConsentRecord

    with kelisim.db.session(readonly=True) as s:
        stored = s.query(ConsentRecord.server_time).filter_by(
            record_id=sent["accepted"]["id"]).scalar()

    def shown(html: str, zone: str) -> None:
        local = parse_time(stored).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
        utc = parse_time(stored).strftime("%Y-%m-%d %H:%M:%S UTC")
        assert f'<time datetime="{stored}" title="{utc}">{local}</time>' in html
        assert f"Times: {zone}" in html  # the zone is named on the page
        assert stored not in re.sub(r'(datetime|title)="[^"]*"', "", html)

    # No setting: the app's controller country (the demo app's is KZ).
    shown(client.get(f"/admin/apps/{APP}/consents").get_data(True), "Asia/Almaty")
    # The user's own setting, on the account page, stored and audited.
    assert 'name="time_zone"' in client.get("/admin/password").get_data(True)
    resp = post(client, "/admin/account/time-zone", {"time_zone": "Asia/Tashkent"})
    assert resp.status_code == 303
    shown(client.get(f"/admin/apps/{APP}/consents").get_data(True), "Asia/Tashkent")
    assert [e.details for e in events(kelisim, "user.time_zone")] == [
        {"time_zone": [None, "Asia/Tashkent"]}]
    resp = post(client, "/admin/account/time-zone", {"time_zone": "Mars/Olympus"})
    assert resp.status_code == 422
    assert 'data-field="time_zone">Not one of the listed time zones.' in resp.get_data(True)
    html = client.get("/admin/audit").get_data(True)
    assert "Times: Asia/Tashkent" in html and '<time datetime="' in html
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d",
                         re.sub(r'(datetime|title)="[^"]*"', "", html))
    # Back to the default.
    assert post(client, "/admin/account/time-zone", {"time_zone": ""}).status_code == 303
    shown(client.get(f"/admin/apps/{APP}/consents").get_data(True), "Asia/Almaty")


def test_the_exports_carry_the_evidence(client: FlaskClient, sent: dict[str, Any],
                                        kelisim: Kelisim) -> None:
    resp = post(client, f"/admin/apps/{APP}/consents/export", {"fmt": "csv"})
    rows = {r["record_id"]: r for r in csv.DictReader(io.StringIO(resp.get_data(True)))}
    assert list(next(iter(rows.values()))) == CSV_COLUMNS
    got = {c: rows[sent["accepted"]["id"]][c] for c in EVIDENCE_COLUMNS}
    assert got == {"layers_shown": "first_layer;full_text", "full_text_opened": "True",
                   "scrolled_to_end": "True", "seconds_on_screen": "42",
                   "seconds_by_layer": "first_layer=30;full_text=12", "ui_locale": ""}
    assert {c: rows[sent["bare"]["id"]][c] for c in EVIDENCE_COLUMNS} == dict.fromkeys(
        EVIDENCE_COLUMNS, "")
    resp = post(client, f"/admin/apps/{APP}/consents/export", {"fmt": "jsonl"})
    lines = {x["record_id"]: x for x in map(json.loads, resp.get_data(True).splitlines())}
    assert lines[sent["accepted"]["id"]]["evidence"] == EVIDENCE
    assert lines[sent["accepted"]["id"]]["version_label"] == "1.0"
    # `kelisim consents export` writes the same columns.
    with kelisim.db.session(readonly=True) as s:
        cli_rows = list(export_rows(s, APP))
    assert cli_rows[0]["evidence"] == EVIDENCE
    assert to_csv_line(cli_rows[0]).count(",") == len(CSV_COLUMNS) - 1


def test_evidence_cells_stay_neutralised() -> None:
    row = {c: None for c in CSV_COLUMNS}
    # Not a valid record's evidence (the API refuses it), but the writer must not trust it.
    row["evidence"] = {"layers_shown": ["=HYPERLINK(1)"], "ui_locale": "-2+3"}
    line = next(csv.reader([to_csv_line(row)]))
    cells = dict(zip(CSV_COLUMNS, line, strict=True))
    assert cells["layers_shown"] == "'=HYPERLINK(1)" and cells["ui_locale"] == "'-2+3"


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "Saw the first layer and the full text; opened the full text; scrolled to the "
           "end; 42 s on screen; 30 s on the first layer and 12 s on the full text."),
    ("ru", "Видел первый экран и полный текст; открыл полный текст; прокрутил до конца; "
           "42 с на экране; 30 с — первый экран и 12 с — полный текст."),
])
def test_the_record_page_says_the_evidence_in_words(client: FlaskClient, sent: dict[str, Any],
                                                    lang: str, words: str) -> None:
    client.get(f"/admin/lang/{lang}")
    html = client.get(f"/admin/apps/{APP}/consents/{sent['accepted']['id']}").get_data(True)
    assert f'<dd id="evidence">{words}</dd>' in html
    assert "seconds_on_screen" not in html.split('id="evidence"')[1].split("</dd>")[0]


def test_withdrawals_are_named_not_a_dash(client: FlaskClient, sent: dict[str, Any]) -> None:
    html = client.get(f"/admin/apps/{APP}/consents").get_data(True)
    assert "withdrawal (no language)" in _cell(html, sent["withdrawn"]["id"])
    html = client.get(f"/admin/apps/{APP}/dashboard").get_data(True)
    row = re.search(r'<tr data-locale="-"><td>(.*?)</td>', html)
    assert row and row.group(1) == "withdrawal (no language)"
    # The no-language row comes last, after the real languages.
    assert html.index('data-locale="kk"') < html.index('data-locale="-"')


def test_audit_details_are_in_the_pages_language(client: FlaskClient, sent: dict[str, Any],
                                                 kelisim: Kelisim) -> None:
    assert post(client, f"/admin/apps/{APP}/drafts").status_code == 303
    assert [e.details for e in events(kelisim, "draft.create")] == [
        {"from": {"version": "1.0", "number": 1}}]
    client.get("/admin/lang/ru")
    html = client.get("/admin/audit").get_data(True)
    assert '<dt>создан из</dt><dd>версия <span translate="no">1.0</span></dd>' in html
    assert "from version" not in html and "<dt>from</dt>" not in html
    client.get("/admin/lang/kk")
    html = client.get("/admin/audit").get_data(True)
    assert '<dt>негізі</dt><dd><span translate="no">1.0</span> нұсқасы</dd>' in html


def test_audit_details_written_before_they_were_structured() -> None:
    from markupsafe import escape

    from server.admin.auditview import detail_rows

    rows = detail_rows({"from": "upload policy.md", "role": ["viewer", "owner"],
                        "upcoming": False, "reason": "wrong_password"}, escape)
    assert [(k, str(v)) for k, v in rows] == [
        ("made from", 'the file <span translate="no">policy.md</span>'),
        ("role", "viewer → owner"), ("scheduled", "no"), ("reason", "wrong password")]


def test_refuse_looks_unlike_resolve(client: FlaskClient, published: Path,
                                     kelisim: Kelisim, users: dict[str, int]) -> None:
    from admin_support import deletion

    deletion(client, send(client, [record(manifest(client))]))
    sign_in(client, kelisim, users["owner"])
    html = client.get("/admin/requests").get_data(True)
    assert re.search(r'<button type="submit" name="outcome" value="refuse" class="danger">',
                     html)
    assert re.search(r'<button type="submit" name="outcome" value="resolve">', html)


def test_the_record_page_wraps_words_whole() -> None:
    css = (Path(__file__).resolve().parent.parent / "server" / "admin" / "static" /
           "console.css").read_text("utf-8")
    rule = re.search(r"dl\.kv dd \{([^}]*)\}", css)
    assert rule and "break-all" not in rule.group(1)
