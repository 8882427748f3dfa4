"""The install's subject on the device: sending ``link`` and ``unlink`` records, the
subject's signed state, and the consent state they make together (docs/sdk.md,
"Signed-in users on several devices").

- ``link_subject(token)`` appends a ``link`` record and keeps the token beside it (meta
  ``link_token:<record id>``) until the server answered; the sync sends it to
  ``POST /subject-links`` in ledger order with the consent records. A token the server
  refuses for good (unknown, used, expired, another app's) sets the record aside with the
  reason, like any refused record; the token is forgotten either way.
- The server answers a link, and every sync and refresh of a linked install, with the
  subject's state: a DSSE statement verified with the root's receipt keys
  (:func:`client_sdk.protocol.subjects.verify_subject_state`). Its exact bytes are stored
  (meta ``subject_state``) with what it covers (meta ``subject_cover``: the ledger's length
  then and the records still pending then).
- The consent state the rules see is the statement's, then every local record it does not
  cover, in order (:func:`merged_state`): decisions made here since are newest.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from client_sdk._internal.ledger import LedgerRecord, apply, derive_state
from client_sdk.decision import ConsentState
from client_sdk.errors import ConsentError, FormatError
from client_sdk.protocol.model import Root
from client_sdk.protocol.receipts import confirms, verify_receipt
from client_sdk.protocol.subjects import SubjectState, verify_subject_state
from client_sdk.protocol.timeutil import parse_time

if TYPE_CHECKING:
    from client_sdk._internal.store import Store
    from client_sdk._internal.sync import _Outcome, _Session

__all__ = [
    "COVER",
    "DECISION_ACTIONS",
    "LINKED",
    "STATE",
    "fetch_state",
    "load_statement",
    "merged_state",
    "send_subject_record",
    "superseded",
    "token_key",
]

STATE: Final = "subject_state"
COVER: Final = "subject_cover"
LINKED: Final = "subject_linked"
DECISION_ACTIONS: Final = ("accept", "decline", "withdraw", "update")
# What our server answers for a link or unlink it will never store (besides the record
# refusals every upload shares).
_REFUSED: Final = {(422, "link_refused"), (409, "not_linked")}


def token_key(record_id: str) -> str:
    return f"link_token:{record_id}"


def _from_statement(s: SubjectState, acknowledged: frozenset[int]) -> ConsentState:
    acks = acknowledged | frozenset(s.acknowledged)
    if s.state == "granted" and s.version is not None and s.accepted_at is not None:
        return ConsentState("accepted", s.version, parse_time(s.accepted_at),
                            dict(s.purposes), acks)
    if s.state in ("declined", "withdrawn"):
        return ConsentState(s.state, None, None, {}, acks)
    return ConsentState("none", acknowledged=acks)


def merged_state(records: Sequence[LedgerRecord], statement: SubjectState | None,
                 cover: dict[str, Any] | None) -> ConsentState:
    """The consent state: the ledger alone without a statement; else the statement, then
    the records it does not cover (see the module docstring)."""
    if statement is None or cover is None:
        return derive_state(records)
    n = int(cover.get("n", 0))
    still_open = set(cover.get("open", ()))
    local = derive_state(records)
    state = _from_statement(statement, local.acknowledged)
    for i, r in enumerate(records):
        if i >= n or r.id in still_open:
            state = apply(state, r)
    return state


META_KEYS: Final = (STATE, COVER, "install_id")


def load_statement(store: Store, root: Root, app_id: str,
                   meta: dict[str, bytes] | None = None
                   ) -> tuple[SubjectState | None, dict[str, Any] | None]:
    """The stored statement (verified again: the store is not trusted more than the
    network) and what it covers; (None, None) when there is none or it no longer
    verifies. ``meta``: :data:`META_KEYS` read already (the launch's one read)."""
    if meta is None:
        meta = store.get_metas(META_KEYS)
    raw, cover, install = meta.get(STATE), meta.get(COVER), meta.get("install_id")
    if raw is None or cover is None or install is None:
        return None, None
    try:
        statement = verify_subject_state(raw, root, app_id=app_id,
                                         install_id=install.decode("utf-8", "replace"))
        covered = json.loads(cover)
    except (ConsentError, ValueError):
        return None, None
    return statement, covered if isinstance(covered, dict) else None


def _keep(store: Store, raw: bytes, linked: bool | None = None) -> None:
    """Store a verified statement and what it covers now (one transaction)."""
    records = store.records()
    cover = {"n": len(records), "open": [r.id for r in records if r.status == "pending"]}
    meta: dict[str, bytes | None] = {STATE: raw, COVER: json.dumps(cover).encode()}
    if linked is not None:
        meta[LINKED] = b"1" if linked else None
    store.put_meta(meta)


def send_subject_record(s: _Session, root: Root, app_id: str, rec: LedgerRecord) -> _Outcome:
    """POST one link or unlink record; on success the receipt confirms it, and the
    subject's state (after a link) is verified and stored."""
    from client_sdk._internal.sync import _object, _Outcome, _single_refusal, read_error

    url = f"{s.base}/subject-links"
    key = token_key(rec.id)
    token = s.store.get_meta(key) if rec.action == "link" else None
    if rec.action == "link" and token is None:
        return _Outcome({}, {rec.id: "the link token is not on this device any more"})
    body = {"record": rec.to_json(), "token": token.decode() if token is not None else None}
    install_id, resp = s.post_authed(url, body)
    if resp.status in (409, 413, 422):
        answer = read_error(resp)
        if (resp.status, answer.code) in _REFUSED:
            s.store.put_meta({key: None})
            return _Outcome({}, {rec.id: f"HTTP {resp.status} {answer.code}: "
                                         f"{answer.message}"})
        out = _single_refusal(resp, answer, rec, url)
        if out.rejected:
            s.store.put_meta({key: None})
        return out
    if resp.status != 200:
        return _Outcome({}, {}, read_error(resp).error(url))
    doc = _object(resp, url, "link answer")
    if not isinstance(doc.get("receipt"), str):
        raise FormatError("must be the receipt envelope as a string", field="receipt", url=url)
    raw = doc["receipt"].encode("utf-8")
    receipt = verify_receipt(raw, root, app_id=app_id, install_id=install_id,
                             kind="consents", url=url)
    if not confirms(receipt, rec.to_json()):
        raise FormatError("the receipt does not name the record", field="receipt", url=url)
    state = doc.get("state")
    if rec.action == "link":
        if not isinstance(state, str):
            raise FormatError("must be the subject state envelope", field="state", url=url)
        verify_subject_state(state.encode(), root, app_id=app_id, install_id=install_id,
                             url=url)
        s.store.put_meta({key: None})
        s.store.mark_synced({rec.id: raw}, receipt.issued)
        _keep(s.store, state.encode(), linked=True)
    else:
        s.store.put_meta({LINKED: None})
    return _Outcome({rec.id: raw}, {})


def fetch_state(s: _Session, root: Root, app_id: str) -> SubjectState | None:
    """Ask the subject's state of a linked install, verify and store it. None when the
    server says the install is not linked (then it is marked so here).

    Raises:
        ConsentError: no answer, an error answer or one that does not verify.
    """
    from client_sdk._internal.sync import _object, read_error

    url = f"{s.base}/installs/{{install}}/subject-state"
    install_id, resp = s.post_authed(url, None, register=False)
    if resp.status != 200:
        raise read_error(resp).error(url)
    doc = _object(resp, url, "subject state answer")
    if doc.get("linked") is not True:
        s.store.put_meta({LINKED: None})
        return None
    state = doc.get("state")
    if not isinstance(state, str):
        raise FormatError("must be the subject state envelope", field="state", url=url)
    raw = state.encode()
    statement = verify_subject_state(raw, root, app_id=app_id, install_id=install_id, url=url)
    _keep(s.store, raw)
    return statement


def superseded(records: Sequence[LedgerRecord], before: SubjectState | None,
               after: SubjectState, install_id: str | None) -> tuple[str, ...]:
    """The decision of this device that a newer one from another device overrode (the
    server ordered it later), when the statement changed: this device's last synced
    decision, if the statement now says something else and comes from elsewhere."""
    if before is not None and before.seq == after.seq:
        return ()
    if after.from_install is None or after.from_install == install_id:
        return ()
    mine = [r for r in records if r.action in DECISION_ACTIONS and r.status == "synced"]
    if not mine or mine[-1].id == after.record_id:
        return ()
    alone = derive_state(mine)
    granted = {p for p, on in alone.grants.items() if on}
    status = {"accepted": "granted"}.get(alone.status, alone.status)
    if status == after.state and (status != "granted" or granted == set(after.granted)):
        return ()
    return (mine[-1].id,)
