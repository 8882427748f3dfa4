"""Group commit: concurrent write requests in a worker share one transaction and one fsync.

A request hands its work (a function of a Session) to :meth:`GroupCommit.run` and waits.
The first waiting thread that finds no group running becomes the leader: it takes every
queued job (up to ``max_group``), runs each inside its own SAVEPOINT of one transaction,
commits once, and wakes the others. Jobs that arrive meanwhile queue up for the next
group, so the busier the worker, the more requests share each fsync; an idle worker runs
a request alone at once (no timer, no added latency).

What each request keeps:
- its own outcome: a job that raises is rolled back to its savepoint and its exception is
  re-raised in its own thread; the others in the group are not touched;
- durability: :meth:`run` returns only after the shared COMMIT returned (SQLite
  ``synchronous=FULL``, PostgreSQL's default synchronous commit), so a 200 still means
  on disk;
- order: jobs run in the order of their key (the app id), stable within a key, so the
  chain stays total per app and two workers' groups take the per-app chain-head row locks
  in the same order (no deadlock on PostgreSQL).

If the shared transaction itself fails (BEGIN or COMMIT: lost connection, disk full),
nothing of it is stored and each job of the group is run again alone, so that one job's
trouble at commit time never decides another's outcome.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from .db import Database

__all__ = ["GroupCommit"]

T = TypeVar("T")


@dataclass(eq=False)
class _Job(Generic[T]):
    key: str
    work: Callable[[Session], T]
    done: bool = False
    result: Any = None
    error: BaseException | None = None


class GroupCommit:
    """One per worker process and database."""

    def __init__(self, db: Database, max_group: int = 64) -> None:
        self.db = db
        self.max_group = max(1, max_group)
        self._cond = threading.Condition()
        self._queue: list[_Job[Any]] = []
        self._busy = False
        # Counters for tests and operators: transactions committed, jobs run in them.
        self.transactions = 0
        self.jobs = 0

    def pending(self) -> int:
        """Jobs waiting for a group (tests wait on this, never on a fixed time)."""
        with self._cond:
            return len(self._queue)

    def run(self, key: str, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a (possibly shared) transaction; return its result once committed.

        Raises:
            Exception: whatever ``work`` raised (its writes are rolled back), or the
                error of the commit it could not survive.
        """
        job: _Job[T] = _Job(key, work)
        with self._cond:
            self._queue.append(job)
        while True:
            with self._cond:
                while not job.done and self._busy:
                    self._cond.wait()
                if job.done:
                    break
                self._busy = True
                group = self._queue[: self.max_group]
                del self._queue[: self.max_group]
            try:
                self._lead(group)
            finally:
                with self._cond:
                    for j in group:
                        if not j.done:  # interrupted (BaseException): never leave a waiter
                            j.error = j.error or RuntimeError("the group commit was "
                                                              "interrupted")
                            j.done = True
                    self._busy = False
                    self._cond.notify_all()
        if job.error is not None:
            raise job.error
        result: T = job.result
        return result

    def _lead(self, group: list[_Job[Any]]) -> None:
        ordered = sorted(group, key=lambda j: j.key)
        try:
            self._transaction(ordered)
        except Exception as exc:
            if len(ordered) == 1:
                ordered[0].result, ordered[0].error = None, exc
            else:
                for job in ordered:
                    try:
                        self._transaction([job])
                    except Exception as alone:
                        job.result, job.error = None, alone
        for job in ordered:
            job.done = True

    def _transaction(self, jobs: list[_Job[Any]]) -> None:
        with self.db.session() as s:
            if len(jobs) == 1:
                # Alone, the transaction is the job's own: no savepoint round trips.
                jobs[0].result, jobs[0].error = jobs[0].work(s), None
            else:
                for job in jobs:
                    try:
                        with s.begin_nested():
                            job.result, job.error = job.work(s), None
                    except Exception as exc:
                        job.result, job.error = None, exc
        self.transactions += 1
        self.jobs += len(jobs)
