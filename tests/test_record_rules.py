"""The server checks each record against the signed version it names with the SDK's rules
(purposes, guardian, age) and stores a record whatever the device clock said, with a skew
flag; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from builders import APP, install, record
from client_sdk.protocol.grammar import parse_time
from client_sdk.protocol.timeutil import format_time, utcnow
from helpers import payload_of
from server import Kelisim
from server.consent import checks as record_checks
from server.models import ConsentRecord, DeletionRequest, Receipt

pytestmark = pytest.mark.rate_limits_off


def stored(k: Kelisim) -> tuple[int, int, int]:
    with k.db.session() as s:
        return tuple(s.scalar(sa.select(sa.func.count()).select_from(m)) or 0  # type: ignore
                     for m in (ConsentRecord, Receipt, DeletionRequest))


def test_records_contradicting_their_version_are_rejected_by_id(
        client: FlaskClient, manifest: dict[str, Any], kelisim: Kelisim) -> None:
    _, auth = install(client)
    cur = manifest["current"]
    assert cur["min_age"] == 18 and cur["guardian_consent"] is False
    good = record(manifest)
    refuses_required = record(manifest, purposes={"delivery": False, "notifications": True})
    no_age = record(manifest, age_confirmed=None)
    under_age = record(manifest, age_confirmed=False)
    decline_grants = record(manifest, action="decline", purposes={"notifications": True})
    wrong_doc = record(manifest, locale="ru")  # the kk document's hash with locale ru
    unknown_version = record(manifest, version=7)
    batch = [good, refuses_required, no_age, under_age, decline_grants, wrong_doc,
             unknown_version]
    resp = client.post(f"/v1/apps/{APP}/consents", json={"records": batch}, headers=auth)
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "rejected"
    by_id: dict[str, list[str]] = {}
    for item in err["details"]["rejected"]:
        assert set(item) == {"id", "field", "reason"} and item["reason"]
        by_id.setdefault(item["id"], []).append(item["field"])
    assert by_id == {
        refuses_required["id"]: ["purposes.delivery"],
        no_age["id"]: ["age_confirmed"],
        under_age["id"]: ["age_confirmed"],
        decline_grants["id"]: ["purposes.notifications"],
        wrong_doc["id"]: ["document_sha256"],
        unknown_version["id"]: ["version"],
    }
    assert err["message"].startswith(f"6 record(s) refused; first: {refuses_required['id']}: "
                                     f"purposes.delivery: ")
    assert err["details"]["problems"][0].startswith("records[1].purposes.delivery: ")
    assert stored(kelisim) == (0, 0, 0)
    # The rest goes through once the refused records are set aside.
    resp = client.post(f"/v1/apps/{APP}/consents", json={"records": [good]}, headers=auth)
    assert resp.status_code == 200 and resp.get_json()["stored"] == 1


def test_guardian_rules(client: FlaskClient, cli: Any, demo_dir: Path,
                        kelisim: Kelisim) -> None:
    toml = demo_dir / "1.0" / "version.toml"
    toml.write_text(toml.read_text().replace("guardian_consent = false",
                                             "guardian_consent = true"))
    cli("keys", "init")
    cli("apps", "create", str(demo_dir))
    cli("publish", str(demo_dir / "1.0"))
    manifest = payload_of(client.get(f"/v1/apps/{APP}/manifest.json").data)
    _, auth = install(client)
    no_guardian = record(manifest, age_confirmed=False)
    nameless = record(manifest, age_confirmed=False, guardian={"name": " "})
    resp = client.post(f"/v1/apps/{APP}/consents", json={"records": [no_guardian, nameless]},
                       headers=auth)
    assert resp.status_code == 422
    assert [(r["id"], r["field"]) for r in resp.get_json()["error"]["details"]["rejected"]] \
        == [(no_guardian["id"], "guardian"), (nameless["id"], "guardian")]
    ok = record(manifest, age_confirmed=False, guardian={"name": "Aigerim", "relation": "mother"})
    resp = client.post(f"/v1/apps/{APP}/consents", json={"records": [ok]}, headers=auth)
    assert resp.status_code == 200, resp.get_json()
    assert stored(kelisim)[0] == 1


def test_each_version_is_parsed_once_per_process_and_the_cache_is_bounded(
        client: FlaskClient, manifest: dict[str, Any], cli: Any, published: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    cli("publish", str(published / "2.0"))
    manifest2 = payload_of(client.get(f"/v1/apps/{APP}/manifest.json").data)
    assert manifest2["current"]["version"] == 2
    parsed: list[int] = []
    real = record_checks.Version.from_payload

    def counting(data: Any, path: str, spec: int = 1) -> Any:
        parsed.append(data["version"])
        return real(data, path, spec)

    monkeypatch.setattr(record_checks.Version, "from_payload", counting)
    monkeypatch.setattr(record_checks, "_cache", OrderedDict())
    _, auth = install(client)
    for _ in range(3):
        resp = client.post(f"/v1/apps/{APP}/consents", json={"records": [
            record(manifest), record(manifest2)]}, headers=auth)
        assert resp.status_code == 200, resp.get_json()
    assert sorted(parsed) == [1, 2]
    monkeypatch.setattr(record_checks, "_CACHE_SIZE", 1)
    monkeypatch.setattr(record_checks, "_cache", OrderedDict())
    parsed.clear()
    for m in (manifest, manifest2, manifest, manifest2):
        client.post(f"/v1/apps/{APP}/consents", json={"records": [record(m)]}, headers=auth)
    assert len(record_checks._cache) == 1
    assert parsed == [1, 2, 1, 2]


def _shift(t: str, **kw: float) -> str:
    return format_time(parse_time(t) + timedelta(**kw))


def test_a_wrong_device_clock_is_stored_and_flagged(client: FlaskClient,
                                                    manifest: dict[str, Any], cli: Any,
                                                    kelisim: Kelisim) -> None:
    install_id, auth = install(client)
    now = format_time(utcnow())
    published = manifest["current"]["published"]
    cases = {
        "ahead": record(manifest, client_time=_shift(now, days=5 * 365)),
        "ahead2": record(manifest, client_time=_shift(now, days=2)),
        "behind": record(manifest, client_time=_shift(now, days=-5 * 365)),
        "before_publication": record(manifest, client_time=_shift(published, hours=-3)),
        "none": record(manifest, client_time=now),
    }
    withdraw = record(manifest, action="withdraw", purposes={}, locale=None,
                      document_sha256=None, client_time="2001-01-01T00:00:00Z")
    resp = client.post(f"/v1/apps/{APP}/consents",
                       json={"records": [*cases.values(), withdraw]}, headers=auth)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["stored"] == 6
    history = client.get(f"/v1/apps/{APP}/installs/{install_id}/consents", headers=auth)
    flags = {r["id"]: r["clock_skew"] for r in history.get_json()["records"]}
    expected = {rec["id"]: (None if name == "none" else name.rstrip("2"))
                for name, rec in cases.items()}
    expected[withdraw["id"]] = "behind"
    assert flags == expected
    export = [json.loads(line) for line in cli("consents", "export", APP).output.splitlines()]
    assert {row["record_id"]: row["clock_skew"] for row in export} == expected
    csv_lines = cli("consents", "export", APP, "--format", "csv").output.splitlines()
    assert "clock_skew" in csv_lines[0].split(",")
    # The flag is derived from the chained client_time and server_time: still intact.
    assert "6 record(s), chain intact" in cli("audit", "verify", APP).output
    # A deletion request from a device years ahead is stored too.
    body = {"id": str(uuid.uuid4()), "client_time": _shift(now, days=5 * 365)}
    resp = client.post(f"/v1/apps/{APP}/deletion-requests", json=body, headers=auth)
    assert resp.status_code == 201, resp.get_json()
    assert stored(kelisim)[2] == 1


def test_clock_skew_flag() -> None:
    server = "2026-01-10T12:00:00Z"
    flag = record_checks.clock_skew
    assert flag("2026-01-11T12:00:00Z", server) is None  # exactly a day: no flag
    assert flag("2026-01-11T12:00:01Z", server) == "ahead"
    assert flag("2026-01-09T11:59:59Z", server) == "behind"
    assert flag("2026-01-10T08:00:00Z", server, "2026-01-10T09:00:00Z") == "before_publication"
    assert flag("2026-01-10T09:00:00Z", server, "2026-01-10T09:00:00Z") is None
