"""The consent screen's first layer as the window shows it, for tests/test_preview_drift.py:
each widget's text, in order (title, meta, the layer's content, the bar), for a user
opening the app for the first time and one who accepted the version before, per locale."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Any

from driver import Driver, Steps, client
from kivy.uix.label import Label
from kivy.uix.textinput import TextInput

from client_sdk.kivy import ConsentScreen


def shown_texts(s: ConsentScreen) -> list[str]:
    """Every text of the first layer's widgets as drawn (markup and all), in order."""
    out = [s.ids.title.text, s.ids.meta.text]
    for box in (s.ids.first_box, s.ids.bar_buttons, s.ids.bar_primary):
        for w in box.walk(restrict=True):
            if isinstance(w, TextInput):
                out.append(w.hint_text)
            elif isinstance(w, Label) and w.text:
                out.append(w.text)
    return out


def scenario(d: Driver, cfg: dict[str, Any]) -> Steps:
    for tag in cfg["locales"]:
        for case in ("first", "update"):
            data = d.tmp / f"{case}-{tag}"
            if case == "update":  # accepted the version in force before, only required
                c = client(data, Path(cfg["before"]), (tag,))
                c.accept(age_confirmed=True)
                c.close()
            c = client(data, Path(cfg["after"]), (tag,))
            s = ConsentScreen(c, zone=UTC)
            d.show(s)
            yield from d.until(lambda s=s: s.document_state == "ready", f"{case}-{tag}")
            yield from d.settle(s.ids.layers)
            d.result[f"{case}-{tag}"] = {"reasons": list(s.decision.reasons),
                                        "texts": shown_texts(s)}
            d.shot(f"first-layer-{case}-{tag}")
            s.ids.first_scroll.scroll_y = 0  # the end of the layer, and the bar
            yield from d.settle()
            d.shot(f"first-layer-{case}-{tag}-end")
            c.close()
