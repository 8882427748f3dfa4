"""The ledger's record type, and from ledger records to the consent state. Pure.

``Action`` and ``Status`` are ``Literal`` types; ``ACTIONS`` and ``STATUSES`` list their
values (``client_sdk.protocol.rules`` and the store use these, never their own copies).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal, get_args

from client_sdk.decision import ConsentState
from client_sdk.protocol.record import Record, record
from client_sdk.protocol.timeutil import parse_time

__all__ = ["ACTIONS", "STATUSES", "Action", "LedgerRecord", "Status", "apply", "derive_state"]

Action = Literal["accept", "decline", "withdraw", "update", "acknowledge", "deletion_request"]
# pending: waiting for a receipt; synced: a verified receipt confirms it; rejected: the
# server refused it for good (``reason`` says why), so it is set aside and never resent.
Status = Literal["pending", "synced", "rejected"]
ACTIONS: Final[tuple[Action, ...]] = get_args(Action)
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
        """The record as the sync API takes it (no status, receipt or reason)."""
        return {
            "id": self.id, "action": self.action, "version": self.version,
            "document_sha256": self.document_sha256, "locale": self.locale,
            "purposes": dict(self.purposes), "evidence": dict(self.evidence),
            "age_confirmed": self.age_confirmed,
            "guardian": dict(self.guardian) if self.guardian is not None else None,
            "client_time": self.client_time, "manifest_seq": self.manifest_seq,
        }


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
