"""``DataRequest``: a request of the data subject (access, rectification, blocking,
deletion; Law 94-V Art. 24) as the app sees it, from the moment it is recorded on the
device to the operator's answer. ``ConsentClient.requests()`` returns them.

``status`` (:data:`REQUEST_STATES`):

- ``pending``: recorded on the device, not yet confirmed by the server's signed receipt;
- ``rejected``: the server refused it for good (``reason`` says why; not sent again);
- ``open``: received (``received_at``), to be answered by ``deadline``;
- ``resolved`` or ``refused``: answered at ``answered_at``, with the operator's ``answer``.

``received_at`` and ``deadline`` come from the signed receipt; the answer from the
install's history, read by ``sync()`` while a request is open (``checked_at``: when).

``DataExport``: the user's own data on the device, to save or share (the right of access).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from client_sdk.protocol.record import Record, record
from client_sdk.protocol.records import REQUEST_KINDS, RequestKind

__all__ = ["REQUEST_KINDS", "REQUEST_STATES", "DataExport", "DataRequest", "RequestKind",
           "RequestState"]

RequestState = Literal["pending", "rejected", "open", "resolved", "refused"]
REQUEST_STATES: Final[tuple[RequestState, ...]] = get_args(RequestState)


@record
class DataRequest(Record):
    """One request and where it stands (see the module docstring). Times are RFC 3339
    UTC strings."""

    id: str
    kind: RequestKind
    created_at: str
    note: str | None
    withdraw: bool | None
    status: RequestState
    received_at: str | None = None
    deadline: str | None = None
    answered_at: str | None = None
    answer: str | None = None
    reason: str | None = None
    receipt: bytes | None = None
    checked_at: str | None = None

    @property
    def answered(self) -> bool:
        return self.status in ("resolved", "refused")


@record
class DataExport(Record):
    """What ``ConsentClient.export_my_data()`` returns: ``json`` (UTF-8 bytes of the
    export document, docs/sdk.md), ``summary`` (plain text in ``locale``, Markdown
    headings) and a suggested ``filename`` stem (``kelisim-<app>-<date>``)."""

    json: bytes
    summary: str
    locale: str
    filename: str
