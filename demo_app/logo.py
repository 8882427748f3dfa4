"""The Jana Courier logo, drawn with Kivy canvas instructions (no image tools needed):
a rounded teal square, a parcel with its tape, and two speed lines.

    python -m demo_app.logo   # writes demo_app/assets/logo.png (committed)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

os.environ.setdefault("KIVY_NO_ARGS", "1")

from kivy.graphics import Color, Line, Rectangle, RoundedRectangle
from kivy.uix.widget import Widget

__all__ = ["LOGO", "JanaLogo"]

LOGO = Path(__file__).resolve().parent / "assets" / "logo.png"
BRAND = (0.0, 0.45, 0.42, 1)


class JanaLogo(Widget):
    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.bind(pos=self._draw, size=self._draw)
        self._draw()

    def _draw(self, *_: Any) -> None:
        x, y = self.pos
        s = min(self.size)
        self.canvas.clear()
        with self.canvas:
            Color(*BRAND)
            RoundedRectangle(pos=(x, y), size=(s, s), radius=[s * 0.22])
            Color(1, 1, 1, 1)
            # the parcel
            RoundedRectangle(pos=(x + s * 0.34, y + s * 0.24), size=(s * 0.44, s * 0.40),
                             radius=[s * 0.04])
            Color(*BRAND)
            Rectangle(pos=(x + s * 0.53, y + s * 0.24), size=(s * 0.06, s * 0.40))
            Rectangle(pos=(x + s * 0.34, y + s * 0.52), size=(s * 0.44, s * 0.04))
            Color(1, 1, 1, 1)
            # speed lines
            Line(points=[x + s * 0.12, y + s * 0.50, x + s * 0.28, y + s * 0.50],
                 width=s * 0.025, cap="round")
            Line(points=[x + s * 0.18, y + s * 0.38, x + s * 0.28, y + s * 0.38],
                 width=s * 0.025, cap="round")
            # the lid's handle
            Line(points=[x + s * 0.46, y + s * 0.72, x + s * 0.66, y + s * 0.72],
                 width=s * 0.03, cap="round")


def main() -> None:
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window

    class Draw(App):
        def build(self) -> JanaLogo:
            Window.clearcolor = (0, 0, 0, 0)
            logo = JanaLogo(size_hint=(None, None), size=(192, 192))
            Clock.schedule_once(lambda _dt: (logo.export_to_png(str(LOGO)), self.stop()),
                                0.5)
            return logo

    LOGO.parent.mkdir(exist_ok=True)
    Draw().run()


if __name__ == "__main__":
    main()
