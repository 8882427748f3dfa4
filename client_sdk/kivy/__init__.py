"""Embeddable Kivy widgets for Kelisim consent: the one part of the SDK that imports Kivy.

Five lines in an app::

    from client_sdk import ConsentClient
    from client_sdk.kivy import ConsentGate
    client = ConsentClient(URL, "jana-courier", ROOT, self.user_data_dir, ("kk", "ru"),
                           bundled_manifest=BUNDLE)
    ConsentGate(client, parent=root, on_done=self.start).start()

Style everything in one place with :data:`theme` (see :mod:`.style`).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["DARK", "FONT_NAME", "LIGHT", "ConsentGate", "ConsentScreen", "ConsentSettings",
           "NoticeBanner", "Palette", "PolicyModal", "PolicyView", "Theme", "contrast_ratio",
           "register_fonts", "theme"]

# Widgets load Kivy; the pure parts (palette, markup, fmt, texts) are importable without it,
# from client_sdk.ui (the palette is re-exported here for the themes).
_HOME = {"ConsentScreen": ".consent_screen", "ConsentSettings": ".consent_settings",
         "ConsentGate": ".gate", "NoticeBanner": ".notice_banner",
         "PolicyModal": ".policy_view", "PolicyView": ".policy_view",
         "DARK": "client_sdk.ui.palette", "LIGHT": "client_sdk.ui.palette",
         "Palette": "client_sdk.ui.palette", "contrast_ratio": "client_sdk.ui.palette",
         "FONT_NAME": ".style", "Theme": ".style", "register_fonts": ".style",
         "theme": ".style"}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(import_module(_HOME[name], __name__), name)
    raise AttributeError(f"module 'client_sdk.kivy' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
