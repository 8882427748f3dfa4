"""What a user decides, checked against :mod:`rules` and recorded durably: accept,
decline, withdraw, purpose updates, notices, deletion requests. Mixed into
:class:`~client_sdk.client.ConsentClient`, which holds the store and the trusted state.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from client_sdk._internal.ledger import Action, LedgerRecord, apply
from client_sdk._internal.locales import negotiate
from client_sdk._internal.store import Store
from client_sdk.decision import ConsentState, Decision, Kind
from client_sdk.errors import UsageError
from client_sdk.protocol import rules
from client_sdk.protocol.model import Manifest, Version
from client_sdk.protocol.timeutil import format_time

__all__ = ["Recording"]


class Recording:
    """``accept()``, ``decline()``, ``withdraw()``, ``update_purposes()``,
    ``acknowledge_notice()`` and ``request_deletion()`` of :class:`ConsentClient`."""

    # ConsentClient's state these methods read and write.
    store: Store
    preferred_locales: tuple[str, ...]
    clock: Callable[[], datetime]
    _lock: threading.RLock
    _state: ConsentState

    if TYPE_CHECKING:  # and its reading side
        @property
        def manifest(self) -> Manifest | None: ...

        def current_version(self, now: datetime | None = None) -> Version: ...

        def decide(self, now: datetime | None = None) -> Decision: ...

    def _record(self, action: Action, version: Version, purposes: Mapping[str, bool], *,
                locale: str | None = None, evidence: Mapping[str, Any] | None = None,
                age_confirmed: bool | None = None,
                guardian: Mapping[str, Any] | None = None) -> LedgerRecord:
        import uuid  # (and platform, which it imports) on the first decision, not at launch

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
        :func:`client_sdk.protocol.rules.check_evidence`); seconds may be floats, they are rounded.
        When the version sets ``min_age``, ``age_confirmed`` must be given; a user below it
        can consent only with ``guardian`` (``{"name": ..., "relation": ...}``) where the
        version allows it. The rules are :mod:`client_sdk.protocol.rules`'s.

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

    def request_deletion(self) -> LedgerRecord:
        """Ask the operator to delete this user's data. Recorded at once, sent by
        ``sync()``; the receipt appears in ``history()``.

        Raises:
            UsageError: no verified manifest yet.
        """
        v = self.current_version()
        return self._record("deletion_request", v, {})

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
