"""A subject's consent: the decisions of every install linked to it, in the server's order.

A link covers its install's records from the end of that install's previous link (or its
first record: what a device decided before its user signed in is that user's) up to its
``unlink`` record. Over the covered records, in the consent log's ``seq`` order: the last
accept, decline or withdrawal sets the state, the updates after it (from any install)
switch purposes; acknowledgements say which notices were seen. Conflicting decisions made
offline on two devices are ordered by when the server stored them: the later one stands.

:func:`signed_state` is the statement an install verifies with the root's receipt keys
(:mod:`client_sdk.protocol.subjects`); :func:`subject_consent` the operator API's answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol.envelope import PAYLOAD_SUBJECT_STATE
from client_sdk.protocol.subjects import SubjectState
from client_sdk.protocol.timeutil import format_time
from server.consent.current import (
    DECISIONS,
    STATE_OF,
    in_force_json,
    in_force_version,
    stands,
    version_row,
)
from server.consent.subjects import check_user_id, subject_id_of, subject_key
from server.errors import NotFound, UnknownApp
from server.models import App, ConsentRecord, InstallLink
from server.trust.keys import sign_envelope
from server.trust.receipt_keys import receipt_keys

__all__ = ["Folded", "fold_subject", "signed_state", "subject_consent", "subject_records",
           "subject_windows"]

_KINDS = (*DECISIONS, "update", "acknowledge")


@dataclass
class Folded:
    """What the subject's records add up to (see the module docstring)."""

    state: str = "none"
    version: int | None = None
    purposes: dict[str, bool] = field(default_factory=dict)
    accepted_at: str | None = None
    last: ConsentRecord | None = None
    acknowledged: set[int] = field(default_factory=set)


def _windows(session: Session, links: list[InstallLink]) -> dict[str, list[tuple[int, int]]]:
    """Per install, the seq ranges ``[low, high)`` its links to this subject cover."""
    installs = sorted({link.install_id for link in links})
    ends: dict[str, list[int]] = {}
    for install, seq in session.execute(select(InstallLink.install_id, InstallLink.unlink_seq)
                                        .where(InstallLink.install_id.in_(installs),
                                               InstallLink.unlink_seq.is_not(None))):
        ends.setdefault(install, []).append(int(seq or 0))
    out: dict[str, list[tuple[int, int]]] = {}
    for link in links:
        earlier = [s for s in ends.get(link.install_id, []) if s <= link.link_seq]
        high = link.unlink_seq if link.unlink_seq is not None else 2 ** 62
        out.setdefault(link.install_id, []).append((max(earlier, default=0), high))
    return out


def subject_windows(session: Session, app_id: str, subject_id: str
                    ) -> dict[str, list[tuple[int, int]]]:
    """Per install linked to the subject, the seq ranges ``(low, high)`` of its records
    that are the subject's."""
    links = list(session.scalars(select(InstallLink).where(
        InstallLink.app_id == app_id, InstallLink.subject_id == subject_id)))
    return _windows(session, links) if links else {}


def subject_records(session: Session, app_id: str, subject_id: str,
                    actions: tuple[str, ...] | None = _KINDS) -> list[ConsentRecord]:
    """The subject's records (of ``actions``; None: every action), in seq order."""
    windows = subject_windows(session, app_id, subject_id)
    if not windows:
        return []
    query = select(ConsentRecord).where(ConsentRecord.app_id == app_id,
                                        ConsentRecord.install_id.in_(sorted(windows)))
    if actions is not None:
        query = query.where(ConsentRecord.action.in_(actions))
    return [r for r in session.scalars(query.order_by(ConsentRecord.seq))
            if any(low < r.seq < high for low, high in windows[r.install_id])]


def fold_subject(records: list[ConsentRecord]) -> Folded:
    """The state the records (in seq order) add up to."""
    out = Folded()
    for r in records:
        if r.action == "acknowledge":
            out.acknowledged.add(r.version)
        elif r.action in DECISIONS:
            out.state, out.last = STATE_OF[r.action], r
            out.version = r.version if r.action == "accept" else out.version
            out.purposes = dict(r.purposes) if r.action == "accept" else {}
            out.accepted_at = r.client_time if r.action == "accept" else None
        elif r.action == "update" and out.state == "granted":
            out.purposes.update(r.purposes)
            out.last = r
    return out


def signed_state(session: Session, app_id: str, subject_id: str, install_id: str,
                 keys_dir: Path, now: datetime) -> bytes:
    """The statement of the subject's consent for ``install_id``, signed with the receipt
    keys of the root in force.

    Raises:
        ReceiptKeyUnavailable: no receipt key (503).
    """
    f = fold_subject(subject_records(session, app_id, subject_id))
    last = f.last
    statement = SubjectState(
        app_id, install_id, subject_id, format_time(now), last.seq if last else 0,
        "none" if last is None else f.state,  # type: ignore[arg-type]
        f.version, f.purposes, f.accepted_at, last.server_time if last else None,
        last.install_id if last else None, last.record_id if last else None,
        tuple(sorted(f.acknowledged)))
    return sign_envelope(statement.to_bytes(), PAYLOAD_SUBJECT_STATE,
                         receipt_keys(session, keys_dir))


def subject_consent(session: Session, app_id: str, user_id: str, keys_dir: Path,
                    now: datetime) -> dict[str, Any]:
    """The operator API's answer for a subject: its installs and its current consent
    (the fields of an install's, ``docs/operator-api.md``).

    Raises:
        InvalidValue: a bad ``user_id``. UnknownApp: no such app.
        NotFound: no install was ever linked to this user.
    """
    check_user_id(user_id)
    if session.get(App, app_id) is None:
        raise UnknownApp(app_id)
    subject = subject_id_of(subject_key(keys_dir), app_id, user_id)
    links = list(session.scalars(select(InstallLink).where(
        InstallLink.app_id == app_id, InstallLink.subject_id == subject)
        .order_by(InstallLink.id)))
    if not links:
        raise NotFound(f"no install of app {app_id} was ever linked to this user")
    f = fold_subject(subject_records(session, app_id, subject))
    in_force = in_force_version(session, app_id, now)
    row = version_row(session, app_id, f.version) if f.version is not None else None
    last = f.last
    return {
        "subject_id": subject,
        "installs": [{"install_id": x.install_id, "linked_at": x.linked_at,
                      "unlinked_at": x.unlinked_at} for x in links],
        "state": f.state,
        "purposes": f.purposes,
        "granted": sorted(p for p, on in f.purposes.items() if on)
        if f.state == "granted" else [],
        "version": f.version, "label": row.label if row else None,
        "decided_at": last.server_time if last else None, "accepted_at": f.accepted_at,
        "record_id": last.record_id if last else None,
        "from_install": last.install_id if last else None,
        "seq": last.seq if last else 0,
        "in_force": in_force_json(in_force),
        "stands": stands(f.state, f.version, f.accepted_at, in_force, now),
    }
