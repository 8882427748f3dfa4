"""Concurrent ingest: group commit (shared transaction, one outcome per request), the chain
head of a new app under concurrent first records, many one-record installs at once through
a real server. SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from builders import APP, RATE_LIMITS_OFF, record, server_env
from client_sdk import ConsentClient
from helpers import payload_of, verified_root, verify
from livesrv import free_port, get, post_json, running
from server import Kelisim
from server.consent.chain import lock_heads, verify_chain
from server.consent.groupcommit import GroupCommit
from server.consent.ingest import AppendBatch, IngestRequest, ingest
from server.consent.requests import request_deletion
from server.errors import RecordConflict, RecordsRejected, UnknownInstall
from server.models import ConsentRecord, DeletionRequest, Install

pytestmark = pytest.mark.rate_limits_off

RECEIPT_TYPE = "application/vnd.kelisim.receipt+json"


def _record(m: dict[str, Any]) -> dict[str, Any]:
    return record(m, evidence={})


def _wait(cond: Callable[[], bool], what: str, deadline: float = 60.0) -> None:
    end = time.monotonic() + deadline
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def _behind_a_leader(group: GroupCommit, calls: list[Callable[[], Any]],
                     lead: Callable[[Any], Any] = lambda s: None
                     ) -> tuple[dict[int, Any], int]:
    """Run ``calls`` (each a request into ``group``) queued one at a time, in this order,
    behind a leader whose own work (``lead``) holds its group open until all are queued.
    Returns each call's outcome (its result or its exception) by index, -1 for the
    leader's, and the number of transactions committed before the queue ran."""
    held, release = threading.Event(), threading.Event()
    outcomes: dict[int, Any] = {}

    def blocker(s: Any) -> Any:
        held.set()
        release.wait(60)
        return lead(s)

    def submit(i: int, call: Callable[[], Any]) -> None:
        try:
            outcomes[i] = call()
        except Exception as exc:  # the tests inspect each outcome
            outcomes[i] = exc

    first = threading.Thread(target=submit, args=(-1, lambda: group.run(APP, blocker)))
    first.start()
    assert held.wait(30)
    before = group.transactions
    threads = []
    for i, call in enumerate(calls):
        threads.append(threading.Thread(target=submit, args=(i, call)))
        threads[-1].start()
        _wait(lambda i=i: group.pending() == i + 1, "the request to queue")
    release.set()
    for t in [first, *threads]:
        t.join(60)
    return outcomes, before


def _new_install(k: Kelisim, app_id: str) -> str:
    install_id = str(uuid.uuid4())
    with k.db.session() as s:
        s.add(Install(id=install_id, app_id=app_id, created_at="2025-01-01T00:00:00Z",
                      token_generation=1))
    return install_id


def test_group_shares_one_commit_and_keeps_each_outcome(kelisim: Kelisim, client: Any,
                                                        published: Path) -> None:
    m = payload_of(client.get(f"/v1/apps/{APP}/manifest.json").data)
    group = GroupCommit(kelisim.db)
    a, b, c = (_new_install(kelisim, APP) for _ in range(3))
    from client_sdk.protocol.timeutil import utcnow

    now = utcnow()
    known = _record(m)

    def failing_after_writes(s: Any) -> Any:
        ingest(s, APP, b, [_record(m), _record(m)], kelisim.keys_dir, now)
        raise RuntimeError("this request fails after its rows were written")

    changed = {**known, "locale": "ru",
               "document_sha256": m["current"]["locales"]["ru"]["sha256"]}
    good_a = [_record(m)]
    good_b = [_record(m), _record(m)]
    works: list[Callable[[Any], Any]] = [
        lambda s: ingest(s, APP, a, good_a, kelisim.keys_dir, now),
        failing_after_writes,
        lambda s: ingest(s, APP, c, [changed], kelisim.keys_dir, now),  # 422 conflict
        lambda s: ingest(s, APP, b, good_b, kelisim.keys_dir, now),
    ]
    outcomes, before = _behind_a_leader(
        group, [lambda w=w: group.run(APP, w) for w in works],
        lead=lambda s: ingest(s, APP, c, [known], kelisim.keys_dir, now))
    # The four queued requests went into one transaction.
    assert group.transactions == before + 2 and group.jobs == 5
    assert outcomes[-1].stored == 1
    assert outcomes[0].stored == 1 and outcomes[3].stored == 2
    assert isinstance(outcomes[1], RuntimeError)
    assert isinstance(outcomes[2], RecordConflict)
    root = verified_root(client.get("/v1/root.json").data)
    for res, recs in ((outcomes[0], good_a), (outcomes[3], good_b)):
        receipt = verify(res.receipts[0], root, "receipt", RECEIPT_TYPE)
        assert [r["id"] for r in receipt["records"]] == [r["id"] for r in recs]
    with kelisim.db.session(readonly=True) as s:
        stored = set(s.scalars(sa.select(ConsentRecord.record_id)))
        assert stored == {known["id"], good_a[0]["id"], *(r["id"] for r in good_b)}
        count, problem = verify_chain(s, APP)
    assert (count, problem) == (4, None)


def test_batched_requests_of_one_app_share_one_append(kelisim: Kelisim, client: Any,
                                                       published: Path) -> None:
    """The consent batches of one app queued behind a group are merged into one append:
    one transaction; a revoked token and a conflicting record are refused alone; the same
    record sent twice in the group (one install syncing from two threads) is stored once
    and both get its receipt."""
    m = payload_of(client.get(f"/v1/apps/{APP}/manifest.json").data)
    group = GroupCommit(kelisim.db)
    a, b = _new_install(kelisim, APP), _new_install(kelisim, APP)
    from client_sdk.protocol.timeutil import utcnow

    now = utcnow()
    known = _record(m)
    with kelisim.db.session() as s:
        ingest(s, APP, a, [known], kelisim.keys_dir, now)
    twice = _record(m)
    changed = {**known, "locale": "ru",
               "document_sha256": m["current"]["locales"]["ru"]["sha256"]}
    requests = [IngestRequest(a, 1, [_record(m), twice], now),
                IngestRequest(b, 2, [_record(m)], now),  # generation 2: revoked/unknown
                IngestRequest(a, 1, [changed], now),
                IngestRequest(a, 1, [twice], now),
                IngestRequest(b, 1, [_record(m), known], now)]  # known: another install's
    batch = AppendBatch(kelisim.keys_dir, kelisim.db.url)
    outcomes, before = _behind_a_leader(
        group, [lambda q=q: group.run_batched(APP, batch, (APP, q)) for q in requests])
    assert group.transactions == before + 2
    assert outcomes[0].stored == 2
    assert isinstance(outcomes[1], UnknownInstall)
    assert isinstance(outcomes[2], RecordConflict)
    assert outcomes[3].stored == 0 and outcomes[3].receipts == outcomes[0].receipts
    assert isinstance(outcomes[4], RecordConflict)
    with kelisim.db.session(readonly=True) as s:
        assert verify_chain(s, APP) == (3, None)


def test_several_apps_share_one_commit(kelisim: Kelisim, client: Any, cli: Any,
                                       published: Path) -> None:
    """The consent requests of two apps and a deletion request queued behind a group are
    one transaction: each app's records go to its own chain, each request keeps its own
    outcome, and on PostgreSQL the apps' chain heads are locked in one order first (the
    deletion request is a plain job that locks its app's head)."""
    two = _copy_app(published, "app-two")
    cli("apps", "create", str(two))
    cli("publish", str(two / "1.0"))
    m1 = payload_of(client.get(f"/v1/apps/{APP}/manifest.json").data)
    m2 = payload_of(client.get("/v1/apps/app-two/manifest.json").data)
    group = GroupCommit(kelisim.db, lock_keys=lock_heads)
    batch = AppendBatch(kelisim.keys_dir, kelisim.db.url)
    a, b = _new_install(kelisim, APP), _new_install(kelisim, "app-two")
    from client_sdk.protocol.timeutil import utcnow

    now = utcnow()
    jobs: list[Callable[[], Any]] = [
        lambda: group.run_batched("app-two", batch, ("app-two", IngestRequest(
            b, 1, [_record(m2), _record(m2)], now))),
        lambda: group.run(APP, lambda s: request_deletion(
            s, APP, a, {"id": str(uuid.uuid4()), "client_time": m1["issued"]},
            kelisim.keys_dir, now)),
        lambda: group.run_batched(APP, batch, (APP, IngestRequest(a, 1, [_record(m1)], now))),
        # app-two's record from jana-courier's install: no such install in that app
        lambda: group.run_batched("app-two", batch, ("app-two", IngestRequest(
            a, 1, [_record(m2)], now))),
        lambda: group.run_batched(APP, batch, (APP, IngestRequest(
            a, 1, [{**_record(m1), "version": 99}], now))),
    ]
    outcomes, before = _behind_a_leader(group, jobs)
    assert group.transactions == before + 2, outcomes
    assert outcomes[0].stored == 2 and len(outcomes[0].receipts) == 1
    assert outcomes[1].status == "open"
    assert outcomes[2].stored == 1
    assert isinstance(outcomes[3], UnknownInstall)
    assert isinstance(outcomes[4], RecordsRejected)
    assert outcomes[4].details["rejected"][0]["field"] == "version"
    with kelisim.db.session(readonly=True) as s:
        # The deletion request is a chain row (and a leaf) too, in the same transaction
        # as the record: the batches' segment runs first (at app-two's place), so the
        # record is seq 1 and the request seq 2.
        assert verify_chain(s, APP) == (2, None)
        assert s.scalars(sa.select(DeletionRequest.seq)).all() == [2]
        assert verify_chain(s, "app-two") == (2, None)
        from server.consent.tlogaudit import verify_log
        assert verify_log(s, APP).problem is None and verify_log(s, APP).leaves == 2
        receipt = json.loads(base64.b64decode(json.loads(outcomes[0].receipts[0])["payload"]))
        assert [r["seq"] for r in receipt["records"]] == [1, 2]
        assert receipt["app"] == "app-two"


def test_a_request_before_a_batch_of_its_app_in_one_transaction(
        kelisim: Kelisim, client: Any, published: Path) -> None:
    """A request's job and then a record batch of the same app in one group transaction:
    the batch reads the chain head and the log's edge the request moved (seq 2 after the
    request's 1), and both leaves' proofs hold."""
    m = payload_of(client.get(f"/v1/apps/{APP}/manifest.json").data)
    group = GroupCommit(kelisim.db, lock_keys=lock_heads)
    batch = AppendBatch(kelisim.keys_dir, kelisim.db.url)
    a = _new_install(kelisim, APP)
    from client_sdk.protocol.timeutil import utcnow

    now = utcnow()
    rid = str(uuid.uuid4())
    jobs: list[Callable[[], Any]] = [
        lambda: group.run(APP, lambda s: request_deletion(
            s, APP, a, {"id": rid, "client_time": m["issued"]}, kelisim.keys_dir, now)),
        lambda: group.run_batched(APP, batch, (APP, IngestRequest(a, 1, [_record(m)], now))),
    ]
    outcomes, before = _behind_a_leader(group, jobs)
    assert group.transactions == before + 2, outcomes  # the leader's, then both jobs'
    assert outcomes[0].seq == 1 and outcomes[1].stored == 1
    receipt = json.loads(base64.b64decode(json.loads(outcomes[1].receipts[0])["payload"]))
    assert [r["seq"] for r in receipt["records"]] == [2]
    with kelisim.db.session(readonly=True) as s:
        from server.consent.tlogaudit import verify_log
        assert verify_chain(s, APP) == (2, None)
        assert verify_log(s, APP).problem is None
    proof = outcomes[1].proofs[receipt["records"][0]["id"]].proof()
    assert proof is not None and b"\nindex 1\n" in proof


def test_a_failing_batch_is_retried_request_by_request(kelisim: Kelisim) -> None:
    """A batch that fails as a whole (a database error) costs no request its outcome: each
    is run again alone."""
    group = GroupCommit(kelisim.db)
    calls: list[int] = []

    def batch(s: Any, items: Any) -> list[Any]:
        calls.append(len(items))
        if len(items) > 1 or items[0] == "bad":
            raise RuntimeError("the shared statement failed")
        return [f"done {items[0]}"]

    items = ("a", "bad", "c")
    queued, _ = _behind_a_leader(
        group, [lambda x=x: group.run_batched("k", batch, x) for x in items])
    outcomes = {x: queued[i] for i, x in enumerate(items)}
    assert calls[0] == 3 and sorted(calls[1:]) == [1, 1, 1]
    assert outcomes["a"] == "done a" and outcomes["c"] == "done c"
    assert isinstance(outcomes["bad"], RuntimeError)


def _copy_app(demo_dir: Path, app_id: str) -> Path:
    target = demo_dir.parent / app_id
    shutil.copytree(demo_dir, target)
    toml = target / "app.toml"
    toml.write_text(toml.read_text().replace('id = "jana-courier"', f'id = "{app_id}"', 1))
    return target


def _server_env(config: dict[str, Any]) -> dict[str, str]:
    return server_env(config["INSTANCE_PATH"], config["DATABASE_URL"], **RATE_LIMITS_OFF)


_post = post_json


@pytest.mark.slow
def test_concurrent_first_records_of_new_apps(config: dict[str, Any], cli: Any,
                                              published: Path) -> None:
    """The first records of new apps, sent at once from many installs, all get 200 and
    intact chains: on PostgreSQL they once raced to create the app's chain head
    (chain_heads_pkey violation, 500)."""
    apps = [f"race-{i}" for i in range(6)]
    for app_id in apps:
        d = _copy_app(published, app_id)
        cli("apps", "create", str(d))
        cli("publish", str(d / "1.0"))
    port = free_port()
    per_app = 16
    with running(_server_env(config), port, workers=2):
        for app_id in apps:
            m = payload_of(get(port, f"/v1/apps/{app_id}/manifest.json")[2])
            tokens = [_post(port, f"/v1/apps/{app_id}/installs", {})[1]["token"]
                      for _ in range(per_app)]
            barrier = threading.Barrier(per_app)
            statuses: list[int] = []

            def first(token: str, app_id: str = app_id, m: dict[str, Any] = m,
                      barrier: threading.Barrier = barrier,
                      statuses: list[int] = statuses) -> None:
                barrier.wait()
                statuses.append(_post(port, f"/v1/apps/{app_id}/consents",
                                      {"records": [_record(m)]}, token)[0])

            threads = [threading.Thread(target=first, args=(t,)) for t in tokens]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert statuses == [200] * per_app, (app_id, statuses)
    for app_id in apps:
        assert f"{per_app} record(s), chain intact" in cli("audit", "verify", app_id).output


@pytest.mark.slow
def test_one_record_installs_at_once_under_group_commit(tmp_path: Path, config: dict[str, Any],
                                                        cli: Any, published: Path) -> None:
    """Many installs, each syncing one record at a time, all at once: every record stored
    exactly once, every receipt verifies, the chain is intact."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = _server_env(config)
    installs, rounds = 40, 3
    with running(env, port, workers=2):
        root_bytes = get(port, "/v1/root.json")[2]
        manifest = get(port, f"/v1/apps/{APP}/manifest.json")[2]
        clients = [ConsentClient(url, APP, root_bytes, tmp_path / f"app{i}",
                                 bundled_manifest=manifest) for i in range(installs)]
        failures: list[Any] = []

        def one_install(c: ConsentClient, barrier: threading.Barrier, n: int) -> None:
            try:
                if n == 0:
                    c.accept(["notifications"], age_confirmed=True)
                else:
                    c.update_purposes({"notifications": bool(n % 2)})
            finally:
                barrier.wait(60)
            result = c.sync()
            if not result.ok or result.synced != 1:
                failures.append(result)

        for n in range(rounds):
            barrier = threading.Barrier(installs)
            threads = [threading.Thread(target=one_install, args=(c, barrier, n))
                       for c in clients]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
        assert not failures, failures[:3]
    root = verified_root(root_bytes)
    ids = set()
    for c in clients:
        for rec in c.history():
            assert rec.synced and rec.receipt
            receipt = verify(rec.receipt, root, "receipt", RECEIPT_TYPE)
            assert rec.id in {r["id"] for r in receipt["records"]}
            ids.add(rec.id)
    assert len(ids) == installs * rounds
    out = cli("consents", "export", APP).output.splitlines()
    stored = [json.loads(line)["record_id"] for line in out]
    assert len(stored) == len(set(stored)) == installs * rounds and set(stored) == ids
    assert f"{installs * rounds} record(s), chain intact" in cli("audit", "verify", APP).output


def test_receipt_signatures_are_the_same_with_and_without_securesystemslib() -> None:
    """The ingest path signs with the cryptography key itself; Ed25519 is deterministic,
    so the envelope must be byte-for-byte what securesystemslib's signer makes, and verify."""
    import dataclasses

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from server.trust.keys import _from_private, sign_envelope

    key = _from_private(Ed25519PrivateKey.generate(), None)
    assert key.private is not None
    wrapped = dataclasses.replace(key, private=None)
    payload = b'{"_type":"receipt"}'
    fast = sign_envelope(payload, RECEIPT_TYPE, [key])
    assert fast == sign_envelope(payload, RECEIPT_TYPE, [wrapped])
    sig = base64.b64decode(json.loads(fast)["signatures"][0]["sig"])
    from client_sdk.protocol.envelope import pae

    key.private.public_key().verify(sig, pae(RECEIPT_TYPE, payload))


def test_a_record_stored_between_the_reads_and_the_lock(kelisim: Kelisim, client: Any,
                                                         published: Path) -> None:
    """The group's reads run before any lock: another worker may store the same record
    (the same install syncing twice) before this group appends it. The unique (app, record
    id) index fails the group, each request runs again alone and finds the record: stored
    once, and this request gets the other's receipt."""
    m = payload_of(client.get(f"/v1/apps/{APP}/manifest.json").data)
    a = _new_install(kelisim, APP)
    from client_sdk.protocol.timeutil import utcnow

    now = utcnow()
    rec = _record(m)
    other: list[Any] = []

    class RacedBatch(AppendBatch):
        def prepare(self, r: Any, items: Any) -> Any:
            prepared = super().prepare(r, items)
            if not other:  # the other worker commits first, after these reads
                with kelisim.db.session() as s:
                    other.append(ingest(s, APP, a, [rec], kelisim.keys_dir, now))
            return prepared

    group = GroupCommit(kelisim.db, lock_keys=lock_heads)
    out = group.run_batched(APP, RacedBatch(kelisim.keys_dir, kelisim.db.url),
                            (APP, IngestRequest(a, 1, [rec], now)))
    assert out.stored == 0 and out.receipts == other[0].receipts
    assert group.transactions == 1  # the failed shared attempt is not counted
    with kelisim.db.session(readonly=True) as s:
        assert verify_chain(s, APP) == (1, None)


def test_a_request_run_again_reads_under_the_lock(kelisim: Kelisim) -> None:
    """A group that failed at the database (a race its lock-free reads lost) runs each
    request again with its reads under the lock (SQLite: the writers' flock; PostgreSQL:
    the keys' locks taken first), so the same race cannot be lost twice (found by an
    attack: overlapping batches of one install from many connections got a 500)."""
    import fcntl

    events: list[str] = []
    group = GroupCommit(kelisim.db, lock_keys=lambda r, keys: events.append("lock"))

    def flock_held() -> bool:
        if group._lock_path is None:
            return False
        fd = os.open(group._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    class Batch:
        calls = 0

        def prepare(self, r: Any, items: Any) -> Any:
            locked = flock_held() or events[-1:] == ["lock"]
            events.append("prepare under the lock" if locked else "prepare")
            return list(items)

        def __call__(self, s: Any, items: Any) -> Any:
            Batch.calls += 1
            if Batch.calls == 1:
                raise RuntimeError("duplicate key: another worker stored a record since")
            return [f"stored {x}" for x in items]

    assert group.run_batched(APP, Batch(), "x") == "stored x"
    assert [e for e in events if e != "lock"] == ["prepare", "prepare under the lock"]
