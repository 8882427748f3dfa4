"""``ConsentGate``: decide, show the right widget, and keep the app in step with consent.

It decides at once from the verified local state (the first launch works offline from the
bundle), shows a ConsentScreen for PROMPT or a NoticeBanner for NOTICE/UPCOMING, then
refreshes and syncs on a background thread after the first frame. Every outcome reaches
the app: ``on_done(decision)`` when nothing blocks it, ``on_decline(decision)`` when the
user declined, ``on_refresh(result)`` with the refresh result (a failure included: the app
can show it). After each recorded action a sync starts in the background at once.

The gate listens to the client (``client.add_listener``) and hands every change of what
is granted to the app on the UI thread: ``on_change(change)`` (a GrantChange) always, and
``on_revoked(decision)`` when a purpose stopped being granted (a withdrawal, a major
version by refresh, an upcoming version taking effect, the consent term running out):
the app stops what consent gated there. It schedules ``client.check()`` with Kivy's Clock
at ``client.next_change_at()``, so time alone is noticed while the app runs.

A newer version found while the consent screen is open never replaces it: the screen says
so and lets the user continue on it (``ConsentScreen.show_newer``). After Accept the gate
decides again at once (an UPCOMING notice shows then, not at the next launch).
``recheck()`` decides again now (after a change in Settings, say). ``stop()`` detaches
the gate from the client.

``parent=None`` means the running App's root widget. In ``App.build()`` that is what
``self.root`` still is (build() returns the root): the gate then starts as the app starts,
in the root build() returned, before the first frame.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.uix.anchorlayout import AnchorLayout
from kivy.uix.widget import Widget

from client_sdk.client import ConsentClient, RefreshResult
from client_sdk.decision import Decision, GrantChange, Kind
from client_sdk.errors import UsageError
from client_sdk.kivy.base import after_first_frame, background, lay_out_now
from client_sdk.kivy.consent_screen import ConsentScreen
from client_sdk.kivy.style import register_fonts

__all__ = ["BannerSlot", "ConsentGate"]

log = logging.getLogger("kelisim")


class BannerSlot(AnchorLayout):  # type: ignore[misc]
    """Holds a NoticeBanner at the top of the gate's parent (style in gate.kv)."""


def _noop(*_: Any) -> None:
    pass


def _call(callback: Callable[[Any], None], value: Any) -> None:
    try:
        callback(value)
    except Exception:  # the app's callback: logged, the gate goes on
        log.exception("ConsentGate: the app's callback %r failed", callback)


# The longest the gate waits before asking again what time changes: a device that slept
# (the Clock does not count the sleep) is noticed within this.
MAX_WAIT = 3600.0


class ConsentGate:
    def __init__(self, client: ConsentClient, parent: Widget | None,
                 on_done: Callable[[Decision], None], *, require_scroll: bool = False,
                 sync: bool = True, on_decline: Callable[[Decision], None] = _noop,
                 on_refresh: Callable[[RefreshResult], None] = _noop,
                 on_revoked: Callable[[Decision], None] = _noop,
                 on_change: Callable[[GrantChange], None] = _noop) -> None:
        register_fonts()
        remembered = client.remembered_locale()
        if remembered:
            client.remember_locale(remembered)  # first in preferred_locales again
        self.client = client
        self.parent = parent
        self.on_done = on_done
        self.on_decline = on_decline
        self.on_refresh = on_refresh
        self.on_revoked = on_revoked
        self.on_change = on_change
        self.require_scroll = require_scroll
        self.sync = sync
        self.shown: Widget | None = None
        self.last_refresh: RefreshResult | None = None
        self._active = False  # started (or rechecked): it shows what changes ask for
        self._blocked = True  # on_done not yet called since the app was last blocked
        self._timer: Any = None
        client.add_listener(self._heard)

    def stop(self) -> None:
        """Stop listening to the client and watching the clock (the gate's widgets stay)."""
        self.client.remove_listener(self._heard)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._active = False

    def _heard(self, change: GrantChange) -> None:
        # Any thread (a refresh runs on a worker): the app hears it on the UI thread.
        Clock.schedule_once(lambda _dt: self._changed(change), 0)

    def _changed(self, change: GrantChange) -> None:
        _call(self.on_change, change)
        if change.revoked:
            _call(self.on_revoked, change.decision)
        if self._active:
            self._reconcile(self.client.decide())
            self._schedule()

    def _schedule(self) -> None:
        """Wake at the next instant time alone changes the decision (or within MAX_WAIT).

        The timer this replaces may have been due: a change whose instant passed since the
        last check is heard here, never dropped with the timer. The next instant is read
        before that check, so a change due between the two reads is either heard by the
        check or at the instant read (a background refresh ending after an upcoming
        version took effect once cancelled the timer and scheduled none)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        at = self.client.next_change_at()
        if self.client.check() is not None:
            return  # heard: _changed reconciles and schedules again
        if at is not None:
            wait = (at - self.client.clock()).total_seconds()
            self._timer = Clock.schedule_once(self._tick, min(max(wait, 0.0), MAX_WAIT))

    def _tick(self, _dt: float) -> None:
        self._timer = None
        if self.client.check() is None:  # (a change reaches _changed, which goes on)
            self._reconcile(self.client.decide())
            self._schedule()

    def start(self) -> None:
        """Show what the decision asks for, then refresh in the background. Raises
        UsageError when ``parent`` is None outside a Kivy App."""
        if self.parent is None:
            app = App.get_running_app()
            if app is None:
                raise UsageError("ConsentGate(parent=None) needs a Kivy App: pass the widget "
                                 "the consent screen goes in, or start the gate in the "
                                 "App's build() or on_start()")
            if app.root is None:  # in build(): the root is what it returns
                app.fbind("on_start", self._start_in_root)
                return
            self.parent = app.root
        self._start()

    def _start_in_root(self, app: App) -> None:
        app.funbind("on_start", self._start_in_root)
        if app.root is None:
            raise UsageError("ConsentGate(parent=None): the App has no root widget (build() "
                             "returned None): pass the widget the consent screen goes in")
        self.parent = app.root
        self._start()

    def _start(self) -> None:
        self._listen()
        self._show(self.client.decide())
        self._schedule()
        # The network waits for the first frame: the screen comes first.
        after_first_frame(lambda: threading.Thread(
            target=self._work, daemon=True, name="kelisim-refresh").start())

    def _work(self) -> None:
        result = self.client.refresh()
        if self.sync:
            self.client.sync()
        decision = self.client.decide()
        Clock.schedule_once(lambda _dt: self._refreshed(result, decision), 0)

    def _refreshed(self, result: RefreshResult, decision: Decision) -> None:
        self.last_refresh = result
        self.on_refresh(result)
        if self._active:  # a refresh that ends after stop() shows nothing, sets no timer
            self._reconcile(decision)
            self._schedule()

    def _reconcile(self, decision: Decision) -> None:
        """Bring what is shown in step with ``decision`` without taking anything from the
        user: a consent screen stays (a newer version is offered on it, never swapped in)."""
        shown = self.shown
        if decision.kind is Kind.PROMPT:
            if isinstance(shown, ConsentScreen):
                if decision.version is not None and \
                        decision.version.version != shown.version.version:
                    shown.show_newer(decision)
                return
            self._remove()
            self._show(decision)
        elif shown is None and decision.kind in (Kind.NOTICE, Kind.UPCOMING, Kind.NONE):
            self._show(decision)

    def recheck(self) -> Decision:
        """Decide again now (after a change in Settings, say): the listeners hear what
        changed (``on_revoked`` among them), and the consent screen shows when consent no
        longer stands."""
        self._listen()
        self._schedule()  # checks first: the listeners hear what changed
        decision = self.client.decide()
        self._reconcile(decision)
        return decision

    def _listen(self) -> None:
        """Active means listening: after stop(), start() or recheck() listen again (the
        clock's changes reach on_revoked only through the listener)."""
        self._active = True
        self.client.add_listener(self._heard)  # (a second add is ignored)

    def _show(self, decision: Decision) -> None:
        parent = self.parent
        assert parent is not None, "start() sets the parent first"
        if decision.kind is Kind.PROMPT:
            self._blocked = True
            screen = ConsentScreen(self.client, decision, require_scroll=self.require_scroll)
            screen.bind(on_accept=lambda *_: self._accepted(),
                        on_decline=lambda *_: self._declined(decision))
            self.shown = screen
            parent.add_widget(screen)
            lay_out_now(screen)
        elif decision.kind in (Kind.NOTICE, Kind.UPCOMING):
            from client_sdk.kivy.notice_banner import (
                NoticeBanner,  # and its kv: only when one is shown
            )

            banner = NoticeBanner(self.client, decision)
            banner.bind(on_dismiss=lambda *_: self._notice_read())
            slot = BannerSlot()
            slot.add_widget(banner)
            self.shown = slot
            self.banner = banner
            parent.add_widget(slot)
            self._done(decision)  # a notice does not block the app
        elif decision.kind is Kind.NONE:
            self._done(decision)

    def _done(self, decision: Decision) -> None:
        """``on_done`` once each time the app goes from blocked to running."""
        if self._blocked:
            self._blocked = False
            self.on_done(decision)

    def _remove(self) -> None:
        if self.shown is not None and self.shown.parent is not None:
            self.shown.parent.remove_widget(self.shown)
        self.shown = None

    def _accepted(self) -> None:
        self._remove()
        # Decide again at once: an UPCOMING notice (or a NOTICE) shows now, with on_done.
        self._show(self.client.decide())
        self._sync()

    def _declined(self, decision: Decision) -> None:
        # The screen stays, showing that the user declined, with a way back.
        self.on_decline(decision)
        self._sync()

    def _notice_read(self) -> None:
        Clock.schedule_once(lambda _dt: self._remove(), 2.5)  # "noted" stays a moment
        self._sync()

    def _sync(self) -> None:
        if self.sync:
            background(self.client.sync, _noop)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
