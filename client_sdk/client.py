"""``ConsentClient``: the facade an app uses. It does the reading, writing and fetching;
the rules live in :mod:`trust` and :mod:`decision`.

Thread safety: ``refresh()`` may run on a worker thread while the UI thread calls
``decide()``, ``accept()`` and the rest. Refresh builds new trusted state on the side and
swaps it in under a lock; the store serialises its own writes.
"""

from __future__ import annotations

import hashlib
import math
import random
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import rules
from .decision import ConsentState, Decision, Kind, decide, effective_view
from .envelope import PAYLOAD_ROOT, parse_envelope
from .errors import ConsentError, ExpiredError, NetworkError, RepositoryError, UsageError
from .ledger import apply, derive_state
from .locales import negotiate
from .model import Manifest, Root, Version
from .store import LedgerRecord, Store
from .sync import SyncResult, run_sync
from .timeutil import format_time, utcnow

if TYPE_CHECKING:
    from .appbundle import AppBundle
    from .transport import Transport
from .trust import TrustedManifest, TrustedRoot, TrustedState, check_document, load_root

__all__ = ["ConsentClient", "RefreshResult", "SyncResult"]

MAX_ROOT_WALK = 32


@dataclass(frozen=True)
class RefreshResult:
    """What ``refresh()`` did. ``error`` is set when it failed; the old state stays."""

    ok: bool
    updated: bool
    root_version: int
    manifest_seq: int | None
    error: ConsentError | None = None


class ConsentClient:
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
        clock: Callable[[], datetime] = utcnow,
        max_root_bytes: int = 64 * 1024,
        max_manifest_bytes: int = 1024 * 1024,
        max_document_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        """Open the local store and load the last verified state.

        ``trusted_root`` is the root envelope the app ships (``kelisim root show
        --version 1``). ``bundled_manifest`` and ``bundled_documents`` (sha256 -> bytes) let
        a first launch work offline; they are verified like downloads.

        Raises:
            RepositoryError: ``trusted_root`` is not a validly self-signed root, or the
                bundled manifest or documents fail verification.
            StorageError: the store cannot be opened.
        """
        self.server_url = server_url.rstrip("/")
        self.app_id = app_id
        self.preferred_locales = tuple(preferred_locales)
        self._transport = transport
        self.clock = clock
        self.max_root_bytes = max_root_bytes
        self.max_manifest_bytes = max_manifest_bytes
        self.max_document_bytes = max_document_bytes
        self._lock = threading.RLock()
        self._refresh_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._rng = random.Random()  # noqa: S311 - backoff jitter, not a secret
        self.store = Store(Path(data_dir))
        meta, records = self.store.launch_snapshot(("pinned_sha256", "root", "manifest"))
        pinned_hash = hashlib.sha256(trusted_root).hexdigest().encode()
        stored_root = meta.get("root")
        if stored_root is not None and meta.get("pinned_sha256") == pinned_hash:
            # This pinned root was verified on an earlier launch and the stored root was
            # reached from it; the local store is trusted like the app's own files.
            env = parse_envelope(stored_root, PAYLOAD_ROOT)
            root = TrustedRoot(stored_root,
                               Root.from_payload(env.payload_json(), verify_keyids=False))
        else:
            root = load_root(trusted_root)
            if stored_root is not None:
                env = parse_envelope(stored_root, PAYLOAD_ROOT)
                candidate = Root.from_payload(env.payload_json())
                if candidate.version >= root.root.version:
                    root = TrustedRoot(stored_root, candidate)
            self.store.put_meta({"pinned_sha256": pinned_hash, "root": root.raw})
        self._trust = TrustedState(app_id, root)
        stored = meta.get("manifest")
        if stored is not None:
            try:
                self._trust.manifest = TrustedManifest(stored,
                                                       self._trust.verify_manifest(stored))
            except RepositoryError:
                self._trust.manifest = None  # signed under a root we no longer trust
        if bundled_manifest is not None:
            self._load_bundle(bundled_manifest, bundled_documents or {})
        self._state = derive_state(records)

    def _load_bundle(self, raw: bytes, documents: Mapping[str, bytes]) -> None:
        trusted = self._trust.manifest
        if trusted is not None and (raw == trusted.raw or _seq_of(raw) <= trusted.manifest.seq):
            # The app passes its bundle at every launch; once the store holds the same or a
            # newer manifest, the bundle is not used, so it need not be verified again.
            return
        manifest = self._trust.verify_manifest(raw, url="bundled manifest")
        checked: dict[str, bytes] = {}
        versions = [manifest.current, *([manifest.upcoming] if manifest.upcoming else [])]
        for version in versions:
            for tag, doc in version.locales.items():
                data = documents.get(doc.sha256)
                if data is not None:
                    check_document(data, doc, url=f"bundled document {tag}")
                    checked[doc.sha256] = data
        meta: dict[str, bytes | None] = {}
        if trusted is None or manifest.seq > trusted.manifest.seq:
            # A bundle is used even when expired (offline first launch); decide() marks it
            # stale until refresh() brings a fresh one.
            self._trust.manifest = TrustedManifest(raw, manifest)
            meta = {"manifest": raw, "manifest_etag": None}
        # One transaction (one fsync) for the whole bundle: this is the first launch.
        if meta or checked.keys() - self.store.has_documents(checked):
            self.store.put_documents(checked, meta)

    @property
    def transport(self) -> Transport:
        """The network seam; the standard-library HttpTransport unless one was given.
        Made on first use: http.client and ssl load after the first frame, not before."""
        if self._transport is None:
            from .transport import HttpTransport

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
            data = self._fetch_document(tag, doc)
        return data.decode("utf-8")

    def _fetch_document(self, tag: str, doc: Any) -> bytes:
        url = self.server_url + doc.url
        resp = self.transport.fetch(url, max_bytes=min(doc.length, self.max_document_bytes))
        if resp.status != 200:
            raise NetworkError(f"document {tag} answered HTTP {resp.status}",
                               status=resp.status, url=url)
        check_document(resp.body, doc, url=url)
        self.store.put_document(doc.sha256, resp.body)
        return resp.body

    def is_granted(self, purpose: str) -> bool:
        """Whether the user currently grants ``purpose`` (False after decline/withdraw).

        Raises:
            UsageError: ``purpose`` is in neither the manifest nor the user's choices.
        """
        state = self._state
        manifest = self.manifest
        if manifest is not None and purpose not in state.grants:
            known = {p.id for v in (manifest.current, manifest.upcoming) if v
                     for p in v.purposes}
            if purpose not in known:
                raise UsageError(f"unknown purpose {purpose!r}; the policy has "
                                 f"{', '.join(sorted(known))}")
        return state.status == "accepted" and bool(state.grants.get(purpose))

    def history(self) -> list[LedgerRecord]:
        """Every decision recorded on this device, oldest first, with sync status."""
        return self.store.records()

    # -- network ------------------------------------------------------------------------
    def refresh(self) -> RefreshResult:
        """Walk the root forward, fetch and verify the manifest and documents.

        Never raises for network or server problems: the result carries the error and the
        last verified state stays in force.
        """
        with self._refresh_lock:
            before = self._trust
            try:
                updated = self._refresh()
            except ConsentError as exc:
                return RefreshResult(False, False, before.root.root.version,
                                     before.manifest.manifest.seq if before.manifest else None,
                                     exc)
            after = self._trust
            return RefreshResult(True, updated, after.root.root.version,
                                 after.manifest.manifest.seq if after.manifest else None)

    def _refresh(self) -> bool:
        now = self.clock()
        current = self._trust
        trust = TrustedState(self.app_id, current.root, current.manifest)
        for _ in range(MAX_ROOT_WALK):
            url = f"{self.server_url}/v1/root/{trust.root.root.version + 1}.json"
            resp = self.transport.fetch(url, max_bytes=self.max_root_bytes)
            if resp.status == 404:
                break
            trust.update_root(resp.body, url=url)
        trust.check_root_expiry(now)
        url = f"{self.server_url}/v1/apps/{self.app_id}/manifest.json"
        etag = self.store.get_meta("manifest_etag") if trust.manifest else None
        resp = self.transport.fetch(url, max_bytes=self.max_manifest_bytes,
                                    etag=etag.decode() if etag else None)
        if resp.status == 404:
            raise NetworkError(f"the server has no app {self.app_id!r}", status=404, url=url)
        if resp.status == 304:
            assert trust.manifest is not None
            # Not modified must still mean trusted now: same root keys, not expired.
            manifest = trust.verify_manifest(trust.manifest.raw, url=url)
            if manifest.expires <= now:
                # A server that keeps answering 304 for an expired manifest is freezing us.
                stamp = format_time(manifest.expires)
                raise ExpiredError(f"manifest seq {manifest.seq} expired at {stamp} and the "
                                   f"server answered 304 Not Modified", expires=stamp, url=url)
            updated = trust.root is not current.root
        else:
            trust.update_manifest(resp.body, now, url=url)
            updated = True
        assert trust.manifest is not None
        self._fetch_documents(trust.manifest.manifest)
        self.store.put_meta({"root": trust.root.raw, "manifest": trust.manifest.raw,
                             "manifest_etag": (resp.etag or "").encode() or None})
        with self._lock:
            self._trust = trust
        return updated

    def _fetch_documents(self, manifest: Manifest) -> None:
        for version in (manifest.current, manifest.upcoming):
            if version is None:
                continue
            wanted = {negotiate(self.preferred_locales, version.locales,
                                version.default_locale), version.default_locale}
            for tag in sorted(wanted):
                doc = version.locales[tag]
                if self.store.get_document(doc.sha256) is None:
                    self._fetch_document(tag, doc)

    # -- recording ----------------------------------------------------------------------
    def _record(self, action: str, version: Version, purposes: Mapping[str, bool], *,
                locale: str | None = None, evidence: Mapping[str, Any] | None = None,
                age_confirmed: bool | None = None,
                guardian: Mapping[str, Any] | None = None) -> LedgerRecord:
        manifest = self.manifest
        assert manifest is not None
        doc = version.locales.get(locale) if locale else None
        record = LedgerRecord(
            id=str(uuid.uuid4()), action=action, version=version.version,
            document_sha256=doc.sha256 if doc else None, locale=locale,
            purposes=dict(purposes), evidence=dict(evidence or {}),
            age_confirmed=age_confirmed, guardian=dict(guardian) if guardian else None,
            client_time=format_time(self.clock()), manifest_seq=manifest.seq)
        with self._lock:
            self.store.append(record)
            # The ledger is append-only: fold the new record in, no need to re-read it all.
            self._state = apply(self._state, record)
        return record

    def accept(
        self,
        purposes: Iterable[str] | Mapping[str, bool] | None = None,
        locale: str | None = None,
        evidence: Mapping[str, Any] | None = None,
        age_confirmed: bool | None = None,
        guardian: Mapping[str, Any] | None = None,
    ) -> LedgerRecord:
        """Record consent to the current version. Durable when it returns.

        ``purposes``: the optional purposes the user switched on (ids), or a mapping
        ``{id: bool}``; required purposes are always part of an acceptance. ``evidence``:
        what happened on screen (``layers_shown``, ``full_text_opened``, ``scrolled_to_end``,
        ``seconds_on_screen``, ``seconds_by_layer``, ``ui_locale``; see
        :func:`client_sdk.rules.check_evidence`); seconds may be floats, they are rounded.
        When the version sets ``min_age``, ``age_confirmed`` must be given; a user below it
        can consent only with ``guardian`` (``{"name": ..., "relation": ...}``) where the
        version allows it. The rules are :mod:`client_sdk.rules`'s.

        Raises:
            UsageError: no manifest, an unknown purpose, a required purpose refused, a
                locale without a document, bad evidence, or a missing age confirmation.
            StorageError: the record could not be written.
        """
        v = self.current_version()
        chosen = {k: bool(on) for k, on in purposes.items()} if isinstance(purposes, Mapping) \
            else {p: True for p in (purposes or ())}
        # Required purposes are part of every acceptance unless the caller refused one.
        grants = {p.id: p.required for p in v.purposes} | chosen
        tag = locale or negotiate(self.preferred_locales, v.locales, v.default_locale)
        ev = _evidence(evidence)
        doc = v.locales.get(tag)
        _raise_first(rules.check_accept(v, grants, locale=tag,
                                        document_sha256=doc.sha256 if doc else None,
                                        age_confirmed=age_confirmed, guardian=guardian)
                     + rules.check_evidence(ev))
        grants = {p.id: bool(grants.get(p.id, False)) for p in v.purposes}
        return self._record("accept", v, grants, locale=tag, evidence=ev,
                            age_confirmed=age_confirmed, guardian=guardian)

    def decline(self, locale: str | None = None,
                evidence: Mapping[str, Any] | None = None) -> LedgerRecord:
        """Record that the user declined the current version."""
        v = self.current_version()
        tag = locale if locale is not None and locale in v.locales else \
            negotiate(self.preferred_locales, v.locales, v.default_locale)
        ev = _evidence(evidence)
        refused = {p.id: False for p in v.purposes}
        _raise_first(rules.check_decline(v, refused, locale=tag,
                                         document_sha256=v.locales[tag].sha256)
                     + rules.check_evidence(ev))
        return self._record("decline", v, refused, locale=tag, evidence=ev)

    def withdraw(self, purposes: Iterable[str] | None = None) -> LedgerRecord:
        """Withdraw consent: all of it (``purposes=None``, or any required purpose among
        them), or only the named optional purposes.

        Raises:
            UsageError: no manifest, nothing accepted, or an unknown purpose.
        """
        v = self.current_version()
        if self._state.status != "accepted":
            raise UsageError("there is no consent to withdraw")
        everything = {p.id: False for p in v.purposes}
        if purposes is None:
            _raise_first(rules.check_withdraw(v, everything))
            return self._record("withdraw", v, everything)
        named = {pid: False for pid in purposes}
        _raise_first(rules.check_withdraw(v, named))
        required = {p.id for p in v.purposes if p.required}
        if required & named.keys():
            # Withdrawing a required purpose withdraws the consent as a whole.
            return self._record("withdraw", v, everything)
        _raise_first(rules.check_update(v, named))
        return self._record("update", v, named)

    def update_purposes(self, changes: Mapping[str, bool]) -> LedgerRecord:
        """Switch optional purposes on or off under the existing consent.

        Raises:
            UsageError: nothing accepted, an unknown purpose, or a required one switched off.
        """
        v = self.current_version()
        if self._state.status != "accepted":
            raise UsageError("accept() first: there is no consent to change")
        switched = {k: bool(on) for k, on in changes.items()}
        _raise_first(rules.check_update(v, switched))
        return self._record("update", v, switched)

    def acknowledge_notice(self) -> LedgerRecord:
        """Record that the user saw the NOTICE or UPCOMING notice ``decide()`` gives now.

        Raises:
            UsageError: ``decide()`` shows no notice.
        """
        decision = self.decide()
        if decision.kind not in (Kind.NOTICE, Kind.UPCOMING) or decision.version is None:
            raise UsageError(f"no notice to acknowledge (decision is {decision.kind.value})")
        v, tag = decision.version, decision.locale
        doc = v.locales.get(tag) if tag else None
        _raise_first(rules.check_acknowledge(v, {}, locale=tag,
                                             document_sha256=doc.sha256 if doc else None))
        return self._record("acknowledge", v, {}, locale=tag)

    # -- sync ---------------------------------------------------------------------------
    def sync(self, *, force: bool = False) -> SyncResult:
        """Upload recorded decisions; safe to call any time, from any thread.

        Registers the install on first use. Records whose last attempt failed wait
        (exponential backoff with jitter, kept across restarts) unless ``force``. A record
        counts as synced only once a receipt signed by the root's receipt keys confirms
        exactly it. Never raises for network or server problems: see ``SyncResult.error``.
        """
        with self._sync_lock:
            try:
                return run_sync(self, self.clock(), self._rng, force=force)
            except ConsentError as exc:  # storage failures included; nothing was lost
                return SyncResult(False, 0, -1, exc)

    def request_deletion(self) -> LedgerRecord:
        """Ask the operator to delete this user's data. Recorded at once, sent by
        ``sync()``; the receipt appears in ``history()``.

        Raises:
            UsageError: no verified manifest yet.
        """
        v = self.current_version()
        return self._record("deletion_request", v, {})

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
        documents (``kelisim bundle``; see :mod:`client_sdk.appbundle`), verified like
        downloads.

        Raises:
            FormatError: not a bundle.
            RepositoryError: the bundle's root, manifest or documents fail verification
                (a manifest for another app included).
            StorageError: the store cannot be opened.
        """
        from .appbundle import AppBundle, load_bundle

        b = bundle if isinstance(bundle, AppBundle) else load_bundle(bundle)
        return cls(server_url, b.app_id, b.root, data_dir, preferred_locales,
                   bundled_manifest=b.manifest, transport=transport,
                   bundled_documents=b.documents, **kw)


def _seq_of(raw: bytes) -> int:
    """The seq an envelope claims, unverified (huge when unreadable): only used to skip a
    bundle that could not win anyway; a bundle that might is verified in full."""
    try:
        payload = parse_envelope(raw, "application/vnd.kelisim.manifest+json").payload_json()
        seq = payload.get("seq") if isinstance(payload, dict) else None
    except ConsentError:
        return 10**18  # unreadable: let full verification report it
    return seq if isinstance(seq, int) else 10**18


def _evidence(evidence: Mapping[str, Any] | None) -> dict[str, Any]:
    """The evidence as recorded: seconds rounded to whole numbers (a UI measures floats)."""
    out = dict(evidence or {})
    for key in ("seconds_on_screen",):
        value = out.get(key)
        if isinstance(value, float) and math.isfinite(value):
            out[key] = round(value)
    by_layer = out.get("seconds_by_layer")
    if isinstance(by_layer, Mapping):
        out["seconds_by_layer"] = {
            k: round(v) if isinstance(v, float) and math.isfinite(v) else v
            for k, v in by_layer.items()}
    if isinstance(out.get("layers_shown"), tuple):
        out["layers_shown"] = list(out["layers_shown"])
    return out


def _raise_first(problems: Sequence[rules.Problem]) -> None:
    """The SDK's side of the rules: a record that breaks one is a programmer error."""
    if problems:
        raise UsageError(problems[0].message)
