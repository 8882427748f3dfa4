"""Uploading the outbox: install registration, batches, receipt checks, backoff.

A record is marked synced only after a receipt for it verified against the trusted root's
receipt keys and says what the record says. Failures back off exponentially with jitter;
attempts and the next attempt time are stored, so backoff survives restarts.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .envelope import PAYLOAD_RECEIPT, parse_envelope, verify_threshold
from .errors import ConsentError, FormatError, NetworkError, RepositoryError
from .jsonutil import canonical_bytes, loads_strict
from .store import LedgerRecord
from .timeutil import format_time

if TYPE_CHECKING:
    from .client import ConsentClient

__all__ = ["SyncResult", "backoff", "check_receipt", "run_sync"]

BATCH = 100
MAX_RESPONSE = 8 * 1024 * 1024


@dataclass(frozen=True)
class SyncResult:
    """What ``sync()`` did: records confirmed now, records still waiting, the first error."""

    ok: bool
    synced: int
    pending: int
    error: ConsentError | None = None


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """2 s, 4 s, 8 s … up to an hour, each times a random factor in [0.5, 1.5)."""
    base = min(2.0 * (2 ** max(attempts, 0)), 3600.0)
    return timedelta(seconds=base * rng.uniform(0.5, 1.5))


def check_receipt(client: ConsentClient, envelope: Any, install_id: str) -> dict[str, Any]:
    """Verify a receipt envelope (as parsed JSON) and return its payload.

    Raises:
        FormatError, SignatureError: not a receipt signed by the root's receipt keys, or one
            for another app or install.
    """
    raw = json.dumps(envelope, separators=(",", ":")).encode()
    env = parse_envelope(raw, PAYLOAD_RECEIPT, url="receipt")
    root = client._trust.root.root
    role = root.roles["receipt"]
    verify_threshold(env, root.keys, role.keyids, role.threshold, role="receipt")
    payload = env.payload_json()
    if not isinstance(payload, dict) or payload.get("_type") != "receipt":
        raise FormatError("not a receipt payload", url="receipt")
    if payload.get("app") != client.app_id or payload.get("install") != install_id:
        raise FormatError("receipt for another app or install", url="receipt")
    return payload


def _matches(entry: Mapping[str, Any], rec: LedgerRecord) -> bool:
    return (entry.get("id") == rec.id and entry.get("action") == rec.action
            and entry.get("version") == rec.version
            and entry.get("document_sha256") == rec.document_sha256
            and entry.get("purposes") == dict(rec.purposes)
            and entry.get("client_time") == rec.client_time)


def _json(resp_body: bytes) -> Any:
    return loads_strict(resp_body, what="server answer") if resp_body else {}


def _error_of(status: int, body: bytes, url: str) -> NetworkError:
    try:
        err = _json(body).get("error", {})
        code, message = err.get("code", "?"), err.get("message", "")
    except (ConsentError, AttributeError):
        code, message = "?", body[:200].decode(errors="replace")
    return NetworkError(f"HTTP {status} {code}: {message}", status=status, url=url)


class _Session:
    """One sync run: the install's credentials and the POSTs."""

    def __init__(self, client: ConsentClient) -> None:
        self.c = client
        self.base = f"{client.server_url}/v1/apps/{client.app_id}"

    def _post(self, url: str, body: Any, token: str | None) -> tuple[int, Any, bytes]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        resp = self.c.transport.post(url, canonical_bytes(body), headers=headers,
                                     max_bytes=MAX_RESPONSE)
        return resp.status, (_json(resp.body) if 200 <= resp.status < 300 else None), resp.body

    def credentials(self) -> tuple[str, str]:
        meta = self.c.store.get_metas(("install_id", "install_token"))
        if "install_id" in meta and "install_token" in meta:
            return meta["install_id"].decode(), meta["install_token"].decode()
        url = f"{self.base}/installs"
        status, body, raw = self._post(url, {}, None)
        if status != 201 or not isinstance(body, dict):
            raise _error_of(status, raw, url)
        install_id, token = str(body["install_id"]), str(body["token"])
        self.c.store.put_meta({"install_id": install_id.encode(),
                               "install_token": token.encode()})
        return install_id, token

    def post_authed(self, url: str, body: Any) -> Any:
        install_id, token = self.credentials()
        status, parsed, raw = self._post(url, body, token)
        if status == 401 and b"token_expired" in raw:
            renew = f"{self.base}/installs/{install_id}/token"
            rstatus, rbody, rraw = self._post(renew, {}, token)
            if rstatus != 200 or not isinstance(rbody, dict):
                raise _error_of(rstatus, rraw, renew)
            self.c.store.put_meta({"install_token": str(rbody["token"]).encode()})
            status, parsed, raw = self._post(url, body, str(rbody["token"]))
        if not 200 <= status < 300:
            raise _error_of(status, raw, url)
        return parsed


def _send_consents(s: _Session, batch: Sequence[LedgerRecord]) -> dict[str, bytes]:
    install_id, _ = s.credentials()
    answer = s.post_authed(f"{s.base}/consents", {"records": [r.to_json() for r in batch]})
    receipts = answer.get("receipts") if isinstance(answer, dict) else None
    if not isinstance(receipts, list):
        raise FormatError("consents answer has no receipts", url=f"{s.base}/consents")
    confirmed: dict[str, bytes] = {}
    for envelope in receipts:
        payload = check_receipt(s.c, envelope, install_id)
        raw = json.dumps(envelope, separators=(",", ":")).encode()
        for entry in payload.get("records", []):
            if not isinstance(entry, dict):
                continue
            rec = next((r for r in batch if r.id == entry.get("id")), None)
            if rec is not None and _matches(entry, rec):
                confirmed[rec.id] = raw
    return confirmed


def _send_deletion(s: _Session, rec: LedgerRecord) -> dict[str, bytes]:
    install_id, _ = s.credentials()
    url = f"{s.base}/deletion-requests"
    answer = s.post_authed(url, {"id": rec.id, "client_time": rec.client_time})
    envelope = answer.get("receipt") if isinstance(answer, dict) else None
    payload = check_receipt(s.c, envelope, install_id)
    request = payload.get("request")
    if payload.get("kind") != "deletion_request" or not isinstance(request, dict) or \
            request.get("id") != rec.id or request.get("client_time") != rec.client_time:
        raise FormatError("deletion receipt does not match the request", url=url)
    return {rec.id: json.dumps(envelope, separators=(",", ":")).encode()}


def run_sync(client: ConsentClient, now: datetime, rng: random.Random,
             force: bool = False) -> SyncResult:
    stamp = format_time(now)
    pending = client.store.pending("9999-12-31T23:59:59Z" if force else stamp)
    if not pending:
        return SyncResult(True, 0, client.store.pending_count())
    session = _Session(client)
    synced = 0
    error: ConsentError | None = None
    consents = [r for r in pending if r.action != "deletion_request"]
    deletions = [r for r in pending if r.action == "deletion_request"]
    work: list[list[LedgerRecord]] = [consents[i:i + BATCH]
                                      for i in range(0, len(consents), BATCH)]
    work += [[d] for d in deletions]
    for batch in work:
        try:
            if batch[0].action == "deletion_request":
                confirmed = _send_deletion(session, batch[0])
            else:
                confirmed = _send_consents(session, batch)
        except ConsentError as exc:
            error = error or exc
            confirmed = {}
        if confirmed:
            client.store.mark_synced(confirmed, stamp)
            synced += len(confirmed)
        failed = [r.id for r in batch if r.id not in confirmed]
        if failed:
            if error is None:
                error = RepositoryError(f"{len(failed)} record(s) had no matching receipt")
            client.store.mark_failed(failed, {
                rid: format_time(now + backoff(client.store.attempts(rid), rng))
                for rid in failed})
        if isinstance(error, NetworkError) and error.status is None:
            break  # the network is down: the rest waits for the next attempt
    left = client.store.pending_count()
    return SyncResult(error is None, synced, left, error)
