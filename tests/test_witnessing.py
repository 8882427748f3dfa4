"""The log side of witnessing (server/consent/witnessing.py), end to end: a real server, a
real `kelisim worker`, two real witness processes (`kelisim witness serve`); SQLite and
PostgreSQL. The worker submits each app's newest checkpoint; the cosigned checkpoint is
published; a witness that hangs or is down does not hold up ingest, and catches up when
it is back; a history rewritten in the database is refused by both, and the refusal is
stored."""

from __future__ import annotations

import json
import os
import signal
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from webhook_support import APP, WORKER_KEYS, manifest, post_record, record, register, serve
from webhook_support import worker as worker_process

from builders import server_env
from client_sdk import ConsentClient
from client_sdk.errors import SignatureError
from client_sdk.protocol.logproof import ProofChecker
from client_sdk.protocol.model import Root
from client_sdk.protocol.tlog import parse_tlog_proof, parse_vkey, verify_checkpoint
from client_sdk.protocol.tlog.checkpoint import parse_checkpoint
from client_sdk.protocol.tlog.note import parse_note
from livesrv import demo_setup, free_port, kelisim_here, running, stop, until
from tests import witnesses

W1, W2 = "witness.test/w1", "witness.test/w2"
TIMEOUT = 3.0  # WITNESS_TIMEOUT: how long a hung witness holds a submission


def _published(port: int) -> bytes:
    r = requests.get(f"http://127.0.0.1:{port}/v1/apps/{APP}/log/checkpoint", timeout=10)
    assert r.status_code == 200, r.text
    return r.content


def _size(note: bytes) -> int:
    return parse_checkpoint(parse_note(note).text).size


class Log:
    """What the test checks the published checkpoint against: the root's log and
    witness keys."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        root: dict[str, Any] = json.loads(kelisim_here(env, "root", "show", "--payload"))
        self.port = port
        self.vkey: str = root["log"]["keys"][0]
        self.log_key = parse_vkey(self.vkey)
        self.origin = f"{root['log']['origin_prefix']}/{APP}"
        self.keys = {w["name"]: parse_vkey(w["vkey"]) for w in root["witnesses"]}
        assert root["witness_threshold"] == 2

    def cosigners(self, note: bytes) -> set[str]:
        verified = verify_checkpoint(note, origin=self.origin, log_key=self.log_key,
                                     witnesses=list(self.keys.values()))
        return {name for name, _ in verified.cosigners}

    def cosigned(self, names: set[str], size: int) -> bool:
        note = _published(self.port)
        return _size(note) == size and self.cosigners(note) == names


def _states(url: str) -> dict[str, dict[str, Any]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT witness, size, failures, last_error, refused "
                                        "FROM tlog_witnessing WHERE app_id = :a"), {"a": APP})
            return {r.witness: dict(r._mapping) for r in rows}
    finally:
        engine.dispose()


def _rewrite_history(url: str) -> None:
    """Every stored hash of the app's tree replaced: the operator rewrote history."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            rows = conn.execute(sa.text("SELECT level, idx, hash FROM tlog_hashes "
                                        "WHERE app_id = :a"), {"a": APP}).all()
            for level, idx, h in rows:
                conn.execute(sa.text("UPDATE tlog_hashes SET hash = :h WHERE app_id = :a "
                                     "AND level = :l AND idx = :i"),
                             {"h": bytes(reversed(bytes(h))), "a": APP, "l": level, "i": idx})
    finally:
        engine.dispose()


def test_worker_gets_checkpoints_cosigned_and_published(tmp_path: Path,
                                                        database_url: str) -> None:
    dirs = {W1: tmp_path / "w1", W2: tmp_path / "w2"}
    vkeys = {name: witnesses.init(d, name) for name, d in dirs.items()}
    ports = {name: free_port() for name in dirs}
    urls = ",".join(f"{name}=http://127.0.0.1:{p}" for name, p in ports.items())
    env = server_env(tmp_path / "instance", database_url, **WORKER_KEYS, WITNESS_URLS=urls,
                     WITNESS_POLL_INTERVAL="0.05", WITNESS_BACKOFF_BASE="0.05",
                     WITNESS_BACKOFF_CAP="0.3", WITNESS_TIMEOUT=str(TIMEOUT),
                     CACHE_CHECK_INTERVAL="0.05")
    demo_setup(env)
    kelisim_here(env, "root", "rotate", "--add-witness", vkeys[W1], "--add-witness", vkeys[W2],
            "--witness-threshold", "2")
    db = env.get("KELISIM_DATABASE_URL") or f"sqlite:///{tmp_path / 'instance' / 'kelisim.db'}"
    port = free_port()
    server = serve(env, port)
    log = Log(env, port)
    for d in dirs.values():
        witnesses.run("witness", "add-log", "--origin", log.origin, "--key", log.vkey,
                      "--dir", str(d))
    m = manifest(port)
    installs = register(port, 2)

    def current() -> int:
        r = requests.get(f"http://127.0.0.1:{port}/v1/apps/{APP}/log/checkpoint", timeout=10)
        return 0 if r.status_code == 404 else _size(r.content)

    def post(n: int) -> int:
        """POST n records, each answered in less than half a witness's timeout; returns
        the log's size once the published checkpoint has them."""
        before = current()
        for i in range(n):
            started = time.monotonic()
            assert post_record(port, installs[i % 2], record(m, "accept"))
            assert time.monotonic() - started < TIMEOUT / 2
        until(lambda: current() >= before + n, "the checkpoint")
        return current()

    try:
        with ExitStack() as stack:
            w1 = stack.enter_context(witnesses.serving(dirs[W1], ports[W1]))[1]
            w2 = stack.enter_context(witnesses.serving(dirs[W2], ports[W2]))[1]
            stack.enter_context(worker_process(env))
            size = post(3)
            until(lambda: log.cosigned({W1, W2}, size), "both cosignatures", 60)

            # A witness that hangs (SIGSTOP): ingest does not wait, the other cosigns.
            os.killpg(w2.pid, signal.SIGSTOP)
            size = post(2)
            until(lambda: log.cosigned({W1}, size), "w1's cosignature", 60)
            until(lambda: _states(db)[W2]["failures"] > 0, "w2's failure stored", 60)
            assert not _states(db)[W2]["refused"]
            # Down (killed), then back on its port: it catches up from its own size.
            stop(w2, kill=True)  # type: ignore[arg-type]
            size = post(1)
            until(lambda: log.cosigned({W1}, size), "w1's cosignature", 60)
            stack.enter_context(witnesses.serving(dirs[W2], ports[W2]))
            until(lambda: log.cosigned({W1, W2}, size), "w2 caught up", 60)
            assert _states(db)[W2]["failures"] == 0 and _states(db)[W2]["size"] == size

            # History rewritten in the database: both witnesses refuse the next checkpoint.
            _rewrite_history(db)
            forked = post(1)
            until(lambda: all(s["refused"] for s in _states(db).values()),
                  "the refusals stored", 60)
            for state in _states(db).values():
                assert state["size"] == size and "consistent" in state["last_error"]
            assert log.cosigners(_published(port)) == set()
            assert _size(_published(port)) == forked
            assert w1.poll() is None
        shown = witnesses.run("witness", "logs", "--dir", str(dirs[W1])).stdout
        origin, cosigned, refusals, _ = shown.split("\t")
        assert (origin, int(cosigned)) == (log.origin, size) and int(refusals) >= 1
    finally:
        stop(server)
    out = (tmp_path / "instance" / "worker.log").read_text()
    assert f"witness {W1} refused {APP}'s checkpoint of size {forked}" in out


@pytest.mark.parametrize("urls", ["w1", "w1=ftp://x", "w1=http://a,w1=http://b"])
def test_bad_witness_urls_are_refused_at_start(tmp_path: Path, urls: str) -> None:
    env = server_env(tmp_path, None, WITNESS_URLS=urls)
    proc = kelisim_fails(env, "worker", "--once")
    assert "KELISIM_WITNESS_URLS" in proc


def kelisim_fails(env: dict[str, str], *args: str) -> str:
    import subprocess

    from livesrv import KELISIM

    proc = subprocess.run([KELISIM, *args], env=env, capture_output=True, text=True)
    assert proc.returncode != 0
    return proc.stdout + proc.stderr


def test_a_device_gets_a_cosigned_proof_on_a_later_sync(tmp_path: Path,
                                                         database_url: str) -> None:
    """With witness_threshold 1 the proof in the first answer (a checkpoint just signed,
    no witness has seen it) is not accepted: the record (and a request of the data
    subject, a leaf too) stays pending. Once the worker got a cosignature, the next sync
    sends them again and the server proves each in the cosigned checkpoint: confirmed."""
    directory = tmp_path / "w1"
    vkey = witnesses.init(directory, W1)
    wport = free_port()
    env = server_env(tmp_path / "instance", database_url, **WORKER_KEYS,
                     WITNESS_URLS=f"{W1}=http://127.0.0.1:{wport}",
                     WITNESS_POLL_INTERVAL="0.05", CACHE_CHECK_INTERVAL="0.05")
    demo_setup(env)
    kelisim_here(env, "root", "rotate", "--add-witness", vkey, "--witness-threshold", "1")
    root: dict[str, Any] = json.loads(kelisim_here(env, "root", "show", "--payload"))
    witnesses.run("witness", "add-log", "--origin", f"{root['log']['origin_prefix']}/{APP}",
                  "--key", root["log"]["keys"][0], "--dir", str(directory))
    static = tmp_path / "static"
    kelisim_here(env, "export-static", str(static))
    trusted = (static / "v1/root/2.json").read_bytes()
    port = free_port()
    client = ConsentClient(f"http://127.0.0.1:{port}", APP, trusted, tmp_path / "app",
                           bundled_manifest=(static / f"v1/apps/{APP}/manifest.json"
                                             ).read_bytes())
    checker = ProofChecker(Root.from_payload(root), APP)
    rec = client.accept(age_confirmed=True)
    req = client.request("access")
    with running(env, port):
        first = client.sync()
        assert not first.ok and first.pending == 2
        assert isinstance(first.error, SignatureError) and first.error.role == "witness"
        assert client.store.log_proof(rec.id) is None
        assert client.store.log_proof(req.id) is None
        with witnesses.serving(directory, wport), worker_process(env):
            until(lambda: _cosigned_by(port, W1) and _size(_published(port)) == 2,
                  "the cosignature", 60)
        later = client.sync(force=True)
    assert later.ok and later.synced == 2 and later.pending == 0, later.error
    for entry in (rec, req):
        _, proof = client.store.log_proof(entry.id) or (b"", b"")
        note = parse_tlog_proof(proof).checkpoint
        assert {name for name, _ in checker.checkpoint(note).cosigners} == {W1}
    assert [h.status for h in client.history()] == ["synced", "synced"]
    assert [r.status for r in client.requests()] == ["open"]


def _cosigned_by(port: int, name: str) -> bool:
    return f"\u2014 {name} ".encode() in _published(port)
