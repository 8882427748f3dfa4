"""Signed-in users on several devices, as methods of ``ConsentClient`` (it derives from
:class:`SubjectLinks`): ``link_subject(token)`` on sign-in, ``unlink_subject()`` on
sign-out, the subject's verified state, and keeping the consent state in step with it
after every sync and refresh. How records and statements travel is
:mod:`client_sdk._internal.subjects`'s.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from client_sdk._internal import recording
from client_sdk._internal.ledger import LedgerRecord
from client_sdk._internal.store import Store
from client_sdk._internal.subjects import (
    LINKED,
    STATE,
    fetch_state,
    load_statement,
    merged_state,
    superseded,
    token_key,
)
from client_sdk.decision import ConsentState, GrantChange
from client_sdk.errors import ConsentError, UsageError
from client_sdk.protocol.model import Version
from client_sdk.protocol.subjects import SubjectState

if TYPE_CHECKING:
    from client_sdk._internal.sync import SyncResult
    from client_sdk._internal.trust import TrustedState
    from client_sdk.transport import Transport

__all__ = ["SubjectLinks"]

log = logging.getLogger("kelisim")
_TOKEN = re.compile(r"kls_link_[A-Za-z0-9_-]{20,100}")


class SubjectLinks:
    """What ``ConsentClient`` adds for subjects (see the module docstring)."""

    app_id: str
    server_url: str
    store: Store
    clock: Callable[[], datetime]
    _lock: threading.RLock
    _state: ConsentState
    _trust: TrustedState

    if TYPE_CHECKING:
        @property
        def transport(self) -> Transport: ...
        def current_version(self, now: datetime | None = None) -> Version: ...
        def _stamp(self, now: datetime) -> recording.Stamp: ...
        def _notify(self, cause: str) -> GrantChange | None: ...
        def sync(self, *, force: bool = False) -> SyncResult: ...

    def link_subject(self, token: str) -> SyncResult:
        """Link this install to the operator's signed-in user: ``token`` is the link token
        the app's backend obtained (``POST .../operator/subjects/link-tokens``). A ``link``
        record is stored at once with the token, and sent now (a sync); offline it goes
        with a later sync, while the token lasts. Once the server linked it, the user's
        consent from the other devices applies here (``decide()``, ``is_granted``).

        The result is the sync's: ``subject_linked`` says whether the link is in force; a
        token the server refused for good (used, expired, another app's) is in
        ``history()`` as a rejected record with the server's reason.

        Raises:
            UsageError: not a link token, or no verified manifest yet.
            StorageError: the record could not be written.
        """
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            raise UsageError("not a link token (kls_link_...): pass the token your "
                             "backend received from the operator API")
        now = self.clock()
        rec = recording.subject_link(self.current_version(now), self._stamp(now), "link")
        with self._lock:
            self.store.append_with_meta(rec, {token_key(rec.id): token.encode()})
        return self.sync()

    def unlink_subject(self) -> SyncResult:
        """Unlink this install from its user (sign-out): an ``unlink`` record, stored at
        once and sent now (or with a later sync). From then on this device's decisions
        are its own again; the consent in force stays as it was.

        Raises:
            UsageError: the install was never linked, or is unlinked already.
            StorageError: the record could not be written.
        """
        links = [r for r in self.store.records()
                 if r.action in ("link", "unlink") and r.status != "rejected"]
        if not links or links[-1].action != "link":
            raise UsageError("this install is not linked to a subject: nothing to unlink")
        now = self.clock()
        rec = recording.subject_link(self.current_version(now), self._stamp(now), "unlink")
        with self._lock:
            self.store.append_with_meta(rec, {LINKED: None})
        return self.sync()

    @property
    def subject_linked(self) -> bool:
        """Whether the server linked this install to a subject (and it was not unlinked)."""
        return self.store.get_meta(LINKED) is not None

    def subject_state(self) -> SubjectState | None:
        """The subject's consent as the server last signed it (verified), or None."""
        return load_statement(self.store, self._trust.root.root, self.app_id)[0]

    def _launch_state(self, records: list[LedgerRecord], meta: dict[str, bytes]
                      ) -> ConsentState:
        if STATE not in meta:
            return merged_state(records, None, None)
        statement, cover = load_statement(self.store, self._trust.root.root, self.app_id,
                                          meta)
        return merged_state(records, statement, cover)

    def _follow_subject(self, cause: str) -> tuple[tuple[str, ...], ConsentError | None]:
        """A linked install: fetch the subject's state, fold it in and tell the listeners.
        Returns this device's decisions it overrode, and the error that stopped it."""
        from client_sdk._internal.sync import _Session

        if not self.subject_linked:
            return (), None
        root = self._trust.root.root
        before = load_statement(self.store, root, self.app_id)[0]
        try:
            after = fetch_state(_Session(self.store, self.transport, self.server_url,
                                         self.app_id), root, self.app_id)
        except ConsentError as exc:
            log.warning("the subject's state could not be read: %s", exc)
            return (), exc
        records = self.store.records()
        with self._lock:
            statement, cover = load_statement(self.store, root, self.app_id)
            self._state = merged_state(records, statement, cover)
        self._notify(cause)
        if after is None:
            return (), None
        install = self.store.get_meta("install_id")
        return superseded(records, before, after,
                          install.decode() if install else None), None
