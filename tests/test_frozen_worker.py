"""Issue 17 item 3: a worker frozen while it holds the write lock, under a real `kelisim
serve`, on SQLite and PostgreSQL.

- Every wait for the lock is bounded by LOCK_TIMEOUT: a request that cannot get it answers
  503 with Retry-After (the group commit's ``flock`` on SQLite, ``lock_timeout`` on
  PostgreSQL), first with the lock held by the test itself, as a frozen process holds it.
- The watchdog kills a worker whose event loop stops beating (SIGSTOP) and granian starts
  another: new connections stop reaching the frozen worker, the lock it held is released,
  and ingest goes on, within bounded times that the test measures.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import json
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from test_serving import a_record, children, request, wait_for_listeners

from helpers import payload_of
from livesrv import demo_setup, free_port, get, running, until

pytestmark = pytest.mark.slow

APP = "jana-courier"
MANIFEST = f"/v1/apps/{APP}/manifest.json"
CONSENTS = f"/v1/apps/{APP}/consents"


def setup(tmp_path: Path, database_url: str, **keys: str) -> dict[str, str]:
    env = {**os.environ, "KELISIM_INSTANCE_PATH": str(tmp_path / "instance"),
           "KELISIM_DATABASE_URL": database_url, "KELISIM_RATE_LIMIT_IP": "off",
           "KELISIM_RATE_LIMIT_INSTALL": "off", "KELISIM_ROOT_KEY_ONLINE_OK": "true"}
    env.update({f"KELISIM_{k}": v for k, v in keys.items()})
    demo_setup(env)
    return env


def register(port: int) -> dict[str, str]:
    status, _, body = request(port, "POST", f"/v1/apps/{APP}/installs")
    assert status == 201, body
    return {"Authorization": f"Bearer {json.loads(body)['token']}"}


def post(port: int, manifest: dict[str, Any], auth: dict[str, str], timeout: float = 20
         ) -> tuple[int, dict[str, str], bytes]:
    return request(port, "POST", CONSENTS, {"records": [a_record(manifest)]}, auth,
                   timeout=timeout)


@contextlib.contextmanager
def lock_held(database_url: str) -> Iterator[None]:
    """Hold what a worker frozen in the middle of a group commit holds: on SQLite the
    group commit's flock and SQLite's write lock, on PostgreSQL the app's chain-head row
    (FOR UPDATE, in an open transaction)."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1]
        fd = os.open(path + ".writelock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
            os.close(fd)
        return
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn, conn.begin() as tx:
            conn.execute(sa.text("SELECT * FROM chain_heads WHERE app_id = :a FOR UPDATE"),
                         {"a": APP})
            try:
                yield
            finally:
                tx.rollback()
    finally:
        engine.dispose()


def test_a_held_write_lock_answers_503_within_lock_timeout(tmp_path: Path,
                                                           database_url: str) -> None:
    env = setup(tmp_path, database_url, LOCK_TIMEOUT="1", WORKER_TIMEOUT="0")
    port = free_port()
    with running(env, port):
        auth = register(port)
        manifest = payload_of(get(port, MANIFEST)[2])
        assert post(port, manifest, auth)[0] == 200  # the app's chain head exists
        with lock_held(database_url):
            started = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                answers = list(pool.map(lambda _: post(port, manifest, auth), range(8)))
            waited = time.monotonic() - started
            for status, headers, body in answers:
                assert status == 503, body
                assert json.loads(body)["error"]["code"] == "unavailable"
                assert headers["retry-after"] == "2"
            # LOCK_TIMEOUT is 1 s: each request waits that long once, not forever.
            assert waited < 8, waited
            # Public reads do not wait for the lock at all.
            assert get(port, MANIFEST)[0] == 200
        until(lambda: post(port, manifest, auth)[0] == 200, "ingest after the lock", 10)


def _flock_holders(path: str) -> set[int]:
    inode = os.stat(path).st_ino
    holders = set()
    for line in Path("/proc/locks").read_text().splitlines():
        parts = line.split()
        # "1: FLOCK  ADVISORY  WRITE 3819 fe:00:1474578 0 EOF"
        if len(parts) >= 6 and parts[1] == "FLOCK" and parts[3] == "WRITE" \
                and int(parts[5].rsplit(":", 1)[1]) == inode:
            holders.add(int(parts[4]))
    return holders


def _tcp_ports(pid: int) -> set[int]:
    """Local ports of ``pid``'s TCP sockets."""
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    ports = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if parts[9] in inodes:
            ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return ports


def holds_the_lock(database_url: str, pid: int) -> bool:
    """Whether worker ``pid`` holds the write lock: the flock on SQLite; on PostgreSQL a
    transaction of one of its connections that locked chain-head rows."""
    if database_url.startswith("sqlite"):
        return pid in _flock_holders(database_url.split("///", 1)[1] + ".writelock")
    ports = _tcp_ports(pid)
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a "
                "ON a.pid = l.pid WHERE l.relation = 'chain_heads'::regclass "
                "AND l.mode = 'RowShareLock' AND l.granted")).all()
    finally:
        engine.dispose()
    return any(port in ports for (port,) in rows)


def test_a_frozen_worker_holding_the_lock_is_killed_and_ingest_goes_on(
        tmp_path: Path, database_url: str) -> None:
    env = setup(tmp_path, database_url, LOCK_TIMEOUT="1", WORKER_TIMEOUT="2")
    port = free_port()
    with running(env, port) as proc:
        wait_for_listeners(port, 2)
        workers = children(proc.pid)
        auth = register(port)
        manifest = payload_of(get(port, MANIFEST)[2])
        # Load, so that the workers commit all the time; freeze one while it holds the
        # lock (SIGSTOP, check, SIGCONT and try again if it did not).
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                with contextlib.suppress(OSError):
                    post(port, manifest, auth, timeout=5)

        loaders = [threading.Thread(target=load, daemon=True) for _ in range(6)]
        for t in loaders:
            t.start()
        victim = None
        try:
            deadline = time.monotonic() + 60
            while victim is None:
                assert time.monotonic() < deadline, "no worker was caught holding the lock"
                for pid in sorted(workers):
                    os.kill(pid, signal.SIGSTOP)
                    if holds_the_lock(database_url, pid):
                        victim = pid
                        break
                    os.kill(pid, signal.SIGCONT)
        finally:
            stop.set()
            for t in loaders:
                t.join(10)
        frozen_at = time.monotonic()
        try:
            # While it is frozen, a request the other worker takes waits LOCK_TIMEOUT at
            # most (503), unless the watchdog was quicker; one the frozen worker took is
            # reset when it is killed.
            with contextlib.suppress(OSError):
                status, headers, body = post(port, manifest, auth)
                assert status == 200 or (status == 503 and headers["retry-after"]), body
            # The watchdog kills it (WORKER_TIMEOUT 2 s; at least GRACE after its start);
            # granian starts another, and every request succeeds again.
            until(lambda: gone(victim), "the frozen worker to be killed", 30)
            killed_after = time.monotonic() - frozen_at
            wait_for_listeners(port, 2)

            def all_ok() -> bool:
                try:
                    return all(get(port, MANIFEST)[0] == 200 and post(
                        port, manifest, auth, timeout=5)[0] == 200 for _ in range(10))
                except OSError:  # a connection the killed worker had accepted
                    return False

            until(all_ok, "every request to succeed again", 30)
            recovered_after = time.monotonic() - frozen_at
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        assert killed_after < 12, killed_after
        assert recovered_after < 30, recovered_after
        new = children(proc.pid) - workers
        assert new, "granian started no worker in place of the killed one"
        print(f"frozen worker killed after {killed_after:.1f} s; all requests succeed "
              f"again after {recovered_after:.1f} s")
    log = (Path(env["KELISIM_INSTANCE_PATH"]) / f"server-{port}.log").read_text()
    assert f"worker {victim} sent no heartbeat" in log, log


def gone(pid: int) -> bool:
    """``pid`` exited (a zombie not yet reaped counts)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_new_connections_stop_reaching_a_frozen_worker(tmp_path: Path) -> None:
    """SIGSTOP with no lock held: about half the new connections reach the frozen worker
    and time out, until the watchdog kills it; after that none does."""
    env = setup(tmp_path, f"sqlite:///{tmp_path / 'kelisim.db'}", WORKER_TIMEOUT="2")
    port = free_port()
    with running(env, port) as proc:
        wait_for_listeners(port, 2)
        victim = min(children(proc.pid))
        os.kill(victim, signal.SIGSTOP)
        frozen_at = time.monotonic()
        probes: list[tuple[float, bool]] = []  # (seconds after the freeze, answered)
        killed_after = None
        while time.monotonic() - frozen_at < 40:
            try:
                ok = request(port, "GET", MANIFEST, timeout=1)[0] == 200
            except OSError:
                ok = False
            probes.append((time.monotonic() - frozen_at, ok))
            if killed_after is None and gone(victim):
                killed_after = time.monotonic() - frozen_at
            if killed_after is not None and sum(
                    t >= killed_after + 1 for t, _ in probes) >= 30:
                break
        assert killed_after is not None and killed_after < 12, probes
        before = [ok for t, ok in probes if t < killed_after]
        after = [ok for t, ok in probes if t >= killed_after + 1]
        print(f"killed after {killed_after:.1f} s; before: {before.count(False)} of "
              f"{len(before)} probes timed out; after: {after.count(False)} of {len(after)}")
        assert after.count(False) == 0 and len(after) >= 30, probes
