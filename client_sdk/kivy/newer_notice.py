"""``NewerNotice``: the line a ConsentScreen shows when a newer version of the policy was
published while the user was reading it (``ConsentScreen.show_newer``): "A newer version
of the policy was published" and a button to continue on it. The screen itself, its layer,
scroll position and age box stay as they were until the user chooses to go on."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import ObjectProperty
from kivy.uix.boxlayout import BoxLayout

__all__ = ["NewerNotice"]


class NewerNotice(BoxLayout):  # type: ignore[misc]
    """Style in newer_notice.kv; ``screen`` is the ConsentScreen it belongs to."""

    screen = ObjectProperty(None)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
