"""Issue 22 part 4, each defect driven in a real window: which language a missing
translation falls back to, the notice's Read modal over its own overlay, the age box beside
its label, the company number's name, the age hint only where the age box is, the language
pill at a large text size (see test_kivy_widgets.py for what each result must be)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from driver import Driver, Steps, client, in_window, labels
from kivy.core.window import Window
from kivy.graphics import Rectangle, Triangle
from kivy.metrics import dp

from client_sdk.kivy import ConsentScreen, ConsentSettings, NoticeBanner, theme


def scenario(d: Driver, cfg: dict[str, Any]) -> Steps:
    for step in (fallback, read_modal, age_row, company_number, age_hint, declined,
                 dialog_buttons, pill, shots):
        yield from step(d, cfg)


def _screen(d: Driver, c: Any) -> Steps:
    s = ConsentScreen(c)
    d.show(s)
    yield from d.until(lambda: s.document_state == "ready", "document")
    yield from d.settle(s.ids.layers)
    yield 0.2
    d.result.setdefault("_screens", []).append(s)


def fallback(d: Driver, cfg: dict[str, Any]) -> Steps:
    """A Kyrgyz user (ky, then ru) of an Uzbek company whose delivery purpose has no ky
    title; then a Kyrgyz-only user and the upcoming version that has no ky document."""
    r = d.result["fallback"] = {}
    c = client(d.tmp / "fb1", Path(cfg["uz"]), ("ky", "ru"))
    yield from _screen(d, c)
    s = d.result["_screens"][-1]
    r["screen_locale"] = s.locale
    r["first_layer"] = labels(s.ids.first_box)
    # The same user's settings after accepting in ky: the purposes by the same rule.
    c.accept(age_confirmed=True, locale="ky")
    settings = ConsentSettings(c, export_dir=d.tmp / "fb1-export")
    d.show(settings)
    yield from d.settle()
    r["settings"] = labels(settings.ids.content)
    c = client(d.tmp / "fb2", Path(cfg["uz"]), ("ky",))
    c.accept(age_confirmed=True, locale="ky")
    decision = c.decide()
    r["decision"] = [decision.kind.value, decision.locale]
    banner = NoticeBanner(c, decision, pos_hint={"top": 1})
    d.show(banner)
    yield from d.settle()
    r["heading"] = banner.heading
    r["buttons"] = [banner.read_text, banner.ok_text]
    record = banner.dismiss()
    yield from d.settle()
    r["noted"] = banner.heading
    r["ack_locale"] = record.locale if record is not None else None


def _pixels(d: Driver, name: str, points: list[tuple[int, int]]) -> list[list[int]]:
    from kivy.core.image import Image as CoreImage

    d.shot(name)
    image = CoreImage(str(d.out / f"{name}.png"), keep_data=True)
    height = image.height
    return [[round(c * 255) for c in image.read_pixel(x, height - 1 - y)[:3]]
            for x, y in points]


def read_modal(d: Driver, cfg: dict[str, Any]) -> Steps:
    """The notice's Read: the full text over the whole window, on the theme's background
    (not under the modal's own dimming overlay)."""
    r = d.result["modal"] = {}
    c = client(d.tmp / "modal", Path(cfg["uz"]), ("ru",))
    c.accept(age_confirmed=True)
    banner = NoticeBanner(c, c.decide(), pos_hint={"top": 1})
    d.show(banner)
    yield from d.settle()
    banner.read()
    modal = banner.modal
    assert modal is not None
    yield from d.until(lambda: modal._anim_alpha >= 1 and modal.status == "", "modal open")
    yield from d.settle()
    # The left margin (no text there) from the bottom to the top of the window.
    points = [(3, y) for y in range(4, int(Window.height) - 4, 20)]
    r["pixels"] = _pixels(d, "read-modal", points)
    r["background"] = [round(c * 255) for c in theme.background[:3]]
    r["texts"] = [t for t in labels(modal) if t][:3]
    # The document opens with its own title: the modal's header does not repeat it.
    r["head"] = modal.title
    r["head_height"] = modal.ids.head.height
    r["doc_starts_with_title"] = c.document("ru").lstrip().startswith("# ")
    modal.dismiss()
    yield 0.3


def age_row(d: Driver, cfg: dict[str, Any]) -> Steps:
    """The age box and its words, centred on one line, at 1.0 and at 1.6."""
    r = d.result["age"] = {}
    for scale in (1.0, 1.6):
        theme.text_scale = scale
        c = client(d.tmp / f"age{scale}", Path(cfg["kz"]), ("ru",))
        yield from _screen(d, c)
        s = d.result["_screens"][-1]
        box = s.age_box
        words = next(w for w in box.parent.children if w is not box)
        r[str(scale)] = {"box": box.to_window(*box.center)[1],
                         "words": words.to_window(*words.center)[1],
                         "words_height": words.height, "text": words.text}
    theme.text_scale = 1.0


def company_number(d: Driver, cfg: dict[str, Any]) -> Steps:
    """The operator line as each screen shows it."""
    r = d.result["company"] = {}
    for app, loc in (("uz", "uz"), ("uz", "ru"), ("uz", "en"), ("kg", "ky"), ("kg", "ru"),
                     ("kz", "kk"), ("kz", "en")):
        c = client(d.tmp / f"co-{app}-{loc}", Path(cfg[app]), (loc,))
        yield from _screen(d, c)
        s = d.result["_screens"][-1]
        r[f"{app}-{loc}"] = [t for t in labels(s.ids.first_box) if "," in t and
                             c.manifest is not None and
                             t.startswith(c.manifest.controller.name)]


def age_hint(d: Driver, cfg: dict[str, Any]) -> Steps:
    """The hint under the buttons on the first layer (with the age box) and on the
    purposes and full-text layers (without it)."""
    r = d.result["hint"] = {}
    c = client(d.tmp / "hint", Path(cfg["kz"]), ("en",))
    yield from _screen(d, c)
    s = d.result["_screens"][-1]
    r["first_layer"] = s.ids.hint.text
    for layer in ("purposes", "full_text"):
        s.open_layer(layer)
        yield from d.settle(s.ids.layers)
        r[layer] = s.ids.hint.text
    s.open_layer("first_layer")
    yield from d.settle(s.ids.layers)
    s.age_confirmed = True
    yield from d.settle()
    r["confirmed"] = s.ids.hint.text


def declined(d: Driver, cfg: dict[str, Any]) -> Steps:
    """A user who declined reaches their privacy settings from the declined screen: the
    requests and a copy of their data, over the screen, closed again."""
    r = d.result["declined"] = {}
    c = client(d.tmp / "declined", Path(cfg["kz"]), ("en",))
    yield from _screen(d, c)
    s = d.result["_screens"][-1]
    s.decline()
    yield from d.settle(s.ids.layers)
    r["settings_shown"] = in_window(s.ids.settings)
    # The button's own event (a synthetic touch does not reach a Screen's content here).
    s.ids.settings.dispatch("on_release")
    yield from d.until(lambda: getattr(s, "settings_modal", None) is not None,
                       "settings opened")
    yield from d.settle()
    modal = s.settings_modal
    r["open"] = modal.parent is not None and in_window(modal.settings)
    r["labels"] = labels(modal.settings.ids.content)
    r["buttons"] = [modal.settings.ids[b].text for b in ("access_button", "deletion_button")]
    r["withdraw_disabled"] = modal.settings.ids.withdraw_button.disabled
    d.shot("declined-settings-en")
    modal.ids.close.dispatch("on_release")
    yield from d.until(lambda: modal.parent is None, "settings closed")
    r["closed"] = modal.parent is None and s.layer == "declined"
    c.close()


def dialog_buttons(d: Driver, cfg: dict[str, Any]) -> Steps:
    """The settings' confirmation dialogs at text scale 1.6 in Russian: Cancel and the
    confirm button side by side, as tall as each other (a three-line confirm stood beside
    a one-line Cancel)."""
    r = d.result["dialogs"] = {}
    c = client(d.tmp / "dialogs", Path(cfg["kz"]), ("ru",))
    c.accept(age_confirmed=True, locale="ru")
    theme.text_scale = 1.6
    settings = ConsentSettings(c, export_dir=d.tmp / "dialogs-export")
    d.show(settings)
    yield from d.settle()
    for name, ask in (("withdraw", settings.ask_withdraw),
                      ("deletion", lambda: settings.ask_request("deletion"))):
        ask()
        yield from d.settle()
        dialog = settings.dialog
        r[name] = [dialog.ids.cancel.height, dialog.ids.ok.height,
                   dialog.ids.cancel.y, dialog.ids.ok.y]
        d.shot(f"dialog-{name}-ru-1.6")
        dialog.dismiss()
        yield from d.settle()
    theme.text_scale = 1.0
    c.close()


def pill(d: Driver, cfg: dict[str, Any]) -> Steps:
    """The language pill at 1.6: the name, the arrow and the padding inside its width."""
    r = d.result["pill"] = {}
    theme.text_scale = 1.6
    for loc in ("kk", "ru", "en", "uz", "ky"):
        c = client(d.tmp / f"pill-{loc}", Path(cfg["kz"]), (loc,))
        yield from _screen(d, c)
        s = d.result["_screens"][-1]
        spinner = s.ids.language
        text = next(i for i in spinner.canvas.children
                    if isinstance(i, Rectangle) and i.texture is spinner.texture)
        arrow = next(i for i in spinner.canvas.before.children if isinstance(i, Triangle))
        xs = arrow.points[0::2]
        r[loc] = {"x": spinner.x, "right": spinner.right, "width": spinner.width,
                  "texture_width": spinner.texture_size[0], "text_left": text.pos[0],
                  "text_right": text.pos[0] + text.size[0], "arrow_left": min(xs),
                  "arrow_right": max(xs), "dp": dp(1), "name": spinner.text,
                  "header_right": s.ids.header.right}
    theme.text_scale = 1.0
    d.shot("pill-1.6")
    d.result.pop("_screens", None)


def shots(d: Driver, cfg: dict[str, Any]) -> Steps:
    """Screenshots of what changed, in five languages, light at 1.0 and dark at 1.6 (all
    four combinations with KELISIM_ALL_SHOTS=1: 60 screens, most of this run's time, for
    a review of every one): the first layer scrolled to the age box ("age"), the purposes
    layer's hint ("agehint"), the Uzbek and Kyrgyz companies' operator lines
    ("company-uz", "company-kg"). What is asserted of every screen in every combination
    is test_kivy_ui.py's."""
    import os

    from client_sdk.kivy import DARK, LIGHT

    every = os.environ.get("KELISIM_ALL_SHOTS") == "1"
    for name, palette in (("light", LIGHT), ("dark", DARK)):
        theme.use(palette)
        Window.clearcolor = theme.background
        for scale in (1.0, 1.6):
            if not every and (name == "light") != (scale == 1.0):
                continue
            theme.text_scale = scale
            for loc in ("kk", "ru", "en", "uz", "ky"):
                tail = f"{loc}-{name}-{scale:.1f}"
                c = client(d.tmp / f"shot-{tail}", Path(cfg["kz"]), (loc,))
                yield from _screen(d, c)
                s = d.result["_screens"][-1]
                s.ids.first_scroll.scroll_to(s.age_box, padding=dp(60), animate=False)
                yield from d.settle()
                d.shot(f"age-{tail}")
                s.open_layer("purposes")
                yield from d.settle(s.ids.layers)
                d.shot(f"agehint-{tail}")
                for app in ("uz", "kg"):
                    c = client(d.tmp / f"shot-{app}-{tail}", Path(cfg[app]), (loc,))
                    yield from _screen(d, c)
                    d.shot(f"company-{app}-{tail}")
                d.result.pop("_screens", None)
    theme.use(LIGHT)
    theme.text_scale = 1.0
