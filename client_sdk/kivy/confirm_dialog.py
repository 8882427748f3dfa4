"""``ConfirmDialog``: asks before a destructive action (withdrawal, a deletion request).
Its look is in confirm_dialog.kv and follows :data:`theme.theme`. Not in base.py: a first
frame never shows it, so an app's start-up neither imports ModalView nor parses its rule.
"""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.modalview import ModalView

from client_sdk.kivy import base  # noqa: F401 - KText and KButton, which the rule uses

__all__ = ["ConfirmDialog"]


class ConfirmDialog(ModalView):  # type: ignore[misc]
    """Asks before a destructive action. ``action`` runs only on Confirm."""

    title = StringProperty("")
    message = StringProperty("")
    confirm_text = StringProperty("")
    cancel_text = StringProperty("")
    action = ObjectProperty(None, allownone=True)

    def confirm(self) -> None:
        action = self.action
        self.dismiss()
        if action is not None:
            action()


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
