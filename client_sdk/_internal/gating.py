"""The gate half of ``ConsentClient`` (a mixin): what is granted now, to which vendors,
Google Consent Mode, and the listeners told of every change (issue 22 part 2).

Every answer here reads one ``decide()`` at one instant (:mod:`client_sdk.decision`):
``is_granted`` is ``decide().granted``, so the two never disagree; vendors and Consent Mode
are derived from that set and the version in force.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from client_sdk.decision import (
    ConsentState,
    Decision,
    GrantChange,
    consent_mode_signals,
    decide,
    effective_view,
    next_change,
    vendors_allowed,
)
from client_sdk.errors import UsageError
from client_sdk.protocol.model import Manifest, Version

if TYPE_CHECKING:
    from client_sdk._internal.listeners import Listener, Listeners

__all__ = ["Gating"]


class Gating:
    """Mixed into ConsentClient, which provides the attributes below."""

    clock: Callable[[], datetime]
    _lock: threading.RLock
    _state: ConsentState
    _listeners: Listeners

    @property
    def manifest(self) -> Manifest | None:
        raise NotImplementedError

    def decide(self, now: datetime | None = None) -> Decision:
        raise NotImplementedError

    def is_granted(self, purpose: str) -> bool:
        """Whether consent to ``purpose`` stands now: the user granted it for the version in
        force and ``decide()`` is not PROMPT (for any reason: a significant change, a new
        required purpose, the term over, a withdrawal or decline) nor UNAVAILABLE. It reads
        ``decide().granted``, so the two never disagree.

        Raises:
            UsageError: ``purpose`` is in neither the manifest nor the user's choices.
        """
        with self._lock:
            state = self._state
            manifest = self.manifest
        decision = decide(manifest, state, self.clock(), ())
        if purpose in decision.granted:
            return True
        if manifest is not None and purpose not in state.grants:
            known = {p.id for v in (manifest.current, manifest.upcoming) if v
                     for p in v.purposes}
            if purpose not in known:
                raise UsageError(f"unknown purpose {purpose!r}; the policy has "
                                 f"{', '.join(sorted(known))}")
        return False

    def _in_force(self) -> tuple[Decision, Version | None]:
        """One reading of the decision and the version in force, at one instant."""
        moment = self.clock()
        with self._lock:
            manifest = self.manifest
            state = self._state
        decision = decide(manifest, state, moment, ())
        return decision, effective_view(manifest, moment).current if manifest else None

    def is_vendor_allowed(self, vendor_id: str) -> bool:
        """Whether data may flow to ``vendor_id`` now: True only when every purpose that
        vendor serves in the version in force is granted (``is_granted``). A vendor the
        version in force does not list, or that serves no purpose there, is not allowed."""
        decision, version = self._in_force()
        return version is not None and vendor_id in vendors_allowed(version,
                                                                    decision.granted)

    def granted_vendors(self) -> frozenset[str]:
        """The ids of the vendors :meth:`is_vendor_allowed` allows now."""
        decision, version = self._in_force()
        return vendors_allowed(version, decision.granted) if version else frozenset()

    def consent_mode(self) -> dict[str, str]:
        """Google Consent Mode v2: ``{signal: "granted" | "denied"}`` for ``ad_storage``,
        ``ad_user_data``, ``ad_personalization`` and ``analytics_storage``, from the
        version in force's ``consent_mode`` mapping (docs/manifest-spec.md). A signal is
        granted only when it is mapped and every purpose it is mapped to is granted; what
        Firebase's ``setConsent`` takes (docs/integration.md)."""
        decision, version = self._in_force()
        return consent_mode_signals(version, decision.granted)

    # -- listeners ------------------------------------------------------------------------
    def add_listener(self, callback: Listener) -> None:
        """Call ``callback(change)`` (a :class:`GrantChange`) whenever what is granted
        changes: after accept, decline, withdraw, update_purposes, acknowledge_notice,
        refresh and check. Safe from any thread; the callback runs in the thread that made
        the change (the Kivy gate moves it to the UI thread). Its exceptions are logged."""
        self._listeners.add(callback)

    def remove_listener(self, callback: Listener) -> None:
        """Stop calling ``callback``; no error when it was not added."""
        self._listeners.remove(callback)

    def next_change_at(self) -> datetime | None:
        """The next instant at which ``decide()`` (and so what is granted) changes by time
        alone: an upcoming version's effective time or the end of the consent term. None
        when time alone changes nothing. Call :meth:`check` then."""
        moment = self.clock()
        with self._lock:
            manifest, state = self.manifest, self._state
        return next_change(manifest, state, moment)

    def check(self) -> GrantChange | None:
        """Decide again now and tell the listeners when what is granted changed (time
        passing: an upcoming version took effect, the consent term ended). Returns the
        change, or None."""
        return self._notify("check")

    def _notify(self, cause: str) -> GrantChange | None:
        return self._listeners.notify(self.decide, cause)

