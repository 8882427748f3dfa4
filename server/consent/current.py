"""The current consent of an install, as the operator's backend asks for it: what the
install's latest decision (accept, decline, withdraw) and the updates and acknowledgements
after it add up to, the version and its label, when and from which install, and whether
it stands for the version in force now.

``stands`` follows the SDK's rule (client_sdk/decision.py) on what the server knows: the
state is ``granted``, the version consented to is not older than the version in force's
``reconsent_required_since``, and the version in force's consent term (from the
acceptance's client time) is not over.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol.timeutil import format_time, parse_duration, parse_time
from server.errors import NotFound, UnknownApp
from server.models import App, ConsentRecord, Install, PolicyVersion

__all__ = ["DECISIONS", "STATE_OF", "current_consent", "in_force_json", "in_force_version",
           "stands", "version_row"]

# The actions that set the whole state; update and acknowledge build on the last of them.
DECISIONS = ("accept", "decline", "withdraw")
STATE_OF = _STATE = {"accept": "granted", "decline": "declined", "withdraw": "withdrawn"}


def _version(session: Session, app_id: str, number: int) -> PolicyVersion | None:
    return session.scalars(select(PolicyVersion).where(
        PolicyVersion.app_id == app_id, PolicyVersion.number == number)).first()


def _in_force(session: Session, app_id: str, now: datetime) -> PolicyVersion | None:
    return session.scalars(select(PolicyVersion).where(
        PolicyVersion.app_id == app_id, PolicyVersion.effective <= format_time(now))
        .order_by(PolicyVersion.number.desc()).limit(1)).first()


def _term_over(version: PolicyVersion, accepted: str, now: datetime) -> bool:
    term = version.body.get("consent_term")
    if not isinstance(term, str):
        return False
    try:
        return now - parse_time(accepted) >= parse_duration(term)
    except (OverflowError, ValueError):  # a term beyond year 9999 never ends
        return False


def current_consent(session: Session, app_id: str, install_id: str,
                    now: datetime) -> dict[str, Any]:
    """``{install_id, state, purposes, granted, version, label, decided_at, client_time,
    record_id, from_install, in_force, stands}``; ``state`` is ``none`` (no decision yet),
    ``granted``, ``declined`` or ``withdrawn``.

    Raises:
        UnknownApp: no such app.
        NotFound: the app has no such install.
    """
    if session.get(App, app_id) is None:
        raise UnknownApp(app_id)
    install = session.get(Install, install_id)
    if install is None or install.app_id != app_id:
        raise NotFound(f"app {app_id} has no install {install_id}", install_id=install_id)
    base = select(ConsentRecord).where(ConsentRecord.app_id == app_id,
                                       ConsentRecord.install_id == install_id)
    decision = session.scalars(base.where(ConsentRecord.action.in_(DECISIONS))
                               .order_by(ConsentRecord.seq.desc()).limit(1)).first()
    in_force = _in_force(session, app_id, now)
    out: dict[str, Any] = {
        "install_id": install_id, "state": "none", "purposes": {}, "granted": [],
        "version": None, "label": None, "decided_at": None, "client_time": None,
        "record_id": None, "from_install": None, "stands": False,
        "in_force": None if in_force is None else {
            "version": in_force.number, "label": in_force.label,
            "reconsent_required_since": in_force.body.get("reconsent_required_since")}}
    if decision is None:
        return out
    last = decision
    purposes = dict(decision.purposes)
    if decision.action == "accept":
        for r in session.scalars(base.where(ConsentRecord.seq > decision.seq,
                                            ConsentRecord.action.in_(("update",
                                                                      "acknowledge")))
                                 .order_by(ConsentRecord.seq)):
            purposes.update(r.purposes)
            last = r
    version = max(decision.version, last.version)
    row = _version(session, app_id, version)
    state = _STATE[decision.action]
    granted = sorted(p for p, on in purposes.items() if on) if state == "granted" else []
    since = in_force.body.get("reconsent_required_since") if in_force else None
    stands = (state == "granted" and in_force is not None
              and (not isinstance(since, int) or version >= since)
              and not _term_over(in_force, decision.client_time, now))
    out.update({"state": state, "purposes": purposes, "granted": granted,
                "version": version, "label": row.label if row else None,
                "decided_at": last.server_time, "client_time": last.client_time,
                "record_id": last.record_id, "from_install": last.install_id,
                "stands": stands})
    return out


# What the subject's state (server/consent/subjectstate.py) shares with an install's.
in_force_version = _in_force
version_row = _version


def in_force_json(in_force: PolicyVersion | None) -> dict[str, Any] | None:
    """The ``in_force`` member of an answer: the version in force now, if any."""
    return None if in_force is None else {
        "version": in_force.number, "label": in_force.label,
        "reconsent_required_since": in_force.body.get("reconsent_required_since")}


def stands(state: str, version: int | None, accepted_at: str | None,
           in_force: PolicyVersion | None, now: datetime) -> bool:
    """Whether a consent in ``state`` to ``version`` stands for the version in force now
    (the module docstring's rule)."""
    since = in_force.body.get("reconsent_required_since") if in_force else None
    return (state == "granted" and in_force is not None and version is not None
            and accepted_at is not None
            and (not isinstance(since, int) or version >= since)
            and not _term_over(in_force, accepted_at, now))
