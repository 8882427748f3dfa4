"""The subject's records from every linked device, for the access export
(``export_my_data``; docs/sdk.md, "Requests").

A linked install reads its history with ``scope=subject``
(``GET /v1/apps/<app>/installs/<id>/consents?scope=subject``, paged with a cursor): the
records of every install linked to its subject, each naming its ``install_id``, each
pointing at the receipt the server signed for that install. Each record is kept only when
that receipt verifies with the root's receipt keys, is for this app and the install the
record names, and names the record exactly (id, action, version, document, purposes,
client time) at the server time and chain hash the history states. What the receipt signs
is given at the record's top level; what the history adds without a signature (locale,
evidence, age, guardian, manifest seq) sits apart under ``unsigned``. A record whose
receipt does not verify is left out and counted (``unverified``): server data is never
shown as verified when it is not.

Records this device holds itself are not repeated (they are in the export already).
Offline, or on any error, the export is this device's alone and says so (``missing``
with the reason).

The server is not trusted to end the read: it stops (``missing``, with the reason) after
``MAX_PAGES`` pages, ``PAGE_BYTES`` in one page or ``TOTAL_BYTES`` in all, a cursor the
server gave before, or ``time_limit`` seconds of the (injected) monotonic clock, checked
before each page. An unsigned value is kept only when it has the record field's type and
encodes as UTF-8 JSON of at most ``UNSIGNED_BYTES``; else it is null.

Which installs are the subject's is the server's word: a receipt binds the app and the
install, not the subject (docs/sdk.md).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import quote

from client_sdk.errors import ConsentError, FormatError, OversizeError, SlowRetrievalError
from client_sdk.protocol.grammar import is_uuid
from client_sdk.protocol.model import Root
from client_sdk.protocol.receipts import Receipt, confirms, verify_receipt
from client_sdk.protocol.records import RECORD_FIELDS, field_accepts

if TYPE_CHECKING:
    from client_sdk._internal.store import Store
    from client_sdk.transport import Transport

__all__ = ["MAX_PAGES", "PAGE_BYTES", "TIME_LIMIT", "TOTAL_BYTES", "UNSIGNED_BYTES",
           "DeviceState", "OtherDevices", "other_devices"]

# The server's page is at most 2 MiB of records and receipts plus one receipt
# (server/consent/history.py); 50 pages of 500 records are 25,000 records.
MAX_PAGES: Final = 50
PAGE_BYTES: Final = 4 * 1024 * 1024
TOTAL_BYTES: Final = 32 * 1024 * 1024
TIME_LIMIT: Final = 60.0
UNSIGNED_BYTES: Final = 4096
DeviceState = Literal["not_linked", "not_asked", "included", "missing"]
# What a consents receipt signs of a record (client_sdk.protocol.receipts).
_SIGNED: Final = ("id", "action", "version", "document_sha256", "purposes", "client_time")
_UNSIGNED: Final = tuple(f for f in RECORD_FIELDS if f.name not in _SIGNED)


@dataclass(frozen=True)
class OtherDevices:
    """What the export holds of the subject's other devices: ``state`` is
    ``not_linked`` (this install is not linked: its own records are the subject's),
    ``not_asked`` (the app asked for this device's records only), ``included`` (every
    linked device's verified records are in ``records``) or ``missing`` (they could not be
    read: ``reason``). ``unverified``: records left out because their receipt did not
    verify."""

    state: DeviceState
    records: tuple[dict[str, Any], ...] = field(default=())
    reason: str | None = None
    unverified: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "reason": self.reason, "unverified": self.unverified,
                "installs": sorted({r["install_id"] for r in self.records})}


def _unsigned(rec: dict[str, Any]) -> dict[str, Any]:
    """The history's unsigned fields of a record: each value kept only when it has the
    field's type and is small UTF-8 JSON (the export must encode), else null."""
    out: dict[str, Any] = {}
    for f in _UNSIGNED:
        value = rec.get(f.name)
        try:
            fits = field_accepts(f, value) and len(json.dumps(
                value, ensure_ascii=False).encode("utf-8")) <= UNSIGNED_BYTES
        except (ValueError, TypeError, RecursionError):  # UnicodeError is a ValueError
            fits = False
        out[f.name] = value if fits else None
    return out


def _checked(rec: Any, receipts: dict[str, Any], root: Root, app_id: str,
             verified: dict[tuple[str, str], Receipt]) -> dict[str, Any] | None:
    """The export's entry for one history record, or None when its receipt does not
    verify or does not name it as the history states it. ``verified`` caches receipts by
    their exact text (and install): the text exported is the text verified, whatever id
    a later page gives it."""
    if not isinstance(rec, dict) or not all(n in rec for n in _SIGNED):
        return None
    install, rid = rec.get("install_id"), rec.get("receipt")
    if not (isinstance(install, str) and is_uuid(install) and isinstance(rid, str)):
        return None
    raw = receipts.get(rid)
    if not isinstance(raw, str):
        return None
    receipt = verified.get((raw, install))
    if receipt is None:
        try:
            receipt = verify_receipt(raw.encode("utf-8"), root, app_id=app_id,
                                     install_id=install, kind="consents")
        except (ConsentError, UnicodeError):  # a lone surrogate does not encode
            return None
        verified[(raw, install)] = receipt
    entry = receipt.entry(rec["id"]) if isinstance(rec["id"], str) else None
    if entry is None or not confirms(receipt, rec) or \
            entry.server_time != rec.get("server_time") or \
            entry.chain_hash != rec.get("chain_hash"):
        return None
    out: dict[str, Any] = {n: getattr(entry, n) for n in _SIGNED}
    out["purposes"] = dict(entry.purposes)
    out.update(server_time=entry.server_time, seq=entry.seq, chain_hash=entry.chain_hash,
               install_id=install, status="synced", receipt=raw, unsigned=_unsigned(rec))
    return out


def other_devices(store: Store, transport: Transport, root: Root, *, base_url: str,
                  app_id: str, local_ids: Iterable[str], time_limit: float = TIME_LIMIT,
                  monotonic: Callable[[], float] = time.monotonic) -> OtherDevices:
    """Read the subject's records from the server (see the module docstring); never
    raises for the network or the server's answer: ``missing`` says why. ``time_limit``
    is checked before each page, so the read takes at most that plus one request's
    deadline."""
    from client_sdk._internal.sync import _object, _Session, read_error

    skip = set(local_ids)
    session = _Session(store, transport, base_url, app_id)
    verified: dict[tuple[str, str], Receipt] = {}
    found: dict[str, dict[str, Any]] = {}
    unverified = total = 0
    cursor: str | None = None
    seen: set[str] = set()
    start = monotonic()
    try:
        for _ in range(MAX_PAGES):
            url = f"{session.base}/installs/{{install}}/consents?scope=subject&limit=500" + \
                (f"&cursor={quote(cursor, safe='')}" if cursor else "")
            if monotonic() - start > time_limit:
                raise SlowRetrievalError(f"the other devices' records took longer than "
                                         f"{time_limit:g}s", url=url)
            _, resp = session.post_authed(url, None, register=False, max_bytes=PAGE_BYTES)
            total += len(resp.body)
            if total > TOTAL_BYTES:
                raise OversizeError(f"the other devices' records are over {TOTAL_BYTES} "
                                    "bytes", limit=TOTAL_BYTES, url=url)
            if resp.status != 200:
                answer = read_error(resp)
                if (answer.status, answer.code) == (409, "not_linked"):
                    return OtherDevices("not_linked")
                raise answer.error(url)
            page = _object(resp, url, "history page")
            records, receipts = page.get("records"), page.get("receipts")
            if not isinstance(records, list) or not isinstance(receipts, dict):
                raise FormatError("must hold records (a list) and receipts (an object)",
                                  url=url)
            for rec in records:
                if isinstance(rec, dict) and isinstance(rec.get("id"), str) and \
                        rec["id"] in skip:
                    continue
                entry = _checked(rec, receipts, root, app_id, verified)
                if entry is None:
                    unverified += 1
                else:
                    found[entry["id"]] = entry
            cursor = page.get("next_cursor")
            if cursor is None:
                break
            if not isinstance(cursor, str) or len(cursor) > 100:
                raise FormatError("must be a cursor string or null", field="next_cursor",
                                  url=url)
            if cursor in seen:
                raise FormatError("repeats a cursor of an earlier page",
                                  field="next_cursor", url=url)
            seen.add(cursor)
        else:
            raise FormatError(f"more than {MAX_PAGES} pages", url=url)
    except ConsentError as exc:
        return OtherDevices("missing", reason=str(exc))
    ordered = tuple(sorted(found.values(), key=lambda r: int(r["seq"])))
    return OtherDevices("included", ordered, unverified=unverified)
