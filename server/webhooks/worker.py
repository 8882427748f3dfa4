"""``kelisim worker``: delivers the outbox's events to the endpoints (docs/webhooks.md),
and, in a thread of its own, submits the consent logs' checkpoints to the witnesses
(server/consent/witnessing.py).

Each round: fan new events out into deliveries; claim the due ones under a lease
(server/webhooks/delivery.py); POST them, WEBHOOK_CONCURRENCY at once
(server/webhooks/sender.py); record the outcomes in one transaction. Every 10 s it also
emits ``request.overdue`` for requests past their deadline. When a round found nothing it
waits WEBHOOK_POLL_INTERVAL seconds (or until told to stop).

SIGTERM or SIGINT: no new claims; the attempts under way finish (each within
WEBHOOK_TIMEOUT) and are recorded; then it exits 0. A worker killed outright leaves leases
that end after 2 x WEBHOOK_TIMEOUT + 5 s (an attempt's connect and read, and a margin for
recording it), and those deliveries are sent again by any worker.
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
from concurrent.futures import ThreadPoolExecutor
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

    def round(self, pool: ThreadPoolExecutor) -> int:
        """One round; returns how many deliveries it attempted."""
        now = self.clock()
        with self._transaction() as s:
            delivery.fan_out(s, now)
            claimed = delivery.claim(s, self.owner, now, self.lease,
                                     self.settings.webhook_concurrency * 16)
        if not claimed:
            return 0
        attempts = list(pool.map(self._attempt, claimed))
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
        return len(attempts)

    def _attempt(self, c: delivery.Claimed) -> delivery.Attempt:
        body = body_of(c.payload)
        secret = open_secret(self.key, c.endpoint_id, c.secret_box)
        status, error = post(c.url, body, headers(secret, c.event_id, int(time.time()), body),
                             self.limits)
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
        next_scan = 0.0
        with ThreadPoolExecutor(self.settings.webhook_concurrency,
                                thread_name_prefix="kelisim-webhook") as pool:
            while not stop.is_set():
                try:
                    if time.monotonic() >= next_scan:
                        with self._transaction() as s:
                            delivery.scan_overdue(s, self.clock())
                        next_scan = time.monotonic() + OVERDUE_EVERY
                    busy = self.round(pool)
                except Unavailable as exc:
                    log.warning("database unavailable: %s; retrying", exc)
                    busy = 0
                if once and not busy:
                    return
                if not busy:
                    stop.wait(self.settings.webhook_poll_interval)
