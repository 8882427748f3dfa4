"""The console's record page and the app's log page show the witnesses of the app's log
(who cosigned the newest checkpoint and when, the size each last cosigned, a refusal), the
log page those of the policy log too; the owner's proof file carries the cosigned
checkpoint, and export-static exports it with its cosignatures. A real witness process;
the worker's submitter run in this process (server/consent/witnessing.py); SQLite and
PostgreSQL."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from admin_support import APP, manifest, post, record, send, sign_in
from client_sdk.protocol.logentry import record_leaf
from client_sdk.protocol.policylog import policy_origin
from client_sdk.protocol.tlog import parse_vkey, verify_tlog_proof
from helpers import verified_root
from server import Kelisim
from server.consent.witnessing import Submitter
from tests import witnesses

W1, W2 = "witness.test/console1", "witness.test/console2"


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    directory = tmp_path / "w1"
    vkey = witnesses.init(directory, W1)
    with witnesses.serving(directory) as (url, _):
        yield url, vkey, directory


def test_record_page_shows_witnesses_and_the_proof_is_cosigned(
        client: FlaskClient, published: Path, kelisim: Kelisim, cli: Any,
        users: dict[str, int], witness: Any, tmp_path: Path) -> None:
    url, vkey, directory = witness
    # A second witness the root lists that never answers (nothing listens at its URL).
    absent = witnesses.init(tmp_path / "w2", W2)
    cli("root", "rotate", "--add-witness", vkey, "--add-witness", absent)
    root = verified_root(client.get("/v1/root.json").data)
    origin = f"{root['log']['origin_prefix']}/{APP}"
    for log in (origin, policy_origin(root["log"]["origin_prefix"])):  # the policy log too
        witnesses.run("witness", "add-log", "--origin", log, "--key", root["log"]["keys"][0],
                      "--dir", str(directory))
    m = manifest(client)
    recs = [record(m), record(m, action="decline", purposes={})]
    send(client, recs)
    rid = recs[0]["id"]
    sign_in(client, kelisim, users["viewer"])
    page = client.get(f"/admin/apps/{APP}/consents/{rid}").get_data(True)
    assert '<p id="witnesses">' in page  # none has answered

    settings = dataclasses.replace(kelisim.settings, witness_urls=(
        f"{W1}={url},{W2}=http://127.0.0.1:9"), witness_timeout=2.0)
    submitter = Submitter(kelisim.db, settings, kelisim.db.session)
    # The app's log and the policy log, each to both witnesses.
    assert submitter.round() == 4 and (submitter.cosigned, submitter.failed) == (2, 2)
    page = client.get(f"/admin/apps/{APP}/consents/{rid}").get_data(True)
    table = page[page.index('<table id="witnesses">'):]
    table = table[:table.index("</table>")]
    row1, row2 = table.split("<tr><td")[1:]
    assert W1 in row1 and "<td>2</td>" in row1 and "not yet" not in row1
    assert W2 in row2 and "<td>0</td>" in row2 and "not yet" in row2
    assert "did not answer" in row2
    assert f"— {W1} " in page  # the checkpoint shown carries the cosignature
    # The app's log page shows the same card, and the policy log's witnesses beside it.
    page = client.get(f"/admin/apps/{APP}/log").get_data(True)
    assert page.count(f'<td translate="no">{W1}</td>') == 2
    table = page[page.index('<table id="policy-witnesses">'):]
    table = table[:table.index("</table>")]
    row1, row2 = table.split("<tr><td")[1:]
    assert W1 in row1 and "not yet" not in row1 and W2 in row2 and "not yet" in row2
    policy = page[page.index('id="policy-checkpoint"'):]
    assert f"— {W1} " in policy[:policy.index("</pre>")]
    cli("export-static", str(tmp_path / "static"))  # the exported checkpoint carries it too
    exported = (tmp_path / "static" / "v1/apps" / APP / "log/checkpoint").read_bytes()
    assert exported == client.get(f"/v1/apps/{APP}/log/checkpoint").data
    assert f"— {W1} ".encode() in exported

    sign_in(client, kelisim, users["owner"])
    doc = json.loads(post(client, f"/admin/apps/{APP}/consents/{rid}/proof").data)
    leaf = record_leaf(base64.b64decode(doc["salt"]), doc["record"])
    verified = verify_tlog_proof(doc["tlog_proof"].encode(), leaf, origin=origin,
                                 log_key=parse_vkey(root["log"]["keys"][0]),
                                 witnesses=[parse_vkey(vkey)], threshold=1)
    assert verified.checkpoint.size == 2
    with kelisim.db.engine.connect() as conn:
        refused = conn.execute(sa.text("SELECT refused FROM tlog_witnessing WHERE "
                                       "witness = :w"), {"w": W2}).scalar()
    assert refused is False or refused == 0
