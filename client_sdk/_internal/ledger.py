"""The ledger's record type, and from ledger records to the consent state. Pure.

A :class:`LedgerRecord` is a consent record (its fields are
:data:`client_sdk.protocol.records.RECORD_FIELDS`, in that order; tests/test_records.py
compares them) and the SDK's sync status. ``Status`` is a ``Literal`` type; ``STATUSES``
lists its values. ``Action`` and ``ACTIONS`` are :mod:`client_sdk.protocol.records`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal, get_args

from client_sdk.decision import ConsentState
from client_sdk.protocol.record import Record, record
from client_sdk.protocol.records import ACTIONS, RECORD_FIELD_NAMES, Action
from client_sdk.protocol.timeutil import parse_time

__all__ = ["ACTIONS", "STATUSES", "Action", "LedgerRecord", "Status", "apply", "derive_state"]

# pending: waiting for a receipt; synced: a verified receipt confirms it; rejected: the
# server refused it for good (``reason`` says why), so it is set aside and never resent.
Status = Literal["pending", "synced", "rejected"]
STATUSES: Final[tuple[Status, ...]] = get_args(Status)


@record
class LedgerRecord(Record):
    """One decision of the user, as stored and as sent to the server."""

    id: str
    action: Action
    version: int
    document_sha256: str | None
    locale: str | None
    purposes: Mapping[str, bool]
    evidence: Mapping[str, Any]
    age_confirmed: bool | None
    guardian: Mapping[str, Any] | None
    client_time: str
    manifest_seq: int
    status: Status = "pending"
    receipt: bytes | None = None  # the receipt envelope's exact bytes, once synced
    reason: str | None = None  # the server's reason, once rejected

    @property
    def synced(self) -> bool:
        return self.status == "synced"

    def to_json(self) -> dict[str, Any]:
        """The record as the sync API takes it: its :data:`RECORD_FIELD_NAMES` (no status,
        receipt or reason), objects as plain dicts."""
        out: dict[str, Any] = {}
        for name in RECORD_FIELD_NAMES:
            value = getattr(self, name)
            out[name] = dict(value) if isinstance(value, Mapping) else value
        return out


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
