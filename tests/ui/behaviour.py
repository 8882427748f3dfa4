"""The widgets' behaviour, each case driven in a real window: the evidence a record
carries, no accept without the document, one language everywhere, an outcome for every
action, no baked-in English, the document loaded off the UI thread, layers clipped to the
screen (see test_kivy_ui.py for what each result must be)."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from driver import Driver, Steps, client, in_window, labels, tap
from kivy.uix.switch import Switch

from client_sdk import ConsentClient
from client_sdk.kivy import ConsentGate, ConsentScreen, ConsentSettings, NoticeBanner
from client_sdk.kivy.policy_view import PolicyLine, PolicyModal
from client_sdk.transport import HttpTransport


def scenario(d: Driver, cfg: dict[str, Any]) -> Steps:
    steps = {"d1": defect1_evidence, "d2": defect2_no_document,
             "d2b": background_failures_leave_loading, "d3": defect3_one_language,
             "d4": defect4_outcomes, "d5": defect5_words, "d7": defect7_off_thread,
             "clip": layers_stay_inside_the_screen}
    for name in cfg.get("only", list(steps)):
        yield from steps[name](d, cfg)


def _accept_ready(s: ConsentScreen) -> bool:
    return s.document_state != "loading"


def defect1_evidence(d: Driver, cfg: dict[str, Any]) -> Steps:
    r = d.result["d1"] = {}
    # A policy of a few blocks whose text is about twice the view's height.
    c = client(d.tmp / "d1", Path(cfg["short"]), ("ru",))
    s = ConsentScreen(c, require_scroll=True)
    d.show(s)
    yield from d.until(lambda: _accept_ready(s), "d1 document")
    yield 0.5  # laid out
    r["blocks"] = len(s._blocks)
    r["first_layer_accept_enabled"] = not s.ids.accept_all.disabled
    r["scrolled_before"] = s.scrolled_to_end
    yield from d.press(s.full_text_button)
    yield 0.5
    view = s.ids.policy
    r["content_over_view"] = view.layout_manager.height / max(view.height, 1)
    r["scrolled_at_top"] = s.scrolled_to_end
    r["accept_enabled_at_top"] = not s.ids.accept_all.disabled
    view.scroll_y = 0
    yield from d.until(lambda: s.scrolled_to_end, "d1 scrolled to end")
    b2 = s.ids.back2
    r["back2"] = [b2.to_window(*b2.center), list(b2.size), b2.disabled, s.layer,
                  s.ids.layers.current, s.ids.layers.transition.is_active]
    tap(s.ids.back2)
    yield 0.2
    r["layer_after_back"] = s.layer
    yield from d.press(s.age_box)
    yield 0.2
    r["accept_enabled_after"] = not s.ids.accept_all.disabled
    tap(s.ids.accept_all)
    yield 0.2
    r["record"] = c.history()[-1].to_json() if c.history() else None
    # The app's choice: no scrolling required. Accept at once; evidence says so.
    c = client(d.tmp / "d1b", Path(cfg["short"]), ("ru",))
    s = ConsentScreen(c, require_scroll=False)
    d.show(s)
    yield from d.until(lambda: _accept_ready(s), "d1b document")
    yield 0.3
    yield from d.press(s.age_box)
    yield 0.2
    tap(s.ids.only)
    yield 0.2
    r["quick_record"] = c.history()[-1].to_json() if c.history() else None


def defect2_no_document(d: Driver, cfg: dict[str, Any]) -> Steps:
    r = d.result["d2"] = {}
    c = client(d.tmp / "d2", Path(cfg["a"]), ("ru",), drop_documents=True)
    s = ConsentScreen(c)  # require_scroll False: only the missing text stops Accept
    d.show(s)
    yield from d.until(lambda: s.document_state == "failed", "d2 failed")
    yield from d.press(s.age_box)
    yield 0.2
    r["state"] = s.document_state
    r["hint"] = s.hint_text
    r["accept_enabled"] = not s.ids.accept_all.disabled or not s.ids.only.disabled
    tap(s.ids.accept_all)
    tap(s.ids.only)
    yield 0.2
    r["records"] = len(c.history())
    d.shot("d2-offline")


def background_failures_leave_loading(d: Driver, cfg: dict[str, Any]) -> Steps:
    """Work off the UI thread that raises what no one expected (a bug, not the network):
    each widget leaves its waiting state, and the error is logged."""
    r = d.result["d2b"] = {}
    logged: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            logged.append(record.getMessage() + (" | exc" if record.exc_info else ""))

    handler = Catch()
    logging.getLogger("kelisim").addHandler(handler)
    c = client(d.tmp / "d2b", Path(cfg["a"]), ("ru",), drop_documents=True)

    def broken(*_args: Any, **_kw: Any) -> Any:
        raise RuntimeError("a bug while loading")

    c.document = broken  # type: ignore[method-assign]
    c.sync = broken  # type: ignore[method-assign]
    s = ConsentScreen(c)
    d.show(s)
    yield from d.until(lambda: s.document_state != "loading", "d2b screen leaves loading")
    r["screen_state"] = s.document_state
    r["screen_hint"] = s.hint_text
    modal = PolicyModal(c, c.current_version(), "ru")
    yield from d.until(lambda: modal.status != modal.words("loading"), "d2b modal")
    r["modal_status"] = modal.status
    settings = ConsentSettings(c)
    d.show(settings)
    synced: list[Any] = []
    settings.bind(on_synced=lambda _w, result: synced.append(result))
    settings.sync_now()
    yield from d.until(lambda: not settings.syncing, "d2b settings leaves syncing")
    r["settings_status"] = settings.status
    r["synced_ok"] = [x.ok for x in synced]
    r["logged"] = logged
    logging.getLogger("kelisim").removeHandler(handler)


def defect3_one_language(d: Driver, cfg: dict[str, Any]) -> Steps:
    r = d.result["d3"] = {}
    c = client(d.tmp / "d3", Path(cfg["a"]), ("uz",))
    c.accept(age_confirmed=True)
    c.close()
    c = client(d.tmp / "d3", Path(cfg["major"]), ("uz",))
    s = ConsentScreen(c)
    d.show(s)
    yield from d.until(lambda: _accept_ready(s), "d3 document")
    yield 0.3
    r["uz_labels"] = labels(s)
    s.open_layer("purposes")
    yield 0.3
    r["uz_purposes"] = labels(s.ids.purposes_box)
    # Progress: age confirmed, a purpose on, the full text read to its end.
    s.age_confirmed = True
    s.set_choice("analytics", True)
    s.open_layer("full_text")
    yield 0.3
    s.ids.policy.scroll_y = 0
    yield from d.until(lambda: s.scrolled_to_end, "d3 scrolled")
    tap(s.ids.language)
    yield 0.4
    options = [w for w in s.ids.language._dropdown.walk()
               if getattr(w, "text", None) == "Русский"]
    r["options"] = len(options)
    if options:
        tap(options[-1])
    yield from d.until(lambda: s.document_state == "ready" and s.locale == "ru", "d3 ru")
    yield 0.3
    r["after"] = {"locale": s.locale, "layer": s.layer, "scrolled": s.scrolled_to_end,
                  "age": s.age_confirmed, "analytics": s.choices.get("analytics")}
    s.open_layer("first_layer")
    yield 0.3
    r["ru_labels"] = labels(s)
    s.open_layer("purposes")
    yield 0.3
    r["ru_purposes"] = labels(s.ids.purposes_box)
    r["remembered"] = c.remembered_locale()
    # Another widget, later: the same language.
    c.accept({"analytics": True}, age_confirmed=True)
    settings = ConsentSettings(c)
    d.show(settings)
    yield 0.4
    r["settings_labels"] = labels(settings)
    c.close()
    c = client(d.tmp / "d3", Path(cfg["major"]), ("uz",))
    ConsentGate(c, parent=d.root, on_done=lambda _d: None, sync=False)
    r["decide_locale_next_launch"] = c.decide().locale
    c.close()
    # A notice later on speaks the language chosen on the consent screen.
    c = client(d.tmp / "d3b", Path(cfg["a"]), ("uz",))
    s = ConsentScreen(c)
    d.show(s)
    yield from d.until(lambda: _accept_ready(s), "d3b document")
    s.set_locale("ru")
    s.age_confirmed = True
    yield from d.until(lambda: s.can_accept, "d3b can accept")
    s.accept()
    c.close()
    c = client(d.tmp / "d3b", Path(cfg["minor"]), ("uz",))
    d.root.clear_widgets()
    gate = ConsentGate(c, parent=d.root, on_done=lambda _d: None, sync=False)
    gate._show(c.decide())
    yield 0.4
    r["banner_labels"] = labels(gate.banner) if hasattr(gate, "banner") else []
    d.shot("d3-banner-ru")


class Counting:
    """The real client, counting sync() calls (the UI must start one after each action)."""

    def __init__(self, c: ConsentClient) -> None:
        self.calls = 0
        self.real = c.sync

        def sync(**kw: Any) -> Any:
            self.calls += 1
            return self.real(**kw)

        c.sync = sync  # type: ignore[method-assign]


def defect4_outcomes(d: Driver, cfg: dict[str, Any]) -> Steps:
    r = d.result["d4"] = {}
    url = cfg["url"]
    # Decline: a visible outcome, the app told, a sync at once.
    c = client(d.tmp / "d4a", Path(cfg["a"]), ("kk",), url=url)
    counter = Counting(c)
    outcomes: list[str] = []
    d.root.clear_widgets()
    gate = ConsentGate(c, parent=d.root, on_done=lambda dec: outcomes.append("done"),
                       on_decline=lambda dec: outcomes.append("declined"))
    gate._show(c.decide())
    s = gate.shown
    yield from d.until(lambda: _accept_ready(s), "d4 document")
    tap(s.ids.decline)
    yield from d.until(lambda: counter.calls >= 1, "d4 decline sync")
    yield 0.3
    r["declined_outcomes"] = outcomes
    r["declined_panel"] = in_window(s.ids.review) and s.layer == "declined"
    r["decline_syncs"] = counter.calls
    d.shot("d4-declined")
    tap(s.ids.review)
    yield 0.3
    r["review_again_layer"] = s.layer
    # Settings: each action shows its result, tells the app, and is sent at once.
    c = client(d.tmp / "d4b", Path(cfg["a"]), ("kk",), url=url)
    c.accept(age_confirmed=True, evidence={"scrolled_to_end": True})
    changes: list[str] = []
    settings = ConsentSettings(c)
    settings.bind(on_change=lambda _w, rec: changes.append(rec.action))
    synced: list[bool] = []
    settings.bind(on_synced=lambda _w, res: synced.append(res.ok))
    d.show(settings)
    yield 0.4
    yield from d.press(settings.toggles["analytics"])
    yield from d.until(lambda: len(synced) >= 1, "d4 update synced")
    r["update_status"] = settings.status
    r["update_history"] = labels(settings.ids.content)[-1:]
    r["history_first"] = [x for x in labels(settings.ids.content) if "[b]" in x][:3]
    yield from d.press(settings.ids.withdraw_button)
    yield 0.4
    r["withdraw_dialog"] = settings.dialog is not None and in_window(settings.dialog)
    r["withdraw_before_confirm"] = [x.action for x in c.history()]
    d.shot("d4-confirm-withdraw")
    tap(settings.dialog.ids.cancel)
    yield 0.3
    r["after_cancel"] = [x.action for x in c.history()]
    # Withdrawal in a running app: the gate brings the consent screen back and the app
    # stops what consent gated.
    revoked: list[str] = []
    holder = d.root
    gate = ConsentGate(c, parent=holder, on_done=lambda _d: None,
                       on_revoked=lambda dec: revoked.append(dec.reasons[0]))
    gate.shown = None
    settings.bind(on_change=lambda *_: gate.recheck() and None)
    yield from d.press(settings.ids.withdraw_button)
    yield 0.4
    tap(settings.dialog.ids.ok)
    yield from d.until(lambda: len(synced) >= 2, "d4 withdraw synced")
    r["withdraw_actions"] = [x.action for x in c.history()]
    r["revoked"] = revoked
    r["prompt_shown"] = isinstance(gate.shown, ConsentScreen) and in_window(gate.shown)
    r["granted_after"] = c.is_granted("analytics")
    holder.remove_widget(gate.shown)
    yield from d.press(settings.ids.deletion_button)
    yield 0.4
    r["deletion_dialog"] = settings.dialog is not None and in_window(settings.dialog)
    tap(settings.dialog.ids.ok)
    yield from d.until(lambda: len(synced) >= 3, "d4 deletion synced")
    r["changes"] = changes
    r["synced"] = synced
    r["final_status"] = settings.status
    r["unsent"] = [x.action for x in c.history() if not x.synced]
    # A notice: Read opens the new text; closing it records the reading.
    c = client(d.tmp / "d4c", Path(cfg["a"]), ("kk",), url=url)
    c.accept(age_confirmed=True, evidence={"scrolled_to_end": True})
    c.close()
    c = client(d.tmp / "d4c", Path(cfg["minor"]), ("kk",), url=url)
    counter = Counting(c)
    d.root.clear_widgets()
    gate = ConsentGate(c, parent=d.root, on_done=lambda _d: None)
    gate._show(c.decide())
    banner: NoticeBanner = gate.banner
    yield 0.3
    tap(banner.ids.read_button)
    yield from d.until(lambda: banner.modal is not None and
                       bool(banner.modal.ids.policy.data), "d4 notice text")
    r["notice_modal_lines"] = len(banner.modal.ids.policy.data)
    d.shot("d4-notice-read")
    tap(banner.modal.ids.close)
    yield from d.until(lambda: counter.calls >= 1, "d4 notice sync")
    r["notice_actions"] = [x.action for x in c.history()]
    r["notice_heading"] = banner.heading
    r["notice_decision"] = c.decide().kind.value


def defect5_words(d: Driver, cfg: dict[str, Any]) -> Steps:
    r = d.result["d5"] = {}
    c = client(d.tmp / "d5", Path(cfg["a"]), ("ru",))
    s = ConsentScreen(c)
    d.show(s)
    yield from d.until(lambda: _accept_ready(s), "d5 document")
    s.open_layer("purposes")
    yield 0.3
    r["switches"] = sum(isinstance(w, Switch) for w in d.root.walk())
    r["purpose_labels"] = labels(s.ids.purposes_box)
    s.open_layer("first_layer")
    yield 0.3
    r["first_labels"] = labels(s.ids.first_box)
    r["meta"] = s.meta_text
    # A title is shown as it is: markup in it neither styles it nor makes a link.
    title = s.ids.title
    s.title_text = "Policy [b]1[/b] & [ref=https://evil.example]more[/ref]"
    yield 0.2
    r["title"] = [title.text, title.markup, title.bold, dict(title.refs)]
    c.accept(age_confirmed=True)
    settings = ConsentSettings(c)
    d.show(settings)
    yield 0.3
    r["settings_switches"] = sum(isinstance(w, Switch) for w in d.root.walk())
    r["settings_labels"] = labels(settings.ids.content)


class Held:
    """The real HTTP transport, except that a document request waits until released (a
    slow network). Wraps every method, whatever the transport's protocol calls them."""

    def __init__(self) -> None:
        self.inner = HttpTransport()
        self.release = threading.Event()
        self.waiting = threading.Event()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        def call(*args: Any, **kw: Any) -> Any:
            if any("/documents/" in str(a) for a in (*args, *kw.values())):
                self.waiting.set()
                self.release.wait(60)
            return method(*args, **kw)

        return call


def defect7_off_thread(d: Driver, cfg: dict[str, Any]) -> Steps:
    r = d.result["d7"] = {}
    from client_sdk.protocol.bundle import AppBundle, load_bundle

    b = load_bundle(Path(cfg["a"]))
    held = Held()
    c = ConsentClient.from_bundle(cfg["url"], AppBundle(b.app_id, b.root, b.manifest, {}),
                                  d.tmp / "d7", ("kk",), transport=held)
    started = time.monotonic()
    s = ConsentScreen(c)
    d.show(s)
    r["build_seconds"] = time.monotonic() - started
    yield from d.until(held.waiting.is_set, "d7 fetch started")
    frames = [0]
    from kivy.clock import Clock

    ev = Clock.schedule_interval(lambda _dt: frames.__setitem__(0, frames[0] + 1), 0)
    # Frames keep coming while the fetch is held: the UI thread is not the one waiting.
    yield from d.until(lambda: frames[0] >= 5, "d7 frames while fetching")
    r["frames_while_fetching"] = frames[0]
    r["state_while_fetching"] = s.document_state
    held.release.set()
    yield from d.until(lambda: s.document_state == "ready", "d7 ready")
    ev.cancel()
    # The long policy: a RecycleView holds only the lines on screen.
    c = client(d.tmp / "d7b", Path(cfg["long"]), ("kk",))
    s = ConsentScreen(c, require_scroll=True)
    d.show(s)
    yield from d.until(lambda: s.document_state == "ready", "d7 long ready")
    s.open_layer("full_text")
    yield 0.3
    r["long_blocks"] = len(s.ids.policy.data)
    r["long_line_widgets"] = sum(isinstance(w, PolicyLine) for w in s.walk())
    r["long_scrolled_at_top"] = s.scrolled_to_end
    s.ids.policy.scroll_y = 0
    yield from d.until(lambda: s.scrolled_to_end, "d7 long end")
    r["long_scrolled"] = s.scrolled_to_end
    d.shot("d7-long-end")


def _pixels(d: Driver, name: str, points: list[tuple[int, int]]) -> list[list[int]]:
    """RGB of window ``points`` (x, y from the bottom left) on screenshot ``name``."""
    from kivy.core.image import Image as CoreImage

    d.shot(name)
    image = CoreImage(str(d.out / f"{name}.png"), keep_data=True)
    height = image.height
    return [[round(c * 255) for c in image.read_pixel(x, height - 1 - y)[:3]]
            for x, y in points]


def layers_stay_inside_the_screen(d: Driver, cfg: dict[str, Any]) -> Steps:
    """A consent screen under an app's own toolbar, scrolled: its first layer clips (no
    text over the toolbar); a screen that spans the window needs no clipping."""
    from kivy.graphics import Color, Rectangle
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.widget import Widget

    r = d.result["clip"] = {}
    c = client(d.tmp / "clip", Path(cfg["short"]), ("ru",))
    box = BoxLayout(orientation="vertical")
    toolbar = Widget(size_hint_y=None, height=80)
    with toolbar.canvas:
        Color(1, 0, 0, 1)
        paint = Rectangle()
    toolbar.bind(pos=lambda w, p: setattr(paint, "pos", p),
                 size=lambda w, s: setattr(paint, "size", s))
    s = ConsentScreen(c)
    box.add_widget(toolbar)
    box.add_widget(s)
    d.show(box)
    yield 0.5
    scroll = s.ids.first_scroll
    scroll.scroll_y = 0.4  # the first layer's text runs on above the screen's header
    yield from d.settle()
    r["embedded_covered"] = scroll.covered
    # Every other pixel of the toolbar: text drawn over it would show as non-red ones.
    seen = _pixels(d, "clip-embedded", [(x, y) for x in range(0, int(toolbar.width), 2)
                                        for y in range(int(toolbar.y), int(toolbar.top), 2)])
    r["toolbar_not_red"] = sum(rgb != [255, 0, 0] for rgb in seen)
    r["toolbar_pixels"] = len(seen)
    d.show(ConsentScreen(c))
    yield 0.5
    full = d.root.children[0]
    r["full_covered"] = full.ids.first_scroll.covered
