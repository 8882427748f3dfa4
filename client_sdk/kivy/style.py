"""The one place an app styles the consent widgets: colours, font, corner radius, logo,
text scale, light and dark.

    from client_sdk.kivy import theme, DARK
    theme.use(DARK)                 # or theme.primary = (0.8, 0.1, 0.2, 1)
    theme.text_scale = 1.6          # the user's text size (1.0-2.0)
    theme.logo = "assets/logo.png"

Every widget's kv rule reads these properties, so a change restyles the widgets already on
screen. An app can also override any rule in its own kv (``<KText>: color: 1, 0, 0, 1``).
The colour maths (:func:`contrast_ratio`) imports no Kivy window and is unit-tested.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from kivy.core.text import LabelBase
from kivy.event import EventDispatcher
from kivy.lang import global_idmap
from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty

from client_sdk.ui.palette import DARK, LIGHT, Palette, contrast_ratio, luminance

__all__ = ["DARK", "FONT_NAME", "LIGHT", "Palette", "Theme", "contrast_ratio",
           "register_fonts", "theme"]

FONT_NAME = "KelisimSans"
FONT_DIR = Path(__file__).resolve().parent / "fonts"


def register_fonts() -> None:
    """Register the shipped DejaVu Sans (all five languages, Uzbek ʻ and ʼ included)."""
    LabelBase.register(
        FONT_NAME,
        fn_regular=str(FONT_DIR / "DejaVuSans.ttf"),
        fn_italic=str(FONT_DIR / "DejaVuSans-Oblique.ttf"),
        fn_bold=str(FONT_DIR / "DejaVuSans-Bold.ttf"),
        fn_bolditalic=str(FONT_DIR / "DejaVuSans-BoldOblique.ttf"),
    )


register_fonts()


class Theme(EventDispatcher):  # type: ignore[misc]
    """Observable style. Colours follow a :class:`Palette`; ``use()`` switches palette."""

    background = ColorProperty(LIGHT.background)
    surface = ColorProperty(LIGHT.surface)
    border = ColorProperty(LIGHT.border)
    text = ColorProperty(LIGHT.text)
    muted = ColorProperty(LIGHT.muted)
    primary = ColorProperty(LIGHT.primary)
    primary_text = ColorProperty(LIGHT.primary_text)
    link = ColorProperty(LIGHT.link)
    banner = ColorProperty(LIGHT.banner)
    banner_text = ColorProperty(LIGHT.banner_text)
    error = ColorProperty(LIGHT.error)
    track_off = ColorProperty(LIGHT.track_off)
    dark = BooleanProperty(False)
    font_name = StringProperty(FONT_NAME)
    radius = NumericProperty(dp(10))
    logo = StringProperty("")
    # The user's text size; 1.0-2.0 lay out without clipping.
    text_scale = NumericProperty(1.0)
    # Font sizes in sp before scaling.
    body_size = NumericProperty(15)
    small_size = NumericProperty(13)
    title_size = NumericProperty(20)
    heading_size = NumericProperty(17)

    def use(self, palette: Palette) -> None:
        """Switch every colour to ``palette`` (LIGHT, DARK or the app's own)."""
        for f in fields(palette):
            setattr(self, f.name, getattr(palette, f.name))
        self.dark = palette is DARK or luminance(palette.background) < 0.2

    def fs(self, size: float) -> float:
        """``size`` sp at the current text scale (kv: ``font_size: theme.fs(15)`` binds
        only to what it reads, so rules also name ``theme.text_scale``)."""
        return float(sp(size) * self.text_scale)

    def link_hex(self) -> str:
        return "".join(f"{round(v * 255):02x}" for v in self.link[:3])


theme = Theme()
# kv rules name it ``theme`` (a kv ``#:import`` of our own package would run while the
# package is still importing).
global_idmap["theme"] = theme
