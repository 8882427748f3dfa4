"""``RequestDialog``: asks before filing a request of the data subject, with what that
kind needs: a note (rectification: what is wrong and what it should be) and, for a
deletion, a box to withdraw consent in the same step. ``action(note, withdraw)`` runs
only on Confirm; a rectification cannot be confirmed without a note.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.modalview import ModalView

from client_sdk.kivy import base  # noqa: F401 - KText, KButton and KCheck, which the rule uses

__all__ = ["RequestDialog"]


class RequestDialog(ModalView):  # type: ignore[misc]
    """Asks before a request; see the module docstring."""

    title = StringProperty("")
    message = StringProperty("")
    confirm_text = StringProperty("")
    cancel_text = StringProperty("")
    note_hint = StringProperty("")  # empty: no note field
    note_required = BooleanProperty(False)
    withdraw_text = StringProperty("")  # empty: no withdraw box
    withdraw = BooleanProperty(False)
    action = ObjectProperty(None, allownone=True)

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        # What this kind does not ask for is not on screen at all (no empty gap).
        if not self.note_hint:
            self.ids.box.remove_widget(self.ids.note)
        if not self.withdraw_text:
            self.ids.box.remove_widget(self.ids.withdraw_row)

    def note(self) -> str | None:
        text: str = self.ids.note.text.strip() if self.note_hint else ""
        return text or None

    def confirm(self) -> None:
        note = self.note()
        if self.note_required and note is None:
            self.ids.note.focus = True
            return
        action = self.action
        self.dismiss()
        if action is not None:
            action(note, self.withdraw if self.withdraw_text else None)

    def on_withdraw_row(self, *_: Any) -> None:
        self.withdraw = not self.withdraw


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
