"""The acceptance dashboard's numbers as SQL aggregates straight over consent_records.

The dashboard reads the same numbers from the roll-ups (rollup.py), which these direct
queries check in the tests and bench/dashboard.py compares with on a million records.
:class:`Scope` and :class:`Summary` are shared by both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from server.models import ConsentRecord

__all__ = ["Scope", "Summary", "by_locale", "by_purpose", "by_version", "daily", "summary"]

@dataclass(frozen=True)
class Scope:
    """Which records: one app, optionally one version and a range of days (inclusive)."""

    app_id: str
    version: int | None = None
    day_from: str | None = None  # YYYY-MM-DD
    day_to: str | None = None

    def where(self, q: Any) -> Any:
        q = q.where(ConsentRecord.app_id == self.app_id)
        if self.version is not None:
            q = q.where(ConsentRecord.version == self.version)
        if self.day_from:
            q = q.where(ConsentRecord.server_time >= f"{self.day_from}T00:00:00Z")
        if self.day_to:
            q = q.where(ConsentRecord.server_time <= f"{self.day_to}T23:59:59Z")
        return q


@dataclass
class Summary:
    counts: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, action: str) -> int:
        return self.counts.get(action, 0)

    @property
    def answered(self) -> int:
        """Prompts answered: the consent screen ended in accept or decline."""
        return self["accept"] + self["decline"]

    def rate(self, action: str) -> float | None:
        base = self["accept"] if action == "withdraw" else self.answered
        return self[action] / base if base else None


def _counts(rows: Any) -> dict[str, int]:
    return {str(a): int(n) for a, n in rows}


def summary(s: Session, scope: Scope) -> Summary:
    q = scope.where(select(ConsentRecord.action, func.count()).group_by(ConsentRecord.action))
    return Summary(_counts(s.execute(q)))


def by_locale(s: Session, scope: Scope) -> dict[str, Summary]:
    q = scope.where(select(ConsentRecord.locale, ConsentRecord.action, func.count())
                    .group_by(ConsentRecord.locale, ConsentRecord.action))
    out: dict[str, Summary] = {}
    for locale, action, n in s.execute(q):
        out.setdefault(locale or "-", Summary()).counts[action] = int(n)
    return dict(sorted(out.items()))


def by_version(s: Session, scope: Scope) -> dict[int, Summary]:
    q = scope.where(select(ConsentRecord.version, ConsentRecord.action, func.count())
                    .group_by(ConsentRecord.version, ConsentRecord.action))
    out: dict[int, Summary] = {}
    for version, action, n in s.execute(q):
        out.setdefault(int(version), Summary()).counts[action] = int(n)
    return dict(sorted(out.items()))


def daily(s: Session, scope: Scope) -> dict[str, dict[str, int]]:
    """{YYYY-MM-DD: {action: count}} for the days that have records."""
    day = func.substr(ConsentRecord.server_time, 1, 10)
    q = scope.where(select(day, ConsentRecord.action, func.count())
                    .group_by(day, ConsentRecord.action))
    out: dict[str, dict[str, int]] = {}
    for d, action, n in s.execute(q):
        out.setdefault(str(d), {})[str(action)] = int(n)
    return dict(sorted(out.items()))


def by_purpose(s: Session, scope: Scope, purpose_ids: list[str]) -> dict[str, tuple[int, int]]:
    """{purpose: (granted, decisions)} over accept and update records: the opt-in rate."""
    if not purpose_ids:
        return {}
    cols = [func.sum(case((ConsentRecord.purposes[p].as_boolean().is_(True), 1), else_=0))
            for p in purpose_ids]
    q = scope.where(select(func.count(), *cols)
                    .where(ConsentRecord.action.in_(("accept", "update"))))
    row = s.execute(q).one()
    total = int(row[0])
    return {p: (int(row[i + 1] or 0), total) for i, p in enumerate(purpose_ids)}
