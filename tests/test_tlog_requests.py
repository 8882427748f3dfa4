"""Requests of the data subject in the app's hash chain and transparency log (issue 19 part
1: "records, deletion and other requests"): a request is the next chain row and the next
leaf, between records; its answer carries its salt and inclusion proof, which open the
leaf rebuilt from the request alone; `kelisim audit verify` walks both kinds and names a
changed request; migration 0018 appends the requests stored before, and `kelisim db
upgrade` signs their checkpoint; the console gives an owner the request's proof file. On
SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from admin_support import events, post, sign_in
from builders import APP, install, record
from client_sdk.errors import ProofError
from client_sdk.protocol.envelope import PAYLOAD_RECEIPT, parse_envelope
from client_sdk.protocol.logentry import record_leaf, request_fields
from client_sdk.protocol.prooffile import verify_proof_file
from client_sdk.protocol.receipts import Receipt
from client_sdk.protocol.tlog import parse_tlog_proof, parse_vkey, verify_tlog_proof
from helpers import verified_root
from server import Kelisim
from server.consent.chain import request_chained, row_hash, verify_chain
from server.models import ChainHead, ConsentRecord, DeletionRequest
from server.tlog_models import LogCheckpoint, LogLeaf

pytestmark = pytest.mark.rate_limits_off


def _root(client: FlaskClient) -> dict[str, Any]:
    return verified_root(client.get("/v1/root.json").data)


def _records(client: FlaskClient, auth: dict[str, str], recs: list[dict[str, Any]]) -> None:
    resp = client.post(f"/v1/apps/{APP}/consents", json={"records": recs}, headers=auth)
    assert resp.status_code == 200, resp.get_json()


def _request(client: FlaskClient, auth: dict[str, str], kind: str, *,
             note: str | None = None, withdraw: bool | None = None,
             request_id: str | None = None, old_endpoint: bool = False
             ) -> tuple[dict[str, Any], dict[str, Any]]:
    body: dict[str, Any] = {"id": request_id or str(uuid.uuid4()),
                            "client_time": "2026-03-01T08:00:00Z"}
    if old_endpoint:
        resp = client.post(f"/v1/apps/{APP}/deletion-requests", json=body, headers=auth)
        body.update(kind="deletion", note=None, withdraw=None)
    else:
        body.update(kind=kind, note=note, withdraw=withdraw)
        resp = client.post(f"/v1/apps/{APP}/requests", json=body, headers=auth)
    assert resp.status_code == 201, resp.get_json()
    answer: dict[str, Any] = resp.get_json()
    return body, answer


def _check(root: dict[str, Any], install_id: str, body: dict[str, Any],
           answer: dict[str, Any]) -> int:
    """Verify a request's proof as a device does: its leaf rebuilt from the request, the
    receipt's time, the answer's deadline and the proof's index; returns the leaf index."""
    receipt = Receipt.parse(parse_envelope(answer["receipt"].encode(), PAYLOAD_RECEIPT).payload)
    assert receipt.request is not None and receipt.install == install_id
    proof = answer["log"]["proof"].encode()
    index = parse_tlog_proof(proof).index
    fields = request_fields(request_id=body["id"], install_id=install_id, kind=body["kind"],
                            client_time=body["client_time"], withdraw=body["withdraw"],
                            note=body["note"], seq=index + 1,
                            server_time=receipt.request.server_time,
                            deadline=answer["deadline"])
    salt = base64.b64decode(answer["log"]["salt"])
    origin = f"{root['log']['origin_prefix']}/{APP}"
    log_key = parse_vkey(root["log"]["keys"][0])
    verify_tlog_proof(proof, record_leaf(salt, fields), origin=origin, log_key=log_key)
    # Another seq, another note, another salt: the leaf does not open.
    other = "blocking" if fields["kind"] != "blocking" else "access"
    for wrong in ({**fields, "seq": index + 2}, {**fields, "kind": other},
                  {**fields, "note_sha256": "0" * 64}):
        with pytest.raises(ProofError):
            verify_tlog_proof(proof, record_leaf(salt, wrong), origin=origin, log_key=log_key)
    with pytest.raises(ProofError):
        verify_tlog_proof(proof, record_leaf(os.urandom(32), fields), origin=origin,
                          log_key=log_key)
    return index


def test_a_request_is_the_next_chain_row_and_leaf_between_records(
        cli: Any, client: FlaskClient, manifest: dict[str, Any], kelisim: Kelisim) -> None:
    root = _root(client)
    install_id, auth = install(client)
    _records(client, auth, [record(manifest), record(manifest)])
    body, answer = _request(client, auth, "rectification", note="Менің атым Әсел")
    assert _check(root, install_id, body, answer) == 2  # seq 3: after the two records
    _records(client, auth, [record(manifest)])
    deletion, deletion_answer = _request(client, auth, "deletion", withdraw=True)
    assert _check(root, install_id, deletion, deletion_answer) == 4
    # The older endpoint's deletion (no withdraw choice): a leaf too, its deadline in the
    # answer (its receipt has none).
    old, old_answer = _request(client, auth, "deletion", old_endpoint=True)
    assert _check(root, install_id, old, old_answer) == 5
    # A retry: the same row, the same salt, a proof of the same leaf.
    _, again = _request(client, auth, "rectification", note="Менің атым Әсел",
                        request_id=body["id"])
    assert again["log"]["salt"] == answer["log"]["salt"]
    assert _check(root, install_id, body, again) == 2
    with kelisim.db.session(readonly=True) as s:
        leaves = s.scalars(sa.select(LogLeaf).order_by(LogLeaf.idx)).all()
        assert [x.entry for x in leaves] == ["record", "record", "request", "record",
                                             "request", "request"]
        assert leaves[2].record_id == body["id"]
        assert s.scalars(sa.select(DeletionRequest.seq).order_by(DeletionRequest.seq)
                         ).all() == [3, 5, 6]
        assert s.scalars(sa.select(ConsentRecord.seq).order_by(ConsentRecord.seq)
                         ).all() == [1, 2, 4]
        assert verify_chain(s, APP) == (6, None)
        # One checkpoint per append: two groups of records, three requests.
        assert s.scalars(sa.select(LogCheckpoint.size).order_by(LogCheckpoint.size)
                         ).all() == [2, 3, 4, 5, 6]
    out = cli("audit", "verify", APP).output
    assert "3 record(s) and 3 request(s), chain intact; log: 6 leaves, 5 checkpoint(s) " \
           "verified" in out, out


def test_a_request_may_share_its_id_with_a_record(
        client: FlaskClient, manifest: dict[str, Any], kelisim: Kelisim) -> None:
    """Ids are unique per kind: a request whose id a record of the app has (a client bug,
    or a hostile one) is a leaf of its own, not a 500."""
    root = _root(client)
    install_id, auth = install(client)
    rec = record(manifest)
    _records(client, auth, [rec])
    body, answer = _request(client, auth, "access", request_id=rec["id"])
    assert _check(root, install_id, body, answer) == 1
    with kelisim.db.session(readonly=True) as s:
        assert verify_chain(s, APP) == (2, None)


def _tamper_request_kind(s: Any) -> tuple[str, str]:
    row = s.scalars(sa.select(DeletionRequest)).one()
    row.kind = "access"
    return "chain", f"broken at seq {row.seq} (request {row.request_id}): row content " \
                    f"does not match its hash"


def _tamper_request_rehashed(s: Any) -> tuple[str, str]:
    # The request rewritten with its chain hashes made again (the chain alone cannot tell:
    # its head is the operator's); its leaf still commits to the old bytes.
    row = s.scalars(sa.select(DeletionRequest)).one()
    row.note = "something the user never wrote"
    prev = row.prev_hash
    row.row_hash = prev = row_hash(prev, request_chained(row))
    for later in s.scalars(sa.select(ConsentRecord).where(ConsentRecord.seq > row.seq)
                           .order_by(ConsentRecord.seq)):
        from server.consent.chain import chained_fields
        later.prev_hash = prev
        later.row_hash = prev = row_hash(prev, chained_fields(later))
    s.get(ChainHead, APP).head_hash = prev
    return "log", f"leaf {row.seq - 1} (request {row.request_id}): the request and its " \
                  f"salt do not match the leaf hash"


def _tamper_leaf_kind(s: Any) -> tuple[str, str]:
    leaf = s.scalars(sa.select(LogLeaf).where(LogLeaf.entry == "request")).one()
    leaf.entry = "record"
    return "log", f"leaf {leaf.idx} (request {leaf.record_id}): the leaf names record " \
                  f"{leaf.record_id}"


def _remove_request(s: Any) -> tuple[str, str]:
    row = s.scalars(sa.select(DeletionRequest)).one()
    s.delete(row)
    return "chain", f"seq {row.seq} is missing"


@pytest.mark.parametrize("tamper", [_tamper_request_kind, _tamper_request_rehashed,
                                    _tamper_leaf_kind, _remove_request])
def test_audit_verify_names_a_changed_request(
        cli: Any, client: FlaskClient, manifest: dict[str, Any], kelisim: Kelisim,
        tamper: Any) -> None:
    _, auth = install(client)
    _records(client, auth, [record(manifest)])
    _request(client, auth, "blocking", note="Stop sending me offers")
    _records(client, auth, [record(manifest)])
    assert "2 record(s) and 1 request(s), chain intact" in cli("audit", "verify", APP).output
    with kelisim.db.session() as s:
        where, expected = tamper(s)
    out = cli("audit", "verify", APP, ok=False).output
    prefix = f"chain of {APP} " if where == "chain" else f"log of {APP}: "
    assert prefix in out and expected in out, out


def _stored_before_0018(kelisim: Kelisim, install_id: str, body: dict[str, Any],
                        stamp: str, *, old_endpoint: bool = False) -> None:
    """A request as a server before 0018 stored it (no chain columns), with its signed
    receipt and the body hash a retry of ``body`` (as the endpoint loads it) matches."""
    from client_sdk.protocol.envelope import PAYLOAD_RECEIPT
    from client_sdk.protocol.receipts import deletion_payload, request_payload
    from server.consent.chain import body_hash
    from server.trust.keys import sign_envelope
    from server.trust.receipt_keys import receipt_keys

    due = "2027-01-31T00:00:00Z"
    sent = {"id": body["id"], "client_time": body["client_time"]} if old_endpoint else \
        {k: body[k] for k in ("id", "kind", "client_time", "note", "withdraw")}
    payload = deletion_payload(APP, install_id, stamp, body["id"], body["client_time"]) \
        if old_endpoint else request_payload(APP, install_id, stamp, body["id"], body["kind"],
                                             body["client_time"], due, body["withdraw"],
                                             body["note"])
    with kelisim.db.session() as s:
        receipt = sign_envelope(payload, PAYLOAD_RECEIPT, receipt_keys(s, kelisim.keys_dir))
        s.execute(sa.text(
            "INSERT INTO deletion_requests (app_id, request_id, install_id, client_time, "
            "server_time, body_hash, kind, note, withdraw, deadline, status, receipt) VALUES "
            "(:a, :r, :i, :c, :t, :h, :k, :n, :w, :d, 'open', :e)"),
            {"a": APP, "r": body["id"], "i": install_id, "c": body["client_time"], "t": stamp,
             "h": body_hash(sent), "k": body["kind"], "n": body["note"],
             "w": body["withdraw"], "d": due, "e": receipt})


def test_migration_0018_appends_the_stored_requests_and_db_upgrade_signs(
        cli: Any, client: FlaskClient, manifest: dict[str, Any], kelisim: Kelisim) -> None:
    """Requests a server before 0018 stored (between records, not chain rows) are appended
    after the chain's last row, in the order received; `db upgrade` signs the checkpoint
    that covers them (the migration holds no key); each then answers with its proof."""
    root = _root(client)
    install_id, auth = install(client)
    _records(client, auth, [record(manifest) for _ in range(3)])
    cli("db", "downgrade", "0017")
    first = {"id": str(uuid.uuid4()), "client_time": "2026-03-01T08:00:00Z",
             "kind": "rectification", "note": "Әсел, not Asel", "withdraw": None}
    second = {"id": str(uuid.uuid4()), "client_time": "2026-03-01T08:00:00Z",
              "kind": "deletion", "note": None, "withdraw": None}
    _stored_before_0018(kelisim, install_id, first, "2026-03-01T08:00:05Z")
    _stored_before_0018(kelisim, install_id, second, "2026-03-01T08:00:06Z",
                        old_endpoint=True)
    out = cli("db", "upgrade").output
    assert "signed a checkpoint of 1 app log(s)" in out, out
    with kelisim.db.session(readonly=True) as s:
        rows = s.scalars(sa.select(DeletionRequest).order_by(DeletionRequest.row_id)).all()
        assert [(r.request_id, r.seq) for r in rows] == [(first["id"], 4), (second["id"], 5)]
        assert verify_chain(s, APP) == (5, None)
        assert s.scalar(sa.select(sa.func.max(LogCheckpoint.size))) == 5
    assert "3 record(s) and 2 request(s), chain intact; log: 5 leaves" in \
        cli("audit", "verify", APP).output
    # Filed again (the same body), each answers with its stored receipt and a proof of
    # its new place.
    for body, index in ((first, 3), (second, 4)):
        again, answer = _request(client, auth, body["kind"], note=body["note"],
                                 request_id=body["id"], old_endpoint=body is second)
        assert _check(root, install_id, {**again, **body}, answer) == index


@pytest.mark.parametrize("after", ["record", "checkpoint"])
def test_migration_0018_is_not_undone_once_given_out(
        cli: Any, client: FlaskClient, manifest: dict[str, Any], kelisim: Kelisim,
        after: str) -> None:
    """A record after a request is hashed over it (and its receipt holds that hash); a
    signed checkpoint that covers a request is held by devices, witnesses and auditors:
    taking the request out would break the chain or fork the log, so the downgrade says
    so, in a sentence, and changes nothing."""
    _, auth = install(client)
    _request(client, auth, "blocking")
    if after == "record":
        _records(client, auth, [record(manifest)])
    expected = "consent records follow requests in its chain" if after == "record" else \
        "a signed checkpoint of its log covers requests"
    out = cli("db", "downgrade", "0017", ok=False).output
    assert expected in out and "Traceback" not in out, out
    assert kelisim.db.current_revision() == kelisim.db.head_revision()
    with kelisim.db.session(readonly=True) as s:
        assert verify_chain(s, APP) == (2 if after == "record" else 1, None)
        assert s.scalar(sa.select(sa.func.count()).select_from(LogLeaf)) == \
            (2 if after == "record" else 1)


def test_the_console_gives_an_owner_the_requests_proof_file(
        client: FlaskClient, manifest: dict[str, Any], kelisim: Kelisim,
        users: dict[str, int], cli: Any, tmp_path: Path) -> None:
    _, auth = install(client)
    _records(client, auth, [record(manifest)])
    body, _ = _request(client, auth, "access", note="What do you keep about me?")
    url = f"/admin/requests/{APP}/{body['id']}/proof"
    sign_in(client, kelisim, users["responder"])
    html = client.get("/admin/requests").get_data(True)
    assert "Leaf index 1" in html and url not in html  # the file is the owners'
    assert post(client, url).status_code == 403
    sign_in(client, kelisim, users["owner"])
    assert url in client.get("/admin/requests").get_data(True)
    resp = post(client, url)
    assert resp.status_code == 200, resp.get_data(True)
    assert f'filename="{APP}-{body["id"]}.kelisim-proof"' in \
        resp.headers["Content-Disposition"]
    doc = json.loads(resp.data)
    assert doc["record"]["entry"] == "request" and doc["record"]["request_id"] == body["id"]
    assert doc["record"]["note_sha256"] is not None and "What do you" not in resp.get_data(True)
    (tmp_path / "root.json").write_bytes(client.get("/v1/root.json").data)
    (tmp_path / "q.kelisim-proof").write_bytes(resp.data)
    out = cli("proof", "verify", str(tmp_path / "q.kelisim-proof"),
              "--root", str(tmp_path / "root.json")).output
    assert f"request {body['id']} of app {APP} is entry 1 of the log" in out, out
    proven = verify_proof_file(resp.data, (tmp_path / "root.json").read_bytes())
    assert (proven.record_id, proven.index, proven.size) == (body["id"], 1, 2)
    # Another kind in the same file does not verify.
    doc["record"]["kind"] = "deletion"
    (tmp_path / "bad.kelisim-proof").write_text(json.dumps(doc))
    out = cli("proof", "verify", str(tmp_path / "bad.kelisim-proof"),
              "--root", str(tmp_path / "root.json"), ok=False).output
    assert "does not verify: inclusion proof" in out
    assert events(kelisim, "requests.proof")[-1].details == {"request_id": body["id"]}
    # Without the CSRF token: refused, nothing audited; an unknown request: 404.
    assert client.post(url).status_code in (400, 403)
    assert post(client, f"/admin/requests/{APP}/{uuid.uuid4()}/proof").status_code == 404
    assert len(events(kelisim, "requests.proof")) == 1


def test_a_records_page_checks_its_links_to_a_request_beside_it(
        client: FlaskClient, manifest: dict[str, Any], kelisim: Kelisim,
        users: dict[str, int]) -> None:
    _, auth = install(client)
    before, after = record(manifest), record(manifest)
    _records(client, auth, [before])
    _request(client, auth, "access")
    _records(client, auth, [after])
    sign_in(client, kelisim, users["owner"])
    for rec, text in ((before, "request 2, its previous hash"),
                      (after, "request 2: ")):
        html = client.get(f"/admin/apps/{APP}/consents/{rec['id']}?verify=1").get_data(True)
        assert '<li class="bad">' not in html and text in html, html
    # The request changed: the record after it still links to its stored hash, the record
    # before it sees the request's content no longer matching.
    with kelisim.db.session() as s:
        s.execute(sa.update(DeletionRequest).values(kind="blocking"))
    html = client.get(f"/admin/apps/{APP}/consents/{before['id']}?verify=1").get_data(True)
    assert '<li class="bad">✘ link from next record' in html
    html = client.get(f"/admin/apps/{APP}/consents/{after['id']}?verify=1").get_data(True)
    assert '<li class="bad">' not in html


def test_a_whole_log_check_reads_one_snapshot(
        client: FlaskClient, manifest: dict[str, Any], kelisim: Kelisim) -> None:
    """`audit verify` and the exports read the chain, the leaves and the checkpoints with
    separate statements while the server appends: in one snapshot (PostgreSQL: REPEATABLE
    READ), what is committed after its first read is not half seen."""
    _, auth = install(client)
    _records(client, auth, [record(manifest)])
    with kelisim.db.session(readonly=True) as s:
        kelisim.db.one_snapshot(s)
        assert s.scalar(sa.select(sa.func.count()).select_from(ConsentRecord)) == 1
        _request(client, auth, "access")  # committed by another transaction meanwhile
        _records(client, auth, [record(manifest)])
        assert verify_chain(s, APP) == (1, None)
        assert s.scalar(sa.select(sa.func.count()).select_from(LogLeaf)) == 1
    with kelisim.db.session(readonly=True) as s:
        assert verify_chain(s, APP) == (3, None)
