"""Jana Courier demo: a courier app wired to Kelisim.

First launch -> the consent screen (offline from the one-file bundle); then today's
deliveries, with the analytics SDK running only while ``is_granted("analytics")``; the
gear opens Settings (appearance, and ConsentSettings). A withdrawal stops analytics and
brings the consent screen back at once; a failed policy refresh is shown, not swallowed.

Configuration (environment):

- ``KELISIM_DEMO_SERVER``: the Kelisim server (default: the one `make run` serves, at
  ``KELISIM_HOST``:``KELISIM_PORT``, 127.0.0.1:8000 unless they say otherwise);
- ``KELISIM_DEMO_BUNDLE``: the app's bundle, ``kelisim bundle jana-courier FILE``
  (default: demo_app/jana-courier.kelisim, which `make demo` writes);
- ``KELISIM_DEMO_LOCALES``: preferred locales, comma-separated (default: kk,ru);
- ``KELISIM_DEMO_DATA``: where consent stores live (default: the app's user_data_dir);
  each server instance (each pinned root) gets its own folder inside it;
- ``KELISIM_DEMO_THEME``: ``light`` or ``dark``; ``KELISIM_DEMO_TEXT_SCALE``: 1.0-2.0.

``python -m demo_app`` opens a phone-shaped 400x800 window unless Kivy is told another size
(``KCFG_GRAPHICS_WIDTH``/``KCFG_GRAPHICS_HEIGHT``, or its config.ini): demo_app/launch.py.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path
from typing import Any

START = time.perf_counter()

os.environ.setdefault("KIVY_NO_ARGS", "1")

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.factory import Factory  # noqa: E402
from kivy.lang import Builder  # noqa: E402
from kivy.properties import BooleanProperty, StringProperty  # noqa: E402
from kivy.uix.floatlayout import FloatLayout  # noqa: E402

from client_sdk import ConsentClient, Decision, RefreshResult  # noqa: E402
from client_sdk.errors import ConsentError, NetworkError, UsageError  # noqa: E402
from client_sdk.kivy import DARK, LIGHT, ConsentGate, theme  # noqa: E402
from client_sdk.kivy.base import after_first_frame  # noqa: E402
from client_sdk.protocol.bundle import AppBundle, load_bundle  # noqa: E402
from client_sdk.protocol.digest import sha256_hex  # noqa: E402
from client_sdk.ui.texts import language  # noqa: E402
from demo_app.launch import server_url  # noqa: E402
from demo_app.logo import LOGO, JanaLogo  # noqa: E402, F401 - screens.kv uses JanaLogo
from demo_app.strings import t  # noqa: E402

APP_ID = "jana-courier"
HERE = Path(__file__).resolve().parent

DELIVERIES = [
    ("JC-1042", "Абай даңғылы 52, Алматы", "on_way", "10:30"),
    ("JC-1043", "Достық даңғылы 180, Алматы", "waiting", "11:15"),
    ("JC-1044", "Төле би көшесі 73, Алматы", "delivered", "09:40"),
    ("JC-1045", "Amir Temur koʻchasi 15, Toshkent", "waiting", "13:00"),
    ("JC-1046", "Чүй проспектиси 120, Бишкек", "on_way", "14:20"),
]


class Analytics:
    """Stands in for the Firebase SDK: started only while the user grants analytics."""

    def __init__(self) -> None:
        self.running = False

    def start(self) -> None:
        self.running = True

    def stop(self) -> None:
        self.running = False


def instance_dir(base: Path, bundle: AppBundle) -> Path:
    """The store of the server instance this bundle was made for: a new root (a new
    ``make run``) starts clean instead of failing its signature check on old state."""
    return base / f"instance-{sha256_hex(bundle.root)[:16]}"


class JanaCourierApp(App):
    title = "Jana Courier"
    tag = StringProperty("kk")
    refresh_error = StringProperty("")
    analytics_text = StringProperty("")
    consent_ok = BooleanProperty(False)

    def build(self) -> FloatLayout:
        theme.logo = str(LOGO)
        theme.use(DARK if os.environ.get("KELISIM_DEMO_THEME") == "dark" else LIGHT)
        Window.clearcolor = theme.background
        theme.fbind("background", lambda _t, colour: setattr(Window, "clearcolor", colour))
        theme.text_scale = float(os.environ.get("KELISIM_DEMO_TEXT_SCALE", "1.0"))
        path = Path(os.environ.get("KELISIM_DEMO_BUNDLE", HERE / "jana-courier.kelisim"))
        try:
            bundle = load_bundle(path)
        except (OSError, ConsentError) as exc:
            sys.exit(f"cannot read the app bundle {path}: {exc}\nRun `make demo` (it writes "
                     f"one from the local server) or set KELISIM_DEMO_BUNDLE.")
        try:
            url = server_url()
        except ValueError as exc:
            sys.exit(str(exc))
        base = Path(os.environ.get("KELISIM_DEMO_DATA") or self.user_data_dir)
        locales = tuple(os.environ.get("KELISIM_DEMO_LOCALES", "kk,ru").split(","))
        self.client = ConsentClient.from_bundle(url, bundle, instance_dir(base, bundle),
                                                locales)
        self.analytics = Analytics()
        root = Builder.load_file(str(HERE / "jana.kv"))
        self.main: Any = None  # the app's screens, made when first needed (screens())
        self.settings_screen: Any = None
        self.settings: Any = None  # a ConsentSettings, made when first opened
        self.gate = ConsentGate(self.client, parent=root.ids.overlay, require_scroll=True,
                                on_done=self.consent_done, on_decline=self.consent_done,
                                on_refresh=self.refreshed, on_revoked=self.consent_done)
        self.relabel()
        return root

    def on_start(self) -> None:
        self.gate.start()
        after_first_frame(self.screens)  # when consent stood, the gate already made them
        after_first_frame(gc.enable)  # paused by __main__.py until this frame
        if os.environ.get("KELISIM_DEMO_EXIT_ON_FRAME"):
            # bench/demo_start.py: the consent screen is in the tree; report the first
            # clock tick, then the first frame drawn with it (glFinish: drawn, not just
            # issued), then quit.
            Clock.schedule_once(lambda _dt: print(
                f"first-tick {time.perf_counter() - START:.4f}", flush=True), 0)
            Window.fbind("on_flip", self._first_frame)

    def _first_frame(self, *_: Any) -> None:
        from kivy.graphics.opengl import glFinish

        glFinish()
        print(f"first-frame {time.perf_counter() - START:.4f}", flush=True)
        self.stop()

    # -- consent -----------------------------------------------------------------------
    def consent_done(self, _decision: Decision) -> None:
        self.apply_consent()

    def consent_changed(self) -> None:
        self.apply_consent()
        self.gate.recheck()  # a withdrawal brings the consent screen back

    def apply_consent(self) -> None:
        """Start or stop what consent gates, and say so."""
        state = self.client.consent_state()
        self.consent_ok = state.status == "accepted"
        try:
            granted = self.consent_ok and self.client.is_granted("analytics")
        except UsageError:
            granted = False
        if granted:
            self.analytics.start()
        else:
            self.analytics.stop()
        self.relabel()

    def refreshed(self, result: RefreshResult) -> None:
        self.refresh_error = "" if result.ok else t("refresh_failed", self.tag,
                                                    reason=self.reason(result.error))
        self.relabel()

    def reason(self, error: ConsentError | None) -> str:
        """The refresh failure in words a courier can act on (details for support)."""
        if isinstance(error, NetworkError):
            return t("reason.network", self.tag, server=self.client.server_url)
        return t("reason.untrusted", self.tag, detail=str(error))

    def relabel(self) -> None:
        manifest = self.client.manifest
        if manifest is not None:
            self.tag = language(self.client, self.client.current_version())
        self.analytics_text = t("analytics_on" if self.analytics.running else
                                "analytics_off", self.tag)
        if self.root is not None and self.consent_ok:
            self.fill_deliveries()  # behind the consent screen until then

    def screens(self) -> Any:
        """The deliveries and settings screens, made on first use: while the consent
        screen covers the window they wait for its first frame."""
        if self.main is None:
            Builder.load_file(str(HERE / "screens.kv"))
            self.main, self.settings_screen = Factory.MainScreen(), Factory.SettingsScreen()
            self.root.ids.screens.add_widget(self.main)
            self.root.ids.screens.add_widget(self.settings_screen)
        return self.main

    def fill_deliveries(self) -> None:
        from demo_app.cards import delivery_card

        box = self.screens().ids.deliveries
        box.clear_widgets()
        for code, address, status, when in DELIVERIES:
            box.add_widget(delivery_card(code, address, t(f"status.{status}", self.tag),
                                         when, status))

    # -- navigation --------------------------------------------------------------------
    def open(self, name: str) -> None:
        if name == "settings":
            if self.settings is None:
                from client_sdk.kivy import ConsentSettings

                self.settings = ConsentSettings(self.client)
                self.settings.bind(on_change=lambda *_: self.consent_changed())
                self.screens()
                self.settings_screen.ids.settings_box.add_widget(self.settings)
            self.settings.refresh_view()
        self.relabel()
        self.screens()
        self.root.ids.screens.current = name

    def t(self, key: str, tag: str) -> str:
        return t(key, tag)

    def set_dark(self, on: bool) -> None:
        theme.use(DARK if on else LIGHT)  # the window's clear colour follows (build)

    def scale_text(self, step: float) -> None:
        theme.text_scale = min(2.0, max(1.0, round(theme.text_scale + step, 1)))


def main(argv: list[str] | None = None) -> Any:
    return JanaCourierApp().run()
