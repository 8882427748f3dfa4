"""The data subject's requests and export, as methods of ``ConsentClient`` (it derives
from :class:`SubjectRequests`): filing a request of any kind (Law 94-V Art. 24), the
requests with their status, reading their status back after a sync, and the export of the
user's own data. The rules are :func:`client_sdk.protocol.rules.check_request`'s; rows and
the status pull are :mod:`client_sdk._internal.requests`'s.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from client_sdk._internal import recording
from client_sdk._internal.ledger import LedgerRecord, apply
from client_sdk._internal.store import Store
from client_sdk.decision import ConsentState, GrantChange
from client_sdk.errors import ConsentError
from client_sdk.protocol.model import Manifest, Version

if TYPE_CHECKING:
    from client_sdk._internal.devices import OtherDevices
    from client_sdk._internal.trust import TrustedState
    from client_sdk.requests import DataExport, DataRequest
    from client_sdk.transport import Transport

__all__ = ["SubjectRequests"]


class SubjectRequests:
    """What ``ConsentClient`` adds for the data subject's rights (see the module
    docstring); it uses the client's store, lock, state, clock and transport."""

    app_id: str
    server_url: str
    preferred_locales: tuple[str, ...]
    store: Store
    clock: Callable[[], datetime]
    _lock: threading.RLock
    _state: ConsentState
    _trust: TrustedState

    if TYPE_CHECKING:
        @property
        def subject_linked(self) -> bool: ...
        @property
        def manifest(self) -> Manifest | None: ...
        @property
        def transport(self) -> Transport: ...
        def current_version(self, now: datetime | None = None) -> Version: ...
        def history(self) -> list[LedgerRecord]: ...
        def remembered_locale(self) -> str | None: ...
        def _stamp(self, now: datetime) -> recording.Stamp: ...
        def _notify(self, cause: str) -> GrantChange | None: ...

    def request_deletion(self, withdraw: bool = False) -> LedgerRecord:
        """Ask the operator to delete this user's data: :meth:`request` of kind
        ``deletion``. ``withdraw``: the user chose to withdraw consent in the same step
        (recorded with the request, and a withdrawal is recorded first when consent
        stands). Recorded at once, sent by ``sync()``.

        Raises:
            UsageError: no verified manifest yet, or ``withdraw`` not a bool.
            StorageError: the records could not be written.
        """
        return self.request("deletion", withdraw=withdraw)

    def request(self, kind: str, note: str | None = None, *,
                withdraw: bool | None = None) -> LedgerRecord:
        """File a request of the data subject (Law 94-V Art. 24): ``access`` (what do you
        hold about me), ``rectification`` (``note`` says what to correct: required),
        ``blocking`` (restrict processing) or ``deletion`` (``withdraw``: whether the
        user withdraws consent in the same step; default False). Durable when it returns;
        ``sync()`` sends it and keeps its signed receipt; :meth:`requests` shows where it
        stands. Returns the request's ledger record.

        Raises:
            UsageError: no verified manifest, or a bad ``kind``, ``note`` or ``withdraw``
                (the message names the field; nothing is recorded).
            StorageError: the records could not be written.
        """
        if kind == "deletion" and withdraw is None:
            withdraw = False
        now = self.clock()
        version = self.current_version(now)
        rec = recording.request(version, self._stamp(now), kind, note, withdraw)
        with self._lock:
            records = []
            if withdraw is True and self._state.status == "accepted":
                records.append(recording.withdraw(version, self._state, self._stamp(now)))
            records.append(rec)
            self.store.append_request(records, rec.id, note, withdraw)
            for r in records:
                self._state = apply(self._state, r)
        if len(records) > 1:
            # Consent was withdrawn with the request: listeners are told, as by withdraw().
            self._notify("withdraw")
        return rec

    def requests(self) -> list[DataRequest]:
        """Every request filed on this device, oldest first, with its status: pending,
        rejected, open (received, deadline), resolved or refused (with the operator's
        answer). ``sync()`` reads the status back while a request is open.

        Raises:
            StorageError: the store could not be read.
        """
        from client_sdk._internal.requests import from_row

        return [from_row(r, self.store.path) for r in self.store.request_rows()]

    def export_my_data(self, locale: str | None = None, *, other_devices: bool = True,
                       time_limit: float = 60.0) -> DataExport:
        """The user's own data, to save or share (the right of access): ``json`` (UTF-8
        bytes: every consent record with its status, signed receipt and the install that
        made it, and every request) and ``summary`` (plain text in ``locale``, default the
        remembered or first preferred language; see docs/sdk.md).

        A linked install (``subject_linked``) also reads the subject's records from every
        other linked device from the server (``other_devices`` False: this device's only,
        no network), each kept only when its signed receipt verifies. Without the network
        (or on any error answer) the export is this device's alone and says so: the
        document's ``other_devices.state`` is ``missing`` with the reason, and the
        summary states the gap. Reading them stops at ``time_limit`` seconds (checked
        before each page: the wait is at most that plus one request's transport
        deadline) or at a page, byte or repeated-cursor limit, and the export then says
        the other devices are missing, with the reason.

        Raises:
            StorageError: the store could not be read.
        """
        from client_sdk._internal.devices import OtherDevices
        from client_sdk._internal.export import export_document
        from client_sdk.requests import DataExport
        from client_sdk.ui.summary import export_summary

        tag = locale or self.remembered_locale() or (self.preferred_locales or ("en",))[0]
        now, records, requests = self.clock(), self.history(), self.requests()
        manifest = self.manifest
        if not self.subject_linked:
            others = OtherDevices("not_linked")
        elif not other_devices:
            others = OtherDevices("not_asked")
        else:
            others = self._other_devices(records, time_limit)
        # The manifest names the controller, not the app: the summary names both.
        name = f"{self.app_id} ({manifest.controller.name})" if manifest else self.app_id
        install = self.store.get_meta("install_id")
        mine = install.decode("utf-8", "replace") if install else None
        return DataExport(export_document(self.app_id, self.store, records, requests, now,
                                          others),
                          export_summary(name, records, requests, tag, now,
                                         others=others, install_id=mine), tag,
                          f"kelisim-{self.app_id}-{now.strftime('%Y%m%d-%H%M%S')}")

    def _other_devices(self, records: list[LedgerRecord], time_limit: float
                       ) -> OtherDevices:
        from client_sdk._internal.devices import other_devices

        return other_devices(self.store, self.transport, self._trust.root.root,
                             base_url=self.server_url, app_id=self.app_id,
                             local_ids=[r.id for r in records], time_limit=time_limit)

    def _sync_requests(self) -> ConsentError | None:
        """After the upload: read back the status of requests not yet answered."""
        from client_sdk._internal.requests import pull_status

        try:
            pull_status(self.store, self.transport, base_url=self.server_url,
                        app_id=self.app_id, now=self.clock())
        except ConsentError as exc:
            return exc
        return None
