"""The acceptance dashboard's numbers as SQL aggregates straight over consent_records.

The dashboard reads the same numbers from the roll-ups (rollup.py), which these direct
queries check in the tests and bench/dashboard.py compares with on a million records.
:class:`Scope` and :class:`Summary` are shared by both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from server.models import ConsentRecord

__all__ = ["PurposeRate", "Scope", "Summary", "by_locale", "by_purpose", "by_version",
           "choice_columns", "daily", "purpose_rates", "summary"]

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


@dataclass(frozen=True)
class PurposeRate:
    """How the users of one version answered one of its purposes.

    ``offered``: the version's accept records (the consent screen showed every purpose of
    the version; a decline grants nothing and is counted in the accept rate instead);
    ``granted``: those of them that granted the purpose. An update names only the purposes
    it switches, so updates are counted apart: ``switched_on`` and ``switched_off``."""

    version: int
    purpose: str
    offered: int
    granted: int
    switched_on: int
    switched_off: int

    @property
    def rate(self) -> float | None:
        """The opt-in rate: granted / offered (None when nobody was offered it)."""
        return self.granted / self.offered if self.offered else None


def purpose_rates(offers: Mapping[int, Sequence[str]], accepts: Mapping[int, int],
                  counts: Mapping[tuple[int, str, str], tuple[int, int]]
                  ) -> list[PurposeRate]:
    """The rates of each version's purposes (``offers``: version -> its purpose ids) from
    the accept records per version and the (granted, refused) counts per (version, action,
    purpose); versions without accept or update records are left out. Shared by the direct
    queries and the roll-ups, so both say the same."""
    out = []
    for version in sorted(offers):
        seen = accepts.get(version, 0) or any(counts.get((version, "update", p))
                                              for p in offers[version])
        if not seen:
            continue
        for p in offers[version]:
            on, off = counts.get((version, "update", p), (0, 0))
            out.append(PurposeRate(version, p, accepts.get(version, 0),
                                   counts.get((version, "accept", p), (0, 0))[0], on, off))
    return out


def choice_columns(purpose_ids: Sequence[str]) -> list[Any]:
    """Per purpose, SUMs of the records granting it and of those refusing it (a record that
    does not name the purpose is in neither)."""
    cols = []
    for p in purpose_ids:
        value = ConsentRecord.purposes[p].as_boolean()
        cols += [func.sum(case((value.is_(True), 1), else_=0)),
                 func.sum(case((value.is_(False), 1), else_=0))]
    return cols


def by_purpose(s: Session, scope: Scope, offers: Mapping[int, Sequence[str]]
               ) -> list[PurposeRate]:
    """The opt-in rate of each purpose per version (see :class:`PurposeRate`); ``offers``
    maps each version number in scope to the ids of the purposes it had."""
    ids = sorted({p for ps in offers.values() for p in ps})
    accepts = {int(v): int(n) for v, n in s.execute(scope.where(
        select(ConsentRecord.version, func.count()).where(ConsentRecord.action == "accept")
        .group_by(ConsentRecord.version)))}
    counts: dict[tuple[int, str, str], tuple[int, int]] = {}
    if ids:
        q = scope.where(select(ConsentRecord.version, ConsentRecord.action,
                               *choice_columns(ids))
                        .where(ConsentRecord.action.in_(("accept", "update")))
                        .group_by(ConsentRecord.version, ConsentRecord.action))
        for version, action, *sums in s.execute(q):
            for i, p in enumerate(ids):
                counts[(int(version), str(action), p)] = (int(sums[2 * i] or 0),
                                                          int(sums[2 * i + 1] or 0))
    return purpose_rates(offers, accepts, counts)
