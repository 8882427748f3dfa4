"""The gate in a real window (tests/test_gate.py checks the results): a newer version found
by the background refresh is offered on the open consent screen, never swapped in; the
UPCOMING notice right after Accept; an upcoming major version taking effect while the app
runs revokes consent and brings the consent screen back, on the UI thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from driver import Driver, Steps, client, in_window, tap
from kivy.uix.label import Label

from client_sdk import ConsentClient
from client_sdk.errors import NetworkError
from client_sdk.kivy import ConsentGate, ConsentScreen, NoticeBanner
from client_sdk.protocol.bundle import load_bundle
from client_sdk.transport import HttpTransport, Response


def scenario(d: Driver, cfg: dict[str, Any]) -> Steps:
    steps = {"newer": newer_version_while_reading, "upcoming": upcoming_after_accept,
             "time": time_revokes, "late_refresh": refresh_ends_after_the_change,
             "stopped": refresh_ends_after_stop}
    for name in cfg.get("only", list(steps)):
        yield from steps[name](d, cfg)


class Held:
    """The real HTTP transport, held until the scenario releases it: the user acts on the
    screen first, then the background refresh reaches the server."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.real = HttpTransport()

    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, max_bytes: int) -> Response:
        self.release.wait(120)
        return self.real.request(method, url, body=body, headers=headers,
                                 max_bytes=max_bytes)


class HeldOffline:
    """No network, and the failure held until the scenario releases it."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, max_bytes: int) -> Response:
        self.release.wait(120)
        raise NetworkError("offline", url=url)


def newer_version_while_reading(d: Driver, cfg: dict[str, Any]) -> Steps:
    r = d.result["newer"] = {}
    held = Held()
    b = load_bundle(Path(cfg["a"]))
    c = ConsentClient.from_bundle(cfg["url"], b, d.tmp / "newer", ("ru",), transport=held)
    done: list[str] = []
    refreshed: list[bool] = []
    d.root.clear_widgets()
    gate = ConsentGate(c, parent=d.root, on_done=lambda dec: done.append(dec.kind.value),
                       on_refresh=lambda res: refreshed.append(res.ok), sync=False)
    gate.start()
    s = gate.shown
    assert isinstance(s, ConsentScreen)
    yield from d.until(lambda: s.document_state == "ready", "newer document")
    r["first_version"] = s.version.label
    yield from d.press(s.age_box)
    yield 0.2
    scroll = s.ids.first_scroll
    scroll.scroll_y = 0.4
    yield 0.2
    r["scroll_before"] = round(scroll.scroll_y, 3)
    r["age_before"] = s.age_confirmed
    held.release.set()  # the background refresh now finds the newer version
    yield from d.until(lambda: bool(refreshed), "newer refresh")
    # (Before the fix the gate put a new screen in its place: record what the user has.)
    yield from d.until(lambda: gate.shown is not s or getattr(s, "newer", None) is not None,
                       "newer offered")
    yield 0.3
    r["refresh_ok"] = refreshed
    r["same_screen"] = gate.shown is s and in_window(s)
    now = gate.shown
    r["scroll_after"] = round(now.ids.first_scroll.scroll_y, 3)
    r["age_after"] = now.age_confirmed
    if getattr(s, "newer", None) is None:
        return
    r["layer_after"] = s.layer
    r["version_while_offered"] = s.version.label
    notice = s._newer_notice
    r["notice_in_window"] = in_window(notice)
    r["notice_labels"] = [w.text for w in notice.walk(restrict=True)
                          if isinstance(w, Label) and w.text]
    r["notice_above_layers"] = notice.y >= s.ids.layers.top - 1
    r["accept_while_offered"] = s.can_accept
    r["hint_while_offered"] = s.hint_text
    r["done_before"] = list(done)
    d.shot("gate-newer-offered-ru")
    tap(notice.ids.continue_newer)
    yield from d.until(lambda: s.version.version != b_version(b) and
                       s.document_state == "ready", "newer continued")
    yield 0.3
    r["version_after"] = s.version.label
    r["age_kept"] = s.age_confirmed
    r["notice_gone"] = notice.parent is None
    r["accept_after"] = s.can_accept
    tap(s.ids.accept_all)
    yield from d.until(lambda: bool(done), "newer accepted")
    r["recorded_version"] = [x.version for x in c.history()]
    r["done"] = done
    getattr(gate, "stop", lambda: None)()
    c.close()


def b_version(b: Any) -> int:
    from client_sdk.protocol.envelope import PAYLOAD_MANIFEST, parse_envelope

    number: int = parse_envelope(b.manifest, PAYLOAD_MANIFEST).payload_json()["current"][
        "version"]
    return number


def upcoming_after_accept(d: Driver, cfg: dict[str, Any]) -> Steps:
    r = d.result["upcoming"] = {}
    c = client(d.tmp / "upcoming", Path(cfg["upcoming"]), ("en",))
    done: list[str] = []
    d.root.clear_widgets()
    gate = ConsentGate(c, parent=d.root, on_done=lambda dec: done.append(dec.kind.value),
                       sync=False)
    gate.start()
    s = gate.shown
    assert isinstance(s, ConsentScreen)
    yield from d.until(lambda: s.document_state == "ready", "upcoming document")
    yield from d.press(s.age_box)
    yield 0.2
    tap(s.ids.accept_all)
    yield 0  # one frame: no next launch, no refresh
    yield 0
    banner = getattr(gate, "banner", None)
    r["banner_shown"] = isinstance(banner, NoticeBanner) and gate.shown is not None and \
        in_window(banner)
    r["banner_kind"] = banner.decision.kind.value if banner is not None else None
    r["banner_version"] = banner.decision.version.label if banner is not None else None
    r["done"] = done
    d.shot("gate-upcoming-after-accept-en")
    getattr(gate, "stop", lambda: None)()
    c.close()


def time_revokes(d: Driver, cfg: dict[str, Any]) -> Steps:
    """The upcoming major version takes effect two seconds (by the client's clock) after
    the app has started: the gate's Clock wakes at next_change_at(), the app is told on the
    UI thread, and the consent screen shows the new version."""
    r = d.result["time"] = {}
    b = load_bundle(Path(cfg["upcoming"]))
    from client_sdk.protocol.envelope import PAYLOAD_MANIFEST, parse_envelope
    from client_sdk.protocol.grammar import parse_time

    effective = parse_time(parse_envelope(b.manifest, PAYLOAD_MANIFEST).payload_json()[
        "upcoming"]["effective"])
    base = effective - timedelta(seconds=4)
    started: list[float] = []  # the clock stands at base until the gate starts

    def clock() -> datetime:
        # Opening the store and the first accept may take seconds on a loaded machine (a
        # fresh checkout compiles what they import): the accept must happen before the
        # change, whatever the machine's speed.
        return base + timedelta(seconds=time.monotonic() - started[0] if started else 0)

    c = client(d.tmp / "time", Path(cfg["upcoming"]), ("en",))
    c.clock = clock
    c.accept(["analytics"], age_confirmed=True)
    c.acknowledge_notice()
    ui = threading.current_thread()
    revoked: list[tuple[str, bool]] = []
    changes: list[Any] = []
    d.root.clear_widgets()
    gate = ConsentGate(c, parent=d.root, on_done=lambda _d: None, sync=False,
                       on_revoked=lambda dec: revoked.append(
                           (dec.reasons[0], threading.current_thread() is ui)),
                       on_change=changes.append)
    started.append(time.monotonic())
    gate.start()
    r["granted_at_start"] = c.is_granted("analytics")
    r["next_change_in"] = round((c.next_change_at() - clock()).total_seconds())  # type: ignore[operator]
    r["shown_at_start"] = type(gate.shown).__name__
    yield from d.until(lambda: bool(revoked), "time revoked", timeout=60)
    yield 0.2
    r["revoked"] = revoked
    r["granted_after"] = c.is_granted("analytics")
    r["change_revoked"] = sorted(changes[-1].revoked) if changes else []
    r["change_cause"] = changes[-1].cause if changes else None
    s = gate.shown
    r["prompt_shown"] = isinstance(s, ConsentScreen) and in_window(s)
    r["prompt_version"] = s.version.label if isinstance(s, ConsentScreen) else None
    getattr(gate, "stop", lambda: None)()
    c.close()


def _late_client(d: Driver, cfg: dict[str, Any], name: str
                 ) -> tuple[ConsentClient, HeldOffline, list[datetime], datetime]:
    """An offline client of the bundle with an upcoming major version, consent given two
    hours before that version takes effect, its clock in the scenario's hands."""
    b = load_bundle(Path(cfg["upcoming"]))
    from client_sdk.protocol.envelope import PAYLOAD_MANIFEST, parse_envelope
    from client_sdk.protocol.grammar import parse_time

    effective = parse_time(parse_envelope(b.manifest, PAYLOAD_MANIFEST).payload_json()[
        "upcoming"]["effective"])
    now = [effective - timedelta(hours=2)]  # the timer waits MAX_WAIT: it never wakes here
    held = HeldOffline()
    c = ConsentClient.from_bundle("https://offline.invalid", b, d.tmp / name, ("en",),
                                  transport=held)
    c.clock = lambda: now[0]
    c.accept(["analytics"], age_confirmed=True)
    c.acknowledge_notice()
    return c, held, now, effective


def refresh_ends_after_the_change(d: Driver, cfg: dict[str, Any]) -> Steps:
    """The background refresh ends (offline) after the upcoming major version took effect
    and before the gate's timer wakes: the gate must still revoke. It once cancelled its
    timer there and, the change's instant being past, scheduled none: consent stood until
    the next launch."""
    r = d.result["late_refresh"] = {}
    c, held, now, effective = _late_client(d, cfg, "late")
    revoked: list[str] = []
    refreshed: list[bool] = []
    d.root.clear_widgets()
    gate = ConsentGate(c, parent=d.root, on_done=lambda _d: None, sync=False,
                       on_revoked=lambda dec: revoked.append(dec.reasons[0]),
                       on_refresh=lambda res: refreshed.append(res.ok))
    gate.start()
    r["granted_at_start"] = c.is_granted("analytics")
    yield 0
    now[0] = effective + timedelta(seconds=1)
    held.release.set()
    yield from d.until(lambda: bool(refreshed), "late refresh ended")
    yield from d.until(lambda: bool(revoked), "late refresh revoked")
    r["refreshed"] = refreshed
    r["revoked"] = revoked
    r["granted_after"] = c.is_granted("analytics")
    s = gate.shown
    r["prompt_shown"] = isinstance(s, ConsentScreen) and in_window(s)
    gate.stop()
    c.close()


def refresh_ends_after_stop(d: Driver, cfg: dict[str, Any]) -> Steps:
    """stop() ends the gate's watch: a background refresh that ends after it puts no
    consent screen up (the change having taken effect meanwhile) and sets no timer (the
    change still ahead). recheck() then listens and watches again."""
    r = d.result["stopped"] = {}
    c, held, now, effective = _late_client(d, cfg, "stopped")
    refreshed: list[bool] = []
    d.root.clear_widgets()
    gate = ConsentGate(c, parent=d.root, on_done=lambda _d: None, sync=False,
                       on_refresh=lambda res: refreshed.append(res.ok))
    gate.start()
    yield 0
    gate.stop()
    now[0] = effective + timedelta(seconds=1)
    held.release.set()
    yield from d.until(lambda: bool(refreshed), "refresh after stop ended")
    yield 0
    yield 0
    r["refreshed"] = refreshed
    r["screens"] = [type(w).__name__ for w in d.root.children]
    c.close()

    # The change still ahead when the refresh ends: no timer either.
    c, held, now, effective = _late_client(d, cfg, "stopped-ahead")
    ended: list[bool] = []
    revoked: list[str] = []
    d.root.clear_widgets()
    gate = ConsentGate(c, parent=d.root, on_done=lambda _d: None, sync=False,
                       on_refresh=lambda res: ended.append(res.ok),
                       on_revoked=lambda dec: revoked.append(dec.reasons[0]))
    gate.start()
    yield 0
    gate.stop()
    held.release.set()
    yield from d.until(lambda: bool(ended), "refresh after stop ended (change ahead)")
    yield 0
    r["timer"] = gate._timer is not None
    # recheck() after stop(): listening again, so a change heard by any check reaches it.
    gate.recheck()
    r["timer_after_recheck"] = gate._timer is not None
    now[0] = effective + timedelta(seconds=1)
    c.check()  # as an app's own timer would
    yield from d.until(lambda: bool(revoked), "revoked after recheck")
    r["revoked_after_recheck"] = revoked
    gate.stop()
    c.close()
