"""The README's gate snippet, where an app developer first puts it: in ``App.build()``,
while ``self.root`` is still None. Also what ``parent=None`` does without an App.

    python readme_gate.py BUNDLE DATA_DIR SCREENSHOT.png

Once the consent screen is on screen with its document, takes a screenshot, prints one
JSON line (what is shown and where, and where the SDK was imported from) and exits 0.
tests/test_dist.py runs it with the SDK installed from its wheel in a fresh environment,
tests/test_demo_launch.py from the repository.
"""

import importlib.util
import json
import os
import sys
import time

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KCFG_GRAPHICS_WIDTH", "400")  # a phone's shape
os.environ.setdefault("KCFG_GRAPHICS_HEIGHT", "800")

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.floatlayout import FloatLayout

import client_sdk
from client_sdk import ConsentClient
from client_sdk.errors import UsageError
from client_sdk.kivy import ConsentGate, ConsentScreen

BUNDLE, DATA, SHOT = sys.argv[1:4]
URL = "http://127.0.0.1:9"  # nothing listens: the first launch works from the bundle
REPORT = {}

try:  # no App yet: there is no root to stand for
    ConsentGate(ConsentClient.from_bundle(URL, BUNDLE, DATA + "-no-app", ("en",)),
                parent=None, on_done=print).start()
except UsageError as exc:
    REPORT["without_an_app"] = str(exc)


class TeamApp(App):
    def build(self):
        client = ConsentClient.from_bundle(URL, BUNDLE, DATA, ("en",))
        # The README's lines, as written:
        ConsentGate(client, parent=self.root, on_done=self.start_app,
                    on_revoked=self.stop_analytics).start()
        self.deadline = time.monotonic() + 120
        Clock.schedule_interval(self.watch, 0.1)
        self.layout = FloatLayout()
        return self.layout

    def start_app(self, decision):
        REPORT["on_done"] = decision.kind.name

    def stop_analytics(self, decision):
        pass

    def watch(self, _dt):
        shown = [w for w in self.layout.children if isinstance(w, ConsentScreen)]
        ready = shown and shown[0].document_state == "ready"
        if not ready and time.monotonic() < self.deadline:
            return None
        made = Window.screenshot(SHOT)
        if made and os.path.exists(made):
            os.replace(made, SHOT)
        screen = shown[0] if shown else None
        REPORT.update({
            "shown_in_root": screen is not None,
            "document_state": getattr(screen, "document_state", None),
            "title": getattr(screen, "title_text", None), "window": list(Window.size),
            "client_sdk": client_sdk.__file__, "path": sys.path,
            "server": importlib.util.find_spec("server") is not None,
            "flask": importlib.util.find_spec("flask") is not None})
        print(json.dumps(REPORT), flush=True)
        self.stop()
        return False


TeamApp().run()
