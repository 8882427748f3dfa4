"""Jana Courier demo: first launch -> consent; a list of deliveries whose analytics switch
follows ``is_granted("analytics")``; a settings screen with ConsentSettings.

Configuration (environment):

- ``KELISIM_DEMO_SERVER``: the Kelisim server (default http://127.0.0.1:8000);
- ``KELISIM_DEMO_BUNDLE``: an `export-static` folder shipped with the app: its root v1 is
  pinned, its manifest and documents make the first launch work offline
  (default: demo_app/bundle, which `make demo` writes);
- ``KELISIM_DEMO_LOCALES``: preferred locales, comma-separated (default: kk,ru);
- ``KELISIM_DEMO_DATA``: where the consent store lives (default: the app's user_data_dir).
"""

from __future__ import annotations

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
from kivy.metrics import dp  # noqa: E402
from kivy.uix.boxlayout import BoxLayout  # noqa: E402
from kivy.uix.button import Button  # noqa: E402
from kivy.uix.floatlayout import FloatLayout  # noqa: E402
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager  # noqa: E402
from kivy.uix.scrollview import ScrollView  # noqa: E402
from kivy.uix.switch import Switch  # noqa: E402

from client_sdk import ConsentClient, Decision  # noqa: E402
from client_sdk.kivy import FONT_NAME, ConsentGate, ConsentSettings  # noqa: E402
from client_sdk.kivy.markup import to_blocks  # noqa: E402
from client_sdk.kivy.widgets import Text, column, markdown_labels  # noqa: E402

APP_ID = "jana-courier"
HERE = Path(__file__).resolve().parent

DELIVERIES = [
    ("JC-1042", "Абай даңғылы 52, Алматы", "Жолда / В пути"),
    ("JC-1043", "Достық даңғылы 180, Алматы", "Күтуде / Ожидает"),
    ("JC-1044", "Төле би көшесі 73, Алматы", "Жеткізілді / Доставлено"),
    ("JC-1045", "Amir Temur koʻchasi 15, Toshkent", "Kutilmoqda"),
    ("JC-1046", "Чүй проспекти 120, Бишкек", "Жолдо"),
]


def load_bundle(folder: Path) -> tuple[bytes, bytes | None, dict[str, bytes]]:
    root = (folder / "v1/root/1.json").read_bytes()
    manifest_path = folder / f"v1/apps/{APP_ID}/manifest.json"
    manifest = manifest_path.read_bytes() if manifest_path.exists() else None
    docs_dir = folder / "v1/documents"
    docs = {p.name: p.read_bytes() for p in docs_dir.iterdir()} if docs_dir.exists() else {}
    return root, manifest, docs


class JanaCourierApp(App):
    title = "Jana Courier"

    def build(self) -> FloatLayout:
        Window.clearcolor = (1, 1, 1, 1)
        bundle = Path(os.environ.get("KELISIM_DEMO_BUNDLE", HERE / "bundle"))
        if not (bundle / "v1/root/1.json").exists():
            sys.exit(f"no bundle at {bundle}: run `make demo` (it exports one from the "
                     f"local server) or set KELISIM_DEMO_BUNDLE")
        root_bytes, manifest, docs = load_bundle(bundle)
        locales = tuple(os.environ.get("KELISIM_DEMO_LOCALES", "kk,ru").split(","))
        data = Path(os.environ.get("KELISIM_DEMO_DATA") or str(self.user_data_dir))
        self.client = ConsentClient(
            os.environ.get("KELISIM_DEMO_SERVER", "http://127.0.0.1:8000"), APP_ID,
            root_bytes, data, locales, bundled_manifest=manifest, bundled_documents=docs)
        self.screens = ScreenManager(transition=NoTransition())
        self.screens.add_widget(self._main_screen())
        self.screens.add_widget(self._settings_screen())
        self.screens.add_widget(self._policy_screen())
        self.overlay = FloatLayout()
        layout = FloatLayout()
        layout.add_widget(self.screens)
        layout.add_widget(self.overlay)
        self.gate = ConsentGate(self.client, parent=self.overlay, on_done=self.consent_done)
        return layout

    def on_start(self) -> None:
        self.gate.start()
        if os.environ.get("KELISIM_DEMO_EXIT_ON_FRAME"):
            # bench/demo_start.py: the consent screen is in the tree; report the first
            # frame that draws it, then quit.
            Clock.schedule_once(self._first_frame, 0)

    def _first_frame(self, _dt: float) -> None:
        print(f"first-frame {time.perf_counter() - START:.4f}", flush=True)
        self.stop()

    # -- screens -----------------------------------------------------------------------
    def _bar(self, title: str, button: str, action: Any) -> BoxLayout:
        bar = BoxLayout(size_hint_y=None, height=dp(52), padding=dp(6), spacing=dp(6))
        bar.add_widget(Text(f"[b]{title}[/b]", size=18))
        b = Button(text=button, font_name=FONT_NAME, size_hint=(None, 1), width=dp(120))
        b.bind(on_release=lambda *_: action())
        bar.add_widget(b)
        return bar

    def _main_screen(self) -> Screen:
        screen = Screen(name="main")
        box = BoxLayout(orientation="vertical")
        box.add_widget(self._bar("Jana Courier", "⚙", lambda: self.open("settings")))
        row = BoxLayout(size_hint_y=None, height=dp(48), padding=(dp(12), 0))
        row.add_widget(Text("Analytics (Firebase)", size=14))
        self.analytics = Switch(disabled=True, size_hint=(None, 1), width=dp(83))
        row.add_widget(self.analytics)
        box.add_widget(row)
        scroll = ScrollView()
        col = column()
        for code, address, status in DELIVERIES:
            col.add_widget(Text(f"[b]{code}[/b]  {address}\n[i]{status}[/i]", size=14))
        scroll.add_widget(col)
        box.add_widget(scroll)
        screen.add_widget(box)
        return screen

    def _settings_screen(self) -> Screen:
        screen = Screen(name="settings")
        box = BoxLayout(orientation="vertical")
        box.add_widget(self._bar("Jana Courier", "←", lambda: self.open("main")))
        self.settings = ConsentSettings(self.client)
        self.settings.bind(on_change=lambda *_: self.update_analytics(),
                           on_policy=lambda *_: self.open("policy"))
        box.add_widget(self.settings)
        screen.add_widget(box)
        return screen

    def _policy_screen(self) -> Screen:
        screen = Screen(name="policy")
        self.policy_box = BoxLayout(orientation="vertical")
        screen.add_widget(self.policy_box)
        return screen

    def open(self, name: str) -> None:
        if name == "settings":
            self.settings.refresh_view()
        if name == "policy":
            self.policy_box.clear_widgets()
            self.policy_box.add_widget(self._bar("Jana Courier", "←",
                                                 lambda: self.open("settings")))
            scroll = ScrollView()
            col = column()
            for label in markdown_labels(to_blocks(self.client.document())):
                col.add_widget(label)
            scroll.add_widget(col)
            self.policy_box.add_widget(scroll)
        self.screens.current = name

    def consent_done(self, _decision: Decision) -> None:
        self.update_analytics()
        self.screens.current = "main"

    def update_analytics(self) -> None:
        # The app starts its analytics SDK only when the user granted it.
        try:
            self.analytics.active = self.client.is_granted("analytics")
        except ValueError:
            self.analytics.active = False


def main() -> None:
    JanaCourierApp().run()
