"""Themed building blocks the consent widgets are made of: text, buttons, a toggle with no
words baked into its image, a check box, a confirmation dialog. Their look is in base.kv
and follows :data:`theme.theme`; an app restyles them by overriding those rules.
"""

from __future__ import annotations

import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kivy.clock import mainthread
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.spinner import Spinner
from kivy.uix.widget import Widget

from . import theme as _theme  # noqa: F401 - registers the font before any rule uses it

__all__ = ["Column", "ConfirmDialog", "KButton", "KCheck", "KText", "KToggle",
           "LanguageSpinner", "Row", "TapText", "background"]

T = TypeVar("T")


class KText(Label):  # type: ignore[misc]
    """A wrapping label whose height follows its text; ``[ref=url]`` opens the browser."""

    base_size = NumericProperty(15)
    muted = BooleanProperty(False)

    def on_ref_press(self, ref: str) -> None:
        if ref.startswith(("http://", "https://", "mailto:", "tel:")):
            webbrowser.open(ref)


class TapText(ButtonBehavior, KText):  # type: ignore[misc]
    """A label that acts on a tap (the words beside a check box)."""


class KButton(Button):  # type: ignore[misc]
    """A button at least 48 dp tall whose label wraps; ``primary`` fills it."""

    primary = BooleanProperty(False)
    flat = BooleanProperty(False)


class LanguageSpinner(Spinner):  # type: ignore[misc]
    """The language switch, styled like a KButton; options are KButtons too."""


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
    ``size_hint_y: None``)."""

    def on_children(self, _row: Any, children: list[Widget]) -> None:
        for child in children:
            child.fbind("height", self._fit)
        self._fit()

    def _fit(self, *_: Any) -> None:
        self.height = max([dp(48), *(c.height for c in self.children)])


class ConfirmDialog(ModalView):  # type: ignore[misc]
    """Asks before a destructive action. ``action`` runs only on Confirm."""

    title = StringProperty("")
    message = StringProperty("")
    confirm_text = StringProperty("")
    cancel_text = StringProperty("")
    action = ObjectProperty(None, allownone=True)

    def confirm(self) -> None:
        action = self.action
        self.dismiss()
        if action is not None:
            action()


def background(work: Callable[[], T], done: Callable[[T], None]) -> threading.Thread:
    """Run ``work`` on a daemon thread and hand its result to ``done`` on the UI thread."""
    deliver = mainthread(done)

    def run() -> None:
        deliver(work())

    thread = threading.Thread(target=run, daemon=True, name="kelisim-work")
    thread.start()
    return thread


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
