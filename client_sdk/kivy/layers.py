"""The content of the consent screen's first and purposes layers, built from the signed
manifest in the screen's language. Kept apart from the screen's state and actions. The
first layer and the bar are built from client_sdk.ui.layout's description, item by item."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.metrics import dp

from client_sdk.kivy.base import Column, KButton, KCheck, KText, KToggle, Row, TapText
from client_sdk.kivy.style import theme
from client_sdk.ui.layout import Item, buttons, first_layer
from client_sdk.ui.markup import escape

if TYPE_CHECKING:
    from client_sdk.kivy.consent_screen import ConsentScreen

__all__ = ["fill_bar", "fill_first_layer", "fill_purposes", "purpose_row", "rename_bar"]


def heading(label: str) -> KText:
    """A section heading: bold text as it is (no markup to parse, one font to load)."""
    return KText(text=label, markup=False, bold=True, base_size=theme.heading_size)


def small(markup: str) -> KText:
    return KText(text=markup, base_size=theme.small_size, muted=True)


def fill_first_layer(screen: ConsentScreen, box: Any) -> None:
    """The first layer's widgets, one per item of client_sdk.ui.layout.first_layer (the
    description the console's phone preview renders too): the title and meta lines go to
    the screen's header labels, the buttons to its bar."""
    items = first_layer(screen.words, screen.decision, screen.choices)
    box.clear_widgets()
    links = Column()
    for item in items:
        if item.kind == "title":
            screen.title_text = item.text
        elif item.kind == "meta":
            screen.meta_text = item.text
        elif item.kind == "link":
            link = KButton(text=item.text)
            link.bind(on_release=lambda *_, name=item.action: screen.open_layer(name))
            setattr(screen, f"{item.action}_button", link)
            links.add_widget(link)
        elif item.kind != "button":
            box.add_widget(_widget(screen, item))
    box.add_widget(links)
    fill_bar(screen, [i for i in items if i.kind == "button"])


def _widget(screen: ConsentScreen, item: Item) -> Any:
    text, detail = escape(item.text), escape(item.detail)
    if item.kind == "heading":
        return heading(item.text)
    if item.kind == "small":
        return small(text)
    if item.kind == "change":
        return KText(text=f"[b]{text}[/b] — {detail}")
    if item.kind == "purpose":
        line = f"• [b]{text}[/b]" + (f" · {detail}" if detail else "")
        return KText(text=line + (f"\n   {escape(item.extra)}" if item.extra else ""))
    if item.kind == "permission":
        return KText(text=f"[b]{text}[/b]: {detail}")
    if item.kind == "check":
        return check_row(screen, item.action, item.text)
    if item.kind == "input":
        from kivy.uix.textinput import TextInput  # only a policy asking a guardian

        name = TextInput(hint_text=item.text, text=screen.guardian_name,
                         font_name=theme.font_name, multiline=False, size_hint_y=None,
                         font_size=theme.fs(15))
        name.height = max(dp(48), theme.fs(15) * 1.4 + dp(16))
        name.bind(text=lambda _i, value: setattr(screen, item.action, value))
        return name
    return KText(text=text)  # text, fact


# A bar button's action -> the screen's method, and its id (the kv rules' former ids).
_BAR = {"decline": ("decline", "decline"), "accept_selected": ("accept", "only"),
        "accept_all": ("accept_all", "accept_all")}


def fill_bar(screen: ConsentScreen, buttons: list[Item]) -> None:
    """The bar's buttons, in the description's order: the others side by side, the
    primary one under them at full width; Accept and its kin wait for ``can_accept``."""
    row, main = screen.ids.bar_buttons, screen.ids.bar_primary
    row.clear_widgets()
    main.clear_widgets()
    for uid in screen.bar_bindings:
        screen.unbind_uid("can_accept", uid)
    screen.bar_buttons, screen.bar_bindings = [], []
    for item in buttons:
        method, name = _BAR[item.action]
        button = KButton(text=item.text, primary=item.primary)
        button.bind(on_release=lambda *_, m=method: getattr(screen, m)())
        if item.action != "decline":
            button.disabled = not screen.can_accept
            screen.bar_bindings.append(screen.fbind(
                "can_accept", lambda _s, on, b=button: setattr(b, "disabled", not on)))
        (main if item.primary else row).add_widget(button)
        screen.ids[name] = button
        screen.bar_buttons.append(button)


def rename_bar(screen: ConsentScreen) -> None:
    """The bar's texts for the current choices ("Only required" / "Save my choices")."""
    for item, button in zip(buttons(screen.words, screen.choices), screen.bar_buttons,
                            strict=True):
        button.text = item.text


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
