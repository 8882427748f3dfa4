"""Consent sync end to end: real server processes, real SQLite / PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from builders import RATE_LIMITS_OFF, server_env
from client_sdk import ConsentClient, NetworkError
from client_sdk.transport import HttpTransport
from helpers import verified_root, verify
from livesrv import demo_setup, free_port, get, kelisim_here, running, stop

pytestmark = pytest.mark.slow
APP = "jana-courier"
RECEIPT_TYPE = "application/vnd.kelisim.receipt+json"


def setup_server(tmp_path: Path, database_url: str | None = None) -> dict[str, Any]:
    env = server_env(tmp_path / "instance", database_url, **RATE_LIMITS_OFF)
    demo_setup(env)
    static = tmp_path / "static"
    kelisim_here(env, "export-static", str(static))
    return {"env": env, "root": (static / "v1/root/1.json").read_bytes(),
            "manifest": (static / f"v1/apps/{APP}/manifest.json").read_bytes()}


class KillPoint:
    """A transport that lets the test SIGKILL the server at a known point of a sync: once
    the first consents batch was answered and while the second is on its way; the third
    waits until the kill is done. No fixed sleep racing the server."""

    def __init__(self, inner: HttpTransport) -> None:
        self.inner = inner
        self.arm(False)

    def arm(self, on: bool = True) -> None:
        self.on = on
        self.posts = 0
        self.second_sent = threading.Event()
        self.killed = threading.Event()

    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, max_bytes: int) -> Any:
        if self.on and method == "POST" and url.endswith("/consents"):
            self.posts += 1
            if self.posts == 2:
                self.second_sent.set()
            elif self.posts == 3:
                assert self.killed.wait(60)
        return self.inner.request(method, url, body=body, headers=headers, max_bytes=max_bytes)


def server_records(env: dict[str, str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in kelisim_here(env, "consents", "export", APP).splitlines()]


def test_offline_accept_restart_duplicates_and_kill(tmp_path: Path) -> None:
    srv = setup_server(tmp_path)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    transport = KillPoint(HttpTransport(connect_timeout=1, read_timeout=5, deadline=10))
    client = ConsentClient(url, APP, srv["root"], tmp_path / "app",
                           bundled_manifest=srv["manifest"], transport=transport)
    # Offline: the server is not running yet.
    client.accept(["analytics"], evidence={"scrolled_to_end": True}, age_confirmed=True)
    result = client.sync()
    assert not result.ok and isinstance(result.error, NetworkError) and result.pending == 1
    assert client.sync().synced == 0  # backing off: nothing is tried before it is due
    with running(srv["env"], port):
        result = client.sync(force=True)
        assert result.ok and result.synced == 1 and result.pending == 0
        rec = client.history()[0]
        assert rec.synced and rec.receipt is not None
        root = verified_root(get(port, "/v1/root.json")[2])
        receipt = verify(rec.receipt, root, "receipt", RECEIPT_TYPE)
        assert receipt["records"][0]["id"] == rec.id
        # Duplicate send: the receipt was "lost", the client sends again.
        db = sqlite3.connect(tmp_path / "app" / "kelisim.db")
        db.execute("UPDATE outbox SET synced_at = NULL, receipt = NULL")
        db.commit()
        db.close()
        again = client.sync(force=True)
        assert again.ok and again.synced == 1
        assert client.history()[0].receipt == rec.receipt
        for i in range(299):
            client.update_purposes({"analytics": bool(i % 2)})
        client.request_deletion()
    assert len(server_records(srv["env"])) == 1

    # The server is SIGKILLed while the 300 records are on their way (after the first batch
    # of 100 was stored, while the second is sent); then it comes back.
    transport.arm()
    with running(srv["env"], port) as proc:
        outcome: dict[str, Any] = {}
        worker = threading.Thread(target=lambda: outcome.update(r=client.sync(force=True)))
        worker.start()
        assert transport.second_sent.wait(60)
        stop(proc, kill=True)
        transport.killed.set()
        worker.join(60)
    first = outcome["r"]
    assert not first.ok and 100 <= first.synced <= 200
    with running(srv["env"], port):
        final = client.sync(force=True)
        assert final.ok, final.error
        assert final.pending == 0
    history = client.history()
    assert all(r.synced and r.receipt for r in history)
    stored = server_records(srv["env"])
    ids = [r["record_id"] for r in stored]
    assert len(ids) == len(set(ids)) == 300
    assert set(ids) == {r.id for r in history if r.action != "deletion_request"}
    # The deletion request is a chain row (and a leaf) too.
    assert "300 record(s) and 1 request(s), chain intact; log: 301 leaves" in \
        kelisim_here(srv["env"], "audit", "verify", APP)
    assert history[-1].action == "deletion_request"
    assert history[-1].id in kelisim_here(srv["env"], "deletions", "list", APP)
    root = json.loads(kelisim_here(srv["env"], "root", "show", "--payload"))
    for r in history:
        verify(r.receipt or b"", root, "receipt", RECEIPT_TYPE)


def test_fifty_installs_at_once(tmp_path: Path, database_url: str) -> None:
    srv = setup_server(tmp_path, database_url)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    clients = []
    for i in range(50):
        c = ConsentClient(url, APP, srv["root"], tmp_path / f"app{i}",
                          bundled_manifest=srv["manifest"])
        c.accept(["analytics"] if i % 2 else [], age_confirmed=True)
        for j in range(19):
            c.update_purposes({"analytics": bool(j % 2)})
        clients.append(c)
    results: list[Any] = [None] * 50
    barrier = threading.Barrier(50)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = clients[i].sync()

    with running(srv["env"], port, workers=2):
        threads = [threading.Thread(target=run, args=(i,)) for i in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    failed = [r.error for r in results if r is None or not r.ok]
    assert not failed, failed[:3]
    assert sum(r.synced for r in results) == 1000
    stored = server_records(srv["env"])
    ids = [r["record_id"] for r in stored]
    assert len(ids) == len(set(ids)) == 1000
    assert sorted(r["seq"] for r in stored) == list(range(1, 1001))
    assert "1000 record(s), chain intact" in kelisim_here(srv["env"], "audit", "verify", APP)
    engine = sa.create_engine(srv["env"].get("KELISIM_DATABASE_URL")
                              or f"sqlite:///{tmp_path / 'instance' / 'kelisim.db'}")
    with engine.connect() as conn:
        installs = conn.execute(sa.text("SELECT count(*) FROM installs")).scalar()
    engine.dispose()
    assert installs == 50


def test_sync_from_two_threads_at_once(tmp_path: Path) -> None:
    srv = setup_server(tmp_path)
    port = free_port()
    client = ConsentClient(f"http://127.0.0.1:{port}", APP, srv["root"], tmp_path / "app",
                           bundled_manifest=srv["manifest"])
    client.accept(age_confirmed=True)
    for i in range(149):
        client.update_purposes({"analytics": bool(i % 2)})
    results: list[Any] = []
    with running(srv["env"], port):
        threads = [threading.Thread(target=lambda: results.append(client.sync()))
                   for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert all(r.ok for r in results) and sum(r.synced for r in results) == 150
    ids = [r["record_id"] for r in server_records(srv["env"])]
    assert len(ids) == len(set(ids)) == 150
