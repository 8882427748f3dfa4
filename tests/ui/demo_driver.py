"""Drives the Jana Courier demo app itself in a real window (under Xvfb).

    python demo_driver.py OUT_DIR NAME

The app reads its usual KELISIM_DEMO_* environment (bundle, data, server, locales, theme,
text scale). Writes OUT_DIR/result.json and screenshots.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

# driver.py sets Kivy up (360x640 window, mouse without multitouch) and holds the helpers.
from driver import Scenario, Steps, tap
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.label import Label

from client_sdk.kivy import ConsentScreen
from demo_app.main import JanaCourierApp

RENDERS: Counter[int] = Counter()  # label renders (by widget id) before the first frame
_texture_update = Label.texture_update


@functools.wraps(_texture_update)  # Kivy's clock calls it back by its name
def _counted(label: Any, *args: Any) -> None:
    RENDERS[id(label)] += 1
    _texture_update(label, *args)


class DemoDriver(Scenario, JanaCourierApp):
    def __init__(self, out: Path, name: str) -> None:
        super().__init__()
        self.out, self.run_name = out, name
        self.result: dict[str, Any] = {}
        self.steps = self.scenario()
        Label.texture_update = _counted  # before any label exists: triggers bind it

    def on_start(self) -> None:
        super().on_start()
        Window.fbind("on_flip", self.first_frame)
        Clock.schedule_once(self.step, 0.3)

    def first_frame(self, *_: Any) -> None:
        """What the first frame drawn after start-up holds, and what ran before it."""
        Window.funbind("on_flip", self.first_frame)
        Label.texture_update = _texture_update
        s = self.gate.shown
        labels = [w for w in s.walk() if isinstance(w, Label)] if s is not None else []
        self.result["first_frame"] = {
            "shown": type(s).__name__, "in_window": s is not None and
            s.get_root_window() is not None,
            "title": s.title_text if isinstance(s, ConsentScreen) else None,
            "first_layer_labels": [w.text for w in s.ids.first_box.walk(restrict=True)
                                   if isinstance(w, Label) and w.texture is not None]
            if isinstance(s, ConsentScreen) else [],
            "renders": {w.text[:40]: RENDERS[id(w)] for w in labels if RENDERS[id(w)]},
            "threads": sorted(t.name for t in threading.enumerate()),
            "document_state": getattr(s, "document_state", None),
            "full_text_built": "policy" in s.ids if s is not None else None,
            "app_screens_built": self.main is not None}

    def shot(self, what: str) -> None:
        path = self.out / f"{what}-{self.run_name}.png"
        made = Window.screenshot(str(path))
        if made and Path(made).exists():
            Path(made).replace(path)

    def scenario(self) -> Steps:
        r = self.result
        yield from self.until(lambda: self.gate.last_refresh is not None, "refresh")
        yield 0.2
        label = self.main.ids.refresh_error
        r["refresh_error"] = self.refresh_error
        r["refresh_error_shown"] = label.height > 0 and label.opacity > 0
        s = self.gate.shown
        r["first"] = type(s).__name__
        if not isinstance(s, ConsentScreen):
            return
        yield from self.until(lambda: s.document_state == "ready", "document")
        yield 0.2
        self.shot("demo-consent")
        r["accept_enabled_before_reading"] = not s.ids.accept_all.disabled
        yield from self.press(s.age_box)
        yield from self.press(s.full_text_button)
        s.ids.policy.scroll_y = 0
        yield from self.until(lambda: s.scrolled_to_end, "read to the end")
        tap(s.ids.back2)
        yield 0.2
        tap(s.ids.accept_all)
        yield from self.until(lambda: self.consent_ok, "accepted")
        yield from self.settle(self.root.ids.screens)
        r["analytics_after_accept"] = self.analytics.running
        r["analytics_text"] = self.analytics_text
        r["deliveries"] = len(self.main.ids.deliveries.children)
        self.shot("demo-main")
        tap(self.main.ids.settings_button)
        yield from self.until(lambda: self.root.ids.screens.current == "settings", "settings")
        yield from self.settle(self.root.ids.screens)
        r["screen"] = self.root.ids.screens.current
        self.shot("demo-settings")
        yield from self.press(self.settings.ids.withdraw_button)
        yield from self.until(lambda: self.settings.dialog is not None and
                              self.settings.dialog._anim_alpha >= 1, "dialog open")
        yield from self.settle(self.root.ids.screens)
        self.shot("demo-confirm")
        tap(self.settings.dialog.ids.ok)
        yield from self.until(lambda: isinstance(self.gate.shown, ConsentScreen), "reprompt")
        yield from self.settle(self.root.ids.screens)
        r["analytics_after_withdraw"] = self.analytics.running
        r["reprompt_in_window"] = self.gate.shown.get_root_window() is not None
        r["reprompt_reason"] = self.client.decide().reasons[0]
        self.shot("demo-withdrawn")


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    DemoDriver(out, sys.argv[2]).run()
