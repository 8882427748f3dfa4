"""``SettingsModal``: :class:`ConsentSettings` over the whole window with a Close button.
The declined screen opens it ("Privacy settings"): a user who declined still has their
rights (what data is held, correction, blocking, deletion, a copy of their data) and must
reach them without the app's own settings screen, which the gate keeps them from."""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.modalview import ModalView

from client_sdk.client import ConsentClient
from client_sdk.kivy.consent_settings import ConsentSettings

__all__ = ["SettingsModal"]


class SettingsModal(ModalView):  # type: ignore[misc]
    """Style in settings_modal.kv; ``settings`` is the ConsentSettings it holds."""

    close_text = StringProperty("")
    settings = ObjectProperty(None)

    def __init__(self, client: ConsentClient, *, zone: tzinfo | None = None,
                 export_dir: str | Path | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.settings = ConsentSettings(client, zone=zone, export_dir=export_dir)
        self.close_text = self.settings.words("close")
        self.ids.body.add_widget(self.settings)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
