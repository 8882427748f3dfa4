"""Group commit: concurrent write requests in a worker share one transaction and one fsync.

A request hands its work to :meth:`GroupCommit.run` (any function of a Session) or
:meth:`GroupCommit.run_batched` (an item that a batch function handles together with the
other items of the same kind and key, e.g. consent records of one app: one lock, one
INSERT for all). The first waiting thread that finds no group running becomes the leader:
it takes every queued job (up to ``max_group``), runs them in one transaction, commits
once, and wakes each of them (one event per request: no herd), handing the lead to the
first request still waiting. Jobs that arrive meanwhile queue up for the next group, so
the busier the worker, the more requests share each fsync; an idle worker runs a request
alone at once (no timer, no added latency).

What each request keeps:
- its own outcome: a plain job that fails is rolled back to its SAVEPOINT (when it shares
  the transaction) and its exception is raised in its own thread; a batch function
  returns an outcome per item; the others in the group are not touched;
- durability: a job's result is returned only after the shared COMMIT returned (SQLite
  ``synchronous=FULL``, PostgreSQL's default synchronous commit), so a 200 still means
  on disk;
- order: jobs run in the order of their key (the app id), stable within a key, so the
  chain stays total per app; a batch function gets the items of every key at once and
  locks their keys in order, and a group of several keys with plain jobs locks all its
  keys first, in order (``lock_keys``), so two workers' groups never take the per-app
  chain-head row locks in different orders (no deadlock on PostgreSQL).

If a batch function or the shared transaction itself fails (a database error, BEGIN or
COMMIT failing), nothing of it is stored and each job of the group is run again alone, so
that one job's trouble never decides another's outcome. When the database is unavailable
or busy (:class:`~server.errors.Unavailable`: unreachable, disk full, a lock not obtained
within LOCK_TIMEOUT), running again would only wait again: the group's jobs and those
queued behind it are answered that error at once (503 with Retry-After).

Every wait is bounded by LOCK_TIMEOUT (``wait_timeout``): the SQLite write lock
(server/consent/writelock.py), SQLite's busy handler and PostgreSQL's ``lock_timeout``
(server/db.py), and a request's wait in the queue for a group to take it. A request whose
group is running waits for its outcome: it may be committing.

A worker has one queue for every app: ten apps' requests that arrive together share one
commit, as one app's do (each app's requests are one append under its own chain-head lock).
Before any lock, a batch function's ``prepare`` does the reads that need none (for
consents: the rules, the stored ids). Across worker processes: on SQLite the leader then
takes an exclusive ``flock`` on a file beside the database, so the workers' groups queue
in the kernel and the next starts the moment the previous commits (SQLite's own busy
handler would poll with sleeps of up to 100 ms), while the next group's ``prepare`` runs
during the previous group's commit; on PostgreSQL the groups of different workers run in
parallel, serialised only per app by the chain-head row lock, taken in app order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from server.consent.rawsql import Raw, raw, reader
from server.consent.writelock import WriteLock
from server.db import Database
from server.errors import DatabaseBusy, Unavailable

__all__ = ["BatchFn", "GroupCommit"]

T = TypeVar("T")
# A batch function: items of one key -> one outcome per item (a result, or an exception
# instance for that item alone). Raising means the database failed. A batch function may
# have a ``prepare(raw, items) -> prepared items`` method: the group commit calls it first,
# with no lock held (server/rawsql.Raw), and hands the batch function what it returned.
BatchFn = Callable[[Session, Sequence[Any]], Sequence[Any]]


@dataclass(eq=False)
class _Job(Generic[T]):
    key: str
    work: Callable[[Session], T] | None
    batch: BatchFn | None = None
    item: Any = None
    prepared: Any = None  # what the batch function's prepare made of item
    done: bool = False
    lead: bool = False  # handed the lead of the next group
    result: Any = None
    error: BaseException | None = None
    # Each waiting request sleeps on its own event and is woken once, when its outcome is
    # known or when it is to lead: no thundering herd of every waiter on every commit.
    wake: threading.Event = field(default_factory=threading.Event)

    def settle(self, outcome: Any) -> None:
        if isinstance(outcome, BaseException):
            self.result, self.error = None, outcome
        else:
            self.result, self.error = outcome, None


class GroupCommit:
    """One per worker process and database."""

    def __init__(self, db: Database, max_group: int = 64,
                 lock_keys: Callable[[Raw, list[str]], object] | None = None,
                 wait_timeout: float | None = None) -> None:
        self.db = db
        self.wait_timeout = db.lock_timeout if wait_timeout is None else wait_timeout
        # PostgreSQL: locks what each key guards (the apps' chain heads), taken in key
        # order before a group of several keys with plain jobs runs: a batch locks its
        # keys in order itself, a plain job only its own, so without this two groups
        # could take them in different orders and deadlock.
        self.lock_keys = lock_keys
        self.max_group = max(1, max_group)
        self._lock = threading.Lock()
        # One queue for every app: every waiting request shares the next commit (one
        # fsync), whatever its app. Within the transaction each app's requests are one
        # append under that app's chain-head lock.
        self._queue: list[_Job[Any]] = []
        self._busy = False
        self._lock_path = _sqlite_lock_path(db)
        self._write = WriteLock(self._lock_path) if self._lock_path is not None else None
        # Counters for tests and operators: transactions committed, jobs run in them.
        self.transactions = 0
        self.jobs = 0

    def pending(self) -> int:
        """Jobs waiting for a group (tests wait on this, never on a fixed time)."""
        with self._lock:
            return len(self._queue)

    def run(self, key: str, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a (possibly shared) transaction; return its result once committed.

        Raises:
            Exception: whatever ``work`` raised (its writes are rolled back), or the
                error of the commit it could not survive.
        """
        result: T = self._submit(_Job(key, work))
        return result

    def run_batched(self, key: str, batch: BatchFn, item: Any) -> Any:
        """Hand ``item`` to ``batch`` together with the queued items of the same key and
        batch function; return its outcome once committed (raise it if an exception)."""
        return self._submit(_Job(key, None, batch, item))

    def _submit(self, job: _Job[Any]) -> Any:
        deadline = time.monotonic() + self.wait_timeout
        with self._lock:
            self._queue.append(job)
            if not self._busy:
                self._busy = True
                job.lead = True
        while not job.lead:
            # None, not inf: Event.wait(inf) raises OverflowError (time_t) instead of waiting.
            left = None if deadline == float("inf") else max(0.0, deadline - time.monotonic())
            if not job.wake.wait(left):
                with self._lock:
                    # Still queued (no group took it, no lead handed to it): give up.
                    if not job.lead and not job.done and job in self._queue:
                        self._queue.remove(job)
                        raise DatabaseBusy("a turn in the group commit", self.wait_timeout)
                deadline = float("inf")  # in a running group: wait for its outcome
                continue
            job.wake.clear()
            if job.done:
                break
        if not job.done:
            self._lead_queue()
        if job.error is not None:
            raise job.error
        return job.result

    def _lead_queue(self) -> None:
        """Run the next group of the queue (it holds the caller's own job), then hand the
        lead to the first request still waiting, or end it."""
        with self._lock:
            group = self._queue[: self.max_group]
            del self._queue[: self.max_group]
        try:
            self._lead(group)
        finally:
            for j in group:
                if not j.done:  # interrupted (BaseException): never leave a waiter
                    j.error = j.error or RuntimeError("the group commit was interrupted")
                    j.done = True
            with self._lock:
                outage = next((j.error for j in group if isinstance(j.error, Unavailable)),
                              None)
                if outage is not None:
                    # The database is unavailable: those queued would wait to fail alike.
                    for j in self._queue:
                        j.settle(outage)
                        j.done = True
                    group = group + self._queue
                    self._queue = []
                if self._queue:
                    self._queue[0].lead = True
                    self._queue[0].wake.set()
                else:
                    self._busy = False
            for j in group:
                j.wake.set()

    def _lead(self, group: list[_Job[Any]]) -> None:
        ordered = sorted(group, key=lambda j: j.key)
        try:
            self._transaction(ordered)
        except Exception as exc:
            if isinstance(exc, Unavailable) or (len(ordered) == 1 and ordered[0].batch is None):
                for job in ordered:
                    job.settle(exc)
            else:
                # A batch function raises only when the database failed, which may be a
                # race its lock-free reads lost (a record another worker stored since):
                # a request alone, even the only one, runs once more, this time reading
                # under the lock, so that no other writer can get in between again.
                for job in ordered:
                    try:
                        self._transaction([job], locked_reads=True)
                    except Exception as alone:
                        job.settle(alone)
        for job in ordered:
            job.done = True

    def _transaction(self, jobs: list[_Job[Any]], *, locked_reads: bool = False) -> None:
        segments = _segments(jobs)
        keys = sorted({j.key for j in jobs})
        if self._lock_path is not None and not locked_reads:
            # SQLite: the reads that need no lock run on a connection of their own before
            # the write lock, while the other worker's group may still be committing.
            with self.db.guard(writes=False), reader(self.db.engine) as r:
                self._prepare(r, segments)
            with self._write_lock(), self.db.session() as s:
                self._run(s, segments)
        elif self._lock_path is not None:
            with self._write_lock(), self.db.session() as s:
                r = raw(s)
                try:
                    self._prepare(r, segments)
                finally:
                    r.close()
                self._run(s, segments)
        else:
            # PostgreSQL: in the transaction, before the batch takes its row locks (after
            # them when ``locked_reads``).
            with self.db.session() as s:
                r = raw(s)
                try:
                    if locked_reads and self.lock_keys is not None:
                        self.lock_keys(r, keys)
                    self._prepare(r, segments)
                    if (self.lock_keys is not None and len(keys) > 1 and not locked_reads
                            and any(j.batch is None for j in jobs)):
                        self.lock_keys(r, keys)
                finally:
                    r.close()
                self._run(s, segments)
        self.transactions += 1
        self.jobs += len(jobs)

    @staticmethod
    def _prepare(r: Raw, segments: list[list[_Job[Any]]]) -> None:
        for seg in segments:
            prepare = getattr(seg[0].batch, "prepare", None)
            if prepare is None:
                for job in seg:
                    job.prepared = job.item
                continue
            for job, prepared in zip(seg, prepare(r, [j.item for j in seg]), strict=True):
                job.prepared = prepared

    def _run(self, s: Session, segments: list[list[_Job[Any]]]) -> None:
        for seg in segments:
            if len(segments) == 1 or seg[0].batch is not None:
                # Alone, the transaction is the segment's own; a batch function returns
                # each item's outcome and raises only when the database failed, which
                # fails the group: _lead then runs each job alone. No savepoint round
                # trips on the way that every request takes.
                self._segment(s, seg)
                continue
            try:  # a plain job among others: in its own savepoint
                with s.begin_nested():
                    self._segment(s, seg)
            except Exception as exc:
                seg[0].settle(exc)

    @staticmethod
    def _segment(s: Session, seg: list[_Job[Any]]) -> None:
        batch = seg[0].batch
        if batch is None:
            # Plain jobs never share a segment with another job (groupby on key and
            # batch=None may join them): run one by one, each in its own savepoint.
            if len(seg) == 1:
                assert seg[0].work is not None
                seg[0].settle(seg[0].work(s))
                return
            for job in seg:
                assert job.work is not None
                try:
                    with s.begin_nested():
                        job.settle(job.work(s))
                except Exception as exc:
                    job.settle(exc)
            return
        outcomes = batch(s, [j.prepared for j in seg])
        for job, outcome in zip(seg, outcomes, strict=True):
            job.settle(outcome)

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        if self._write is None:
            yield
            return
        fd = self._write.acquire(self.wait_timeout)
        if fd is None:
            error = DatabaseBusy("the write lock", self.wait_timeout)
            self.db.note_unavailable(error)
            raise error
        try:
            yield
        finally:
            self._write.release(fd)


def _segments(jobs: list[_Job[Any]]) -> list[list[_Job[Any]]]:
    """``jobs`` (in key order) in segments: the jobs of one batch function, whatever their
    key, in one segment at the place of the first; plain jobs a segment per run of a key."""
    segments: list[list[_Job[Any]]] = []
    batches: dict[int, list[_Job[Any]]] = {}
    for (_, batch), run in groupby(jobs, key=lambda j: (j.key, j.batch)):
        if batch is None:
            segments.append(list(run))
        elif id(batch) in batches:
            batches[id(batch)].extend(run)
        else:
            batches[id(batch)] = seg = list(run)
            segments.append(seg)
    return segments


def _sqlite_lock_path(db: Database) -> Path | None:
    if not db.is_sqlite:
        return None
    path = db.url.split("///", 1)[-1]
    if not path or path == ":memory:":
        return None
    return Path(path + ".writelock")
