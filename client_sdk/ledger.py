"""From ledger records to the consent state the decision rules read. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from .decision import ConsentState
from .store import LedgerRecord
from .timeutil import parse_time

__all__ = ["apply", "derive_state"]


def apply(state: ConsentState, r: LedgerRecord) -> ConsentState:
    """The state after one more record."""
    if r.action == "accept":
        return ConsentState("accepted", r.version, parse_time(r.client_time), dict(r.purposes),
                            state.acknowledged)
    if r.action in ("decline", "withdraw"):
        status = "declined" if r.action == "decline" else "withdrawn"
        return ConsentState(status, state.version, state.accepted_at, {}, state.acknowledged)
    if r.action == "update" and state.status == "accepted":
        return ConsentState(state.status, state.version, state.accepted_at,
                            {**state.grants, **r.purposes}, state.acknowledged)
    if r.action == "acknowledge":
        return ConsentState(state.status, state.version, state.accepted_at, state.grants,
                            state.acknowledged | {r.version})
    return state


def derive_state(records: Iterable[LedgerRecord]) -> ConsentState:
    """Replay the append-only ledger, oldest first."""
    state = ConsentState("none")
    for r in records:
        state = apply(state, r)
    return state
