"""``ConsentClient``: the facade an app uses, and the one class of the SDK that holds state.

It does the reading, writing and fetching; the rules are pure functions elsewhere: trust
in :mod:`client_sdk._internal.trust`, what to show in :mod:`client_sdk.decision`, what a
decision records in :mod:`client_sdk._internal.recording` (over
:mod:`client_sdk.protocol.rules`). Fetching is in :mod:`client_sdk._internal.updater` and
:mod:`client_sdk._internal.sync` (imported on the first sync: an app's first frame does not
wait for it).

Thread safety: ``refresh()`` may run on a worker thread while the UI thread calls
``decide()``, ``accept()`` and the rest. Refresh builds new trusted state on the side and
swaps it in under a lock; a decision reads the user's state, checks it and appends its
record under that lock, so two threads never both withdraw the same consent; the store
serialises its own writes.

Listeners (``add_listener``) hear every change of what is granted, whatever caused it: a
decision, a refresh, or time passing (``check()``, at ``next_change_at()``). They run in
the thread that made the change, one change at a time and in order; an exception in one is
logged and never reaches the SDK.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from client_sdk._internal import recording
from client_sdk._internal.gating import Gating
from client_sdk._internal.ledger import LedgerRecord, apply
from client_sdk._internal.linking import SubjectLinks
from client_sdk._internal.listeners import Listener, Listeners
from client_sdk._internal.locales import negotiate
from client_sdk._internal.logaccess import LogAccess
from client_sdk._internal.rights import SubjectRequests
from client_sdk._internal.store import Store, check_owner
from client_sdk._internal.subjects import META_KEYS
from client_sdk._internal.trust import TrustedManifest, TrustedState
from client_sdk._internal.updater import Limits, fetch_document, launch_root, load_bundle, update
from client_sdk.decision import (
    ConsentState,
    Decision,
    decide,
    effective_view,
)
from client_sdk.errors import ConsentError, NetworkError, RepositoryError, UsageError
from client_sdk.protocol.model import Manifest, Version
from client_sdk.protocol.record import Record, record
from client_sdk.protocol.timeutil import utcnow

if TYPE_CHECKING:
    from client_sdk._internal.sync import SyncResult
    from client_sdk.protocol.bundle import AppBundle
    from client_sdk.transport import Transport

log = logging.getLogger("kelisim")

__all__ = ["ConsentClient", "Listener", "RefreshResult"]


@record
class RefreshResult(Record):
    """What ``refresh()`` did. ``error`` is set when it failed; the old state stays."""

    ok: bool
    updated: bool
    root_version: int
    manifest_seq: int | None
    error: ConsentError | None = None


class ConsentClient(Gating, SubjectRequests, SubjectLinks, LogAccess):
    """The SDK's facade: verified policy, the user's decisions, sync (docs/sdk.md); what is
    granted and who is told is :class:`Gating`'s, the data subject's requests and export
    are :class:`SubjectRequests`'s, signed-in users :class:`SubjectLinks`', proof files
    and log evidence :class:`LogAccess`'."""

    def __init__(
        self,
        server_url: str,
        app_id: str,
        trusted_root: bytes,
        data_dir: str | Path,
        preferred_locales: Sequence[str] = ("kk", "ru"),
        bundled_manifest: bytes | None = None,
        transport: Transport | None = None,
        *,
        bundled_documents: Mapping[str, bytes] | None = None,
        bundled_manifest_proof: bytes | None = None,
        clock: Callable[[], datetime] | None = None,
        max_root_bytes: int = 64 * 1024,
        max_manifest_bytes: int = 1024 * 1024,
        max_document_bytes: int = 4 * 1024 * 1024,
        lock_timeout: float = 3.0,
    ) -> None:
        """Open the local store and load the last verified state.

        ``trusted_root`` is the root envelope the app ships (``kelisim root show
        --version 1``). ``bundled_manifest`` and ``bundled_documents`` (sha256 -> bytes) let
        a first launch work offline; they are verified like downloads (with
        ``bundled_manifest_proof``, its policy-log proof, when the root asks). ``clock`` (default:
        the system clock) returns an aware datetime. ``lock_timeout``: seconds to wait for
        a store another process holds.

        A stored root or manifest that no longer parses or verifies is not fatal: the client
        falls back to the pinned root (and the bundle), and says so in ``launch_warnings``
        and the ``kelisim`` logger.

        Raises:
            RepositoryError: ``trusted_root`` is not a validly self-signed root, or the
                bundled manifest or documents fail verification.
            WrongAppError: ``data_dir`` holds the store of another app: each app needs a
                folder of its own (nothing in it is read or changed).
            StorageError: the store cannot be opened, is empty, or holds rows the SDK never
                writes; StoreLockedError when another process holds it past ``lock_timeout``.
        """
        self.server_url = server_url.rstrip("/")
        self.app_id = app_id
        self.preferred_locales = tuple(preferred_locales)
        self._transport = transport
        self.clock: Callable[[], datetime] = clock or utcnow
        self.launch_warnings: tuple[str, ...] = ()
        self.max_root_bytes = max_root_bytes
        self.max_manifest_bytes = max_manifest_bytes
        self.max_document_bytes = max_document_bytes
        self._limits = Limits(max_root_bytes, max_manifest_bytes, max_document_bytes)
        self._lock = threading.RLock()
        self._refresh_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._rng = random.Random()  # noqa: S311 - backoff jitter, not a secret
        self.store = Store(Path(data_dir), lock_timeout=lock_timeout)
        try:
            meta, records = self.store.launch_snapshot(("pinned_sha256", "root", "manifest",
                                                        "app_id", *META_KEYS))
            check_owner(app_id, meta, self.store.path)
        except BaseException:
            self.store.close()
            raise
        root, self._unsaved_meta = launch_root(trusted_root, meta, self._warn)
        if "app_id" not in meta:
            self._unsaved_meta["app_id"] = app_id.encode()
        self._trust = TrustedState(app_id, root)
        stored = meta.get("manifest")
        if stored is not None:
            try:
                self._trust.manifest = TrustedManifest(stored,
                                                       self._trust.verify_manifest(stored))
            except RepositoryError as exc:
                # Signed under a root we no longer trust, or damaged: refresh() or the
                # bundle brings a good one.
                self._warn(f"the stored manifest is not used ({exc})")
        if bundled_manifest is not None and load_bundle(
                self._trust, self.store, bundled_manifest, bundled_documents or {},
                self._unsaved_meta, bundled_manifest_proof):
            self._unsaved_meta = {}
        self._state = self._launch_state(records, meta)
        self._listeners = Listeners(self.decide().granted)

    def _warn(self, message: str) -> None:
        self.launch_warnings = (*self.launch_warnings, message)
        log.warning("%s", message)

    @property
    def transport(self) -> Transport:
        """The network seam; the standard-library HttpTransport unless one was given.
        Made on first use: http.client and ssl load after the first frame, not before."""
        if self._transport is None:
            from client_sdk.transport import HttpTransport

            self._transport = HttpTransport()
        return self._transport

    @transport.setter
    def transport(self, value: Transport) -> None:
        self._transport = value

    # -- reading ------------------------------------------------------------------------
    @property
    def manifest(self) -> Manifest | None:
        m = self._trust.manifest
        return m.manifest if m is not None else None

    @property
    def root_version(self) -> int:
        return self._trust.root.root.version

    def consent_state(self) -> ConsentState:
        return self._state

    def decide(self, now: datetime | None = None) -> Decision:
        """What to show now. Local and fast: no network, no disk."""
        moment = now or self.clock()
        with self._lock:
            manifest = self.manifest
            state = self._state
        stale = manifest is not None and manifest.expires <= moment
        return decide(manifest, state, moment, self.preferred_locales, stale=stale)

    def current_version(self, now: datetime | None = None) -> Version:
        """The version in effect now (an upcoming one once its time has come).

        Raises:
            UsageError: no verified manifest yet.
        """
        manifest = self.manifest
        if manifest is None:
            raise UsageError("no verified manifest yet: call refresh() or pass "
                             "bundled_manifest")
        return effective_view(manifest, now or self.clock()).current

    def _find_version(self, number: int) -> Version:
        manifest = self.manifest
        if manifest is None:
            raise UsageError("no verified manifest yet")
        for v in (manifest.current, manifest.upcoming):
            if v is not None and v.version == number:
                return v
        raise UsageError(f"version {number} is not in the trusted manifest")

    def document(self, locale: str | None = None, version: int | None = None) -> str:
        """The verified Markdown of ``version`` (default: current) in ``locale`` (default:
        negotiated). Fetched and checked when not cached.

        Raises:
            UsageError: no manifest, or the version has no such locale.
            NetworkError, DocumentMismatchError: it had to be fetched and that failed.
        """
        v = self._find_version(version) if version is not None else self.current_version()
        tag = locale or negotiate(self.preferred_locales, v.locales, v.default_locale)
        doc = v.locales.get(tag)
        if doc is None:
            raise UsageError(f"version {v.label} has no {tag!r} document; it has "
                             f"{', '.join(sorted(v.locales))}")
        data = self.store.get_document(doc.sha256)
        if data is None:
            data = fetch_document(self.transport, self.server_url, tag, doc, self._limits)
            self.store.put_document(doc.sha256, data)
        return data.decode("utf-8")

    def history(self) -> list[LedgerRecord]:
        """Every decision recorded on this device, oldest first, with sync status."""
        return self.store.records()

    # -- decisions (rules: client_sdk._internal.recording) --------------------------------
    def _stamp(self, now: datetime) -> recording.Stamp:
        import uuid  # (and platform, which it imports) on the first decision, not at launch

        manifest = self.manifest
        # Without a manifest every decision is refused before it is recorded (_append).
        return recording.Stamp(str(uuid.uuid4()), now, manifest.seq if manifest else 0)

    def _append(self, record: LedgerRecord) -> LedgerRecord:
        """Store ``record`` durably and fold it into the state (the ledger is append-only:
        no need to read it all again). Called under ``self._lock``."""
        assert record.manifest_seq >= 1
        self.store.append(record)
        self._state = apply(self._state, record)
        return record

    def accept(self, purposes: Iterable[str] | Mapping[str, bool] | None = None,
               locale: str | None = None, evidence: Mapping[str, Any] | None = None,
               age_confirmed: bool | None = None,
               guardian: Mapping[str, Any] | None = None) -> LedgerRecord:
        """Record consent to the current version. Durable when it returns.

        ``purposes``: the optional purposes the user switched on (ids), or a mapping
        ``{id: bool}``; required purposes are always part of an acceptance. ``evidence``:
        what happened on screen (``layers_shown``, ``full_text_opened``, ``scrolled_to_end``,
        ``seconds_on_screen``, ``seconds_by_layer``, ``ui_locale``; see
        :func:`client_sdk.protocol.rules.check_evidence`); seconds may be floats, they are
        rounded. When the version sets ``min_age``, ``age_confirmed`` must be given; a user
        below it can consent only with ``guardian`` (``{"name": ..., "relation": ...}``)
        where the version allows it. The rules are :mod:`client_sdk.protocol.rules`'s.

        Raises:
            UsageError: no manifest, an unknown purpose, a required purpose refused, a
                locale without a document, bad evidence, or a missing age confirmation.
            StorageError: the record could not be written.
        """
        now = self.clock()
        v = self.current_version(now)
        rec = recording.accept(v, self._stamp(now), purposes, locale=locale,
                               preferred_locales=self.preferred_locales, evidence=evidence,
                               age_confirmed=age_confirmed, guardian=guardian)
        with self._lock:
            self._append(rec)
        self._notify("accept")
        return rec

    def decline(self, locale: str | None = None,
                evidence: Mapping[str, Any] | None = None) -> LedgerRecord:
        """Record that the user declined the current version, in ``locale`` (default:
        negotiated) as :meth:`accept` takes it.

        Raises:
            UsageError: no manifest, a locale without a document, or bad evidence.
            StorageError: the record could not be written.
        """
        now = self.clock()
        rec = recording.decline(self.current_version(now), self._stamp(now), locale=locale,
                                preferred_locales=self.preferred_locales, evidence=evidence)
        with self._lock:
            self._append(rec)
        self._notify("decline")
        return rec

    def withdraw(self, purposes: Iterable[str] | None = None) -> LedgerRecord:
        """Withdraw consent: all of it (``purposes=None``, or any required purpose among
        them), or only the named optional purposes.

        Raises:
            UsageError: no manifest, nothing accepted, or an unknown purpose.
            StorageError: the record could not be written.
        """
        now = self.clock()
        v = self.current_version(now)
        with self._lock:  # the state checked is the state the record follows
            rec = self._append(recording.withdraw(v, self._state, self._stamp(now),
                                                  purposes))
        self._notify("withdraw")
        return rec

    def update_purposes(self, changes: Mapping[str, bool]) -> LedgerRecord:
        """Switch optional purposes on or off under the existing consent.

        Raises:
            UsageError: nothing accepted, an unknown purpose, or a required one switched off.
            StorageError: the record could not be written.
        """
        now = self.clock()
        v = self.current_version(now)
        with self._lock:
            rec = self._append(recording.update(v, self._state, self._stamp(now), changes))
        self._notify("update")
        return rec

    def acknowledge_notice(self) -> LedgerRecord:
        """Record that the user saw the NOTICE or UPCOMING notice ``decide()`` gives now.

        Raises:
            UsageError: ``decide()`` shows no notice.
            StorageError: the record could not be written.
        """
        now = self.clock()
        with self._lock:
            decision = self.decide(now)
            rec = self._append(recording.acknowledge(decision, self._stamp(now)))
        self._notify("acknowledge")
        return rec

    # -- network ------------------------------------------------------------------------
    def refresh(self) -> RefreshResult:
        """Walk the root forward, fetch and verify the manifest and documents.

        Never raises for network or server problems: the result carries the error and the
        last verified state stays in force.
        """
        with self._refresh_lock:
            before = self._trust
            try:
                trust, updated = update(before, store=self.store, transport=self.transport,
                                        server_url=self.server_url, now=self.clock(),
                                        preferred_locales=self.preferred_locales,
                                        limits=self._limits, extra_meta=self._unsaved_meta)
            except ConsentError as exc:
                return RefreshResult(False, False, before.root.root.version,
                                     before.manifest.manifest.seq if before.manifest else None,
                                     exc)
            with self._lock:
                self._trust = after = trust
                self._unsaved_meta = {}
            self._follow_subject("refresh")
            self._notify("refresh")
            return RefreshResult(True, updated, after.root.root.version,
                                 after.manifest.manifest.seq if after.manifest else None)

    # -- sync ---------------------------------------------------------------------------
    def sync(self, *, force: bool = False) -> SyncResult:
        """Upload recorded decisions; safe to call any time, from any thread.

        Registers the install on first use. Records whose last attempt failed wait
        (exponential backoff with jitter, kept across restarts) unless ``force``. A record
        counts as synced only once a receipt signed by the root's receipt keys confirms
        exactly it. Then, while a request is open, its status is read back from the
        install's history (:meth:`requests`). Never raises for network or server problems:
        see ``SyncResult.error``.
        """
        from client_sdk._internal.sync import SyncResult, run_sync

        with self._sync_lock:
            try:
                result = run_sync(self.store, self.transport, base_url=self.server_url,
                                  app_id=self.app_id, root=self._trust.root.root,
                                  now=self.clock(), rng=self._rng, force=force)
            except ConsentError as exc:  # storage failures included; nothing was lost
                return SyncResult(False, 0, -1, exc)
            failed = self._sync_requests() if result.ok else None
            down = isinstance(result.error, NetworkError) and result.error.status is None
            lost, unread = ((), None) if down else self._follow_subject("sync")
            error = result.error or failed or unread
            return SyncResult(error is None, result.synced, result.pending, error,
                              result.rejected, lost, result.log_evidence)

    def close(self) -> None:
        self.store.close()

    # -- added for the Kivy widgets (issue 11) ------------------------------------------
    def remember_locale(self, tag: str) -> None:
        """Remember the language the user chose on a consent screen: it is stored (kept
        across launches, see :meth:`remembered_locale`) and goes first in
        ``preferred_locales`` so ``decide()`` negotiates it too.

        Raises:
            StorageError: it could not be stored.
        """
        self.store.put_meta({"ui_locale": tag.encode()})
        self.preferred_locales = (tag, *(t for t in self.preferred_locales if t != tag))

    def remembered_locale(self) -> str | None:
        """The language :meth:`remember_locale` stored, or None."""
        raw = self.store.get_meta("ui_locale")
        return raw.decode() if raw else None

    @classmethod
    def from_bundle(cls, server_url: str, bundle: str | Path | bytes | AppBundle,
                    data_dir: str | Path, preferred_locales: Sequence[str] = ("kk", "ru"),
                    transport: Transport | None = None, **kw: Any) -> ConsentClient:
        """A client that pins the bundle's root and starts from its manifest and
        documents (``kelisim bundle``; see :mod:`client_sdk.protocol.bundle`), verified like
        downloads.

        Raises:
            FormatError: not a bundle.
            RepositoryError: the bundle's root, manifest or documents fail verification
                (a manifest for another app included).
            StorageError: the store cannot be opened.
        """
        from client_sdk.protocol.bundle import AppBundle, load_bundle

        b = bundle if isinstance(bundle, AppBundle) else load_bundle(bundle)
        return cls(server_url, b.app_id, b.root, data_dir, preferred_locales,
                   bundled_manifest=b.manifest, transport=transport,
                   bundled_documents=b.documents, bundled_manifest_proof=b.manifest_proof,
                   **kw)

