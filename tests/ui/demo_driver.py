"""Drives the Jana Courier demo app itself in a real window (under Xvfb).

    python demo_driver.py OUT_DIR NAME

The app reads its usual KELISIM_DEMO_* environment (bundle, data, server, locales, theme,
text scale). Writes OUT_DIR/result.json and screenshots.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))

from kivy.config import Config

Config.set("graphics", "width", "360")
Config.set("graphics", "height", "640")
Config.set("input", "mouse", "mouse,disable_multitouch")

from kivy.clock import Clock  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.metrics import dp  # noqa: E402
from kivy.tests.common import UnitTestTouch  # noqa: E402
from kivy.uix.scrollview import ScrollView  # noqa: E402

from client_sdk.kivy import ConsentScreen  # noqa: E402
from demo_app.main import JanaCourierApp  # noqa: E402

Steps = Generator[float, None, None]


def tap(widget: Any) -> None:
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    touch.touch_up()


class DemoDriver(JanaCourierApp):  # type: ignore[misc]
    def __init__(self, out: Path, name: str) -> None:
        super().__init__()
        self.out, self.run_name = out, name
        self.result: dict[str, Any] = {}
        self.steps = self.scenario()

    def on_start(self) -> None:
        super().on_start()
        Clock.schedule_once(self.step, 0.3)

    def step(self, _dt: float) -> None:
        try:
            delay = next(self.steps)
        except StopIteration:
            self.finish()
            return
        except Exception:
            self.result["error"] = traceback.format_exc()
            self.finish()
            return
        Clock.schedule_once(self.step, delay)

    def finish(self) -> None:
        (self.out / "result.json").write_text(json.dumps(self.result, ensure_ascii=False,
                                                         indent=1, default=str))
        self.stop()

    def shot(self, what: str) -> None:
        path = self.out / f"{what}-{self.run_name}.png"
        made = Window.screenshot(str(path))
        if made and Path(made).exists():
            Path(made).replace(path)

    def until(self, check: Callable[[], bool], what: str, timeout: float = 20) -> Steps:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                self.result.setdefault("timeouts", []).append(what)
                return
            yield 0.05

    def settle(self) -> Steps:
        """Wait until the screen change is over, then two frames (see driver.py)."""
        sm = self.root.ids.screens
        yield from self.until(lambda: not sm.transition.is_active and len(sm.children) == 1,
                              "transition")
        for _ in range(2):
            yield 0

    def press(self, widget: Any) -> Steps:
        parent = widget.parent
        while parent is not None and not isinstance(parent, ScrollView):
            parent = parent.parent
        if parent is not None:
            parent.scroll_to(widget, padding=dp(10), animate=False)
            yield 0.15
        tap(widget)
        yield 0.15

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
        yield from self.settle()
        r["analytics_after_accept"] = self.analytics.running
        r["analytics_text"] = self.analytics_text
        r["deliveries"] = len(self.main.ids.deliveries.children)
        self.shot("demo-main")
        tap(self.main.ids.settings_button)
        yield from self.until(lambda: self.root.ids.screens.current == "settings", "settings")
        yield from self.settle()
        r["screen"] = self.root.ids.screens.current
        self.shot("demo-settings")
        yield from self.press(self.settings.ids.withdraw_button)
        yield from self.until(lambda: self.settings.dialog is not None and
                              self.settings.dialog._anim_alpha >= 1, "dialog open")
        yield from self.settle()
        self.shot("demo-confirm")
        tap(self.settings.dialog.ids.ok)
        yield from self.until(lambda: isinstance(self.gate.shown, ConsentScreen), "reprompt")
        yield from self.settle()
        r["analytics_after_withdraw"] = self.analytics.running
        r["reprompt_in_window"] = self.gate.shown.get_root_window() is not None
        r["reprompt_reason"] = self.client.decide().reasons[0]
        self.shot("demo-withdrawn")


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    DemoDriver(out, sys.argv[2]).run()
