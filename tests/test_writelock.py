"""Issue 17 item 3, in one process: the group commit's SQLite write lock and its queue wait
at most LOCK_TIMEOUT; a database that is unavailable fails a group once, not once per
request. (tests/test_frozen_worker.py does the same through real servers.)"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from livesrv import until
from server import Kelisim
from server.consent.groupcommit import GroupCommit
from server.consent.writelock import WriteLock
from server.errors import DatabaseBusy


@contextlib.contextmanager
def held(path: Path) -> Iterator[None]:
    """Another open file holds the flock, as another worker does."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        os.close(fd)


def free(path: Path) -> bool:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_a_held_lock_is_given_up_after_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "db.writelock"
    lock = WriteLock(path)
    fd = lock.acquire(1.0)
    assert fd is not None
    lock.release(fd)
    with held(path):
        started = time.monotonic()
        assert lock.acquire(0.3) is None
        assert 0.3 <= time.monotonic() - started < 2
        # The second caller waits on the same blocked flock: still one helper thread.
        assert lock.acquire(0.1) is None
    # Released with nobody waiting: the helper that got it lets it go at once.
    until(lambda: free(path), "the helper to release the lock it got for nobody", 5)


def test_a_waiter_gets_the_lock_when_it_is_released(tmp_path: Path) -> None:
    path = tmp_path / "db.writelock"
    lock = WriteLock(path)
    holder = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(lock.acquire, 10.0)
        until(lambda: lock._waiting == 1, "the caller to wait")
        released = time.monotonic()
        os.close(holder)
        fd = waiting.result(10)
    assert fd is not None and time.monotonic() - released < 1
    assert not free(path)
    lock.release(fd)
    assert free(path)


@pytest.fixture
def sqlite_only(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the flock is SQLite's; PostgreSQL's lock_timeout: test_frozen_worker")


def test_requests_of_a_group_that_cannot_get_the_lock_fail_together(
        kelisim: Kelisim, database_url: str, sqlite_only: None) -> None:
    group = GroupCommit(kelisim.db, wait_timeout=0.3)

    def work(s: Session) -> int:
        return int(s.execute(text("SELECT 1")).scalar_one())

    with held(Path(database_url.split("///", 1)[1] + ".writelock")):
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(group.run, f"app-{i % 3}", work) for i in range(8)]
            errors = [f.exception(10) for f in futures]
        waited = time.monotonic() - started
    assert all(isinstance(e, DatabaseBusy) for e in errors), errors
    # One wait for the group (and at most one for a request queued behind it), never one
    # per request retried alone: 8 x 0.3 s would be 2.4 s.
    assert waited < 1.5, waited
    assert group.pending() == 0
    assert kelisim.db.unavailable is not None  # logged once, until a write succeeds
    assert group.run("app-0", work) == 1
    assert kelisim.db.unavailable is None
