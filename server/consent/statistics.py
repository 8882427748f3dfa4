"""``kelisim stats``: how users answered, counted per version and locale."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import ConsentRecord, PolicyVersion

__all__ = ["stats"]


def stats(session: Session, app_id: str) -> dict[tuple[str, str | None], Counter[str]]:
    """Counts of each action per (version label, locale)."""
    labels = {v.number: v.label for v in session.scalars(
        select(PolicyVersion).where(PolicyVersion.app_id == app_id))}
    out: dict[tuple[str, str | None], Counter[str]] = {}
    rows = session.execute(select(ConsentRecord.version, ConsentRecord.locale,
                                  ConsentRecord.action).where(ConsentRecord.app_id == app_id))
    for version, locale, action in rows:
        out.setdefault((labels.get(version, str(version)), locale), Counter())[action] += 1
    return out
