"""``kelisim worker``: delivers the outbox's events to the endpoints (docs/webhooks.md),
and, in a thread of its own, submits the consent logs' checkpoints to the witnesses
(server/consent/witnessing.py).

A pipeline, not rounds: up to WEBHOOK_CONCURRENCY attempts run at once
(server/webhooks/sender.py) and up to 16 x as many wait for a thread; as attempts finish,
one transaction (a cycle) records their outcomes, fans out new events and claims due
deliveries under a lease (server/webhooks/delivery.py) to fill the free places. While
attempts run there is one cycle per CYCLE_EVERY (0.1 s) at most, or at once when all of them
are over: on SQLite every cycle holds the write lock that ingest needs, and a cycle per
finished attempt cut the ingest rate by a third under load (bench/webhooks.py). So one
slow receiver holds one thread for at most its attempt's deadline and never the deliveries
of other endpoints or apps. Every 10 s it also emits
``request.overdue`` for requests past their deadline, and every minute it prunes events
delivered more than WEBHOOK_RETENTION_DAYS days ago with their deliveries
(:func:`server.webhooks.delivery.prune`: at most 500 events a transaction, again a second
later while batches come back full; never an event with a delivery still pending). When
nothing is due or running it waits WEBHOOK_POLL_INTERVAL seconds (or until told to stop).

Invariant: two workers never send one delivery at the same time. A claim takes a lease of
2 x WEBHOOK_TIMEOUT + 5 s; an attempt ends (sender's deadline, on every socket operation)
by WEBHOOK_TIMEOUT after it starts and in any case by 2 x WEBHOOK_TIMEOUT after the claim
(an attempt that waited for a thread gets what is left, and one with nothing left is not
sent: it is recorded as a failure and retried). So every attempt has ended 5 s before its
lease does, and only then may another worker claim the delivery; an outcome recorded after
the lease ended is dropped (the row has another owner or none).

On SQLite the worker's own transactions (fan-out, claims, outcomes, the overdue scan,
pruning) commit without flushing to the disk (``synchronous=NORMAL``, a database handle of
their own): each holds the database's one write lock, which ingest needs, for well under a
millisecond instead of an fsync (measured: an fsync each halved the ingest rate under
load, bench/webhooks.py). A crash of the process loses nothing; a power loss may undo the
worker's last commits, whole, and then it sends those deliveries again (at least once
still holds). The events themselves are written with the records, flushed.

SIGTERM or SIGINT: no new claims; the attempts under way finish (each by its deadline)
and are recorded; then it exits 0. A worker killed outright leaves leases that end as
above, and those deliveries are sent again by any worker.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import (
    ALL_COMPLETED,
    FIRST_COMPLETED,
    Future,
    ThreadPoolExecutor,
    wait,
)
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from sqlalchemy.orm import Session

from server.config import Settings
from server.consent.witnessing import Submitter
from server.consent.writelock import WriteLock
from server.db import Database
from server.errors import DatabaseBusy, Unavailable
from server.webhooks import delivery
from server.webhooks.secrets import open_secret, webhook_key
from server.webhooks.sender import Limits, post
from server.webhooks.signing import headers

__all__ = ["Worker", "body_of"]

log = logging.getLogger("kelisim.worker")
OVERDUE_EVERY = 10.0
PRUNE_EVERY, PRUNE_SOON = 60.0, 1.0
# While attempts run, the outcomes and claims share one transaction at most this often.
CYCLE_EVERY = 0.1
LEASE_MARGIN = 5.0


def body_of(payload: object) -> bytes:
    """The bytes POSTed for an event's payload (what the signature covers)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode()


class Worker:
    """One delivery worker; :meth:`run` until ``stop`` is set."""

    def __init__(self, db: Database, settings: Settings,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db
        # The worker's bookkeeping on SQLite: not flushed (see the module docstring).
        self.book = Database(db.url, db.lock_timeout, durable=False) if db.is_sqlite else db
        self.settings = settings
        self.clock = clock
        self.owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{os.urandom(3).hex()}"
        self.key = webhook_key(settings)
        self.limits = Limits(settings.webhook_timeout, settings.webhook_max_response_bytes,
                             settings.webhook_allow_private)
        self.lease = 2 * settings.webhook_timeout + LEASE_MARGIN
        self.rng = random.Random()  # noqa: S311 (retry jitter, not a secret)
        path = db.url.split("///", 1)[-1] if db.is_sqlite else ""
        self._write = WriteLock(Path(path + ".writelock")) if path and path != ":memory:" \
            else None
        self.submitter = Submitter(db, settings, self._transaction, clock)
        # Counters for tests and operators.
        self.sent = 0
        self.failed = 0
        self.pruned = 0
        self.cycles = 0
        self._scanned, self._pruned_more = False, cast(bool | None, None)
        self._prune_after = 0

    @contextmanager
    def _transaction(self, db: Database | None = None) -> Iterator[Session]:
        """A write transaction (on ``db``, default the durable handle); on SQLite under the
        group commit's write lock first."""
        fd = None
        if self._write is not None:
            fd = self._write.acquire(self.db.lock_timeout)
            if fd is None:
                raise DatabaseBusy("the write lock", self.db.lock_timeout)
        try:
            with (db or self.db).session() as s:
                yield s
        finally:
            if fd is not None:
                self._write.release(fd)  # type: ignore[union-attr]

    def _cycle(self, attempts: list[delivery.Attempt], room: int
               ) -> list[tuple[delivery.Claimed, float]]:
        """One transaction: record the outcomes of ``attempts``, fan out new events and
        claim up to ``room`` due deliveries; each claimed with the monotonic time by which
        its attempt must have ended (see the invariant above)."""
        now, started = self.clock(), time.monotonic()
        paused: list[str] = []
        claimed: list[delivery.Claimed] = []
        with self._transaction(self.book) as s:
            if attempts:
                paused = delivery.finish(
                    s, self.owner, attempts, now, base=self.settings.webhook_backoff_base,
                    cap=self.settings.webhook_backoff_cap,
                    pause_after=self.settings.webhook_pause_after, rng=self.rng)
            if room > 0:
                delivery.fan_out(s, now)
                claimed = delivery.claim(s, self.owner, now, self.lease, room)
        for endpoint_id in paused:
            log.warning("webhook endpoint %s paused after %d failed deliveries in a row",
                        endpoint_id, self.settings.webhook_pause_after)
        ok = sum(a.error is None for a in attempts)
        self.sent += ok
        self.failed += len(attempts) - ok
        self.cycles += 1
        return [(c, started + self.lease - LEASE_MARGIN) for c in claimed]

    def prune(self) -> bool:
        """One batch of pruning (see the module docstring); True when there may be more."""
        with self._transaction(self.book) as s:
            gone, after = delivery.prune(s, self.clock(),
                                         self.settings.webhook_retention_days,
                                         self._prune_after)
        self._prune_after = after or 0
        self.pruned += gone
        if gone:
            log.info("pruned %d webhook events delivered over %d days ago", gone,
                     self.settings.webhook_retention_days)
        return after is not None

    def _attempt(self, c: delivery.Claimed, deadline: float) -> delivery.Attempt:
        if time.monotonic() >= deadline:
            return delivery.Attempt(c, None, "not sent: its lease ran out while it waited "
                                             "for a free worker thread")
        body = body_of(c.payload)
        secret = open_secret(self.key, c.endpoint_id, c.secret_box)
        status, error = post(c.url, body, headers(secret, c.event_id, int(time.time()), body),
                             self.limits, deadline)
        return delivery.Attempt(c, status, error)

    def run(self, stop: threading.Event, once: bool = False) -> None:
        """Deliver (and submit checkpoints to witnesses, in a thread) until ``stop`` is set
        (or, with ``once``, until nothing is due)."""
        if once:  # what is due now: deliveries, then one round of witness submissions
            self._deliver(stop, once)
            self.submitter.round()
            return
        witnessing = threading.Thread(target=self.submitter.run, args=(stop,),
                                      name="kelisim-witnessing", daemon=True)
        witnessing.start()
        try:
            self._deliver(stop, once)
        finally:
            witnessing.join()

    def _deliver(self, stop: threading.Event, once: bool) -> None:
        next_scan = next_prune = next_cycle = 0.0
        room = self.settings.webhook_concurrency * 16
        running: set[Future[delivery.Attempt]] = set()
        with ThreadPoolExecutor(self.settings.webhook_concurrency,
                                thread_name_prefix="kelisim-webhook") as pool:
            while running or not stop.is_set():
                claimed = 0
                # While attempts run, one cycle per CYCLE_EVERY at most (see the module
                # docstring); with none running, or all of them over, at once.
                if not running or time.monotonic() >= next_cycle or \
                        all(f.done() for f in running):
                    try:
                        claimed, running = self._step(stop, pool, running, room,
                                                      next_scan <= time.monotonic(),
                                                      next_prune <= time.monotonic())
                    except Unavailable as exc:
                        log.warning("database unavailable: %s; retrying", exc)
                        stop.wait(self.settings.webhook_poll_interval)
                        continue
                    now = time.monotonic()
                    next_cycle = now + CYCLE_EVERY
                    if self._scanned:
                        next_scan = now + OVERDUE_EVERY
                    if self._pruned_more is not None:
                        next_prune = now + (PRUNE_SOON if self._pruned_more else PRUNE_EVERY)
                if once and not running and not claimed:
                    return
                if running:
                    left = next_cycle - time.monotonic()
                    if left > 0:  # let outcomes gather until the next cycle
                        wait(running, left, ALL_COMPLETED)
                    else:
                        wait(running, self.settings.webhook_poll_interval, FIRST_COMPLETED)
                elif not claimed:
                    stop.wait(self.settings.webhook_poll_interval)

    def _step(self, stop: threading.Event, pool: ThreadPoolExecutor,
              running: set[Future[delivery.Attempt]], room: int, scan: bool, prune: bool
              ) -> tuple[int, set[Future[delivery.Attempt]]]:
        """The overdue scan and a pruning batch when due, then one cycle: the finished
        attempts recorded, and (unless stopping) new ones claimed and started. Returns how
        many were claimed, and the attempts now running."""
        self._scanned, self._pruned_more = False, None
        stopping = stop.is_set()
        if not stopping and scan:
            with self._transaction(self.book) as s:
                delivery.scan_overdue(s, self.clock())
            self._scanned = True
        if not stopping and prune:
            self._pruned_more = self.prune()
        done = {f for f in running if f.done()}
        free = 0 if stopping else room - len(running) + len(done)
        if not done and free <= 0:
            return 0, running
        fresh = self._cycle([f.result() for f in done], free)
        return len(fresh), (running - done) | {pool.submit(self._attempt, c, d)
                                               for c, d in fresh}
