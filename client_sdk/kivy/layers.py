"""The content of the consent screen's first and purposes layers, built from the signed
manifest in the screen's language. Kept apart from the screen's state and actions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.metrics import dp

from client_sdk.kivy.base import Column, KButton, KCheck, KText, KToggle, Row, TapText
from client_sdk.kivy.style import theme
from client_sdk.ui.markup import escape

if TYPE_CHECKING:
    from client_sdk.kivy.consent_screen import ConsentScreen

__all__ = ["fill_first_layer", "fill_purposes", "purpose_row"]


def heading(label: str) -> KText:
    """A section heading: bold text as it is (no markup to parse, one font to load)."""
    return KText(text=label, markup=False, bold=True, base_size=theme.heading_size)


def small(markup: str) -> KText:
    return KText(text=markup, base_size=theme.small_size, muted=True)


def fill_first_layer(screen: ConsentScreen, box: Any) -> None:
    w = screen.words
    v = screen.version
    box.clear_widgets()
    d = screen.decision
    if d.changes and d.reasons[:1] not in (("first_launch",), ("declined",)):
        box.add_widget(heading(w("what_changed")))
        for label, summary in w.changes(d.changes):
            box.add_widget(KText(text=f"[b]{escape(label)}[/b] — {escape(summary)}"))
    manifest = screen.client.manifest
    if manifest is not None:
        c = manifest.controller
        box.add_widget(heading(w("who")))
        box.add_widget(KText(text=escape(w.operator(c))))
        box.add_widget(small(escape(w("contact", address=c.address, email=c.email))))
    data = w.data_titles()
    if data:
        box.add_widget(heading(w("data_collected")))
        box.add_widget(KText(text=escape(", ".join(data))))
    box.add_widget(heading(w("purposes")))
    if not v.purposes:
        box.add_widget(KText(text=f"[i]{escape(w('no_purposes'))}[/i]"))
    for p in v.purposes:
        mark = f" · {w('required')}" if p.required else ""
        line = f"• [b]{escape(w.purpose_title(p))}[/b]{escape(mark)}"
        if p.vendors:
            line += f"\n   {escape(w('shared_with', names=w.vendors(p.vendors)))}"
        box.add_widget(KText(text=line))
    for fact in w.facts():
        box.add_widget(KText(text=fact))
    if v.permissions:
        box.add_widget(heading(w("permissions")))
        for perm in v.permissions:
            box.add_widget(KText(text=f"[b]{escape(w.permission(perm.id))}[/b]: "
                                      f"{escape(w.pick(perm.rationale))}"))
    if v.min_age is not None:
        box.add_widget(check_row(screen, "age_confirmed", w.age(v.min_age)))
        if v.guardian_consent:
            from kivy.uix.textinput import TextInput  # only a policy asking a guardian

            box.add_widget(check_row(screen, "guardian_confirmed", w("guardian_confirm")))
            name = TextInput(hint_text=w("guardian_name"), text=screen.guardian_name,
                             font_name=theme.font_name, multiline=False, size_hint_y=None,
                             font_size=theme.fs(15))
            name.height = max(dp(48), theme.fs(15) * 1.4 + dp(16))
            name.bind(text=lambda _i, value: setattr(screen, "guardian_name", value))
            box.add_widget(name)
    links = Column()
    purposes = KButton(text=w("choose_purposes"))
    purposes.bind(on_release=lambda *_: screen.open_layer("purposes"))
    full = KButton(text=w("read_full"))
    full.bind(on_release=lambda *_: screen.open_layer("full_text"))
    links.add_widget(purposes)
    links.add_widget(full)
    screen.purposes_button, screen.full_text_button = purposes, full
    box.add_widget(links)


def check_row(screen: ConsentScreen, prop: str, label: str) -> Row:
    row = Row()
    box = KCheck(active=getattr(screen, prop))
    box.bind(active=lambda _b, on: setattr(screen, prop, on))
    screen.fbind(prop, lambda _s, on: setattr(box, "active", on))
    words = TapText(text=escape(label))
    words.bind(on_release=lambda *_: box.trigger_action(0))
    row.add_widget(box)
    row.add_widget(words)
    if prop == "age_confirmed":
        screen.age_box = box
    else:
        screen.guardian_box = box
    return row


def purpose_row(w: Any, p: Any, active: bool | None, on_change: Any) -> tuple[Row, Any]:
    """A purpose: title, description, vendors, data; a toggle, or "Always active" for a
    required one. Returns the row and its toggle (None when required)."""
    row = Row()
    words = Column(spacing=2)
    words.add_widget(KText(text=f"[b]{escape(w.purpose_title(p))}[/b]"))
    words.add_widget(small(escape(w.pick(p.description))))
    if p.vendors:
        words.add_widget(small(escape(w("shared_with", names=w.vendors(p.vendors)))))
    data = w.data_titles(p.data)
    if data:
        words.add_widget(small(escape(", ".join(data))))
    if p.required or active is None:
        # Not a disabled switch: words say what it is, under the title (full width, so
        # no word is broken at a large text size).
        words.add_widget(KText(text=f"[b]✓ {escape(w('always_active'))}[/b]",
                               base_size=theme.small_size))
        row.add_widget(words)
        return row, None
    row.add_widget(words)
    toggle = KToggle(active=active)
    toggle.bind(active=lambda _t, on: on_change(p.id, on))
    row.add_widget(toggle)
    return row, toggle


def fill_purposes(screen: ConsentScreen, box: Any) -> None:
    w = screen.words
    box.clear_widgets()
    box.add_widget(heading(w("purposes")))
    screen.toggles = {}
    for p in screen.version.purposes:
        row, toggle = purpose_row(w, p, None if p.required else screen.choices.get(p.id),
                                  screen.set_choice)
        if toggle is not None:
            screen.toggles[p.id] = toggle
            screen.fbind("choices", lambda _s, c, pid=p.id, t=toggle:
                         setattr(t, "active", bool(c.get(pid))))
        box.add_widget(row)
