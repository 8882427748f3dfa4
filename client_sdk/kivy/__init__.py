"""Embeddable Kivy widgets for Kelisim consent: the one part of the SDK that imports Kivy.

Five lines in an app::

    from client_sdk import ConsentClient
    from client_sdk.kivy import ConsentGate
    client = ConsentClient(URL, "jana-courier", ROOT, self.user_data_dir, ("kk", "ru"),
                           bundled_manifest=BUNDLE)
    ConsentGate(client, parent=root, on_done=self.start).start()
"""

from __future__ import annotations

from .widgets import (
    FONT_NAME,
    ConsentGate,
    ConsentScreen,
    ConsentSettings,
    NoticeBanner,
    register_fonts,
)

__all__ = ["FONT_NAME", "ConsentGate", "ConsentScreen", "ConsentSettings", "NoticeBanner",
           "register_fonts"]
