"""Every screen in each locale at each text scale, in one theme: screenshots, and the
accessibility checks (no clipped text, touch targets of 48 dp or more)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from driver import Driver, Steps, client, in_window
from kivy.core.text import Label as CoreLabel
from kivy.core.window import Window
from kivy.metrics import dp
from kivy.uix.label import Label

from client_sdk.kivy import DARK, LIGHT, ConsentScreen, ConsentSettings, NoticeBanner, theme
from client_sdk.kivy.base import KButton, KCheck, KToggle, LanguageSpinner
from client_sdk.kivy.policy_view import PolicyModal

TARGETS = (KButton, KToggle, KCheck, LanguageSpinner)


def audit(d: Driver, where: str) -> None:
    """Record every clipped label and every small touch target now in the window."""
    problems = d.result.setdefault("a11y", [])
    for root in Window.children:
        for w in root.walk():
            if not in_window(w) or w.width <= 1:
                continue
            if isinstance(w, Label) and w.text and w.text_size[0]:
                tw, th = w.texture_size
                if tw > w.width + 2 or th > w.height + 2:
                    problems.append(f"{where}: clipped {w.text[:40]!r} "
                                    f"{tw:.0f}x{th:.0f} in {w.width:.0f}x{w.height:.0f}")
                broken = _broken_word(w)
                if broken:
                    problems.append(f"{where}: {broken!r} does not fit on one line in "
                                    f"{w.text[:40]!r}")
            if isinstance(w, TARGETS) and not w.disabled and \
                    (w.height < dp(48) - 0.5 or w.width < dp(48) - 0.5):
                problems.append(f"{where}: small target {type(w).__name__} "
                                f"{getattr(w, 'text', '')!r} {w.width:.0f}x{w.height:.0f}")


_TAG = re.compile(r"\[/?[a-z]+(?:=[^\]]*)?\]")
_widths: dict[tuple[str, str, float, bool], float] = {}


def _broken_word(label: Label) -> str | None:
    """A word wider than the label's text width (Kivy would break it mid-word)."""
    room = label.text_size[0] + 1
    for word in _TAG.sub("", label.text).split():
        bold = bool(label.bold) or "[b]" in label.text
        key = (word, label.font_name, label.font_size, bold)
        if key not in _widths:
            core = CoreLabel(text=word, font_name=label.font_name,
                             font_size=label.font_size, bold=bold)
            core.refresh()
            _widths[key] = core.texture.size[0]
        if _widths[key] > room and len(word) > 3 and "@" not in word:
            return word
    return None


_made: dict[str, tuple[Any, Any, Any]] = {}


def _clients(d: Driver, cfg: dict[str, Any], loc: str) -> tuple[Any, Any, Any]:
    """A first launch, a re-prompt and a notice in ``loc``, made once for every scale and
    theme (the screens only read them; a decline leaves a prompt a prompt)."""
    if loc not in _made:
        tmp = d.tmp / loc
        first = client(tmp / "first", Path(cfg["a"]), (loc,))
        c = client(tmp / "major", Path(cfg["a"]), (loc,))
        c.accept(age_confirmed=True)
        c.close()
        major = client(tmp / "major", Path(cfg["major"]), (loc,))
        c = client(tmp / "minor", Path(cfg["a"]), (loc,))
        c.accept(age_confirmed=True)
        c.update_purposes({"analytics": True})
        c.close()
        minor = client(tmp / "minor", Path(cfg["minor"]), (loc,))
        _made[loc] = (first, major, minor)
    return _made[loc]


def scenario(d: Driver, cfg: dict[str, Any]) -> Steps:
    theme.use(DARK if cfg["theme"] == "dark" else LIGHT)
    Window.clearcolor = theme.background
    for scale in cfg["scales"]:
        theme.text_scale = scale
        for loc in cfg["locales"]:
            name = f"{loc}-{cfg['theme']}-{scale:.1f}"
            shots = scale in cfg["shot_scales"]
            yield from one_locale(d, cfg, loc, name, shots)


def one_locale(d: Driver, cfg: dict[str, Any], loc: str, name: str, shots: bool) -> Steps:
    def snap(what: str) -> None:
        if cfg.get("audit", True):  # layout does not depend on the theme: audit one
            audit(d, f"{what}-{name}")
        if shots:
            d.shot(f"{what}-{name}")

    first, major, minor = _clients(d, cfg, loc)
    c = first
    s = ConsentScreen(c, require_scroll=True)
    d.show(s)
    yield from d.until(lambda: s.document_state == "ready", f"{name} document")
    yield from d.settle(s.ids.layers)
    snap("consent")
    s.open_layer("purposes")
    yield from d.settle(s.ids.layers)
    snap("purposes")
    s.open_layer("full_text")
    yield from d.settle(s.ids.layers)
    snap("fulltext")
    s.decline()
    yield from d.settle(s.ids.layers)
    snap("declined")
    # A re-prompt after a major version: what changed comes first.
    s = ConsentScreen(major)
    d.show(s)
    yield from d.settle(s.ids.layers)
    snap("reprompt")
    # A minor version: the banner over the app.
    c = minor
    banner = NoticeBanner(c, c.decide(), pos_hint={"top": 1})
    d.show(banner)
    yield from d.settle()
    snap("notice")
    # Its Read: the full text over the window (drawn over the modal's own overlay). Opened
    # as banner.read() opens it, without its on_close: closing it would acknowledge the
    # notice, and the next scale and theme show the same notice again.
    modal = PolicyModal(c, banner.version, banner.tag)
    modal.open()
    yield from d.until(lambda: modal._anim_alpha >= 1 and modal.status == "", "read open")
    yield from d.settle()
    snap("read")
    modal.dismiss()
    yield from d.until(lambda: modal.parent is None, "read closed")
    # Settings, with some history, and the confirmation before a withdrawal.
    settings = ConsentSettings(c)
    d.show(settings)
    yield from d.settle()
    snap("settings")
    settings.ask_withdraw()
    yield from d.until(lambda: settings.dialog is not None and
                       settings.dialog._anim_alpha >= 1, "dialog open")
    yield from d.settle()
    snap("confirm")
    assert settings.dialog is not None
    settings.dialog.dismiss()
    yield 0.1
