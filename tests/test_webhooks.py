"""Webhooks against a real server (`kelisim serve`), real workers (`kelisim worker`) and
real receivers, on SQLite and PostgreSQL: events delivered exactly as the consent log and
the requests recorded them, to the receiver docs/webhooks.md shows (run from the docs'
text), which verifies their signatures; every event delivered at least once across a
SIGKILL of the worker and of the server under load; two workers never send one event at
the same time; an endpoint paused after failures, resumed, replayed; bad input named."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from webhook_support import (
    APP,
    Recorder,
    deliveries,
    docs_receiver,
    endpoint,
    instance,
    manifest,
    post_record,
    received,
    record,
    register,
    serve,
    spawn,
    stored_records,
    worker,
)

from livesrv import free_port, running, stop, until
from server.errors import InvalidValue
from server.webhooks.endpoints import check_url
from server.webhooks.events import EVENTS

pytestmark = pytest.mark.slow


def _error(resp: requests.Response, status: int, field: str | None = None) -> None:
    assert resp.status_code == status, (resp.status_code, resp.text)
    body = resp.json()["error"]
    assert set(body) == {"code", "message", "details"}, body
    if field is not None:
        assert re.match(rf"{field}(\[\d+\])?: ", body["message"]), body


def test_deliveries_exactly_as_recorded(tmp_path: Path, database_url: str) -> None:
    srv = instance(tmp_path, database_url)
    env, auth = srv["env"], srv["auth"]
    port = free_port()
    base = f"http://127.0.0.1:{port}/v1/apps/{APP}"
    hooks = f"{base}/operator/webhooks"
    with running(env, port, workers=1):
        # Bad bodies are named; nothing is stored.
        cases: list[tuple[dict[str, Any], str]] = [({"events": ["consent.accepted"]}, "url"),
                            ({"url": "ftp://a.example/", "events": ["consent.accepted"]},
                             "url"),
                            ({"url": "https://u:p@a.example/", "events": ["request.created"]},
                             "url"),
                            ({"url": "https://a.example/", "events": ["consent.eaten"]},
                             "events"),
                            ({"url": "https://a.example/", "events": []}, "events"),
                            ({"url": "https://a.example/", "events": ["consent.accepted"],
                              "secret": "mine"}, "secret")]
        for body, field in cases:
            _error(requests.post(hooks, json=body, headers=auth, timeout=10), 422, field)
        assert requests.get(hooks, headers=auth, timeout=10).json() == {"endpoints": []}
        _error(requests.post(f"{hooks}/0123456789ab/pause", headers=auth, timeout=10), 404)
        _error(requests.post(f"{hooks}/deliveries/99/replay", headers=auth, timeout=10), 404)
        receiver_port = free_port()
        hook = endpoint(port, auth, f"http://127.0.0.1:{receiver_port}/hook", list(EVENTS))
        secret = hook.pop("secret")
        assert secret.startswith("whsec_") and hook["status"] == "active"
        listed = requests.get(hooks, headers=auth, timeout=10).json()["endpoints"]
        assert listed == [hook]  # the secret is never shown again
        with docs_receiver(tmp_path, secret, receiver_port) as rc, worker(env):
            m = manifest(port)
            a, b = register(port, 2)
            first = next(p["id"] for p in m["current"]["purposes"] if not p["required"])
            sent = [(a, record(m, "accept")), (b, record(m, "decline")),
                    (a, record(m, "update", {first: False})), (a, record(m, "withdraw")),
                    (b, record(m, "acknowledge", {}))]
            for install, rec in sent:
                assert post_record(port, install, rec)
            request_id = "7d6f0c57-3a4b-4f4e-9a51-3c1e6f0b2a10"
            r = requests.post(f"{base}/requests", headers={
                "Authorization": f"Bearer {a['token']}"}, json={
                "id": request_id, "kind": "access", "client_time": m["issued"],
                "note": "what do you hold", "withdraw": None}, timeout=10)
            assert r.status_code == 201, r.text
            r = requests.post(f"{base}/operator/requests/{request_id}/resolve", headers=auth,
                              json={"note": "sent by e-mail"}, timeout=10)
            assert r.status_code == 200, r.text
            expected = 4 + 2  # acknowledge emits none
            until_events(rc["events"], expected)
            events = received(rc["events"])
            stored = stored_records(env)
            by_record = {e["data"]["record_id"]: e for e in events if "record_id" in e["data"]}
            assert set(by_record) == {rec["id"] for _, rec in sent[:4]}
            kinds = {"accept": "consent.accepted", "decline": "consent.declined",
                     "update": "consent.purposes_changed", "withdraw": "consent.withdrawn"}
            for install, rec in sent[:4]:
                e, row = by_record[rec["id"]], stored[rec["id"]]
                assert e["type"] == kinds[rec["action"]] and e["app_id"] == APP
                assert e["data"] == {
                    "install_id": install["install_id"], "record_id": rec["id"],
                    "seq": row["seq"], "received_at": row["server_time"],
                    "action": rec["action"], "version": rec["version"],
                    "purposes": rec["purposes"], "client_time": rec["client_time"]}
            requests_seen = [e for e in events if e["type"].startswith("request.")]
            assert sorted((e["type"], e["data"]["request_id"], e["data"]["status"])
                          for e in requests_seen) == [("request.created", request_id, "open"),
                                                ("request.resolved", request_id, "resolved")]
            assert "note" not in str(requests_seen)  # no more than the API shows
            # Forged or stale deliveries: refused by the docs' receiver, nothing handled.
            forged = b'{"id": "forged", "type": "consent.accepted", "data": {}}'
            now = str(int(time.time()))
            good = hmac.new(secret.encode(), now.encode() + b"." + forged,
                            hashlib.sha256).hexdigest()
            stale = str(int(time.time()) - 301)
            stale_sig = hmac.new(secret.encode(), stale.encode() + b"." + forged,
                                 hashlib.sha256).hexdigest()
            for ts, sig in [(now, "v1=" + "0" * 64), (stale, f"v1={stale_sig}"),
                            (now, good)]:  # the last: a signature without v1=
                r = requests.post(rc["url"], data=forged, timeout=10, headers={
                    "Kelisim-Webhook-Id": "forged", "Kelisim-Webhook-Timestamp": ts,
                    "Kelisim-Webhook-Signature": sig})
                assert r.status_code == 400
            assert len(received(rc["events"])) == expected
            # Every delivery succeeded at its first attempt (the signature verified).
            done = deliveries(port, auth)
            assert {(d["status"], d["attempts"]) for d in done} == {("delivered", 1)}
            assert len(done) == expected
            # A test event, and a replay with the same event id.
            r = requests.post(f"{hooks}/{hook['endpoint_id']}/test", headers=auth,
                              timeout=10)
            assert r.status_code == 202 and r.json()["type"] == "webhook.test", r.text
            until_events(rc["events"], expected + 1)
            again = requests.post(f"{hooks}/deliveries/{done[-1]['id']}/replay",
                                  headers=auth, timeout=10)
            assert again.status_code == 200 and again.json()["status"] == "pending"
            _wait_delivery(port, auth, done[-1]["id"], attempts=2)
            assert len(received(rc["events"])) == expected + 1  # the receiver dropped it


def until_events(path: Path, n: int, timeout: float = 60.0) -> None:
    """Wait until the receiver's file holds ``n`` events (it appends as it handles)."""
    deadline = time.monotonic() + timeout
    while len(received(path)) < n:
        assert time.monotonic() < deadline, f"{len(received(path))} of {n} events arrived"
        time.sleep(0.05)
    assert len(received(path)) == n


def _wait_delivery(port: int, auth: dict[str, str], delivery_id: int, *, attempts: int,
                   status: str = "delivered") -> None:
    deadline = time.monotonic() + 60
    while True:
        d = next(x for x in deliveries(port, auth) if x["id"] == delivery_id)
        if d["status"] == status and d["attempts"] >= attempts:
            return
        assert time.monotonic() < deadline, d
        time.sleep(0.05)


def test_urls_checked() -> None:
    for bad in ("http://127.0.0.1/x", "http://localhost:8000/", "http://10.1.2.3/",
                "http://[::1]/", "http://169.254.169.254/latest/meta-data/",
                "https://192.168.0.5/", "javascript:alert(1)", "https:///nohost",
                "https://a.example/\nx"):
        with pytest.raises(InvalidValue, match=r"^url: "):
            check_url(bad, allow_private=False)
    assert check_url("http://127.0.0.1:9/x", allow_private=True) == "http://127.0.0.1:9/x"
    assert check_url(" https://hooks.example/k ", allow_private=False) == \
        "https://hooks.example/k"


def test_sigkill_of_worker_and_server_loses_no_event(tmp_path: Path,
                                                     database_url: str) -> None:
    """Installs record at full speed; the worker is SIGKILLed, then the server; the load
    goes on after the restart; a new worker then delivers an event for every stored
    record (at least once), and no event was ever sent twice at the same time."""
    srv = instance(tmp_path, database_url)
    env, auth = srv["env"], srv["auth"]
    port = free_port()
    rec = Recorder()
    server = serve(env, port)
    stop_load = threading.Event()
    sent: list[str] = []
    lock = threading.Lock()
    threads: list[threading.Thread] = []
    try:
        hook = endpoint(port, auth, rec.url, ["consent.accepted", "consent.withdrawn"])
        m = manifest(port)
        first = spawn(env, "worker-1", "worker")
        # The worker is up once it delivered a test event; then the load starts.
        assert requests.post(f"http://127.0.0.1:{port}/v1/apps/{APP}/operator/webhooks/"
                             f"{hook['endpoint_id']}/test", headers=auth,
                             timeout=10).status_code == 202
        rec.wait(lambda calls: len(calls) == 1, "the test event")
        rec.calls.clear()

        def load(install: dict[str, str]) -> None:
            i = 0
            while not stop_load.is_set():
                r = record(m, "accept" if i % 2 == 0 else "withdraw")
                while not post_record(port, install, r):  # the server is down: again
                    if stop_load.is_set():
                        return
                    time.sleep(0.05)  # pacing the retries to a server being restarted
                with lock:
                    sent.append(r["id"])
                i += 1

        threads = [threading.Thread(target=load, args=(i,)) for i in register(port, 4)]
        for t in threads:
            t.start()
        rec.wait(lambda calls: len(calls) >= 40, "deliveries before the kills")
        # SIGKILL mid-load and mid-round: a slow receiver holds the worker's attempts, so
        # most of what it claimed is not sent yet; its leases end, another worker sends it.
        rec.hold = 0.5
        rec.wait_busy()
        first.kill()
        first.wait()
        rec.hold = 0.0
        stop(server, kill=True)  # the server too, mid-load; the load retries
        with lock:
            before = len(sent)
        server = serve(env, port)
        until(lambda: len(sent) >= before + 40, "records after the restart")
        stop_load.set()
        for t in threads:
            t.join()
        stored = stored_records(env)
        assert set(sent) <= set(stored) and len(sent) >= 80  # every 200 is stored
        assert len(_record_ids(rec.calls)) < len(stored)  # the new worker has work
        with worker(env, "worker-2"):
            rec.wait(lambda calls: set(stored) <= _record_ids(calls),
                     "an event of every stored record", timeout=120)
        assert not rec.overlaps
    finally:
        stop_load.set()
        for t in threads:
            t.join()
        stop(server)
        rec.close()


def _record_ids(calls: list[dict[str, Any]]) -> set[str]:
    for c in calls:
        assert c["body"], c  # every delivery has its event as its body
    return {json.loads(c["body"])["data"]["record_id"] for c in calls}


def test_two_workers_pausing_resuming_and_overdue(tmp_path: Path, database_url: str) -> None:
    """Two workers share the load and never send one event twice at once (nor twice at
    all, with no failure); a failing receiver pauses the endpoint after
    WEBHOOK_PAUSE_AFTER attempts; resumed, the event is delivered; an overdue request
    emits request.overdue once."""
    srv = instance(tmp_path, database_url)
    env, auth = srv["env"], srv["auth"]
    port = free_port()
    api = f"http://127.0.0.1:{port}/v1/apps/{APP}/operator"
    rec = Recorder(hold=0.01)
    try:
        with running(env, port, workers=1), worker(env, "worker-a"), worker(env, "worker-b"):
            hook = endpoint(port, auth, rec.url, ["consent.accepted", "request.overdue"])
            m = manifest(port)
            installs = register(port, 4)
            ids = []
            for i in range(120):
                one = record(m, "accept")
                assert post_record(port, installs[i % 4], one)
                ids.append(one["id"])
            rec.wait(lambda calls: set(ids) <= _record_ids(calls), "every event")
            assert not rec.overlaps
            counts = Counter(c["id"] for c in rec.calls)
            assert set(counts.values()) == {1}, counts.most_common(3)
            # A failing receiver: 3 attempts, then the endpoint is paused.
            rec.fail = True
            failing = record(m, "accept")
            assert post_record(port, installs[0], failing)
            rec.wait(lambda calls: sum(json.loads(c["body"])["data"].get("record_id")
                                       == failing["id"] for c in calls) >= 3, "3 attempts")
            until(lambda: _endpoint_state(api, auth)["status"] == "paused", "the pause")
            state = _endpoint_state(api, auth)
            assert state["failures"] == 3 and state["paused_at"], state
            [d] = [d for d in deliveries(port, auth) if d["status"] == "pending"]
            assert d["attempts"] == 3 and d["last_error"] == "HTTP 500", d
            rec.fail = False
            r = requests.post(f"{api}/webhooks/{hook['endpoint_id']}/resume", headers=auth,
                              timeout=10)
            assert r.status_code == 200 and r.json()["status"] == "active", r.text
            _wait_delivery(port, auth, d["id"], attempts=4)
            assert _endpoint_state(api, auth)["failures"] == 0
            # An open request past its deadline: request.overdue, once.
            request_id = "0e4c5a6b-7d8e-4f90-a1b2-c3d4e5f60718"
            r = requests.post(f"http://127.0.0.1:{port}/v1/apps/{APP}/requests", headers={
                "Authorization": f"Bearer {installs[0]['token']}"}, json={
                "id": request_id, "kind": "access", "client_time": m["issued"],
                "note": None, "withdraw": None}, timeout=10)
            assert r.status_code == 201, r.text
            engine = sa.create_engine(env.get("KELISIM_DATABASE_URL")
                                      or f"sqlite:///{tmp_path}/instance/kelisim.db")
            with engine.begin() as conn:
                conn.execute(sa.text("UPDATE deletion_requests SET deadline = "
                                     "'2020-01-01T00:00:00Z' WHERE request_id = :r"),
                             {"r": request_id})
            engine.dispose()
            rec.wait(lambda calls: any(json.loads(c["body"])["type"] == "request.overdue"
                                       for c in calls), "request.overdue", timeout=60)
            overdue = [json.loads(c["body"]) for c in rec.calls
                       if json.loads(c["body"])["type"] == "request.overdue"]
            assert [e["data"]["request_id"] for e in overdue] == [request_id]
    finally:
        rec.close()


def _endpoint_state(api: str, auth: dict[str, str]) -> dict[str, Any]:
    [state] = requests.get(f"{api}/webhooks", headers=auth, timeout=10).json()["endpoints"]
    return dict(state)
