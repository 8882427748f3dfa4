"""``NewerNotice``: the line a ConsentScreen shows when a newer version of the policy was
published while the user was reading it (``ConsentScreen.show_newer``): "A newer version
of the policy was published", its label and what changed in it, and a button to continue
on it. The screen itself, its layer,
scroll position and age box stay as they were until the user chooses to go on."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import ObjectProperty
from kivy.uix.boxlayout import BoxLayout

from client_sdk._internal.locales import pick_text

__all__ = ["NewerNotice"]


class NewerNotice(BoxLayout):  # type: ignore[misc]
    """Style in newer_notice.kv; ``screen`` is the ConsentScreen it belongs to."""

    screen = ObjectProperty(None)

    def text(self) -> str:
        """The notice: that a newer version was published, its label and its summary of
        what changed (in the screen's language along the user's, when it has one)."""
        screen = self.screen
        w, decision = (screen.words, screen.newer) if screen is not None else (None, None)
        if w is None or decision is None or decision.version is None:
            return ""
        v = decision.version
        line = f"{w('newer_version')}\n{w('version', label=v.label)}"
        summary = pick_text({t: d.summary for t, d in v.locales.items()}, w.chain,
                            v.default_locale)
        return line + (f" — {summary}" if summary else "")


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
