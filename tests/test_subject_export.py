"""The subject's access export covers every device's records (issue 21 part 2), against a
real server (`kelisim serve`) on SQLite and PostgreSQL: two SDK clients linked to one
subject decide on both, and the export of either holds both devices' records, each naming
the install that made it, each other device's record with its verified receipt; a record
whose receipt does not name it as the server states it is left out and counted; an
unlinked install exports its own records only; with the server down the export is the
device's own and says the other devices are missing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import requests
from test_operator_api import APP, _key, _setup
from test_subjects import Device, _link_token

from client_sdk import ConsentClient
from client_sdk._internal.trust import load_root
from client_sdk.protocol.model import Root
from client_sdk.protocol.receipts import confirms, verify_receipt
from client_sdk.transport import HttpTransport, Response
from livesrv import free_port, running

pytestmark = pytest.mark.slow


class Tampering:
    """A transport that changes what the history says of one record (its purposes), as a
    hostile or broken server would."""

    def __init__(self, record_id: str) -> None:
        self.inner = HttpTransport()
        self.record_id = record_id

    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, max_bytes: int) -> Response:
        resp = self.inner.request(method, url, body=body, headers=headers,
                                  max_bytes=max_bytes)
        if "scope=subject" not in url or resp.status != 200:
            return resp
        page = json.loads(resp.body)
        for rec in page["records"]:
            if rec["id"] == self.record_id:
                rec["purposes"] = {**rec["purposes"], "analytics": True}
        return Response(resp.status, json.dumps(page).encode(), resp.headers)


def _doc(client: ConsentClient, locale: str = "en") -> tuple[dict[str, Any], str]:
    export = client.export_my_data(locale)
    return json.loads(export.json), export.summary


def _root(raw: bytes) -> Root:
    return load_root(raw).root


def _server_ids(base: str, device: Device) -> set[str]:
    resp = requests.get(f"{base}/v1/apps/{APP}/installs/{device.install()}/consents",
                        params={"scope": "subject", "limit": "500"}, timeout=10,
                        headers={"Authorization": f"Bearer {device.token()}"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["next_cursor"] is None
    return {r["id"] for r in resp.json()["records"]}


def test_export_covers_every_linked_device(tmp_path: Path, config: dict[str, Any],
                                           cli: Any) -> None:
    srv = _setup(tmp_path, config, cli)
    _, linker = _key(cli, APP, "subjects:link")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api = f"{base}/v1/apps/{APP}/operator"
    a = Device(base, srv, tmp_path / "phone-a")
    b = Device(base, srv, tmp_path / "phone-b")
    alone = Device(base, srv, tmp_path / "phone-c")
    a.client.accept(["notifications"], age_confirmed=True)
    alone.client.accept(age_confirmed=True)
    with running(srv["env"], port, workers=1):
        assert a.client.link_subject(_link_token(api, linker)).ok
        assert b.client.link_subject(_link_token(api, linker)).ok
        b.client.update_purposes({"notifications": False})
        assert b.client.sync().ok and alone.client.sync().ok
        assert a.client.sync().ok
        ids_a = {r.id for r in a.client.history()}
        ids_b = {r.id for r in b.client.history()}
        for me, them, mine, theirs in ((a, b, ids_a, ids_b), (b, a, ids_b, ids_a)):
            doc, summary = _doc(me.client, "ru")
            assert doc["other_devices"]["state"] == "included", doc["other_devices"]
            assert doc["other_devices"]["unverified"] == 0
            records = doc["records"]
            ids = [r["id"] for r in records]
            assert len(ids) == len(set(ids))  # each record once
            assert {r["id"] for r in records if r["device"] == "this"} == mine
            assert all(r["install_id"] == me.install() for r in records
                       if r["device"] == "this")
            other = [r for r in records if r["device"] == "other"]
            # Exactly what the server holds of the other device for this subject.
            assert {r["id"] for r in other} == _server_ids(base, me) - mine
            assert {r["id"] for r in other} <= theirs
            assert other and all(r["install_id"] == them.install() for r in other)
            root = _root(srv["root"])
            for r in other:
                receipt = verify_receipt(r["receipt"].encode(), root, app_id=APP,
                                         install_id=them.install(), kind="consents")
                assert confirms(receipt, r)
                assert set(r["unsigned"]) >= {"locale", "evidence", "manifest_seq"}
            assert set(doc["other_devices"]["installs"]) == {them.install()}
            assert f"другое устройство ({them.install()[:8]})" in summary
            assert "это устройство" in summary
        # B's update reached A's export; A's accept-then-link reached B's.
        doc_a, _ = _doc(a.client)
        assert any(r["action"] == "update" and r["device"] == "other"
                   for r in doc_a["records"])
        doc_b, _ = _doc(b.client)
        assert any(r["action"] == "link" and r["install_id"] == a.install()
                   for r in doc_b["records"])
        # An install that is not linked: its own records, nothing asked of the server.
        doc_c, summary_c = _doc(alone.client)
        assert doc_c["other_devices"] == {"state": "not_linked", "reason": None,
                                          "unverified": 0, "installs": []}
        assert {r["device"] for r in doc_c["records"]} == {"this"}
        assert "device" not in summary_c and "this device" not in summary_c
        # A server that alters one record: that record is left out and counted.
        update = next(r for r in b.client.history() if r.action == "update")
        tampered = ConsentClient(base, APP, srv["root"], tmp_path / "phone-a",
                                 bundled_manifest=srv["manifest"],
                                 transport=Tampering(update.id))
        doc_t, summary_t = _doc(tampered)
        assert doc_t["other_devices"]["state"] == "included"
        assert doc_t["other_devices"]["unverified"] == 1
        assert update.id not in {r["id"] for r in doc_t["records"]}
        assert "did not check: 1" in summary_t
        # Asked for this device only: no network, and the export says so.
        local = a.client.export_my_data("en", other_devices=False)
        assert json.loads(local.json)["other_devices"]["state"] == "not_asked"
        assert "only what is on this device" in local.summary
    # The server is down: this device's records, and the gap stated.
    doc_down, summary_down = _doc(a.client)
    assert doc_down["other_devices"]["state"] == "missing"
    assert doc_down["other_devices"]["reason"]
    assert {r["id"] for r in doc_down["records"]} == ids_a
    assert "could not be fetched" in summary_down
    kk = a.client.export_my_data("kk").summary
    assert "алу мүмкін болмады" in kk
