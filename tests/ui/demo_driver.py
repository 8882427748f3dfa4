"""Drives the Jana Courier demo app itself in a real window (under Xvfb).

    python demo_driver.py OUT_DIR NAME

The app reads its usual KELISIM_DEMO_* environment (bundle, data, server, locales, theme,
text scale). Writes OUT_DIR/result.json and screenshots.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

# driver.py sets Kivy up (360x640 window, mouse without multitouch) and holds the helpers.
from driver import Scenario, Steps, tap
from kivy.clock import Clock
from kivy.core.window import Window

from client_sdk.kivy import ConsentScreen
from demo_app.main import JanaCourierApp


class DemoDriver(Scenario, JanaCourierApp):
    def __init__(self, out: Path, name: str) -> None:
        super().__init__()
        self.out, self.run_name = out, name
        self.result: dict[str, Any] = {}
        self.steps = self.scenario()

    def on_start(self) -> None:
        super().on_start()
        Clock.schedule_once(self.step, 0.3)

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
