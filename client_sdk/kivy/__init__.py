"""Embeddable Kivy widgets for Kelisim consent: the one part of the SDK that imports Kivy.

Five lines in an app::

    from client_sdk import ConsentClient
    from client_sdk.kivy import ConsentGate
    client = ConsentClient(URL, "jana-courier", ROOT, self.user_data_dir, ("kk", "ru"),
                           bundled_manifest=BUNDLE)
    ConsentGate(client, parent=root, on_done=self.start).start()

Style everything in one place with :data:`theme` (see :mod:`.theme`).
"""

from __future__ import annotations

from .consent_screen import ConsentScreen
from .consent_settings import ConsentSettings
from .gate import ConsentGate
from .notice_banner import NoticeBanner
from .policy_view import PolicyModal, PolicyView
from .theme import DARK, FONT_NAME, LIGHT, Palette, Theme, contrast_ratio, register_fonts, theme

__all__ = ["DARK", "FONT_NAME", "LIGHT", "ConsentGate", "ConsentScreen", "ConsentSettings",
           "NoticeBanner", "Palette", "PolicyModal", "PolicyView", "Theme", "contrast_ratio",
           "register_fonts", "theme"]
