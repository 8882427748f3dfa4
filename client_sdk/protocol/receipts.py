"""Receipt trust rules: which receipts confirm which records. Bytes in, no I/O.

A receipt is a DSSE envelope the server signs with a receipt key the root names. The SDK
verifies the exact bytes the server sent and stores those bytes unchanged, so that a receipt
kept on the device can be shown to anyone holding the root. A receipt confirms a record only
when it is for this app and this install, of the right kind, and names the record with the
same action, version, document, purposes and time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from client_sdk._internal.ledger import LedgerRecord
from client_sdk.errors import FormatError
from client_sdk.protocol.envelope import PAYLOAD_RECEIPT, parse_envelope, verify_threshold
from client_sdk.protocol.model import Root

__all__ = ["confirms", "confirms_deletion", "verify_receipt"]


def verify_receipt(raw: bytes, root: Root, *, app_id: str, install_id: str, kind: str,
                   url: str | None = None) -> dict[str, Any]:
    """Verify receipt envelope bytes and return the payload.

    Raises:
        FormatError: not a receipt envelope, or one of another kind, app or install.
        SignatureError: not signed by a threshold of the root's receipt keys (a manifest or
            root key is not a receipt key).
    """
    env = parse_envelope(raw, PAYLOAD_RECEIPT, url=url)
    role = root.roles["receipt"]
    verify_threshold(env, root.keys, role.keyids, role.threshold, role="receipt", url=url)
    payload = env.payload_json(url=url)
    if not isinstance(payload, dict) or payload.get("_type") != "receipt" or \
            payload.get("spec_version") != 1:
        raise FormatError("not a receipt payload", url=url)
    if payload.get("kind") != kind:
        raise FormatError(f"a {payload.get('kind')!r} receipt where a {kind!r} one was due",
                          field="kind", url=url)
    if payload.get("app") != app_id:
        raise FormatError(f"receipt for app {payload.get('app')!r}, not {app_id!r}",
                          field="app", url=url)
    if payload.get("install") != install_id:
        raise FormatError("receipt for another install", field="install", url=url)
    return payload


def _matches(entry: Mapping[str, Any], rec: LedgerRecord) -> bool:
    return (entry.get("id") == rec.id and entry.get("action") == rec.action
            and entry.get("version") == rec.version
            and type(entry.get("version")) is int
            and entry.get("document_sha256") == rec.document_sha256
            and entry.get("purposes") == dict(rec.purposes)
            and entry.get("client_time") == rec.client_time)


def confirms(payload: Mapping[str, Any], rec: LedgerRecord) -> bool:
    """Whether a verified ``consents`` receipt payload names ``rec`` exactly."""
    entries = payload.get("records")
    if not isinstance(entries, list):
        return False
    return any(isinstance(e, dict) and _matches(e, rec) for e in entries)


def confirms_deletion(payload: Mapping[str, Any], rec: LedgerRecord) -> bool:
    """Whether a verified ``deletion_request`` receipt payload names ``rec`` exactly."""
    request = payload.get("request")
    return isinstance(request, dict) and request.get("id") == rec.id and \
        request.get("client_time") == rec.client_time
