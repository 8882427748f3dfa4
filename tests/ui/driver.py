"""Drives the Kivy widgets in a real window (run under Xvfb) and reports what happened.

    python driver.py OUT_DIR MODE CONFIG_JSON

MODE names a scenario module in this folder (``behaviour``, ``screens``, ``demo``); it
defines ``scenario(driver, config)``, a generator that yields seconds to wait (or uses
``until``). Taps go to widget coordinates through Kivy's window (UnitTestTouch), as a
finger would. Writes OUT_DIR/result.json and screenshots.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Generator, Mapping
from pathlib import Path
from typing import Any

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))

from kivy.config import Config

Config.set("graphics", "width", "360")
Config.set("graphics", "height", "640")
Config.set("input", "mouse", "mouse,disable_multitouch")

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.metrics import dp  # noqa: E402
from kivy.tests.common import UnitTestTouch  # noqa: E402
from kivy.uix.floatlayout import FloatLayout  # noqa: E402
from kivy.uix.label import Label  # noqa: E402
from kivy.uix.scrollview import ScrollView  # noqa: E402

from client_sdk import ConsentClient, NetworkError  # noqa: E402
from client_sdk.kivy import theme  # noqa: E402
from client_sdk.transport import Response  # noqa: E402

Steps = Generator[float, None, None]


class Offline:
    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, max_bytes: int) -> Response:
        raise NetworkError("offline", url=url)


def client(data: Path, bundle: Path, locales: tuple[str, ...], *, url: str | None = None,
           drop_documents: bool = False) -> ConsentClient:
    """A client started from a one-file bundle; offline unless ``url`` is given."""
    from client_sdk.protocol.bundle import AppBundle, load_bundle

    b = load_bundle(bundle)
    if drop_documents:  # as docs/integration.md once showed: a manifest, no documents
        b = AppBundle(b.app_id, b.root, b.manifest, {})
    return ConsentClient.from_bundle(url or "https://offline.invalid", b, data, locales,
                                     transport=None if url else Offline())


def tap(widget: Any) -> None:
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    touch.touch_up()


def labels(widget: Any) -> list[str]:
    return [w.text for w in widget.walk() if isinstance(w, Label) and w.text]


def in_window(widget: Any) -> bool:
    return widget.get_root_window() is not None and widget.opacity > 0 and widget.height > 0


class Scenario:
    """Runs ``self.steps`` (a scenario's generator) on the clock, and the helpers scenarios
    use; mixed into an App (this driver's, or the demo's in demo_driver.py)."""

    steps: Steps
    result: dict[str, Any]
    out: Path
    stop: Callable[[], None]

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

    def press(self, widget: Any) -> Steps:
        """Scroll ``widget`` into view when it is in a ScrollView, then tap it."""
        parent = widget.parent
        while parent is not None and not isinstance(parent, ScrollView):
            parent = parent.parent
        if parent is not None:
            parent.scroll_to(widget, padding=dp(10), animate=False)
            yield 0.15
        tap(widget)
        yield 0.15

    def settle(self, manager: Any = None) -> Steps:
        """Wait for ``manager``'s (a ScreenManager's) transition to end, then two frames:
        on a loaded machine a fixed delay may be a single frame, both screens still drawn."""
        if manager is not None:
            yield from self.until(lambda: not manager.transition.is_active and
                                  len(manager.children) == 1, "transition")
        for _ in range(2):
            yield 0

    def until(self, check: Callable[[], bool], what: str, timeout: float = 20) -> Steps:
        """Wait (frame by frame) until ``check()``; record a failure after ``timeout``."""
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                self.result.setdefault("timeouts", []).append(what)
                return
            yield 0.05


class Driver(Scenario, App):  # type: ignore[misc]
    def __init__(self, out: Path, mode: str, config: dict[str, Any]) -> None:
        super().__init__()
        self.out, self.config = out, config
        self.result = {}
        self.tmp = Path(tempfile.mkdtemp(prefix="kelisim-ui-"))
        module = importlib.import_module(mode)
        self.steps = module.scenario(self, config)

    def build(self) -> FloatLayout:
        Window.clearcolor = theme.background
        Clock.schedule_once(self.step, 0.3)
        return FloatLayout()

    def shot(self, name: str) -> None:
        """The whole window (modal views included) as OUT_DIR/name.png."""
        path = self.out / f"{name}.png"
        made = Window.screenshot(str(path))  # it numbers the file: keep our name
        if made and Path(made).exists():
            Path(made).replace(path)
        self.result.setdefault("screenshots", []).append(path.name)

    def show(self, widget: Any) -> None:
        self.root.clear_widgets()
        self.root.add_widget(widget)

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    Driver(out, sys.argv[2], json.loads(sys.argv[3])).run()
