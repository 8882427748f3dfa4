"""Light and dark palettes and the WCAG contrast maths. Imports no Kivy: unit-tested
without a window (every text colour reaches 4.5:1 on its background in both themes)."""

from __future__ import annotations

from client_sdk.protocol.record import Record, record

__all__ = ["DARK", "LIGHT", "TEXT_PAIRS", "Palette", "contrast_ratio", "luminance"]

RGBA = tuple[float, float, float, float]


def _hex(code: str) -> RGBA:
    code = code.lstrip("#")
    r, g, b = (int(code[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, 1.0)


@record
class Palette(Record):
    """A set of colours. Pairs that carry text must reach 4.5:1 (WCAG AA):
    text, muted and link on background and surface; primary_text on primary; banner_text on
    banner; error on surface."""

    background: RGBA
    surface: RGBA
    border: RGBA
    text: RGBA
    muted: RGBA
    primary: RGBA
    primary_text: RGBA
    link: RGBA
    banner: RGBA
    banner_text: RGBA
    error: RGBA
    track_off: RGBA


LIGHT = Palette(
    background=_hex("#FFFFFF"), surface=_hex("#F3F5F8"), border=_hex("#C9CED6"),
    text=_hex("#1B1D22"), muted=_hex("#545B66"), primary=_hex("#0B5CAD"),
    primary_text=_hex("#FFFFFF"), link=_hex("#0B5CAD"), banner=_hex("#E6F0FB"),
    banner_text=_hex("#10243A"), error=_hex("#B3261E"), track_off=_hex("#79808B"),
)
DARK = Palette(
    background=_hex("#121418"), surface=_hex("#1E2228"), border=_hex("#3A414B"),
    text=_hex("#ECEEF2"), muted=_hex("#B4BAC4"), primary=_hex("#8AB8F0"),
    primary_text=_hex("#0A1A2C"), link=_hex("#9CC4F5"), banner=_hex("#1C2B3D"),
    banner_text=_hex("#E3EDF9"), error=_hex("#FFB4AB"), track_off=_hex("#8B929D"),
)


def luminance(c: tuple[float, ...]) -> float:
    def lin(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])


def contrast_ratio(fg: tuple[float, ...], bg: tuple[float, ...]) -> float:
    """WCAG 2 contrast ratio of two opaque sRGB colours (1.0 to 21.0)."""
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


# (foreground, background) pairs that carry text somewhere in the widgets.
TEXT_PAIRS = (("text", "background"), ("muted", "background"), ("link", "background"),
              ("primary", "background"), ("text", "surface"), ("muted", "surface"),
              ("primary", "surface"), ("primary_text", "primary"), ("banner_text", "banner"),
              ("text", "banner"), ("error", "background"), ("muted", "banner"))
