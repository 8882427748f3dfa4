"""Requests of the data subject from the SDK to the operator and back, against the real
server (a `kelisim serve` process) and the real CLI (run in this process:
livesrv.kelisim_here), on SQLite and PostgreSQL: each kind
filed offline, sent with a signed receipt, answered by the operator with a note, and read
back by ``sync()`` into ``requests()``; the deletion's withdraw choice; the export."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from builders import RATE_LIMITS_OFF, older_store_deletion, server_env
from client_sdk import ConsentClient, DataRequest, FormatError, UsageError
from client_sdk.protocol.timeutil import parse_time
from client_sdk.testing import MockTransport
from client_sdk.transport import HttpTransport, Request, Response
from livesrv import demo_setup, free_port, kelisim_here, running

pytestmark = pytest.mark.slow
APP = "jana-courier"


def _setup(tmp_path: Path, database_url: str) -> dict[str, Any]:
    env = server_env(tmp_path / "instance", database_url, **RATE_LIMITS_OFF)
    demo_setup(env)
    static = tmp_path / "static"
    kelisim_here(env, "export-static", str(static))
    return {"env": env, "root": (static / "v1/root/1.json").read_bytes(),
            "manifest": (static / f"v1/apps/{APP}/manifest.json").read_bytes()}


def test_every_kind_reaches_an_answer_the_app_shows(tmp_path: Path,
                                                     database_url: str) -> None:
    srv = _setup(tmp_path, database_url)
    port = free_port()
    client = ConsentClient(f"http://127.0.0.1:{port}", APP, srv["root"], tmp_path / "app",
                           bundled_manifest=srv["manifest"])
    client.accept(age_confirmed=True)
    # Filed offline: recorded at once, pending.
    filed = {
        "access": client.request("access"),
        "rectification": client.request("rectification", "Surname: Nurlanova, not Nurlanov"),
        "blocking": client.request("blocking", "Until my complaint is settled"),
        "deletion": client.request_deletion(withdraw=True),
    }
    assert [(r.kind, r.status) for r in client.requests()] == [
        (k, "pending") for k in filed]
    # The withdraw choice: recorded with the request, the withdrawal before it.
    assert client.consent_state().status == "withdrawn"
    assert [r.action for r in client.history()][-2:] == ["withdraw", "deletion_request"]
    with running(srv["env"], port):
        result = client.sync()
        assert result.ok and result.pending == 0, result.error
        sent = {r.kind: r for r in client.requests()}
        for kind, rec in filed.items():
            r = sent[kind]
            assert (r.id, r.status, r.answer) == (rec.id, "open", None)
            assert r.receipt is not None and r.received_at is not None
            assert parse_time(r.deadline or "") - parse_time(r.received_at) == \
                timedelta(days=30)
        assert sent["deletion"].withdraw is True and sent["access"].withdraw is None
        # The operator's queue lists each kind with its deadline.
        header, *queue = kelisim_here(srv["env"], "requests", "list", APP).splitlines()
        assert header.split("\t")[:7] == ["id", "kind", "install", "received", "deadline",
                                          "status", "note"]
        assert sorted(line.split("\t")[1] for line in queue) == sorted(filed)
        assert all(sent[line.split("\t")[1]].deadline == line.split("\t")[4]
                   for line in queue)
        notes = {"access": "Sent a copy of your data to the e-mail on file",
                 "rectification": "Surname corrected",
                 "deletion": "Account and delivery history erased"}
        for kind, note in notes.items():
            kelisim_here(srv["env"], "requests", "resolve", APP, filed[kind].id, "--note", note)
        kelisim_here(srv["env"], "requests", "refuse", APP, filed["blocking"].id, "--note",
                "Delivery records are kept 5 years by law")
        result = client.sync()
        assert result.ok, result.error
    answered = {r.kind: r for r in client.requests()}
    for kind, note in notes.items():
        assert (answered[kind].status, answered[kind].answer) == ("resolved", note)
        assert answered[kind].answered_at is not None and answered[kind].checked_at
    assert (answered["blocking"].status, answered["blocking"].answer) == (
        "refused", "Delivery records are kept 5 years by law")
    assert all(isinstance(r, DataRequest) and r.answered for r in answered.values())
    # On the server: the withdrawal and the request, the choice recorded.
    records = [json.loads(line) for line in
               kelisim_here(srv["env"], "consents", "export", APP).splitlines()]
    assert [r["action"] for r in records] == ["accept", "withdraw"]
    # A store reopened (a new launch) shows the same answers, without the network.
    client.close()
    again = ConsentClient("http://127.0.0.1:9", APP, srv["root"], tmp_path / "app")
    assert again.requests() == list(answered.values())

    export = again.export_my_data("ru")
    doc = json.loads(export.json)
    assert doc["_type"] == "kelisim-export" and doc["app"] == APP
    assert [r["action"] for r in doc["records"]] == [
        "accept", "access_request", "rectification_request", "blocking_request", "withdraw",
        "deletion_request"]
    assert all(r["receipt"] for r in doc["records"])
    assert {q["kind"]: q["answer"] for q in doc["requests"]}["blocking"] == \
        "Delivery records are kept 5 years by law"
    assert "## Мои запросы" in export.summary and "Отказано" in export.summary
    assert "Ответ оператора: Surname corrected" in export.summary
    assert export.locale == "ru" and export.filename.startswith(f"kelisim-{APP}-")
    again.close()


def test_bad_requests_are_refused_in_the_sdk_naming_the_field(tmp_path: Path) -> None:
    srv = _setup(tmp_path, f"sqlite:///{tmp_path / 'k.db'}")
    client = ConsentClient("http://127.0.0.1:9", APP, srv["root"], tmp_path / "app",
                           bundled_manifest=srv["manifest"])
    for args, kw, field in [(("erase",), {}, "kind"), (("rectification",), {}, "note"),
                            (("access", ""), {}, "note"), (("access", "x" * 2001), {}, "note"),
                            (("access",), {"withdraw": True}, "withdraw"),
                            (("deletion",), {"withdraw": "yes"}, "withdraw")]:
        with pytest.raises(UsageError, match=field):
            client.request(*args, **kw)
    assert client.requests() == [] and client.history() == []
    client.close()


def test_a_deletion_request_of_an_older_store_reaches_the_operator(
        tmp_path: Path, database_url: str) -> None:
    """A schema-2 store (before requests of every kind) with a deletion request in its
    outbox: upgraded at launch, sent to /deletion-requests as then, and its answer read
    back like any request's."""
    srv = _setup(tmp_path, database_url)
    port = free_port()
    data = tmp_path / "app"
    old = older_store_deletion(data, f"http://127.0.0.1:{port}", srv["root"],
                               srv["manifest"])
    client = ConsentClient(f"http://127.0.0.1:{port}", APP, srv["root"], data)
    (pending,) = client.requests()
    assert (pending.id, pending.kind, pending.withdraw, pending.status) == (
        old, "deletion", None, "pending")
    with running(srv["env"], port):
        assert client.sync().ok
        (sent,) = client.requests()
        assert sent.status == "open" and sent.deadline is not None  # read from the history
        kelisim_here(srv["env"], "requests", "resolve", APP, old, "--note", "Erased")
        assert client.sync().ok
    (done,) = client.requests()
    assert (done.status, done.answer) == ("resolved", "Erased")
    client.close()


def test_a_status_answer_with_a_wrong_field_is_named_and_not_stored(
        tmp_path: Path) -> None:
    """An answer no real server gives (the history page changed on its way): the field
    is named in the sync's error and the request keeps what it had."""
    srv = _setup(tmp_path, f"sqlite:///{tmp_path / 'k.db'}")
    port = free_port()
    client = ConsentClient(f"http://127.0.0.1:{port}", APP, srv["root"], tmp_path / "app",
                           bundled_manifest=srv["manifest"])
    filed = client.request("access")
    real = HttpTransport()

    def tamper(req: Request) -> Response:
        resp = real.request(req.method, req.url, body=req.body, headers=req.headers,
                            max_bytes=1 << 24)
        if req.method == "GET" and "/consents" in req.url:
            page = json.loads(resp.body)
            page["requests"][0]["status"] = "done"
            return Response(resp.status, json.dumps(page).encode(), resp.headers)
        return resp

    client.transport = MockTransport(tamper)
    with running(srv["env"], port):
        result = client.sync()
    assert not result.ok and isinstance(result.error, FormatError)
    assert result.error.field == "requests[0].status", result.error
    (r,) = client.requests()
    assert (r.id, r.status, r.checked_at, r.answer) == (filed.id, "open", None, None)
    client.close()
