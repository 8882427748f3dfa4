"""Hostile input on the sync API's bodies and paths (integers of thousands of digits, lone
surrogates and NUL, impossible times, out-of-range integers, ids and grammars that match only
in part): a 4xx naming the problem, never a 500, nothing stored; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from builders import APP, counts, install, record
from server import Kelisim

pytestmark = pytest.mark.rate_limits_off

HUGE = "1" + "0" * 5000  # over Python's 4,300-digit limit for int()


def post(client: FlaskClient, path: str, body: str | bytes, auth: dict[str, str]) -> Any:
    resp = client.post(path, data=body, headers=auth, content_type="application/json")
    assert resp.status_code < 500, (path, body[:300], resp.get_json())
    return resp


def _with(body: dict[str, Any], raw_field: str, raw_value: str) -> str:
    """``body`` as JSON text with one field's value replaced by raw JSON text."""
    marker = "@@RAW@@"
    text = json.dumps({**body, raw_field: marker})
    return text.replace(json.dumps(marker), raw_value)


def test_integers_over_4300_digits_are_400_everywhere(client: FlaskClient,
                                                      manifest: dict[str, Any],
                                                      kelisim: Kelisim) -> None:
    _, auth = install(client)
    before = counts(kelisim)
    rec = record(manifest)
    bodies = [
        (f"/v1/apps/{APP}/installs", f'{{"n": {HUGE}}}'),
        (f"/v1/apps/{APP}/consents",
         '{"records": [' + _with(rec, "manifest_seq", HUGE) + "]}"),
        (f"/v1/apps/{APP}/consents",
         '{"records": [' + _with(rec, "evidence", f'{{"seconds_on_screen": -{HUGE}}}') + "]}"),
        (f"/v1/apps/{APP}/deletion-requests",
         _with({"id": str(uuid.uuid4()), "client_time": manifest["issued"]}, "x", HUGE)),
    ]
    for path, body in bodies:
        resp = post(client, path, body, auth)
        assert resp.status_code == 400, (path, resp.get_json())
        assert resp.get_json()["error"]["code"] == "bad_json"
        assert "digits" in resp.get_json()["error"]["message"]
    assert counts(kelisim) == before


@pytest.mark.parametrize("escape", [r"\ud800", r"\udfff", r"\u0000", r"a\uDC01b"])
def test_lone_surrogates_and_nul_are_400(client: FlaskClient, manifest: dict[str, Any],
                                         kelisim: Kelisim, escape: str) -> None:
    _, auth = install(client)
    before = counts(kelisim)
    rec = record(manifest)
    consents = f"/v1/apps/{APP}/consents"
    bodies = [
        (f"/v1/apps/{APP}/installs", f'{{"{escape}": 1}}'),
        (consents, '{"records": [' + _with(rec, "guardian", f'{{"name": "x{escape}"}}') + "]}"),
        (consents, '{"records": [' + _with(rec, "purposes", f'{{"{escape}": true}}') + "]}"),
        (consents, '{"records": [' + _with(rec, "guardian",
                                           f'{{"name": "Aigerim", "{escape}": "x"}}') + "]}"),
        (f"/v1/apps/{APP}/deletion-requests",
         _with({"client_time": manifest["issued"]}, "id", f'"{escape}"')),
    ]
    for path, body in bodies:
        resp = post(client, path, body, auth)
        assert resp.status_code == 400, (path, body, resp.get_json())
        assert resp.get_json()["error"]["code"] == "bad_json"
    assert counts(kelisim) == before
    # A valid surrogate pair (an emoji) is text: it passes this check, and reaches the
    # consent rules (which refuse a guardian on an adult's accept: the name was read).
    ok = _with(rec, "guardian", r'{"name": "Aigerim \ud83d\ude00"}')
    resp = post(client, consents, '{"records": [' + ok + "]}", auth)
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["error"]["details"]["rejected"][0]["field"] == "guardian"


IMPOSSIBLE_TIMES = [
    "2025-02-30T10:00:00Z",  # Feb 30
    "2025-04-31T10:00:00Z",
    "2025-01-01T24:00:00Z",  # hour 24
    "2025-01-01T23:59:60Z",  # second 60
    "0000-01-01T00:00:00Z",  # year 0000
    "2025-13-01T00:00:00Z",
]
MALFORMED_TIMES = [
    "2025-11-01T09:30:00Z\n",  # $ matches before a final newline
    "２０２５-11-01T09:30:00Z",  # fullwidth digits: \d takes them, int() reads them
    "٢٠٢٥-11-01T09:30:00Z",  # Arabic-Indic digits
    "2025-11-01T09:30:00+00:00",
    " 2025-11-01T09:30:00Z",
]


@pytest.mark.parametrize("when", IMPOSSIBLE_TIMES + MALFORMED_TIMES)
def test_impossible_or_malformed_client_time_is_422(client: FlaskClient,
                                                    manifest: dict[str, Any],
                                                    kelisim: Kelisim, when: str) -> None:
    _, auth = install(client)
    before = counts(kelisim)
    rec = record(manifest, client_time=when)
    resp = post(client, f"/v1/apps/{APP}/consents", json.dumps({"records": [rec]}), auth)
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "rejected"
    assert err["details"]["rejected"] == [{"id": rec["id"], "field": "client_time",
                                           "reason": err["details"]["rejected"][0]["reason"]}]
    resp = post(client, f"/v1/apps/{APP}/deletion-requests",
                json.dumps({"id": str(uuid.uuid4()), "client_time": when}), auth)
    assert resp.status_code == 422
    assert resp.get_json()["error"]["message"].startswith("client_time: ")
    assert counts(kelisim) == before


@pytest.mark.parametrize("field,value", [
    ("manifest_seq", 2**31), ("version", 2**31), ("manifest_seq", 2**63), ("version", 2**64),
    ("manifest_seq", 0), ("version", -1),
])
def test_integers_are_range_checked(client: FlaskClient, manifest: dict[str, Any],
                                    kelisim: Kelisim, field: str, value: int) -> None:
    _, auth = install(client)
    before = counts(kelisim)
    rec = record(manifest, **{field: value})
    resp = post(client, f"/v1/apps/{APP}/consents", json.dumps({"records": [rec]}), auth)
    assert resp.status_code == 422
    assert resp.get_json()["error"]["details"]["rejected"][0]["field"] == field
    assert counts(kelisim) == before
    ok = record(manifest)
    assert post(client, f"/v1/apps/{APP}/consents", json.dumps({"records": [ok]}),
                auth).status_code == 200


@pytest.mark.parametrize("bad_id", [
    "{u}\n", "{u}\r\n", " {u}", "{U}", "{u}x", "１{v}", "٣{v}",
])
def test_ids_must_match_in_full(client: FlaskClient, manifest: dict[str, Any],
                                kelisim: Kelisim, bad_id: str) -> None:
    _, auth = install(client)
    before = counts(kelisim)
    u = str(uuid.uuid4())
    rid = bad_id.replace("{u}", u).replace("{U}", u.upper()).replace("{v}", u[1:])
    rec = record(manifest, id=rid)
    resp = post(client, f"/v1/apps/{APP}/consents", json.dumps({"records": [rec]}), auth)
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "invalid"  # no valid id to name
    assert "records[0].id" in resp.get_json()["error"]["message"]
    resp = post(client, f"/v1/apps/{APP}/deletion-requests",
                json.dumps({"id": rid, "client_time": manifest["issued"]}), auth)
    assert resp.status_code == 422 and "id" in resp.get_json()["error"]["message"]
    assert counts(kelisim) == before


@pytest.mark.parametrize("field,value", [
    ("document_sha256", "{sha}\n"), ("locale", "kk\n"), ("locale", "к"),
    ("purposes", {"delivery\n": True}), ("purposes", {"ｄelivery": True}),
    ("evidence", {"ui_locale": "kk\n"}), ("evidence", {"seconds_on_screen": 86401}),
    ("evidence", {"layers_shown": ["purposes", "purposes"]}),
    ("evidence", {"seconds_by_layer": {"full_text": True}}),
])
def test_every_grammar_matches_in_full(client: FlaskClient, manifest: dict[str, Any],
                                       kelisim: Kelisim, field: str, value: Any) -> None:
    _, auth = install(client)
    before = counts(kelisim)
    if value == "{sha}\n":
        value = manifest["current"]["locales"]["kk"]["sha256"] + "\n"
    rec = record(manifest, **{field: value})
    resp = post(client, f"/v1/apps/{APP}/consents", json.dumps({"records": [rec]}), auth)
    assert resp.status_code == 422, resp.get_json()
    rejected = resp.get_json()["error"]["details"]["rejected"]
    assert {r["id"] for r in rejected} == {rec["id"]}
    assert rejected[0]["field"].startswith(field)
    assert counts(kelisim) == before


def test_full_evidence_is_accepted(client: FlaskClient, manifest: dict[str, Any]) -> None:
    _, auth = install(client)
    evidence = {"layers_shown": ["first_layer", "purposes", "full_text"],
                "full_text_opened": True, "scrolled_to_end": True, "seconds_on_screen": 86400,
                "seconds_by_layer": {"first_layer": 5, "full_text": 0}, "ui_locale": "uz-Cyrl"}
    resp = post(client, f"/v1/apps/{APP}/consents",
                json.dumps({"records": [record(manifest, evidence=evidence)]}), auth)
    assert resp.status_code == 200, resp.get_json()


@pytest.mark.parametrize("app_id", ["jana%00courier", "jana-courier%00", "jana-courier%0A",
                                    "Jana-Courier", "%C2%A0jana", "%ED%A0%80", "a" * 65])
def test_app_id_in_path_is_checked_before_the_database(client: FlaskClient,
                                                       manifest: dict[str, Any],
                                                       kelisim: Kelisim, app_id: str) -> None:
    install_id, auth = install(client)
    before = counts(kelisim)
    body = json.dumps({"records": [record(manifest)]})
    for method, path, data in [
        ("POST", f"/v1/apps/{app_id}/installs", None),
        ("POST", f"/v1/apps/{app_id}/installs/{install_id}/token", None),
        ("POST", f"/v1/apps/{app_id}/consents", body),
        ("GET", f"/v1/apps/{app_id}/installs/{install_id}/consents", None),
        ("POST", f"/v1/apps/{app_id}/deletion-requests",
         json.dumps({"id": str(uuid.uuid4()), "client_time": manifest["issued"]})),
    ]:
        resp = client.open(path, method=method, data=data, headers=auth,
                           content_type="application/json")
        assert resp.status_code == 404, (path, resp.get_json())
        assert resp.get_json()["error"]["code"] == "not_found"
    assert counts(kelisim) == before


@pytest.mark.parametrize("install_id", ["%00", "{u}%0A", "{U}", "x"])
def test_install_id_in_path_is_checked(client: FlaskClient, manifest: dict[str, Any],
                                       install_id: str) -> None:
    real, auth = install(client)
    bad = install_id.replace("{u}", real).replace("{U}", real.upper())
    for method, path in [("POST", f"/v1/apps/{APP}/installs/{bad}/token"),
                         ("GET", f"/v1/apps/{APP}/installs/{bad}/consents")]:
        resp = client.open(path, method=method, headers=auth)
        assert resp.status_code == 404, (path, resp.get_json())
