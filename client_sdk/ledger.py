"""From ledger records to the consent state the decision rules read. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from .decision import ConsentState
from .store import LedgerRecord
from .timeutil import parse_time

__all__ = ["derive_state"]


def derive_state(records: Iterable[LedgerRecord]) -> ConsentState:
    """Replay the append-only ledger, oldest first."""
    status = "none"
    version: int | None = None
    accepted_at = None
    grants: dict[str, bool] = {}
    acks: set[int] = set()
    for r in records:
        if r.action == "accept":
            status, version, accepted_at = "accepted", r.version, parse_time(r.client_time)
            grants = dict(r.purposes)
        elif r.action == "decline":
            status, grants = "declined", {}
        elif r.action == "withdraw":
            status, grants = "withdrawn", {}
        elif r.action == "update" and status == "accepted":
            grants.update(r.purposes)
        elif r.action == "acknowledge":
            acks.add(r.version)
    return ConsentState(status, version, accepted_at, grants, frozenset(acks))
