"""Drives the Kivy widgets in a real window (run under Xvfb) and reports what happened.

    python driver.py OUT_DIR LOCALE BUNDLE_A BUNDLE_MINOR BUNDLE_MAJOR BUNDLE_LONG

Each BUNDLE is an `export-static` folder. Taps go to widget coordinates through Kivy's
window (UnitTestTouch), as a finger would. Writes OUT_DIR/result.json and screenshots.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from collections.abc import Generator, Mapping
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
from kivy.tests.common import UnitTestTouch  # noqa: E402
from kivy.uix.floatlayout import FloatLayout  # noqa: E402
from kivy.uix.label import Label  # noqa: E402

from client_sdk import ConsentClient, NetworkError  # noqa: E402
from client_sdk.kivy import (  # noqa: E402
    ConsentScreen,
    ConsentSettings,
    NoticeBanner,
    register_fonts,
)
from client_sdk.transport import Response  # noqa: E402

APP_ID = "jana-courier"


class Offline:
    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, max_bytes: int) -> Response:
        raise NetworkError("offline", url=url)


def bundle(folder: Path, app_id: str = APP_ID) -> tuple[bytes, bytes, dict[str, bytes]]:
    root = (folder / "v1/root/1.json").read_bytes()
    manifest = (folder / f"v1/apps/{app_id}/manifest.json").read_bytes()
    docs = {p.name: p.read_bytes() for p in (folder / "v1/documents").iterdir()}
    return root, manifest, docs


def make_client(data: Path, folder: Path, locale: str, app_id: str = APP_ID,
                drop_locale: str | None = None) -> ConsentClient:
    root, manifest, docs = bundle(folder, app_id)
    if drop_locale is not None:
        # A bundle that lacks one language's document (and no network to fetch it).
        payload = json.loads(__import__("base64").b64decode(json.loads(manifest)["payload"]))
        docs.pop(payload["current"]["locales"][drop_locale]["sha256"], None)
    return ConsentClient("https://offline.invalid", app_id, root, data, (locale,),
                         bundled_manifest=manifest, bundled_documents=docs,
                         transport=Offline())


def tap(widget: Any) -> None:
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    touch.touch_up()


def labels(widget: Any) -> list[str]:
    return [w.text for w in widget.walk() if isinstance(w, Label)]


class Driver(App):
    def __init__(self, out: Path, locale: str, a: Path, minor: Path, major: Path,
                 long: Path) -> None:
        super().__init__()
        self.out, self.locale, self.a, self.minor, self.major = out, locale, a, minor, major
        self.long = long
        self.result: dict[str, Any] = {}
        self.steps = self.scenario()

    def build(self) -> FloatLayout:
        register_fonts()
        Window.clearcolor = (1, 1, 1, 1)
        Clock.schedule_once(self.step, 0.3)
        return FloatLayout()

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
                                                         indent=1))
        self.stop()

    def shot(self, name: str) -> None:
        path = self.out / f"{name}-{self.locale}.png"
        self.root.export_to_png(str(path))
        self.result.setdefault("screenshots", []).append(path.name)

    def show(self, widget: Any) -> None:
        self.root.clear_widgets()
        self.root.add_widget(widget)

    def scenario(self) -> Generator[float, None, None]:
        r = self.result
        tmp = Path(tempfile.mkdtemp(prefix="kelisim-ui-"))
        loc = self.locale

        # First launch: accept is locked until the end of the policy was reached.
        client = make_client(tmp / "first", self.a, loc)
        screen = ConsentScreen(client)
        self.show(screen)
        yield 0.5
        r["first_accept_disabled"] = screen.accept_button.disabled
        tap(screen.accept_button)
        yield 0.2
        r["records_after_early_tap"] = len(client.history())
        r["ui_accept_text"] = screen.accept_button.text
        r["first_labels"] = labels(screen)[:3]
        self.shot("consent")
        screen.scroll.scroll_y = 0
        yield 0.3
        r["scrolled"] = bool(screen.scrolled_to_end)
        r["accept_disabled_before_age"] = screen.accept_button.disabled
        if screen.age_box is not None:
            tap(screen.age_box)
            yield 0.2
        r["accept_disabled_after"] = screen.accept_button.disabled
        if "analytics" in screen.switches:
            tap(screen.switches["analytics"])
            yield 0.2
        tap(screen.accept_button)
        yield 0.2
        history = client.history()
        r["first_record"] = history[-1].to_json() if history else None
        r["decision_after_accept"] = client.decide().kind.value

        # The language switch changes the document and the screen's own words.
        client = make_client(tmp / "lang", self.a, "kk")
        screen = ConsentScreen(client)
        self.show(screen)
        yield 0.3
        before = (screen.title_label.text, screen.accept_button.text)
        tap(screen.language)
        yield 0.4
        options = [w for child in Window.children for w in child.walk()
                   if getattr(w, "text", None) == "Русский" and w is not screen.language]
        r["language_options_found"] = len(options)
        if options:
            tap(options[-1])
            yield 0.4
        r["language_before"] = before
        r["language_after"] = (screen.title_label.text, screen.accept_button.text,
                               screen.locale)

        # Decline.
        client = make_client(tmp / "decline", self.a, loc)
        screen = ConsentScreen(client)
        self.show(screen)
        yield 0.3
        tap(screen.decline_button)
        yield 0.2
        r["decline_actions"] = [x.action for x in client.history()]

        # A major version: the re-prompt shows what changed first.
        client = make_client(tmp / "major", self.a, loc)
        client.accept(age_confirmed=True)
        client.close()
        client = make_client(tmp / "major", self.major, loc)
        decision = client.decide()
        r["major_decision"] = [decision.kind.value, *decision.reasons]
        screen = ConsentScreen(client, decision)
        self.show(screen)
        yield 0.4
        r["major_labels"] = labels(screen.body)[:6]
        self.shot("reprompt")

        # A minor version: a banner; Dismiss acknowledges.
        client = make_client(tmp / "minor", self.a, loc)
        client.accept(age_confirmed=True)
        client.close()
        client = make_client(tmp / "minor", self.minor, loc)
        decision = client.decide()
        r["minor_decision"] = decision.kind.value
        banner = NoticeBanner(client, decision)
        banner.pos_hint = {"top": 1}
        self.show(banner)
        yield 0.4
        self.shot("notice")
        tap(banner.dismiss_button)
        yield 0.2
        r["minor_actions"] = [x.action for x in client.history()]
        r["minor_after"] = client.decide().kind.value

        # Settings: change a purpose, then withdraw.
        client = make_client(tmp / "settings", self.a, loc)
        client.accept(age_confirmed=True)
        settings = ConsentSettings(client)
        self.show(settings)
        yield 0.4
        tap(settings.switches["analytics"])
        yield 0.3
        r["settings_granted_analytics"] = client.is_granted("analytics")
        self.shot("settings")
        tap(settings.withdraw_button)
        yield 0.3
        r["settings_actions"] = [x.action for x in client.history()]
        r["settings_decision"] = client.decide().kind.value
        yield 0.1

        # Bad data: the user's language has no document here; the screen says so.
        client = make_client(tmp / "nodoc", self.a, "ru", drop_locale="ru")
        screen = ConsentScreen(client)
        self.show(screen)
        yield 0.3
        r["nodoc_labels"] = labels(screen.body)[:2]
        screen.scroll.scroll_y = 0
        yield 0.3
        tap(screen.age_box)
        yield 0.2
        r["nodoc_accept_enabled"] = not screen.accept_button.disabled

        # A very long policy (one huge paragraph among a thousand): it renders and scrolls.
        client = make_client(tmp / "long", self.long, loc, app_id="long-policy")
        started = __import__("time").monotonic()
        screen = ConsentScreen(client)
        self.show(screen)
        yield 0
        r["long_first_frame_seconds"] = __import__("time").monotonic() - started
        screen.scroll.scroll_y = 0  # too early: the document is still being laid out
        yield 0.1
        r["long_scrolled_early"] = bool(screen.scrolled_to_end)
        for _ in range(300):
            if screen.complete:
                break
            yield 0.1
        r["long_labels"] = len(labels(screen.body))
        r["long_build_seconds"] = __import__("time").monotonic() - started
        screen.scroll.scroll_y = 0
        yield 0.5
        r["long_scrolled"] = bool(screen.scrolled_to_end)
        self.shot("long")


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    Driver(out, sys.argv[2], *(Path(p) for p in sys.argv[3:7])).run()
