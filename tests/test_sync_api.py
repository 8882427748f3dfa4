"""Consent sync endpoints through the test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from builders import APP, install, record
from helpers import verified_root, verify
from server import Kelisim
from server.models import ConsentRecord, DeletionRequest, Install

pytestmark = pytest.mark.rate_limits_off

RECEIPT_TYPE = "application/vnd.kelisim.receipt+json"


def count(k: Kelisim, model: type) -> int:
    with k.db.session() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_ingest_returns_verifiable_receipt(client: FlaskClient, manifest: dict[str, Any],
                                           kelisim: Kelisim) -> None:
    install_id, auth = install(client)
    recs = [record(manifest), record(manifest, action="acknowledge", purposes={})]
    resp = client.post(f"/v1/apps/{APP}/consents", json={"records": recs}, headers=auth)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["stored"] == 2 and len(body["receipts"]) == 1
    assert [r["receipt"] for r in body["records"]] == [0, 0]
    root = verified_root(client.get("/v1/root.json").data)
    receipt = verify(body["receipts"][0].encode(), root, "receipt", RECEIPT_TYPE)
    assert receipt["app"] == APP and receipt["install"] == install_id
    assert [r["id"] for r in receipt["records"]] == [r["id"] for r in recs]
    assert receipt["records"][0]["purposes"] == recs[0]["purposes"]
    assert receipt["records"][1]["seq"] == 2 and len(receipt["records"][1]["chain_hash"]) == 64
    # Idempotent: the same batch again stores nothing and returns the same receipt.
    again = client.post(f"/v1/apps/{APP}/consents", json={"records": recs}, headers=auth)
    assert again.get_json()["stored"] == 0
    assert again.get_json()["receipts"] == body["receipts"]
    assert count(kelisim, ConsentRecord) == 2


def test_same_id_other_body_is_422_and_stores_nothing(client: FlaskClient,
                                                      manifest: dict[str, Any],
                                                      kelisim: Kelisim) -> None:
    _, auth = install(client)
    r = record(manifest)
    assert client.post(f"/v1/apps/{APP}/consents", json={"records": [r]},
                       headers=auth).status_code == 200
    changed = {**r, "purposes": {**r["purposes"], "notifications": True}}
    fresh = record(manifest)
    resp = client.post(f"/v1/apps/{APP}/consents", json={"records": [fresh, changed]},
                       headers=auth)
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "conflict"
    assert resp.get_json()["error"]["details"]["record_id"] == r["id"]
    assert count(kelisim, ConsentRecord) == 1


def test_install_reads_only_its_own_history(client: FlaskClient, manifest: dict[str, Any]
                                            ) -> None:
    a_id, a = install(client)
    b_id, b = install(client)
    ra = record(manifest)
    client.post(f"/v1/apps/{APP}/consents", json={"records": [ra]}, headers=a)
    client.post(f"/v1/apps/{APP}/consents", json={"records": [record(manifest)]}, headers=b)
    mine = client.get(f"/v1/apps/{APP}/installs/{a_id}/consents", headers=a)
    assert mine.status_code == 200
    assert [r["id"] for r in mine.get_json()["records"]] == [ra["id"]]
    page = mine.get_json()
    assert json.loads(page["receipts"][page["records"][0]["receipt"]])["payloadType"] \
        == RECEIPT_TYPE
    other = client.get(f"/v1/apps/{APP}/installs/{b_id}/consents", headers=a)
    assert other.status_code == 403 and other.get_json()["error"]["code"] == "forbidden"
    # A record id another install used cannot be claimed.
    resp = client.post(f"/v1/apps/{APP}/consents", json={"records": [ra]}, headers=b)
    assert resp.status_code == 422


def _bad_cases(manifest: dict[str, Any]) -> list[tuple[Any, int, str]]:
    ok = record(manifest)
    return [
        (b"{not json", 400, "bad_json"),
        (b'{"records": [], "records": []}', 400, "bad_json"),
        ({"records": []}, 422, "invalid"),
        ({"records": [ok], "extra": 1}, 422, "invalid"),
        ({"records": [{**ok, "unknown": 1}]}, 422, "rejected"),
        ({"records": [{**ok, "version": "1"}]}, 422, "rejected"),
        ({"records": [{**ok, "version": True}]}, 422, "rejected"),
        ({"records": [{**ok, "id": "not-a-uuid"}]}, 422, "invalid"),
        ({"records": [{**ok, "action": "sell"}]}, 422, "rejected"),
        ({"records": [{**ok, "purposes": {"service": "yes"}}]}, 422, "rejected"),
        ({"records": [{**ok, "client_time": "yesterday"}]}, 422, "rejected"),
        ({"records": [{**ok, "evidence": {"scrolled_to_end": 1}}]}, 422, "rejected"),
        ({"records": [ok] * 501}, 422, "invalid"),
        ({"records": [{**ok, "version": 99}]}, 422, "rejected"),
        ({"records": [{**ok, "document_sha256": "0" * 64}]}, 422, "rejected"),
        ({"records": [{**ok, "purposes": {"ads": True}}]}, 422, "rejected"),
        ({"records": [ok, ok]}, 422, "unprocessable"),
        ([1, 2], 422, "invalid"),
    ]


def test_bad_batches_get_4xx_and_store_nothing(client: FlaskClient, manifest: dict[str, Any],
                                               kelisim: Kelisim) -> None:
    _, auth = install(client)
    for body, status, code in _bad_cases(manifest):
        if isinstance(body, bytes):
            resp = client.post(f"/v1/apps/{APP}/consents", data=body, headers=auth,
                               content_type="application/json")
        else:
            resp = client.post(f"/v1/apps/{APP}/consents", json=body, headers=auth)
        assert resp.status_code == status, (body, resp.get_json())
        assert resp.get_json()["error"]["code"] == code, (body, resp.get_json())
    assert count(kelisim, ConsentRecord) == 0
    resp = client.post(f"/v1/apps/{APP}/consents", data="records=1", headers=auth,
                       content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 415
    # The server keeps serving.
    good = client.post(f"/v1/apps/{APP}/consents", json={"records": [record(manifest)]},
                       headers=auth)
    assert good.status_code == 200


@pytest.mark.parametrize("header,status,code", [
    (None, 401, "unauthorized"),
    ("Basic abc", 401, "unauthorized"),
    ("Bearer forged.token.value", 401, "invalid_token"),
])
def test_tokens(client: FlaskClient, manifest: dict[str, Any], header: str | None, status: int,
                code: str) -> None:
    headers = {"Authorization": header} if header else {}
    resp = client.post(f"/v1/apps/{APP}/consents", json={"records": [record(manifest)]},
                       headers=headers)
    assert (resp.status_code, resp.get_json()["error"]["code"]) == (status, code)


def test_expired_token_and_renewal(config: dict[str, Any], manifest: dict[str, Any],
                                   client: FlaskClient, app: Any) -> None:
    install_id, auth = install(client)
    app.extensions["kelisim"].settings.install_token_max_age = -1
    resp = client.post(f"/v1/apps/{APP}/consents", json={"records": [record(manifest)]},
                       headers=auth)
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "token_expired"
    renewed = client.post(f"/v1/apps/{APP}/installs/{install_id}/token", headers=auth)
    assert renewed.status_code == 200
    app.extensions["kelisim"].settings.install_token_max_age = 3600
    new = {"Authorization": f"Bearer {renewed.get_json()['token']}"}
    assert client.post(f"/v1/apps/{APP}/consents", json={"records": [record(manifest)]},
                       headers=new).status_code == 200


def test_token_of_another_app(client: FlaskClient, manifest: dict[str, Any]) -> None:
    _, auth = install(client)
    resp = client.post("/v1/apps/other-app/consents", json={"records": [record(manifest)]},
                       headers=auth)
    assert resp.status_code == 403


def test_unknown_app_install_is_404(client: FlaskClient, published: Path) -> None:
    resp = client.post("/v1/apps/nosuch/installs")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"


def test_huge_body_is_413(client: FlaskClient, manifest: dict[str, Any], app: Any,
                          kelisim: Kelisim) -> None:
    _, auth = install(client)
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    big = {"records": [record(manifest, guardian={"name": "x" * 20_000})]}
    resp = client.post(f"/v1/apps/{APP}/consents", json=big, headers=auth)
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "too_large"
    assert count(kelisim, ConsentRecord) == 0


def test_rate_limits(client: FlaskClient, manifest: dict[str, Any], app: Any) -> None:
    _, auth = install(client)
    app.extensions["kelisim"].settings.rate_limit_install = "3/minute"
    codes = [client.post(f"/v1/apps/{APP}/consents", json={"records": [record(manifest)]},
                         headers=auth).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    resp = client.post(f"/v1/apps/{APP}/consents", json={"records": [record(manifest)]},
                       headers=auth)
    assert resp.get_json()["error"]["details"]["retry_after"] >= 0
    app.extensions["kelisim"].settings.rate_limit_ip = "2/hour"
    codes = [client.post(f"/v1/apps/{APP}/installs").status_code for _ in range(3)]
    assert codes[-1] == 429


def test_deletion_request(client: FlaskClient, manifest: dict[str, Any], cli,
                          kelisim: Kelisim) -> None:
    install_id, auth = install(client)
    body = {"id": str(uuid.uuid4()), "client_time": manifest["issued"]}
    resp = client.post(f"/v1/apps/{APP}/deletion-requests", json=body, headers=auth)
    assert resp.status_code == 201
    root = verified_root(client.get("/v1/root.json").data)
    receipt = verify(resp.get_json()["receipt"].encode(), root, "receipt",
                     RECEIPT_TYPE)
    assert receipt["kind"] == "deletion_request" and receipt["request"]["id"] == body["id"]
    again = client.post(f"/v1/apps/{APP}/deletion-requests", json=body, headers=auth)
    assert again.get_json()["receipt"] == resp.get_json()["receipt"]
    assert count(kelisim, DeletionRequest) == 1
    listing = cli("deletions", "list", APP).output
    assert body["id"] in listing and install_id in listing
    cli("deletions", "resolve", APP, body["id"], "--note", "deleted account data")
    assert cli("deletions", "list", APP).output == ""
    assert "deleted account data" in cli("deletions", "list", APP, "--all").output
    bad = client.post(f"/v1/apps/{APP}/deletion-requests", json={"id": "x"}, headers=auth)
    assert bad.status_code == 422


def test_audit_verify_finds_tampering(client: FlaskClient, manifest: dict[str, Any], cli,
                                      kelisim: Kelisim) -> None:
    _, auth = install(client)
    for _ in range(3):
        client.post(f"/v1/apps/{APP}/consents",
                    json={"records": [record(manifest), record(manifest)]}, headers=auth)
    assert "6 record(s), chain intact" in cli("audit", "verify", APP).output
    with kelisim.db.session() as s:
        row = s.scalars(sa.select(ConsentRecord).where(ConsentRecord.seq == 4)).one()
        row.purposes = {**row.purposes, "analytics": True}
        victim = row.record_id
    out = cli("audit", "verify", APP, ok=False).output
    assert f"broken at seq 4 (record {victim}): row content does not match its hash" in out


def test_audit_verify_finds_deleted_rows(client: FlaskClient, manifest: dict[str, Any], cli,
                                         kelisim: Kelisim) -> None:
    _, auth = install(client)
    client.post(f"/v1/apps/{APP}/consents",
                json={"records": [record(manifest) for _ in range(3)]}, headers=auth)
    with kelisim.db.session() as s:
        s.execute(sa.delete(ConsentRecord).where(ConsentRecord.seq == 3))
    assert "rows were removed" in cli("audit", "verify", APP, ok=False).output
    with kelisim.db.session() as s:
        s.execute(sa.delete(ConsentRecord).where(ConsentRecord.seq == 1))
    assert "broken at seq 2" in cli("audit", "verify", APP, ok=False).output


def test_export_and_stats(client: FlaskClient, manifest: dict[str, Any], cli) -> None:
    _, auth = install(client)
    recs = [record(manifest), record(manifest, action="decline", locale="ru",
                                     document_sha256=manifest["current"]["locales"]["ru"]
                                     ["sha256"], purposes={})]
    client.post(f"/v1/apps/{APP}/consents", json={"records": recs}, headers=auth)
    lines = cli("consents", "export", APP).output.splitlines()
    first = json.loads(lines[0])
    assert first["record_id"] == recs[0]["id"] and first["operator_bin"] == "240540012347"
    assert first["third_party_transfer"] is False and first["consent_term"] == "P3Y"
    assert "contact" in first["data_categories"]
    csv_out = cli("consents", "export", APP, "--format", "csv").output.splitlines()
    assert csv_out[0].startswith("seq,record_id,install_id,action")
    assert len(csv_out) == 3
    assert cli("consents", "export", APP, "--since", "2999-01-01T00:00:00Z").output == ""
    assert "--since" in cli("consents", "export", APP, "--since", "soon", ok=False).output
    stats = cli("stats", APP).output.splitlines()
    assert stats[0].split("\t")[:4] == ["version", "locale", "accept", "decline"]
    assert "1.0\tkk\t1\t0" in stats[1] and "1.0\tru\t0\t1" in stats[2]


def test_installs_are_stored(client: FlaskClient, published: Path, kelisim: Kelisim) -> None:
    install(client)
    install(client)
    assert count(kelisim, Install) == 2


def test_bad_input_on_the_other_endpoints(client: FlaskClient, manifest: dict[str, Any],
                                          kelisim: Kelisim) -> None:
    resp = client.post(f"/v1/apps/{APP}/installs", json={"device": "x"})
    assert resp.status_code == 422 and "device" in resp.get_json()["error"]["message"]
    resp = client.post(f"/v1/apps/{APP}/installs", data=b"[", content_type="application/json")
    assert resp.status_code == 400
    install_id, auth = install(client)
    for body in ({"id": str(uuid.uuid4())}, {"id": str(uuid.uuid4()), "client_time": 5},
                 {"id": str(uuid.uuid4()), "client_time": manifest["issued"], "why": "x"}):
        resp = client.post(f"/v1/apps/{APP}/deletion-requests", json=body, headers=auth)
        assert resp.status_code == 422, body
    assert count(kelisim, DeletionRequest) == 0
    _, other = install(client)
    resp = client.post(f"/v1/apps/{APP}/installs/{install_id}/token", headers=other)
    assert resp.status_code == 403
    resp = client.get(f"/v1/apps/{APP}/installs/{install_id}/consents")
    assert resp.status_code == 401
    assert client.get("/healthz").status_code == 200


def test_rate_limit_counters_in_redis(config: dict[str, Any], manifest: dict[str, Any]
                                      ) -> None:
    import os

    import redis

    url = os.environ.get("KELISIM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {url} is not reachable in CI")
        pytest.skip(f"no Redis at {url}")
    from server import create_app

    cfg = {**config, "RATE_LIMIT_STORAGE": url, "RATE_LIMIT_IP": "2/hour",
           "INSTANCE_PATH": config["INSTANCE_PATH"]}
    # Two app instances (two workers) share the counter through Redis. The client has an
    # address of its own: the counters live an hour and every run of the suite against this
    # Redis (parallel workers, other checkouts) counts there, so none is flushed.
    a = create_app(cfg)
    b = create_app(cfg)
    who = {"REMOTE_ADDR": "10.{}.{}.{}".format(*uuid.uuid4().bytes[:3])}
    try:
        codes = [a.test_client().post(f"/v1/apps/{APP}/installs", environ_base=who).status_code,
                 b.test_client().post(f"/v1/apps/{APP}/installs", environ_base=who).status_code,
                 a.test_client().post(f"/v1/apps/{APP}/installs", environ_base=who).status_code]
    finally:
        for x in (a, b):
            x.extensions["kelisim"].db.dispose()
    assert codes == [201, 201, 429]
