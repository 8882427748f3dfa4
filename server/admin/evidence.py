"""A record's evidence (what happened on screen) as a sentence in the console's language:
"Saw the first layer and the full text; scrolled to the end; 42 s on screen." """

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.admin.i18n import gettext as _

__all__ = ["describe_evidence"]

_LAYERS = {"first_layer": "the first layer", "purposes": "the purposes",
           "full_text": "the full text"}


def _series(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return _("{a} and {b}", a=", ".join(items[:-1]), b=items[-1])


def _layer(name: str) -> str:
    return _(_LAYERS[name]) if name in _LAYERS else name


def describe_evidence(evidence: Mapping[str, Any] | None) -> str:
    """The evidence a record carries, in words; each field it reports, in a fixed order."""
    ev = evidence or {}
    parts: list[str] = []
    layers = ev.get("layers_shown")
    if isinstance(layers, list) and layers:
        parts.append(_("saw {layers}", layers=_series([_layer(str(x)) for x in layers])))
    if ev.get("full_text_opened") is True:
        parts.append(_("opened the full text"))
    elif ev.get("full_text_opened") is False:
        parts.append(_("did not open the full text"))
    if ev.get("scrolled_to_end") is True:
        parts.append(_("scrolled to the end"))
    elif ev.get("scrolled_to_end") is False:
        parts.append(_("did not scroll to the end"))
    if isinstance(ev.get("seconds_on_screen"), int):
        parts.append(_("{n} s on screen", n=ev["seconds_on_screen"]))
    by_layer = ev.get("seconds_by_layer")
    if isinstance(by_layer, Mapping) and by_layer:
        parts.append(_series([_("{n} s on {layer}", n=n, layer=_layer(str(name)))
                              for name, n in by_layer.items()]))
    if ev.get("ui_locale"):
        parts.append(_("the app in {locale}", locale=ev["ui_locale"]))
    if not parts:
        return _("No evidence reported.")
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]
