"""The user's own data as an export document (the right of access): every consent record
on the device with its sync status and its signed receipt (the exact envelope text, so
anyone holding the app's root can check it), and every request with its status.

The document (``_type`` ``kelisim-export``, ``spec_version`` 1; docs/sdk.md)::

    {app, install_id, exported_at, records: [{...record fields, status, reason,
     receipt, install_id, device}], requests: [{id, kind, created_at, note, withdraw,
     status, received_at, deadline, answered_at, answer, reason, receipt}],
     other_devices: {state, reason, unverified, installs}}

``device`` is ``this`` for a record of this install, ``other`` for one another install
linked to the same subject made (:mod:`client_sdk._internal.devices`: the receipt-signed
fields, ``server_time``, ``seq``, ``chain_hash`` and ``unsigned``). This device's records
come first in the order they were made, then the other devices' in the server's order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from client_sdk._internal.devices import OtherDevices
from client_sdk._internal.ledger import LedgerRecord
from client_sdk._internal.store import Store
from client_sdk.protocol.timeutil import format_time
from client_sdk.requests import DataRequest

__all__ = ["export_document"]


def _text(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("utf-8", errors="replace")


def export_document(app_id: str, store: Store, records: Sequence[LedgerRecord],
                    requests: Sequence[DataRequest], now: datetime,
                    others: OtherDevices | None = None) -> bytes:
    """The export document as indented UTF-8 JSON (see the module docstring).

    Raises:
        StorageError: the store could not be read.
    """
    install = _text(store.get_meta("install_id"))
    others = others or OtherDevices("not_linked")
    doc: dict[str, Any] = {
        "_type": "kelisim-export", "spec_version": 1, "app": app_id,
        "install_id": install, "exported_at": format_time(now),
        "records": [{**r.to_json(), "status": r.status, "reason": r.reason,
                     "receipt": _text(r.receipt), "install_id": install, "device": "this"}
                    for r in records] + [
            {**r, "device": "this" if r["install_id"] == install else "other"}
            for r in others.records],
        "requests": [{"id": q.id, "kind": q.kind, "created_at": q.created_at,
                      "note": q.note, "withdraw": q.withdraw, "status": q.status,
                      "received_at": q.received_at, "deadline": q.deadline,
                      "answered_at": q.answered_at, "answer": q.answer, "reason": q.reason,
                      "receipt": _text(q.receipt)} for q in requests],
        "other_devices": others.to_json(),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")
