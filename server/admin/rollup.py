"""Dashboard counts kept as daily roll-ups, brought up to date incrementally.

Consent records are append-only and numbered per app (``seq``, committed in order: ingest
holds the app's chain-head lock), so the counts of records up to a seq never change. The
roll-up tables hold per app, day (server time), version, locale and action the number of
records, and per purpose the number of accept/update records granting it, up to the seq in
``admin_rollup_heads``. :func:`refresh` adds the records after that seq with two GROUP BYs
over the new rows only (the (app, seq) unique index finds them), merges them into the rows
of the days they touch, and moves the head, in one transaction that holds the head row's
lock, so two workers never add the same rows twice.
The dashboard's queries then read the small roll-up tables (bench/dashboard.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.admin.acceptance import Scope, Summary
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
    grants: dict[tuple[Any, ...], int] = {}
    purposes = sorted({p["id"] for body in s.scalars(
        select(PolicyVersion.body).where(PolicyVersion.app_id == app_id))
        for p in body["purposes"]})
    if purposes:
        cols = [func.sum(case((ConsentRecord.purposes[p].as_boolean().is_(True), 1),
                              else_=0)) for p in purposes]
        for d, version, loc, *granted in s.execute(
                select(day, ConsentRecord.version, locale, *cols)
                .where(*fresh, ConsentRecord.action.in_(("accept", "update")))
                .group_by(day, ConsentRecord.version, locale)):
            for p, g in zip(purposes, granted, strict=True):
                if g:
                    grants[(d, version, loc, p)] = int(g)
    _merge(s, RollupCount, app_id, ("version", "locale", "action"), "n", counts)
    _merge(s, RollupPurpose, app_id, ("version", "locale", "purpose"), "granted", grants)
    head.seq = newest
    s.flush()
    return sum(counts.values())


def _merge(s: Session, model: Any, app_id: str, keys: tuple[str, ...], column: str,
           new: dict[tuple[Any, ...], int]) -> None:
    """Add ``new`` ({(day, *keys): n}) to the stored rows: the rows of the days it touches
    are read, summed with it, and written back with one DELETE and one multi-row INSERT."""
    if not new:
        return
    days = sorted({k[0] for k in new})
    where = (model.app_id == app_id, model.day.in_(days))
    total = dict(new)
    for row in s.scalars(select(model).where(*where)):
        key = (row.day, *(getattr(row, k) for k in keys))
        total[key] = total.get(key, 0) + getattr(row, column)
    s.execute(delete(model).where(*where))
    s.execute(insert(model), [{"app_id": app_id, "day": k[0],
                               **dict(zip(keys, k[1:], strict=True)), column: n}
                              for k, n in total.items()])


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


def by_purpose(s: Session, scope: Scope, purpose_ids: list[str]) -> dict[str, tuple[int, int]]:
    decisions = int(s.scalar(_scoped(select(func.sum(RollupCount.n)).where(
        RollupCount.action.in_(("accept", "update"))), RollupCount, scope)) or 0)
    q = _scoped(select(RollupPurpose.purpose, func.sum(RollupPurpose.granted))
                .group_by(RollupPurpose.purpose), RollupPurpose, scope)
    granted = {str(p): int(g) for p, g in s.execute(q)}
    return {p: (granted.get(p, 0), decisions) for p in purpose_ids}
