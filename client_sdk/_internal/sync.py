"""Uploading the outbox: install registration, tokens, batches, receipts, set-aside records.

``run_sync`` takes what it needs (the store, a transport, the trusted root for receipt keys,
the app, the server's URL, the time) and no client. The protocol (docs/sdk.md, "Sync"):

- A record is marked synced only after a receipt for it verified against the root's receipt
  keys and says what the record says; the receipt's exact bytes are stored. When the root
  lists a transparency log, its inclusion proof must verify too (``logsync.py``); so must
  a request's of the data subject (a leaf of the same log).
- No record blocks another. ``422 rejected`` names the records the server refuses for good:
  they are set aside (status ``rejected``, with the reason) and the rest is sent again at
  once. A ``422`` that names no record, or a ``413``, splits the batch, down to single
  records; a single record is set aside only when the answer is one of our server's
  refusals (``413 too_large``; ``422 invalid``, ``conflict``, ``unprocessable``, or
  ``rejected`` naming that record): a proxy's error page or any other answer leaves it
  pending, so no unsigned answer can make a withdrawal or deletion request disappear.
- ``401 invalid_token``: the install id and token are forgotten, the install registers
  again and the records go under the new install. ``401 token_expired``: the token is
  renewed; a refused renewal registers again.
- Anything else (no answer, 429, 5xx, a malformed answer) leaves the records pending, with
  exponential backoff and jitter; attempts and the next attempt time are stored, so backoff
  survives restarts. Every answer is validated before anything is stored.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from client_sdk._internal.ledger import LedgerRecord
from client_sdk._internal.logsync import LogEvidence, LogProofs, advance
from client_sdk._internal.store import Store
from client_sdk._internal.subjects import send_subject_record
from client_sdk.errors import ConsentError, FormatError, NetworkError, RepositoryError, StorageError
from client_sdk.protocol.grammar import is_token, is_uuid
from client_sdk.protocol.jsonutil import canonical_bytes, loads_strict
from client_sdk.protocol.model import Root
from client_sdk.protocol.receipts import (
    Receipt,
    confirms,
    confirms_deletion,
    confirms_request,
    verify_receipt,
)
from client_sdk.protocol.record import Record, record
from client_sdk.protocol.records import SUBJECT_ACTIONS, request_kind
from client_sdk.protocol.timeutil import format_time

if TYPE_CHECKING:
    from client_sdk.transport import Response, Transport

__all__ = ["SyncResult", "backoff", "run_sync"]

BATCH = 100
MAX_RESPONSE = 8 * 1024 * 1024


@record
class SyncResult(Record):
    """What ``sync()`` did: records confirmed now, records still waiting, the first error,
    and records the server refused for good in this run (set aside, see ``history()``)."""

    ok: bool
    synced: int
    pending: int
    error: ConsentError | None = None
    rejected: int = 0
    # This device's decisions that a later one from another device of the same subject
    # overrode (the server ordered it later): docs/sdk.md, "Signed-in users".
    superseded: tuple[str, ...] = ()
    # Set when the app's transparency log showed a history that does not extend the one
    # this device had verified (kept: client.log_evidence()); docs/transparency.md.
    log_evidence: LogEvidence | None = None


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """2 s, 4 s, 8 s … up to an hour, each times a random factor in [0.5, 1.5)."""
    base = min(2.0 * (2 ** min(max(attempts, 0), 12)), 3600.0)
    return timedelta(seconds=base * rng.uniform(0.5, 1.5))


@record
class ApiAnswer(Record):
    """A 4xx/5xx answer, read as far as it follows ``{"error": {code, message, details}}``."""

    status: int
    code: str | None
    message: str
    details: Any

    def error(self, url: str) -> NetworkError:
        return NetworkError(f"HTTP {self.status} {self.code or '?'}: {self.message}",
                            status=self.status, url=url)


def _printable(data: bytes) -> str:
    text = data[:200].decode("utf-8", errors="replace")
    return "".join(c if c.isprintable() else "?" for c in text)


def read_error(resp: Response) -> ApiAnswer:
    """Whatever the body holds, an ApiAnswer (never an exception)."""
    try:
        doc = loads_strict(resp.body, what="error answer")
    except ConsentError:
        return ApiAnswer(resp.status, None, _printable(resp.body), None)
    err = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(err, dict):
        return ApiAnswer(resp.status, None, _printable(resp.body), None)
    code, message = err.get("code"), err.get("message")
    return ApiAnswer(resp.status,
                     code if isinstance(code, str) and code.isascii() and len(code) < 64
                     else None,
                     # "replace": a lone surrogate in the server's text does not encode
                     _printable(message.encode("utf-8", "replace"))
                     if isinstance(message, str) else "",
                     err.get("details"))


def _object(resp: Response, url: str, what: str) -> dict[str, Any]:
    doc = loads_strict(resp.body, what=what, url=url)
    if not isinstance(doc, dict):
        raise FormatError(f"{what} must be a JSON object", url=url)
    return doc


class _Session:
    """One sync run: the install's credentials and the POSTs."""

    def __init__(self, store: Store, transport: Transport, base_url: str, app_id: str) -> None:
        self.store = store
        self.transport = transport
        self.base = f"{base_url.rstrip('/')}/v1/apps/{app_id}"

    def post(self, url: str, body: Any, token: str | None) -> Response:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.transport.request("POST", url, body=canonical_bytes(body),
                                      headers=headers, max_bytes=MAX_RESPONSE)

    def forget(self) -> None:
        self.store.put_meta({"install_id": None, "install_token": None})

    def credentials(self) -> tuple[str, str]:
        meta = self.store.get_metas(("install_id", "install_token"))
        install_id = meta.get("install_id", b"").decode("utf-8", errors="replace")
        token = meta.get("install_token", b"").decode("utf-8", errors="replace")
        if is_uuid(install_id) and is_token(token):
            return install_id, token
        # Nothing stored, or what an older SDK stored without checking: start afresh.
        return self.register()

    def register(self) -> tuple[str, str]:
        url = f"{self.base}/installs"
        resp = self.post(url, {}, None)
        if resp.status != 201:
            raise read_error(resp).error(url)
        answer = _object(resp, url, "install answer")
        install_id, token = answer.get("install_id"), answer.get("token")
        if not is_uuid(install_id):
            raise FormatError("is not a lower-case UUID", field="install_id", url=url)
        if not is_token(token):
            raise FormatError("is not a bearer token (token68, at most 4000 characters)",
                              field="token", url=url)
        assert isinstance(install_id, str) and isinstance(token, str)
        self.store.put_meta({"install_id": install_id.encode(), "install_token": token.encode()})
        return install_id, token

    def renew(self, install_id: str, token: str) -> bool:
        """Renew an expired token; False when the server refuses (register again)."""
        url = f"{self.base}/installs/{install_id}/token"
        resp = self.post(url, {}, token)
        if resp.status in (401, 403, 404):
            return False
        if resp.status != 200:
            raise read_error(resp).error(url)
        answer = _object(resp, url, "token answer")
        new = answer.get("token")
        if answer.get("install_id") != install_id:
            raise FormatError("names another install", field="install_id", url=url)
        if not is_token(new):
            raise FormatError("is not a bearer token", field="token", url=url)
        assert isinstance(new, str)
        self.store.put_meta({"install_token": new.encode()})
        return True

    def get(self, url: str, token: str, max_bytes: int = MAX_RESPONSE) -> Response:
        return self.transport.request("GET", url, headers={"Authorization": f"Bearer {token}"},
                                      max_bytes=max_bytes)

    def post_authed(self, url: str, body: Any, *, register: bool = True,
                    max_bytes: int = MAX_RESPONSE) -> tuple[str, Response]:
        """POST with the install's token, renewing or registering again as the server
        asks. Returns the install id the answer is for, and the answer. ``body`` None:
        a GET of ``url`` (the install's own history, answers of at most ``max_bytes``;
        never registers an install)."""
        renewed = registered = False
        while True:
            install_id, token = self.credentials()
            url_now = url.replace("{install}", install_id)
            resp = self.post(url_now, body, token) if body is not None else \
                self.get(url_now, token, max_bytes)
            if resp.status != 401:
                return install_id, resp
            code = read_error(resp).code
            if code == "token_expired" and not renewed:
                renewed = True
                if self.renew(install_id, token):
                    continue
            elif code != "invalid_token":
                return install_id, resp
            # Refused for good (or the renewal was): a new install, the same records; once.
            if registered or not register:
                return install_id, resp
            registered = True
            self.forget()


@dataclass
class _Outcome:
    """One upload's result: the records a receipt confirmed, those the server rejected
    and why, and the error that stopped it."""

    confirmed: dict[str, bytes]
    rejected: dict[str, str]
    error: ConsentError | None = None


def _rejected_named(answer: ApiAnswer, batch: Sequence[LedgerRecord]) -> dict[str, str]:
    """The records of ``batch`` a ``422 rejected`` names, with their reasons."""
    details = answer.details
    items = details.get("rejected") if isinstance(details, dict) else None
    if answer.code != "rejected" or not isinstance(items, list):
        return {}
    ids = {r.id for r in batch}
    out: dict[str, str] = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"] in ids:
            field, reason = item.get("field"), item.get("reason")
            text = reason if isinstance(reason, str) else answer.message
            if isinstance(field, str):
                text = f"{field}: {text}"
            out[str(item["id"])] = _printable(text.encode())
    return out


# What our server answers for a record it will never store. Anything else (an HTML page
# from a proxy, a code we do not know, a "rejected" that does not name the record) is an
# error of this attempt: the record stays pending and is sent again later, so that no
# unsigned answer can make a withdrawal or a deletion request disappear.
_REFUSED_FOR_GOOD = {413: frozenset({"too_large"}),
                     422: frozenset({"rejected", "invalid", "conflict", "unprocessable"})}


def _single_refusal(resp: Response, answer: ApiAnswer, rec: LedgerRecord, url: str
                    ) -> _Outcome:
    """The outcome of a 413 or 422 for one record alone."""
    if answer.code in _REFUSED_FOR_GOOD.get(resp.status, frozenset()):
        if answer.code != "rejected":
            return _Outcome({}, {rec.id: f"HTTP {resp.status} {answer.code}: "
                                         f"{answer.message}"})
        named = _rejected_named(answer, [rec])
        if named:
            return _Outcome({}, named)
    return _Outcome({}, {}, answer.error(url))


def _send_consents(s: _Session, root: Root, app_id: str,
                   batch: Sequence[LedgerRecord], logs: LogProofs) -> _Outcome:
    url = f"{s.base}/consents"
    install_id, resp = s.post_authed(url, {"records": [r.to_json() for r in batch]})
    if resp.status in (413, 422):
        answer = read_error(resp)
        named = _rejected_named(answer, batch)
        if named:
            rest = [r for r in batch if r.id not in named]
            out = _send_consents(s, root, app_id, rest, logs) if rest else _Outcome({}, {})
            out.rejected.update(named)
            return out
        if len(batch) == 1:
            return _single_refusal(resp, answer, batch[0], url)
        half = len(batch) // 2
        first = _send_consents(s, root, app_id, batch[:half], logs)
        second = _send_consents(s, root, app_id, batch[half:], logs)
        return _Outcome({**first.confirmed, **second.confirmed},
                        {**first.rejected, **second.rejected}, first.error or second.error)
    if resp.status != 200:
        return _Outcome({}, {}, read_error(resp).error(url))
    answer_doc = _object(resp, url, "consents answer")
    receipts, entries = answer_doc.get("receipts"), answer_doc.get("records")
    if not isinstance(receipts, list) or not all(isinstance(r, str) for r in receipts):
        raise FormatError("must be a list of receipt envelopes as strings", field="receipts",
                          url=url)
    if not isinstance(entries, list):
        raise FormatError("must be a list", field="records", url=url)
    verified: dict[int, tuple[bytes, Receipt]] = {}
    confirmed: dict[str, bytes] = {}
    by_id = {r.id: r for r in batch}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        index, rec = entry.get("receipt"), by_id.get(entry["id"])
        if rec is None or type(index) is not int or not 0 <= index < len(receipts):
            continue
        if index not in verified:
            raw = receipts[index].encode("utf-8")
            verified[index] = (raw, verify_receipt(raw, root, app_id=app_id,
                                                   install_id=install_id, kind="consents",
                                                   url=url))
        raw, receipt = verified[index]
        if confirms(receipt, rec.to_json()):
            logs.check(rec.to_json(), entry, receipt, install_id, url)
            confirmed[rec.id] = raw
    return _Outcome(confirmed, {})


def _send_deletion(s: _Session, root: Root, app_id: str, rec: LedgerRecord,
                   logs: LogProofs) -> _Outcome:
    """POST /deletion-requests (a deletion request an SDK before requests of every kind
    recorded: no withdraw choice, no note), confirmed by its ``deletion_request`` receipt
    and, when the root lists a log, its inclusion proof (its deadline: the answer's)."""
    url = f"{s.base}/deletion-requests"
    install_id, resp = s.post_authed(url, {"id": rec.id, "client_time": rec.client_time})
    if resp.status in (413, 422):
        return _single_refusal(resp, read_error(resp), rec, url)
    if resp.status not in (200, 201):
        return _Outcome({}, {}, read_error(resp).error(url))
    answer_doc = _object(resp, url, "deletion answer")
    receipt = answer_doc.get("receipt")
    if not isinstance(receipt, str):
        raise FormatError("must be the receipt envelope as a string", field="receipt", url=url)
    raw = receipt.encode("utf-8")
    receipt = verify_receipt(raw, root, app_id=app_id, install_id=install_id,
                             kind="deletion_request", url=url)
    if not confirms_deletion(receipt, rec.id, rec.client_time):
        raise FormatError("deletion receipt does not match the request", url=url)
    logs.check_request(rec.id, answer_doc, receipt, kind="deletion", withdraw=None,
                       note=None, url=url)
    return _Outcome({rec.id: raw}, {})


def _send_request(s: _Session, root: Root, app_id: str, rec: LedgerRecord,
                  details: tuple[str | None, bool | None], logs: LogProofs) -> _Outcome:
    """POST /requests: one request of the data subject, confirmed by its ``request``
    receipt (kind, time, the withdraw choice and the note's sha256) and, when the root
    lists a log, its inclusion proof."""
    url = f"{s.base}/requests"
    kind = request_kind(rec.action)
    note, withdraw = details
    install_id, resp = s.post_authed(url, {"id": rec.id, "kind": kind,
                                           "client_time": rec.client_time, "note": note,
                                           "withdraw": withdraw})
    if resp.status in (413, 422):
        return _single_refusal(resp, read_error(resp), rec, url)
    if resp.status not in (200, 201):
        return _Outcome({}, {}, read_error(resp).error(url))
    answer_doc = _object(resp, url, "request answer")
    receipt = answer_doc.get("receipt")
    if not isinstance(receipt, str):
        raise FormatError("must be the receipt envelope as a string", field="receipt", url=url)
    raw = receipt.encode("utf-8")
    verified = verify_receipt(raw, root, app_id=app_id, install_id=install_id, kind="request",
                              url=url)
    if kind is None or not confirms_request(verified, rec.id, kind, rec.client_time,
                                            withdraw, note):
        raise FormatError("request receipt does not match the request", url=url)
    logs.check_request(rec.id, answer_doc, verified, kind=kind, withdraw=withdraw, note=note,
                       url=url)
    return _Outcome({rec.id: raw}, {})


def run_sync(store: Store, transport: Transport, *, base_url: str, app_id: str, root: Root,
             now: datetime, rng: random.Random, force: bool = False) -> SyncResult:
    """Send what is due (everything with ``force``); see the module docstring.

    Raises:
        StorageError: the store failed (nothing confirmed is lost: the server is idempotent).
    """
    stamp = format_time(now)
    pending = store.pending("9999-12-31T23:59:59Z" if force else stamp)
    if not pending:
        return SyncResult(True, 0, store.pending_count())
    session = _Session(store, transport, base_url, app_id)
    logs = LogProofs(root, app_id)
    synced = rejected = 0
    error: ConsentError | None = None
    # Consent records first: a withdrawal made with a deletion request reaches the server
    # before the request does.
    # Links and unlinks in ledger order among them: what was decided after a sign-out is
    # not the subject's.
    requests = [r for r in pending if request_kind(r.action) is not None]
    details = store.request_details() if requests else {}
    work: list[list[LedgerRecord]] = []
    for r in pending:
        if request_kind(r.action) is not None:
            continue
        if r.action in SUBJECT_ACTIONS or not work or len(work[-1]) >= BATCH or \
                work[-1][0].action in SUBJECT_ACTIONS:
            work.append([r])
        else:
            work[-1].append(r)
    work += [[d] for d in requests]
    for batch in work:
        try:
            first = batch[0]
            note, withdraw = details.get(first.id, (None, None))
            if first.action == "deletion_request" and withdraw is None:
                # Recorded by an SDK before requests of every kind (no withdraw choice):
                # its own endpoint, as then.
                out = _send_deletion(session, root, app_id, first, logs)
            elif request_kind(first.action) is not None:
                out = _send_request(session, root, app_id, first, (note, withdraw), logs)
            elif first.action in SUBJECT_ACTIONS:
                out = send_subject_record(session, root, app_id, first)
            else:
                out = _send_consents(session, root, app_id, batch, logs)
        except StorageError:
            raise  # stop here: nothing confirmed is lost, the server is idempotent
        except ConsentError as exc:
            out = _Outcome({}, {}, exc)
        error = error or out.error
        if out.confirmed:
            store.mark_synced(out.confirmed, stamp, logs.take(out.confirmed),
                              logs.take_deadlines(out.confirmed))
            synced += len(out.confirmed)
        if out.rejected:
            store.mark_rejected(out.rejected, stamp)
            rejected += len(out.rejected)
        failed = [r.id for r in batch if r.id not in out.confirmed and r.id not in out.rejected]
        if failed:
            if error is None:
                error = RepositoryError(f"{len(failed)} record(s) had no matching receipt")
            store.mark_failed(failed, {
                rid: format_time(now + backoff(store.attempts(rid), rng)) for rid in failed})
        if isinstance(error, NetworkError) and error.status is None:
            break  # the network is down: the rest waits for the next attempt
    evidence = advance(store, transport, session.base, logs, app_id, now)
    return SyncResult(error is None, synced, store.pending_count(), error, rejected,
                      log_evidence=evidence)
