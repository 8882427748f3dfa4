"""The subject's consent state: the statement the server signs for an install linked to a
subject (the operator's signed-in user), which the SDK verifies like a receipt. Bytes in,
no I/O.

A subject is every install linked to it (``link`` records; ``unlink`` ends a link). The
server folds the decisions of all of them in its own order (the consent log's ``seq``): the
last accept, decline or withdrawal, and the updates after it, from whichever install. The
statement says what that adds up to; a new device that verifies it has the consent the
person gave on another one.

API::

    SubjectState(app, install, subject, issued, seq, state, version, purposes,
                 accepted_at, decided_at, from_install, record_id, acknowledged)
        SubjectState.parse(payload: bytes, *, url=None) -> SubjectState
        state.to_bytes() -> bytes             (canonical JSON: the bytes the server signs)
        state.granted -> frozenset[str]
    verify_subject_state(raw, root, *, app_id, install_id, url=None) -> SubjectState

The payload (``_type`` ``subject-state``, ``spec_version`` 1; DSSE payload type
:data:`PAYLOAD_SUBJECT_STATE`, signed by a threshold of the root's receipt keys)::

    {app, install (the install it was issued to), subject (the keyed hash, 64 hex),
     issued, seq (the server's order number of the last record it reflects; 0: none),
     state ("none" | "granted" | "declined" | "withdrawn"), version (int | null),
     purposes {id: bool}, accepted_at (the accept's client time, from which a consent
     term runs; null unless granted), decided_at (server time of the last record),
     from_install (the install that made it), record_id, acknowledged [versions]}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal, get_args

from client_sdk.errors import FormatError
from client_sdk.protocol.envelope import PAYLOAD_SUBJECT_STATE, parse_envelope, verify_threshold
from client_sdk.protocol.grammar import is_id, is_int32, is_sha256, is_time, is_uuid
from client_sdk.protocol.jsonutil import canonical_bytes, loads_strict
from client_sdk.protocol.model import Root
from client_sdk.protocol.record import Record, record

__all__ = ["PAYLOAD_SUBJECT_STATE", "STATES", "State", "SubjectState", "verify_subject_state"]

State = Literal["none", "granted", "declined", "withdrawn"]
STATES: Final[tuple[State, ...]] = get_args(State)
_FIELDS: Final = ("_type", "spec_version", "app", "install", "subject", "issued", "seq",
                  "state", "version", "purposes", "accepted_at", "decided_at",
                  "from_install", "record_id", "acknowledged")


@record
class SubjectState(Record):
    """The payload of a subject-state statement (see the module docstring)."""

    app: str
    install: str
    subject: str
    issued: str
    seq: int
    state: State
    version: int | None
    purposes: Mapping[str, bool]
    accepted_at: str | None
    decided_at: str | None
    from_install: str | None
    record_id: str | None
    acknowledged: tuple[int, ...] = ()

    @property
    def granted(self) -> frozenset[str]:
        """The purposes switched on, when the state is ``granted``."""
        if self.state != "granted":
            return frozenset()
        return frozenset(p for p, on in self.purposes.items() if on)

    def to_payload(self) -> dict[str, Any]:
        return {"_type": "subject-state", "spec_version": 1, "app": self.app,
                "install": self.install, "subject": self.subject, "issued": self.issued,
                "seq": self.seq, "state": self.state, "version": self.version,
                "purposes": dict(self.purposes), "accepted_at": self.accepted_at,
                "decided_at": self.decided_at, "from_install": self.from_install,
                "record_id": self.record_id, "acknowledged": list(self.acknowledged)}

    def to_bytes(self) -> bytes:
        return canonical_bytes(self.to_payload())

    @classmethod
    def parse(cls, payload: bytes, *, url: str | None = None) -> SubjectState:
        """Parse a statement's payload, strictly: every field present, of its type,
        nothing else.

        Raises:
            FormatError: naming the field that is wrong.
        """
        data = loads_strict(payload, what="subject state", url=url)
        if not isinstance(data, dict) or data.get("_type") != "subject-state" or \
                data.get("spec_version") != 1:
            raise FormatError("not a subject-state payload", url=url)
        extra = sorted(set(data) - set(_FIELDS))
        missing = [k for k in _FIELDS if k not in data]
        if extra or missing:
            raise FormatError(f"unknown field {extra[0]!r}" if extra else "missing",
                              field=extra[0] if extra else missing[0], url=url)

        def need(name: str, ok: bool) -> None:
            if not ok:
                raise FormatError("has the wrong type or form", field=name, url=url)

        def opt(name: str, check: Any) -> None:
            need(name, data[name] is None or check(data[name]))

        need("app", is_id(data["app"]))
        need("install", is_uuid(data["install"]))
        need("subject", is_sha256(data["subject"]))
        need("issued", is_time(data["issued"]))
        need("seq", is_int32(data["seq"], minimum=0))
        need("state", data["state"] in STATES)
        opt("version", lambda v: is_int32(v, minimum=1))
        purposes = data["purposes"]
        need("purposes", isinstance(purposes, dict) and all(
            isinstance(k, str) and isinstance(v, bool) for k, v in purposes.items()))
        for name in ("accepted_at", "decided_at"):
            opt(name, is_time)
        opt("from_install", is_uuid)
        opt("record_id", is_uuid)
        acknowledged = data["acknowledged"]
        need("acknowledged", isinstance(acknowledged, list) and all(
            is_int32(v, minimum=1) for v in acknowledged))
        return cls(data["app"], data["install"], data["subject"], data["issued"],
                   data["seq"], data["state"], data["version"], dict(purposes),
                   data["accepted_at"], data["decided_at"], data["from_install"],
                   data["record_id"], tuple(acknowledged))


def verify_subject_state(raw: bytes, root: Root, *, app_id: str, install_id: str,
                         url: str | None = None) -> SubjectState:
    """Verify statement envelope bytes (signed by a threshold of the root's receipt keys)
    and return the statement.

    Raises:
        FormatError: not a subject-state envelope, one for another app or install, or a
            payload that does not parse.
        SignatureError: not signed by a threshold of the root's receipt keys.
    """
    env = parse_envelope(raw, PAYLOAD_SUBJECT_STATE, url=url)
    role = root.roles["receipt"]
    verify_threshold(env, root.keys, role.keyids, role.threshold, role="receipt", url=url)
    state = SubjectState.parse(env.payload, url=url)
    if state.app != app_id:
        raise FormatError(f"subject state for app {state.app!r}, not {app_id!r}",
                          field="app", url=url)
    if state.install != install_id:
        raise FormatError("subject state for another install", field="install", url=url)
    return state
