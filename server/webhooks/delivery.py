"""The worker's transactions: fan-out of new events into deliveries, claiming due
deliveries under a lease, recording each attempt's outcome (backoff, pausing), and the
scan that emits ``request.overdue``.

Several workers (processes, machines) may run at once. Each transaction takes what it
works on with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers never take the same
rows and never wait on each other; on SQLite the whole transaction holds the database's one
writer (the group commit's ``flock``, then ``BEGIN IMMEDIATE``), so they run one after
another. A claimed delivery carries the worker's lease (``lease_owner``, ``lease_until``):
no other worker claims it until the lease ends, which is the attempt's timeout plus a
margin, so one event is never sent by two workers at the same time; a worker killed mid-
attempt leaves a lease that ends, and the delivery is sent again (at least once).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from client_sdk.protocol.timeutil import format_time
from server.models import DeletionRequest, WebhookDelivery, WebhookEndpoint, WebhookEvent
from server.webhooks.events import add_event, overdue_event_id, request_data

__all__ = ["PRUNE_BATCH", "Attempt", "Claimed", "backoff", "claim", "fan_out", "finish",
           "prune", "scan_overdue"]

D, P, E = WebhookDelivery, WebhookEndpoint, WebhookEvent
# Events pruned in one transaction at most (server/webhooks/worker.py runs one a minute,
# or at once again while batches come back full).
PRUNE_BATCH = 500


def stamp(now: float) -> str:
    return format_time(datetime.fromtimestamp(now, UTC))


def fan_out(session: Session, now: float, limit: int = 1000) -> int:
    """Turn up to ``limit`` new events into deliveries, one per endpoint of the event's
    app subscribed to its kind and registered by the time the event was (paused ones too:
    they get them once resumed). Returns how many events."""
    events = session.execute(select(E.seq, E.app_id, E.kind, E.created_at)
                             .where(E.fanned.is_(False)).order_by(E.seq).limit(limit)
                             .with_for_update(skip_locked=True)).all()
    if not events:
        return 0
    apps = sorted({e.app_id for e in events})
    endpoints = session.execute(select(P.id, P.app_id, P.events, P.created_at)
                                .where(P.app_id.in_(apps))).all()
    created = stamp(now)
    # An endpoint hears the events from the second it was registered on.
    rows = [{"event_seq": e.seq, "endpoint": p.id, "status": "pending", "attempts": 0,
             "next_attempt": now, "created_at": created}
            for e in events for p in endpoints
            if p.app_id == e.app_id and e.kind in p.events and e.created_at >= p.created_at]
    if rows:
        session.execute(insert(D), rows)
    session.execute(update(E).where(E.seq.in_([e.seq for e in events]))
                    .values(fanned=True))
    return len(events)


@dataclass(frozen=True)
class Claimed:
    """A delivery a worker holds the lease of, with what it needs to send it."""
    id: int
    event_id: str
    payload: dict[str, Any]
    endpoint: int
    endpoint_id: str
    url: str
    secret_box: bytes
    attempts: int


def claim(session: Session, owner: str, now: float, lease: float, limit: int
          ) -> list[Claimed]:
    """Take the lease of up to ``limit`` due deliveries of active endpoints (oldest due
    first) for ``lease`` seconds; count the attempt."""
    ids = list(session.scalars(
        select(D.id).join(P, P.id == D.endpoint)
        .where(D.status == "pending", D.next_attempt <= now, P.status == "active",
               or_(D.lease_until.is_(None), D.lease_until < now))
        .order_by(D.next_attempt, D.id).limit(limit)
        .with_for_update(of=D, skip_locked=True)))
    if not ids:
        return []
    session.execute(update(D).where(D.id.in_(ids)).values(
        lease_owner=owner, lease_until=now + lease, attempts=D.attempts + 1))
    rows = session.execute(
        select(D.id, E.event_id, E.payload, P.id, P.endpoint_id, P.url, P.secret_box,
               D.attempts)
        .join(E, E.seq == D.event_seq).join(P, P.id == D.endpoint)
        .where(D.id.in_(ids)).order_by(D.id)).all()
    return [Claimed(*row) for row in rows]


@dataclass(frozen=True)
class Attempt:
    """The outcome of one POST: ``status`` (None when no response), ``error`` (None on
    success: a 2xx)."""
    delivery: Claimed
    status: int | None
    error: str | None


def backoff(attempts: int, base: float, cap: float, rng: random.Random) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: "full jitter"
    (uniform in [0, min(cap, base * 2^(attempts-1))]), so that many deliveries failing
    together do not retry together."""
    return rng.uniform(0, min(cap, base * 2 ** min(attempts - 1, 60)))


def finish(session: Session, owner: str, attempts: Sequence[Attempt], now: float, *,
           base: float, cap: float, pause_after: int, rng: random.Random) -> list[str]:
    """Record the outcomes (only of deliveries whose lease this worker still holds: a
    replay meanwhile took it back). An endpoint's failures in a row are counted; at
    ``pause_after`` it is paused. Returns the endpoint ids paused now. A few statements
    for any number of attempts (Core, not the ORM's per-statement bookkeeping)."""
    done = stamp(now)
    table, endpoints = cast(Table, D.__table__), cast(Table, P.__table__)
    ok = [a for a in attempts if a.error is None]
    failed = [a for a in attempts if a.error is not None]
    mine = table.c.lease_owner == owner
    if ok:
        for status in {a.status for a in ok}:
            session.execute(update(table).where(
                mine, table.c.id.in_([a.delivery.id for a in ok if a.status == status]))
                .values(status="delivered", delivered_at=done, last_status=status,
                        last_error=None, lease_owner=None, lease_until=None))
        session.execute(update(endpoints).where(
            endpoints.c.id.in_({a.delivery.endpoint for a in ok}), endpoints.c.failures > 0)
            .values(failures=0))
    for a in failed:
        changed = session.execute(update(table).where(mine, table.c.id == a.delivery.id)
                                  .values(next_attempt=now + backoff(a.delivery.attempts,
                                                                     base, cap, rng),
                                          last_status=a.status, last_error=(a.error or "")[:500],
                                          lease_owner=None, lease_until=None))
        if changed.rowcount:  # type: ignore[attr-defined]
            session.execute(update(endpoints).where(endpoints.c.id == a.delivery.endpoint)
                            .values(failures=endpoints.c.failures + 1))
    if not failed:
        return []
    return list(session.scalars(
        update(endpoints).where(endpoints.c.status == "active",
                                endpoints.c.failures >= pause_after,
                                endpoints.c.id.in_({a.delivery.endpoint for a in failed}))
        .values(status="paused", paused_at=done).returning(endpoints.c.endpoint_id)))


def scan_overdue(session: Session, now: float, limit: int = 500) -> int:
    """Emit ``request.overdue`` for open requests past their deadline, once each (the
    event id is fixed per request: :func:`overdue_event_id`). Returns how many."""
    rows = list(session.scalars(select(DeletionRequest).where(
        DeletionRequest.status == "open", DeletionRequest.deadline < stamp(now))
        .order_by(DeletionRequest.deadline).limit(limit)))
    if not rows:
        return 0
    ids = {overdue_event_id(r.app_id, r.request_id): r for r in rows}
    seen = set(session.scalars(select(E.event_id).where(E.event_id.in_(list(ids)))))
    emitted = 0
    for eid, r in ids.items():
        if eid in seen:
            continue
        try:  # another worker's scan may emit the same event between our read and here
            with session.begin_nested():
                add_event(session, r.app_id, "request.overdue", request_data(r), stamp(now),
                          eid)
                session.flush()
        except IntegrityError:
            continue  # it did: the unique event id keeps one
        emitted += 1
    return emitted


def prune(session: Session, now: float, days: int, after: int = 0,
          limit: int = PRUNE_BATCH) -> tuple[int, int | None]:
    """Delete up to ``limit`` events (oldest first, after seq ``after``) created more than
    ``days`` days before
    ``now`` whose every delivery was delivered more than ``days`` days before it (or that
    no endpoint took, or whose endpoints were deleted), with their deliveries. Never an
    event not yet fanned out, one with a delivery pending (retrying, paused or replayed),
    nor the ``request.overdue`` of a request still open (the scan would emit it again).
    Returns how many events, and the seq to go on after (None: nothing older is left
    after ``after``; start again from 0)."""
    cutoff = stamp(now - days * 86400.0)
    keep = exists().where(D.event_seq == E.seq,
                          or_(D.status != "delivered", D.delivered_at.is_(None),
                              D.delivered_at >= cutoff))
    rows = session.execute(select(E.seq, E.app_id, E.kind, E.payload)
                           .where(E.seq > after, E.fanned.is_(True),
                                  E.created_at < cutoff, ~keep)
                           .order_by(E.seq).limit(limit)
                           .with_for_update(of=E, skip_locked=True)).all()
    if not rows:
        return 0, None
    overdue = {(r.app_id, str((r.payload.get("data") or {}).get("request_id"))): r.seq
               for r in rows if r.kind == "request.overdue" and isinstance(r.payload, dict)}
    still_open: set[int] = set()
    if overdue:
        pairs = list(overdue)
        open_ = session.execute(select(DeletionRequest.app_id, DeletionRequest.request_id)
                                .where(DeletionRequest.status == "open", or_(*(and_(
                                    DeletionRequest.app_id == a,
                                    DeletionRequest.request_id == q) for a, q in pairs))))
        still_open = {overdue[(a, q)] for a, q in open_}
    seqs = [r.seq for r in rows if r.seq not in still_open]
    gone = 0
    if seqs:
        # Each statement says again what may go: a replay that took a delivery back
        # meanwhile (its row lock, then pending) keeps it and its event.
        session.execute(delete(D).where(D.event_seq.in_(seqs), D.status == "delivered",
                                        D.delivered_at < cutoff))
        gone = session.execute(delete(E).where(
            E.seq.in_(seqs), ~exists().where(D.event_seq == E.seq))).rowcount  # type: ignore[attr-defined]
    return gone, rows[-1].seq if len(rows) == limit else None


def counts(session: Session) -> dict[str, int]:
    """Deliveries by status and events not yet fanned out (for `kelisim worker --once`
    and tests)."""
    out = {str(s): int(n) for s, n in session.execute(
        select(D.status, func.count()).group_by(D.status))}
    out["unfanned"] = int(session.scalar(select(func.count()).select_from(E)
                                         .where(E.fanned.is_(False))) or 0)
    return out
