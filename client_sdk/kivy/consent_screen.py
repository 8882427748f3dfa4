"""``ConsentScreen``: the layered consent notice.

Layer 1 (``first_layer``) is built from signed manifest fields, the Law 94-V Art. 8(4)
elements: who (operator, BIN), what data, which purposes with vendors and countries, third
parties, transfer abroad, publication, term; with "what changed" first on a re-prompt. What
it holds, bar included, is client_sdk.ui.layout.first_layer's description (the console's
phone preview renders the same one).
``purposes`` holds the per-purpose toggles, ``full_text`` the policy (one tap away).
Accept is never enabled before the document is loaded; with ``require_scroll`` (the app's
choice) only once the full text was scrolled to its end, measured on screen after layout.

Events: ``on_accept(record)``, ``on_decline(record)``.

A newer version published while the screen is open is never swapped in silently:
``show_newer(decision)`` (the gate calls it) shows "A newer version of the policy was
published" with a button to continue on it (``continue_newer``); until then the user keeps
their place, and Accept waits (it would record the newer version).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import (
    BooleanProperty,
    DictProperty,
    ListProperty,
    ObjectProperty,
    OptionProperty,
    StringProperty,
)
from kivy.uix.boxlayout import BoxLayout

from client_sdk.client import ConsentClient
from client_sdk.decision import Decision
from client_sdk.errors import ConsentError, UsageError
from client_sdk.kivy import layers
from client_sdk.kivy.base import after_first_frame, background
from client_sdk.kivy.covered_scroll import CoveredScroll
from client_sdk.kivy.style import theme
from client_sdk.protocol.model import Version
from client_sdk.ui.markup import Block, to_blocks
from client_sdk.ui.strings import LANGUAGE_NAMES
from client_sdk.ui.texts import Words, language

__all__ = ["LAYERS", "ConsentScreen"]

LAYERS = ("first_layer", "purposes", "full_text")


class Part(BoxLayout):  # type: ignore[misc]
    """The content of a layer other than the first, made when first needed; its kv rule
    reads the screen's state through ``screen``."""

    screen = ObjectProperty(None)


class PurposesPart(Part):
    pass


class FullTextPart(Part):
    pass


class DeclinedPart(Part):
    pass


_PARTS = {"purposes": PurposesPart, "full_text": FullTextPart, "declined": DeclinedPart}


class ConsentScreen(BoxLayout):  # type: ignore[misc]
    """See the module docstring. State lives in the properties below; the layout in
    consent_screen.kv."""

    locale = StringProperty("")
    layer = OptionProperty("first_layer", options=[*LAYERS, "declined"])
    document_state = OptionProperty("loading", options=["loading", "ready", "failed"])
    require_scroll = BooleanProperty(False)
    scrolled_to_end = BooleanProperty(False)
    full_text_opened = BooleanProperty(False)
    age_confirmed = BooleanProperty(False)
    guardian_confirmed = BooleanProperty(False)
    guardian_name = StringProperty("")
    choices = DictProperty()  # optional purpose id -> on
    can_accept = BooleanProperty(False)
    declined = BooleanProperty(False)
    layers_shown = ListProperty()
    words = ObjectProperty(None)
    title_text = StringProperty("")
    meta_text = StringProperty("")
    hint_text = StringProperty("")
    newer = ObjectProperty(None, allownone=True)  # a newer version's decision (show_newer)
    __events__ = ("on_accept", "on_decline")

    def __init__(self, client: ConsentClient, decision: Decision | None = None, *,
                 require_scroll: bool = False, clock: Callable[[], float] = time.monotonic,
                 zone: tzinfo | None = None, **kw: Any) -> None:
        self.client = client
        self.decision = decision or client.decide()
        if self.decision.version is None:
            raise UsageError("ConsentScreen needs a decision with a version")
        self.version: Version = self.decision.version
        self.clock = clock
        self.zone = zone
        self.seconds_by_layer: dict[str, float] = {}
        self._shown_since: float | None = None
        self._layer_since: float | None = None
        self._document_locale = ""
        self._purposes_built = False
        self._toggles: dict[str, Any] = {}
        self._blocks: list[Block] = []
        self._parts: dict[str, Part] = {}
        self.bar_buttons: list[Any] = []  # the bar's, in order (layers.fill_bar)
        self.bar_bindings: list[int] = []
        super().__init__(**kw)
        # The header and the bar keep their place in the layout but are drawn after the
        # layers: they cover what a layer scrolls beyond its view (CoveredScroll).
        for edge in (self.ids.header, self.ids.bar):
            self.canvas.remove(edge.canvas)
            self.canvas.after.add(edge.canvas)
        from kivy.core.window import Window

        for name in ("pos", "size", "parent"):
            self.fbind(name, self._check_covered)
        Window.bind(size=self._check_covered)  # a weak reference: the screen can go
        self.require_scroll = require_scroll
        state = client.consent_state()
        self.choices = {p.id: state.status == "accepted" and bool(state.grants.get(p.id))
                        for p in self.version.purposes if not p.required}
        self._mark = Clock.create_trigger(self._mark_shown, 0)
        self.fbind("parent", self._mark)
        self.fbind("layer", self._on_layer)
        self.fbind("choices", lambda *_: layers.rename_bar(self) if self.words else None)
        for name in ("document_state", "scrolled_to_end", "age_confirmed",
                     "guardian_confirmed", "guardian_name", "require_scroll", "declined"):
            self.fbind(name, self._update)
        self._document_wanted = False
        self.set_locale(language(client, self.version), remember=False)
        # The full text is a later layer: made, read and parsed once the first frame is
        # drawn.
        after_first_frame(self._load_document)

    def part(self, name: str) -> Part:
        """The content of layer ``name`` (not the first), made on first use; its widgets'
        ids join the screen's (``ids.policy``, ``ids.back2``...)."""
        made = self._parts.get(name)
        if made is None:
            if name == "full_text":
                from client_sdk.kivy import policy_view  # noqa: F401 - the kv rule makes a PolicyView
            made = self._parts[name] = _PARTS[name](screen=self)
            self.ids[f"{name}_layer"].add_widget(made)
            self.ids.update(made.ids)
            self._check_covered()
            if name == "full_text":
                self.ids.policy.fbind("scrolled_to_end", self._policy_read)
        return made

    def _check_covered(self, *_: Any) -> None:
        """Whether the screen spans the window (then its layers need not clip: see
        CoveredScroll); checked when it moves, resizes or changes parent, and when the
        window resizes."""
        window = self.get_root_window()
        spans = False
        if window is not None:
            x0, y0 = self.to_window(self.x, self.y)
            x1, y1 = self.to_window(self.right, self.top)
            spans = x0 <= 0 and y0 <= 0 and x1 >= window.width and y1 >= window.height
        for widget in self.walk(restrict=True):
            if isinstance(widget, CoveredScroll):
                widget.covered = spans

    # -- language ----------------------------------------------------------------------
    def set_locale(self, tag: str, *, remember: bool = True) -> None:
        """Show everything in ``tag``; the user's progress (layer, scroll, read state,
        choices, age) stays. ``remember`` stores it for later screens and launches."""
        if tag not in self.version.locales:
            raise UsageError(f"version {self.version.label} has no {tag!r} document")
        if remember:
            self.client.remember_locale(tag)
        self.locale = tag
        self.words = Words(tag, self.version, self.client.manifest, self.zone,
                               self.client.preferred_locales)
        spinner = self.ids.language
        self._languages = {LANGUAGE_NAMES.get(t, t): t for t in sorted(self.version.locales)}
        spinner.values = list(self._languages)
        spinner.text = LANGUAGE_NAMES.get(tag, tag)
        layers.fill_first_layer(self, self.ids.first_box)
        self._purposes_built = False
        if self.layer == "purposes":
            self._build_purposes()
        if self._document_wanted:
            self._load_document()
        self._update()

    def on_language_pick(self, name: str) -> None:
        tag = self._languages.get(name)
        if tag and tag != self.locale:
            self.set_locale(tag)

    # -- the document, off the UI thread -----------------------------------------------
    def _load_document(self) -> None:
        self._document_wanted = True
        self.part("full_text")
        tag = self.locale
        self._document_locale = tag
        if self.document_state != "ready":
            self.document_state = "loading"
        number = self.version.version
        link = theme.link_hex()

        def work() -> list[Block] | ConsentError:
            try:
                return to_blocks(self.client.document(tag, version=number), link)
            except (ConsentError, UsageError) as exc:
                return ConsentError(str(exc)) if isinstance(exc, UsageError) else exc

        # Anything else work() raises (a bug, a broken parser) fails the load too: the
        # screen shows the failure and its retry, never "loading" for ever.
        background(work, lambda result: self._document_loaded(tag, result, number),
                   lambda exc: self._document_loaded(tag, ConsentError(str(exc)), number))

    def _document_loaded(self, tag: str, result: list[Block] | ConsentError,
                         number: int | None = None) -> None:
        if tag != self._document_locale or number not in (None, self.version.version):
            return  # the user switched language (or went on to a newer version) meanwhile
        if isinstance(result, ConsentError):
            self.document_state = "failed"
            return
        from client_sdk.kivy.policy_view import blocks_to_data

        view = self.ids.policy
        keep = view.scroll_y
        self._blocks = result
        view.lines = blocks_to_data(result, self.words("end_of_policy"))
        view.scroll_y = keep
        self.document_state = "ready"

    def retry(self) -> None:
        self._load_document()

    # -- layers and evidence -----------------------------------------------------------
    def open_layer(self, name: str) -> None:
        if name not in LAYERS:
            raise UsageError(f"unknown layer {name!r}")
        self.layer = name

    def _build_purposes(self) -> None:
        # Built when first opened: the first frame shows only the first layer.
        if not self._purposes_built:
            self._purposes_built = True
            self.part("purposes")
            layers.fill_purposes(self, self.ids.purposes_box)

    def _on_layer(self, *_: Any) -> None:
        if self.layer == "purposes":
            self._build_purposes()
        elif self.layer != "first_layer":
            self.part(self.layer)
        self._close_layer_time()
        if self.layer == "full_text":
            self.full_text_opened = True
        self.ids.layers.current = self.layer
        self._update()
        self._mark()

    def _close_layer_time(self) -> None:
        if self._layer_since is not None and self._shown_layer:
            spent = self.clock() - self._layer_since
            self.seconds_by_layer[self._shown_layer] = \
                self.seconds_by_layer.get(self._shown_layer, 0.0) + spent
        self._layer_since = None

    _shown_layer = ""

    def _mark_shown(self, *_: Any) -> None:
        """Called a frame after a layer became current: it counts as shown only when it
        is in the window."""
        screen = self.ids.layers.current_screen
        if self.get_root_window() is None or screen is None or \
                screen.get_root_window() is None:
            if self.parent is not None:  # added, but its parent not yet in the window
                Clock.schedule_once(self._mark_shown, 0.1)
            return
        now = self.clock()
        if self._shown_since is None:
            self._shown_since = now
        if screen.name in LAYERS and screen.name not in self.layers_shown:
            self.layers_shown.append(screen.name)
        if self._layer_since is None:
            self._shown_layer = screen.name
            self._layer_since = now
        if screen.name == "full_text":
            self.ids.policy.check_end()

    def _policy_read(self, _view: Any, value: bool) -> None:
        if value and self.layer == "full_text":
            self.scrolled_to_end = True

    def evidence(self) -> dict[str, Any]:
        """What happened on screen (COMMON.md's evidence contract)."""
        self._close_layer_time()
        now = self.clock()
        if self.layer in LAYERS and self.get_root_window() is not None:
            self._shown_layer, self._layer_since = self.layer, now
        total = now - self._shown_since if self._shown_since is not None else 0.0
        return {
            "layers_shown": list(self.layers_shown),
            "full_text_opened": bool(self.full_text_opened),
            "scrolled_to_end": bool(self.scrolled_to_end),
            "seconds_on_screen": _seconds(total),
            "seconds_by_layer": {k: _seconds(v) for k, v in self.seconds_by_layer.items()
                                 if k in self.layers_shown},
            "ui_locale": self.locale,
        }

    # -- state -------------------------------------------------------------------------
    def _age_ok(self) -> bool:
        v = self.version
        if v.min_age is None or self.age_confirmed:
            return True
        return bool(v.guardian_consent and self.guardian_confirmed
                    and self.guardian_name.strip())

    def _update(self, *_: Any) -> None:
        w = self.words
        if w is None:
            return
        read = self.scrolled_to_end or not self.require_scroll
        self.can_accept = self.document_state == "ready" and read and self._age_ok() \
            and not self.declined and self.newer is None
        if self.newer is not None:
            self.hint_text = w("newer_hint")
        elif self.document_state == "failed":
            self.hint_text = w("offline_document")
        elif self.document_state == "loading":
            self.hint_text = w("loading")
        elif not read:
            self.hint_text = w("scroll_hint")
        elif not self._age_ok():
            self.hint_text = w("age_hint" if self.layer == "first_layer" else "age_hint_back")
        else:
            self.hint_text = ""

    @property
    def toggles(self) -> dict[str, Any]:
        """The purposes layer's toggles (it is built on first use)."""
        self._build_purposes()
        return self._toggles

    @toggles.setter
    def toggles(self, value: dict[str, Any]) -> None:
        self._toggles = value

    def set_choice(self, purpose: str, on: bool) -> None:
        if purpose in self.choices:
            self.choices[purpose] = bool(on)

    # -- actions -----------------------------------------------------------------------
    def accept_all(self) -> None:
        for pid in list(self.choices):
            self.choices[pid] = True
        self.accept()

    def accept(self) -> None:
        """Accept with the current choices (Accept all / Only required / Save choices)."""
        if not self.can_accept:
            return
        guardian = None
        v = self.version
        if v.min_age is not None and not self.age_confirmed:
            guardian = {"name": self.guardian_name.strip(), "relation": "guardian"}
        record = self.client.accept(
            dict(self.choices), locale=self.locale, evidence=self.evidence(),
            age_confirmed=None if v.min_age is None else bool(self.age_confirmed),
            guardian=guardian)
        self.dispatch("on_accept", record)

    def decline(self) -> None:
        record = self.client.decline(locale=self.locale, evidence=self.evidence())
        self.declined = True
        self.layer = "declined"
        self.dispatch("on_decline", record)

    def open_settings(self) -> None:
        """Privacy settings over the screen (from the declined layer): rights stay reachable."""
        from client_sdk.kivy.settings_modal import SettingsModal

        self.settings_modal = SettingsModal(self.client, zone=self.zone)
        self.settings_modal.open()

    def review_again(self) -> None:
        self.declined = False
        self.layer = "first_layer"

    # -- a newer version published meanwhile ------------------------------------------
    def show_newer(self, decision: Decision) -> None:
        """Say that ``decision``'s newer version was published, with a way to continue on
        it; nothing else on the screen changes until the user does."""
        from client_sdk.kivy.newer_notice import NewerNotice

        if decision.version is None or decision.version.version == self.version.version:
            return
        first = self.newer is None
        self.newer = decision
        if first:
            self._newer_notice = NewerNotice(screen=self)
            self.add_widget(self._newer_notice, index=len(self.children) - 1)  # under the header
        self._update()

    def continue_newer(self) -> None:
        """Show the newer version: the age box, the guardian's name, the language (when
        the new version has it), the layer and the choices of purposes both have stay; the
        full text is read (and scrolled) anew."""
        decision, self.newer = self.newer, None
        if decision is None or decision.version is None:
            return
        self.remove_widget(self._newer_notice)
        self.decision, self.version = decision, decision.version
        kept = dict(self.choices)
        self.choices = {p.id: kept.get(p.id, False) for p in self.version.purposes
                        if not p.required}
        self.scrolled_to_end = False
        self.document_state = "loading"
        tag = self.locale if self.locale in self.version.locales else \
            language(self.client, self.version)
        self.set_locale(tag, remember=False)

    def on_accept(self, record: Any) -> None:
        pass

    def on_decline(self, record: Any) -> None:
        pass


def _seconds(value: float) -> int:
    return max(0, min(int(value), 86400))


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
