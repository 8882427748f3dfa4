"""Themed building blocks the consent widgets are made of: text, buttons, a toggle with no
words baked into its image, a check box (the confirmation dialog: confirm_dialog.py).
Their look is in base.kv and follows :data:`theme.theme`; an app restyles them by
overriding those rules.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from kivy.clock import Clock, mainthread
from kivy.core.text import Label as CoreLabel
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.layout import Layout
from kivy.uix.screenmanager import NoTransition, ScreenManager
from kivy.uix.scrollview import ScrollView
from kivy.uix.spinner import Spinner
from kivy.uix.widget import Widget

from client_sdk.kivy import style as _style

__all__ = ["Column", "KButton", "KCheck", "KText", "KToggle",
           "LanguageSpinner", "Logo", "Row", "Screens", "TapText", "after_first_frame",
           "background", "lay_out_now"]

T = TypeVar("T")
log = logging.getLogger("kelisim")


_TAG = re.compile(r"\[/?[a-z]+(?:=[^\]]*)?\]")


class FitWords:
    """Shrinks the font (``fit`` < 1) only when the longest word would not fit on one line
    at the user's text size: Kivy would break it mid-word. Kazakh and Kyrgyz words run
    long; at 2x a heading like "Маалыматтарыңызды" is wider than a phone."""

    fit = NumericProperty(1.0)
    # Provided by the Label/Button it is mixed into.
    text: str
    text_size: Any
    width: float
    font_size: float
    font_name: str
    bold: bool
    properties: Callable[[], dict[str, Any]]
    fbind: Callable[..., Any]

    def _watch_words(self) -> None:
        self._refit = Clock.create_trigger(self._fit_words, -1)
        for name in ("text", "width", "base_size", "bold"):
            if name in self.properties():
                self.fbind(name, self._refit)
        _style.theme.fbind("text_scale", self._refit)

    def _fit_words(self, *_: Any) -> None:
        room = (self.text_size[0] or self.width) - 2
        words = sorted(_TAG.sub("", self.text).split(), key=len, reverse=True)[:3]
        if room <= 10 or not words:
            return
        size = self.font_size / max(self.fit, 0.01)
        if len(words[0]) * size <= room:
            self.fit = 1.0  # even letters 1 em wide would fit: no need to measure
            return
        bold = bool(self.bold) or "[b]" in self.text
        widest = max(_word_width(w, self.font_name, size, bold) for w in words)
        self.fit = max(0.5, min(1.0, room / widest)) if widest > room else 1.0


@lru_cache(maxsize=4096)
def _word_width(word: str, font: str, size: float, bold: bool) -> float:
    core = CoreLabel(text=word, font_name=font, font_size=size, bold=bold)
    core.refresh()
    return float(core.texture.size[0])


class KText(FitWords, Label):  # type: ignore[misc]
    """A wrapping label whose height follows its text; ``[ref=url]`` opens the browser."""

    base_size = NumericProperty(15)
    muted = BooleanProperty(False)

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._watch_words()

    def on_ref_press(self, ref: str) -> None:
        if ref.startswith(("http://", "https://", "mailto:", "tel:")):
            import webbrowser

            webbrowser.open(ref)


class TapText(ButtonBehavior, KText):  # type: ignore[misc]
    """A label that acts on a tap (the words beside a check box)."""


class KButton(FitWords, Button):  # type: ignore[misc]
    """A button at least 48 dp tall whose label wraps; ``primary`` fills it."""

    primary = BooleanProperty(False)
    flat = BooleanProperty(False)

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._watch_words()


class LanguageSpinner(Spinner):  # type: ignore[misc]
    """The language switch, styled like a KButton; options are KButtons too. Its drop-down
    and options are made when it first opens: the first frame shows none of them.

    Its width follows its text: ``pad`` on each side, the name, ``gap``, the ``arrow``
    (all three grow with the text scale; base.kv)."""

    pad = NumericProperty(0)
    gap = NumericProperty(0)
    arrow = NumericProperty(0)

    def _build_dropdown(self, *largs: Any) -> None:
        if self._dropdown is not None:
            super()._build_dropdown(*largs)

    def _update_dropdown(self, *largs: Any) -> None:
        if self._dropdown is not None:
            super()._update_dropdown(*largs)

    def _toggle_dropdown(self, *largs: Any) -> None:
        if self._dropdown is None:
            Spinner._build_dropdown(self)
        super()._toggle_dropdown(*largs)


class LanguageOption(Button):  # type: ignore[misc]
    pass


class KToggle(ButtonBehavior, Widget):  # type: ignore[misc]
    """An on/off switch drawn in the theme's colours, with no text in its image (Kivy's
    Switch shows English "ON/OFF" in every language). Touch target 56x48 dp."""

    active = BooleanProperty(False)

    def on_release(self) -> None:
        self.active = not self.active


class KCheck(ButtonBehavior, Widget):  # type: ignore[misc]
    """A 48 dp check box drawn in the theme's colours."""

    active = BooleanProperty(False)

    def on_release(self) -> None:
        self.active = not self.active


class Column(BoxLayout):  # type: ignore[misc]
    """A vertical box whose height follows its children (for a ScrollView)."""


class Row(BoxLayout):  # type: ignore[misc]
    """A horizontal row at least 48 dp tall, as tall as its tallest child (children have
    ``size_hint_y: None``), its children centred on the row's middle (a 48 dp check box
    beside a one-line label: both on one line, not the box above the words)."""

    def on_children(self, _row: Any, children: list[Widget]) -> None:
        for child in children:
            child.fbind("height", self._fit)
            if not {"y", "top", "center_y"} & set(child.pos_hint):
                child.pos_hint = {**child.pos_hint, "center_y": 0.5}
        self._fit()

    def _fit(self, *_: Any) -> None:
        self.height = max([dp(48), *(c.height for c in self.children)])


class Screens(ScreenManager):  # type: ignore[misc]
    """A ScreenManager whose screens replace each other at once, and that clips nothing.

    Kivy's ScreenManager clips its screens for the transitions that slide them: a stencil
    pushed and popped around its children, which fills its whole area twice in every frame
    (and makes every pixel under it pass a stencil test). Screens that switch at once and
    fill the manager need no clipping; what scrolls clips itself (a ScrollView). base.kv
    drops the ScreenManager rule for this class."""

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("transition", NoTransition())
        super().__init__(**kw)

    def on_transition(self, _manager: Any, transition: Any) -> None:
        if not isinstance(transition, NoTransition):
            raise ValueError("Screens switch at once (NoTransition): use a ScreenManager "
                             "for a transition that moves the screens")


class Logo(Image):  # type: ignore[misc]
    """The app's logo (``theme.logo``), scaled to fit inside the widget. Kivy's Image
    clips its picture with a stencil, for the fit modes that let it overflow; a logo that
    fits needs none (base.kv drops that rule)."""


def __getattr__(name: str) -> Any:
    # ConfirmDialog lived here: still importable from here, without loading it at start-up.
    if name == "ConfirmDialog":
        from client_sdk.kivy.confirm_dialog import ConfirmDialog

        return ConfirmDialog
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def lay_out_now(widget: Widget) -> None:
    """Lay ``widget`` out now, top down: its ancestors (so that it gets its real size),
    then its whole tree. Kivy lays out on triggers, innermost first, so a new tree passes
    through the default 100 px sizes level by level and every label renders (and measures
    its words) once per width it passes through; after this, once, at its real width."""
    chain = []
    parent, window = widget.parent, widget.get_root_window()
    while parent is not None and parent is not window:
        chain.append(parent)
        parent = parent.parent
    # A RecycleView places its own views (none exists unless its module was imported).
    recycle = getattr(sys.modules.get("kivy.uix.recycleview"), "RecycleView", ())
    for w in reversed(chain):
        _lay_out_one(w, recycle)
    stack = [widget]
    while stack:
        w = stack.pop()
        _lay_out_one(w, recycle)
        if not isinstance(w, recycle):
            stack.extend(w.children)


def _lay_out_one(w: Widget, recycle: Any) -> None:
    if isinstance(w, recycle):
        return
    if isinstance(w, Layout):
        w.do_layout()
    elif isinstance(w, ScrollView):
        w.update_from_scroll()


_waiting: list[Callable[[], None]] = []


def after_first_frame(callback: Callable[[], None]) -> None:
    """Run ``callback`` on the UI thread once the app's first frame is drawn, or now when
    one was: work that frame does not show (a document for a later layer, the network)
    waits for it instead of competing with it for the interpreter."""
    from kivy.core.window import Window

    if Clock.frames_displayed > 0 or Window is None:
        callback()
        return
    _waiting.append(callback)
    if len(_waiting) == 1:
        Window.fbind("on_flip", _first_frame_drawn)


def _first_frame_drawn(*_: Any) -> None:
    from kivy.core.window import Window

    Window.funbind("on_flip", _first_frame_drawn)
    waiting = _waiting[:]
    _waiting.clear()
    # Next tick: this handler runs before the frame is swapped to the screen.
    Clock.schedule_once(lambda _dt: [callback() for callback in waiting], 0)


def background(work: Callable[[], T], done: Callable[[T], None],
               failed: Callable[[Exception], None] | None = None) -> threading.Thread:
    """Run ``work`` on a daemon thread and hand its result to ``done`` on the UI thread.

    An exception ``work`` raises is logged (the ``kelisim`` logger, with its traceback) and
    handed to ``failed`` on the UI thread: a widget waiting for the result leaves its
    waiting state there instead of waiting for ever."""
    deliver = mainthread(done)
    fail = mainthread(failed) if failed is not None else None

    def run() -> None:
        try:
            result = work()
        except Exception as exc:
            log.exception("background work %s failed",
                          getattr(work, "__qualname__", repr(work)))
            if fail is not None:
                fail(exc)
            return
        deliver(result)

    thread = threading.Thread(target=run, daemon=True, name="kelisim-work")
    thread.start()
    return thread


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
