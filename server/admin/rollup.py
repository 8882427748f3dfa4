"""Dashboard counts kept as daily roll-ups, brought up to date incrementally.

Consent records are append-only and numbered per app (``seq``, committed in order: ingest
holds the app's chain-head lock), so the counts of records up to a seq never change. The
roll-up tables hold per app, day (server time), version, locale and action the number of
records, and per purpose and action (accept, update) the number of records granting it and
refusing it, up to the seq in
``admin_rollup_heads``. :func:`refresh` adds the records after that seq with two GROUP BYs
over the new rows only (the (app, seq) unique index finds them), merges them into the rows
of the days they touch, and moves the head, in one transaction that holds the head row's
lock, so two workers never add the same rows twice.
The dashboard's queries then read the small roll-up tables (bench/dashboard.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.admin.acceptance import PurposeRate, Scope, Summary, choice_columns, purpose_rates
from server.admin.models import RollupCount, RollupHead, RollupPurpose
from server.models import ConsentRecord, PolicyVersion

__all__ = ["by_locale", "by_purpose", "by_version", "daily", "refresh", "summary"]


def _ensure_head(s: Session, app_id: str) -> None:
    dialect = s.get_bind().dialect.name
    ins = (postgresql.insert(RollupHead) if dialect == "postgresql"
           else sqlite.insert(RollupHead))
    s.execute(ins.values(app_id=app_id, seq=0).on_conflict_do_nothing())


def refresh(s: Session, app_id: str) -> int:
    """Add the app's records newer than the roll-up head; return how many were added.
    Call in a transaction that may write."""
    _ensure_head(s, app_id)
    head = s.scalars(select(RollupHead).where(RollupHead.app_id == app_id)
                     .with_for_update()).one()
    newest = s.scalar(select(func.max(ConsentRecord.seq))
                      .where(ConsentRecord.app_id == app_id)) or 0
    if newest <= head.seq:
        return 0
    fresh = (ConsentRecord.app_id == app_id, ConsentRecord.seq > head.seq,
             ConsentRecord.seq <= newest)
    day = func.substr(ConsentRecord.server_time, 1, 10)
    locale = func.coalesce(ConsentRecord.locale, "")
    counts: dict[tuple[Any, ...], int] = {}
    for d, version, loc, action, n in s.execute(
            select(day, ConsentRecord.version, locale, ConsentRecord.action, func.count())
            .where(*fresh).group_by(day, ConsentRecord.version, locale, ConsentRecord.action)):
        counts[(d, version, loc, action)] = int(n)
    choices: dict[tuple[Any, ...], tuple[int, ...]] = {}
    purposes = sorted({p["id"] for body in s.scalars(
        select(PolicyVersion.body).where(PolicyVersion.app_id == app_id))
        for p in body["purposes"]})
    if purposes:
        for d, version, loc, action, *sums in s.execute(
                select(day, ConsentRecord.version, locale, ConsentRecord.action,
                       *choice_columns(purposes))
                .where(*fresh, ConsentRecord.action.in_(("accept", "update")))
                .group_by(day, ConsentRecord.version, locale, ConsentRecord.action)):
            for i, p in enumerate(purposes):
                on, off = int(sums[2 * i] or 0), int(sums[2 * i + 1] or 0)
                if on or off:
                    choices[(d, version, loc, p, action)] = (on, off)
    _merge(s, RollupCount, app_id, ("version", "locale", "action"), ("n",),
           {k: (n,) for k, n in counts.items()})
    _merge(s, RollupPurpose, app_id, ("version", "locale", "purpose", "action"),
           ("granted", "refused"), choices)
    head.seq = newest
    s.flush()
    return sum(counts.values())


def _merge(s: Session, model: Any, app_id: str, keys: tuple[str, ...],
           columns: tuple[str, ...], new: dict[tuple[Any, ...], tuple[int, ...]]) -> None:
    """Add ``new`` ({(day, *keys): (n, ...)}, one n per column) to the stored rows: the rows
    of the days it touches are read, summed with it, and written back with one DELETE and
    one multi-row INSERT."""
    if not new:
        return
    days = sorted({k[0] for k in new})
    where = (model.app_id == app_id, model.day.in_(days))
    total = dict(new)
    for row in s.scalars(select(model).where(*where)):
        key = (row.day, *(getattr(row, k) for k in keys))
        old = total.get(key, (0,) * len(columns))
        total[key] = tuple(a + getattr(row, c) for a, c in zip(old, columns, strict=True))
    s.execute(delete(model).where(*where))
    s.execute(insert(model), [{"app_id": app_id, "day": k[0],
                               **dict(zip(keys, k[1:], strict=True)),
                               **dict(zip(columns, ns, strict=True))}
                              for k, ns in total.items()])


def _scoped(q: Any, model: Any, scope: Scope) -> Any:
    q = q.where(model.app_id == scope.app_id)
    if scope.version is not None:
        q = q.where(model.version == scope.version)
    if scope.day_from:
        q = q.where(model.day >= scope.day_from)
    if scope.day_to:
        q = q.where(model.day <= scope.day_to)
    return q


def summary(s: Session, scope: Scope) -> Summary:
    q = _scoped(select(RollupCount.action, func.sum(RollupCount.n))
                .group_by(RollupCount.action), RollupCount, scope)
    return Summary({str(a): int(n) for a, n in s.execute(q)})


def by_locale(s: Session, scope: Scope) -> dict[str, Summary]:
    q = _scoped(select(RollupCount.locale, RollupCount.action, func.sum(RollupCount.n))
                .group_by(RollupCount.locale, RollupCount.action), RollupCount, scope)
    out: dict[str, Summary] = {}
    for loc, action, n in s.execute(q):
        out.setdefault(loc or "-", Summary()).counts[action] = int(n)
    return dict(sorted(out.items()))


def by_version(s: Session, scope: Scope) -> dict[int, Summary]:
    q = _scoped(select(RollupCount.version, RollupCount.action, func.sum(RollupCount.n))
                .group_by(RollupCount.version, RollupCount.action), RollupCount, scope)
    out: dict[int, Summary] = {}
    for version, action, n in s.execute(q):
        out.setdefault(int(version), Summary()).counts[action] = int(n)
    return dict(sorted(out.items()))


def daily(s: Session, scope: Scope) -> dict[str, dict[str, int]]:
    q = _scoped(select(RollupCount.day, RollupCount.action, func.sum(RollupCount.n))
                .group_by(RollupCount.day, RollupCount.action), RollupCount, scope)
    out: dict[str, dict[str, int]] = {}
    for d, action, n in s.execute(q):
        out.setdefault(str(d), {})[str(action)] = int(n)
    return dict(sorted(out.items()))


def by_purpose(s: Session, scope: Scope, offers: Mapping[int, Sequence[str]]
               ) -> list[PurposeRate]:
    """As :func:`server.admin.acceptance.by_purpose`, from the roll-ups."""
    accepts = {int(v): int(n) for v, n in s.execute(_scoped(
        select(RollupCount.version, func.sum(RollupCount.n))
        .where(RollupCount.action == "accept").group_by(RollupCount.version),
        RollupCount, scope))}
    q = _scoped(select(RollupPurpose.version, RollupPurpose.action, RollupPurpose.purpose,
                       func.sum(RollupPurpose.granted), func.sum(RollupPurpose.refused))
                .group_by(RollupPurpose.version, RollupPurpose.action, RollupPurpose.purpose),
                RollupPurpose, scope)
    counts = {(int(v), str(a), str(p)): (int(on), int(off))
              for v, a, p, on, off in s.execute(q)}
    return purpose_rates(offers, accepts, counts)
