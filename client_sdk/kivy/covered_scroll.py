"""``CoveredScroll``: a consent layer's scroll view that draws no stencil while the screen
around it hides what it scrolls beyond its view (``ConsentScreen`` keeps ``covered`` up to
date; consent_screen.kv holds its rule)."""

from __future__ import annotations

from typing import Any

from kivy.graphics import (
    InstructionGroup,
    Rectangle,
    StencilPop,
    StencilPush,
    StencilUnUse,
    StencilUse,
)
from kivy.properties import BooleanProperty
from kivy.uix.scrollview import ScrollView

__all__ = ["CoveredScroll"]


class CoveredScroll(ScrollView):  # type: ignore[misc]
    """A layer's scroll that fills the space between the screen's header and bar.

    A ScrollView clips what it scrolls with a stencil, which fills its area twice a frame.
    While ``covered`` (the screen spans the window; ConsentScreen keeps it up to date), the
    header and the bar, drawn after the layers, and the window's edges already hide
    whatever lies beyond the view, and no stencil is drawn. Otherwise (a screen in a dialog,
    or under an app's own toolbar) it clips as a ScrollView does. consent_screen.kv drops
    Kivy's StencilView rule for it."""

    covered = BooleanProperty(False)

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._area = (Rectangle(), Rectangle())
        self._clip = (InstructionGroup(), InstructionGroup())
        for instruction in (StencilPush(), self._area[0], StencilUse()):
            self._clip[0].add(instruction)
        for instruction in (StencilUnUse(), self._area[1], StencilPop()):
            self._clip[1].add(instruction)
        self.fbind("pos", self._place)
        self.fbind("size", self._place)
        self.fbind("covered", self._clipping)
        self._place()
        self._clipping()

    def _place(self, *_: Any) -> None:
        for rect in self._area:
            rect.pos, rect.size = self.pos, self.size

    def _clipping(self, *_: Any) -> None:
        before, after = self._clip
        clips = before in self.canvas.before.children
        if self.covered and clips:
            self.canvas.before.remove(before)
            self.canvas.after.remove(after)
        elif not self.covered and not clips:
            self.canvas.before.insert(0, before)
            self.canvas.after.insert(0, after)  # before the scroll bar, as Kivy's rules
