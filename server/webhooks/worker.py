"""``kelisim worker``: delivers the outbox's events to the endpoints (docs/webhooks.md),
and, in a thread of its own, submits the consent logs' checkpoints to the witnesses
(server/consent/witnessing.py).

A pipeline, not rounds: up to WEBHOOK_CONCURRENCY attempts run at once
(server/webhooks/sender.py) and up to 16 x as many wait for a thread; whenever attempts
finish, their outcomes are recorded in one transaction and, in the same loop, new events are
fanned out and due deliveries claimed under a lease (server/webhooks/delivery.py) to fill
the free places. So one slow receiver holds one thread for at most its attempt's deadline
and never the deliveries of other endpoints or apps. Every 10 s it also emits
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
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path

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
        self._prune_after = 0

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """A write transaction; on SQLite under the group commit's write lock first."""
        fd = None
        if self._write is not None:
            fd = self._write.acquire(self.db.lock_timeout)
            if fd is None:
                raise DatabaseBusy("the write lock", self.db.lock_timeout)
        try:
            with self.db.session() as s:
                yield s
        finally:
            if fd is not None:
                self._write.release(fd)  # type: ignore[union-attr]

    def _claim(self, room: int) -> list[tuple[delivery.Claimed, float]]:
        """Fan out new events and claim up to ``room`` due deliveries; each with the
        monotonic time by which its attempt must have ended (see the invariant above)."""
        now, started = self.clock(), time.monotonic()
        with self._transaction() as s:
            delivery.fan_out(s, now)
            claimed = delivery.claim(s, self.owner, now, self.lease, room)
        return [(c, started + self.lease - LEASE_MARGIN) for c in claimed]

    def prune(self) -> bool:
        """One batch of pruning (see the module docstring); True when there may be more."""
        with self._transaction() as s:
            gone, after = delivery.prune(s, self.clock(),
                                         self.settings.webhook_retention_days,
                                         self._prune_after)
        self._prune_after = after or 0
        self.pruned += gone
        if gone:
            log.info("pruned %d webhook events delivered over %d days ago", gone,
                     self.settings.webhook_retention_days)
        return after is not None

    def _record(self, attempts: list[delivery.Attempt]) -> None:
        with self._transaction() as s:
            paused = delivery.finish(
                s, self.owner, attempts, self.clock(), base=self.settings.webhook_backoff_base,
                cap=self.settings.webhook_backoff_cap,
                pause_after=self.settings.webhook_pause_after, rng=self.rng)
        for endpoint_id in paused:
            log.warning("webhook endpoint %s paused after %d failed deliveries in a row",
                        endpoint_id, self.settings.webhook_pause_after)
        ok = sum(a.error is None for a in attempts)
        self.sent += ok
        self.failed += len(attempts) - ok

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
        next_scan = next_prune = 0.0
        room = self.settings.webhook_concurrency * 16
        running: set[Future[delivery.Attempt]] = set()
        with ThreadPoolExecutor(self.settings.webhook_concurrency,
                                thread_name_prefix="kelisim-webhook") as pool:
            while running or not stop.is_set():
                try:
                    done = {f for f in running if f.done()}
                    if done:
                        self._record([f.result() for f in done])
                        running -= done
                    claimed = 0
                    if not stop.is_set():
                        if time.monotonic() >= next_scan:
                            with self._transaction() as s:
                                delivery.scan_overdue(s, self.clock())
                            next_scan = time.monotonic() + OVERDUE_EVERY
                        if time.monotonic() >= next_prune:
                            more = self.prune()
                            next_prune = time.monotonic() + (PRUNE_SOON if more
                                                             else PRUNE_EVERY)
                        if len(running) < room:
                            fresh = self._claim(room - len(running))
                            running |= {pool.submit(self._attempt, c, d) for c, d in fresh}
                            claimed = len(fresh)
                except Unavailable as exc:
                    log.warning("database unavailable: %s; retrying", exc)
                    stop.wait(self.settings.webhook_poll_interval)
                    continue
                if once and not running and not claimed:
                    return
                if running and (claimed or not done):
                    wait(running, self.settings.webhook_poll_interval, FIRST_COMPLETED)
                elif not running:
                    stop.wait(self.settings.webhook_poll_interval)
