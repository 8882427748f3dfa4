"""What a user decides, as records: accept, decline, withdraw, purpose updates, notices,
deletion requests. Pure functions, no store, no clock, no lock:
:class:`~client_sdk.client.ConsentClient` passes the version in force, the user's state, the
time and a new record id, and appends what comes back.

Each function applies :mod:`client_sdk.protocol.rules` (a record that breaks one is a
programmer error: ``UsageError`` with the first problem's message) and the rules that
depend on the user's state, which the server does not keep: nothing to withdraw, nothing to
change, no notice to acknowledge.

API::

    Stamp(record_id, now, manifest_seq)       what every record carries besides the decision
    accept(version, stamp, purposes, *, locale, preferred_locales, evidence, age_confirmed,
           guardian) -> LedgerRecord
    decline(version, stamp, *, locale, preferred_locales, evidence) -> LedgerRecord
    withdraw(version, state, stamp, purposes=None) -> LedgerRecord   (or an update)
    update(version, state, stamp, changes) -> LedgerRecord
    acknowledge(decision, stamp) -> LedgerRecord
    deletion_request(version, stamp) -> LedgerRecord
    request(version, stamp, kind, note, withdraw) -> LedgerRecord   (any kind of request)
    accept_grants(version, purposes) -> dict[str, bool]      the grant merging rule
    recorded_evidence(evidence) -> dict[str, Any]            the evidence rule
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from client_sdk._internal.ledger import Action, LedgerRecord
from client_sdk._internal.locales import negotiate
from client_sdk.decision import ConsentState, Decision, Kind
from client_sdk.errors import UsageError
from client_sdk.protocol import rules
from client_sdk.protocol.model import Version
from client_sdk.protocol.record import Record, record
from client_sdk.protocol.records import REQUEST_ACTIONS, REQUEST_KINDS
from client_sdk.protocol.timeutil import format_time

__all__ = [
    "Stamp",
    "accept",
    "accept_grants",
    "acknowledge",
    "decline",
    "deletion_request",
    "recorded_evidence",
    "request",
    "subject_link",
    "update",
    "withdraw",
]

Purposes = Iterable[str] | Mapping[str, bool] | None


@record
class Stamp(Record):
    """What a record carries besides the decision: its id, the time it was made and the
    seq of the manifest trusted then."""

    record_id: str
    now: datetime
    manifest_seq: int


def _record(action: Action, version: Version, stamp: Stamp, purposes: Mapping[str, bool], *,
            locale: str | None = None, evidence: Mapping[str, Any] | None = None,
            age_confirmed: bool | None = None,
            guardian: Mapping[str, Any] | None = None) -> LedgerRecord:
    doc = version.locales.get(locale) if locale else None
    return LedgerRecord(
        id=stamp.record_id, action=action, version=version.version,
        document_sha256=doc.sha256 if doc else None, locale=locale,
        purposes=dict(purposes), evidence=dict(evidence or {}),
        age_confirmed=age_confirmed, guardian=dict(guardian) if guardian else None,
        client_time=format_time(stamp.now), manifest_seq=stamp.manifest_seq)


def _raise_first(problems: Sequence[rules.Problem]) -> None:
    """The SDK's side of the rules: a record that breaks one is a programmer error."""
    if problems:
        raise UsageError(problems[0].message)


def accept_grants(version: Version, purposes: Purposes) -> dict[str, bool]:
    """What an acceptance of ``version`` asks for: every required purpose (unless the
    caller refused one: the rules then refuse the accept) and the optional ones chosen.
    ``purposes``: ids switched on, or ``{id: bool}``."""
    chosen = {k: bool(on) for k, on in purposes.items()} if isinstance(purposes, Mapping) \
        else {p: True for p in (purposes or ())}
    return {p.id: p.required for p in version.purposes} | chosen


def recorded_evidence(evidence: Mapping[str, Any] | None) -> dict[str, Any]:
    """The evidence as recorded: seconds rounded to whole numbers (a UI measures floats),
    layers as a list."""
    out = dict(evidence or {})
    value = out.get("seconds_on_screen")
    if isinstance(value, float) and math.isfinite(value):
        out["seconds_on_screen"] = round(value)
    by_layer = out.get("seconds_by_layer")
    if isinstance(by_layer, Mapping):
        out["seconds_by_layer"] = {
            k: round(v) if isinstance(v, float) and math.isfinite(v) else v
            for k, v in by_layer.items()}
    if isinstance(out.get("layers_shown"), tuple):
        out["layers_shown"] = list(out["layers_shown"])
    return out


def _locale(version: Version, locale: str | None, preferred_locales: Sequence[str]) -> str:
    """The locale a decision is recorded in: the one the caller names (the rules check
    that the version has it), else the negotiated one."""
    return locale or negotiate(preferred_locales, version.locales, version.default_locale)


def accept(version: Version, stamp: Stamp, purposes: Purposes = None, *,
           locale: str | None = None, preferred_locales: Sequence[str] = (),
           evidence: Mapping[str, Any] | None = None, age_confirmed: bool | None = None,
           guardian: Mapping[str, Any] | None = None) -> LedgerRecord:
    """An acceptance of ``version`` (see ``ConsentClient.accept``).

    Raises:
        UsageError: an unknown purpose, a required purpose refused, a locale without a
            document, bad evidence, or a missing age confirmation.
    """
    grants = accept_grants(version, purposes)
    tag = _locale(version, locale, preferred_locales)
    ev = recorded_evidence(evidence)
    doc = version.locales.get(tag)
    _raise_first(rules.check_accept(version, grants, locale=tag,
                                    document_sha256=doc.sha256 if doc else None,
                                    age_confirmed=age_confirmed, guardian=guardian)
                 + rules.check_evidence(ev))
    grants = {p.id: bool(grants.get(p.id, False)) for p in version.purposes}
    return _record("accept", version, stamp, grants, locale=tag, evidence=ev,
                   age_confirmed=age_confirmed, guardian=guardian)


def decline(version: Version, stamp: Stamp, *, locale: str | None = None,
            preferred_locales: Sequence[str] = (),
            evidence: Mapping[str, Any] | None = None) -> LedgerRecord:
    """A decline of ``version``: every purpose refused, in ``locale`` as for an accept.

    Raises:
        UsageError: a locale without a document (as :func:`accept`), or bad evidence.
    """
    tag = _locale(version, locale, preferred_locales)
    ev = recorded_evidence(evidence)
    refused = {p.id: False for p in version.purposes}
    doc = version.locales.get(tag)
    _raise_first(rules.check_decline(version, refused, locale=tag,
                                     document_sha256=doc.sha256 if doc else None)
                 + rules.check_evidence(ev))
    return _record("decline", version, stamp, refused, locale=tag, evidence=ev)


def withdraw(version: Version, state: ConsentState, stamp: Stamp,
             purposes: Iterable[str] | None = None) -> LedgerRecord:
    """A withdrawal of the whole consent (``purposes`` None, or naming a required purpose),
    or an update switching the named optional purposes off.

    Raises:
        UsageError: nothing accepted (``state``), or an unknown purpose.
    """
    if state.status != "accepted":
        raise UsageError("there is no consent to withdraw")
    everything = {p.id: False for p in version.purposes}
    if purposes is None:
        _raise_first(rules.check_withdraw(version, everything))
        return _record("withdraw", version, stamp, everything)
    named = {pid: False for pid in purposes}
    _raise_first(rules.check_withdraw(version, named))
    required = {p.id for p in version.purposes if p.required}
    if required & named.keys():
        # Withdrawing a required purpose withdraws the consent as a whole.
        return _record("withdraw", version, stamp, everything)
    _raise_first(rules.check_update(version, named))
    return _record("update", version, stamp, named)


def update(version: Version, state: ConsentState, stamp: Stamp,
           changes: Mapping[str, bool]) -> LedgerRecord:
    """Optional purposes switched on or off under the existing consent.

    Raises:
        UsageError: nothing accepted (``state``), an unknown purpose, or a required one
            switched off.
    """
    if state.status != "accepted":
        raise UsageError("accept() first: there is no consent to change")
    switched = {k: bool(on) for k, on in changes.items()}
    _raise_first(rules.check_update(version, switched))
    return _record("update", version, stamp, switched)


def acknowledge(decision: Decision, stamp: Stamp) -> LedgerRecord:
    """That the user saw the NOTICE or UPCOMING notice ``decision`` gives.

    Raises:
        UsageError: ``decision`` shows no notice.
    """
    if decision.kind not in (Kind.NOTICE, Kind.UPCOMING) or decision.version is None:
        raise UsageError(f"no notice to acknowledge (decision is {decision.kind.value})")
    v, tag = decision.version, decision.locale
    doc = v.locales.get(tag) if tag else None
    _raise_first(rules.check_acknowledge(v, {}, locale=tag,
                                         document_sha256=doc.sha256 if doc else None))
    return _record("acknowledge", v, stamp, {}, locale=tag)


def deletion_request(version: Version, stamp: Stamp) -> LedgerRecord:
    """A request to delete the user's data, under ``version``."""
    return _record("deletion_request", version, stamp, {})


def request(version: Version, stamp: Stamp, kind: str, note: str | None,
            withdraw: bool | None) -> LedgerRecord:
    """A request of the data subject of ``kind`` (one of ``REQUEST_KINDS``), under
    ``version``; ``note`` and ``withdraw`` are checked by
    :func:`client_sdk.protocol.rules.check_request` (the store keeps them beside the record).

    Raises:
        UsageError: naming ``kind``, ``note`` or ``withdraw``.
    """
    _raise_first(rules.check_request(kind, note, withdraw))
    assert kind in REQUEST_KINDS
    return _record(REQUEST_ACTIONS[kind], version, stamp, {})


def subject_link(version: Version, stamp: Stamp, action: Action) -> LedgerRecord:
    """A ``link`` or ``unlink`` record (the install joins or leaves a subject), under
    ``version``: no purposes, no document (:func:`client_sdk.protocol.rules.check_link`)."""
    rec = _record(action, version, stamp, {})
    _raise_first(rules.check_link(action, {}, locale=None, document_sha256=None,
                                  age_confirmed=None, guardian=None, evidence=None))
    return rec
