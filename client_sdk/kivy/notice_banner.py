"""``NoticeBanner``: a non-blocking notice of a minor change, or of an upcoming version
("changes on 1 December 2026"), in the user's language. Read opens the new text; closing
it, or OK, records that the notice was read, shows so, and dispatches ``on_dismiss``.

Events: ``on_read()`` (the text was opened), ``on_dismiss(record)``.
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from client_sdk._internal.store import LedgerRecord
from client_sdk.client import ConsentClient
from client_sdk.decision import Decision, Kind
from client_sdk.errors import UsageError
from client_sdk.kivy.base import KText
from client_sdk.kivy.policy_view import PolicyModal
from client_sdk.ui.layout import notice
from client_sdk.ui.markup import escape
from client_sdk.ui.texts import Words, language

__all__ = ["NoticeBanner"]


class NoticeBanner(BoxLayout):  # type: ignore[misc]
    heading = StringProperty("")
    read_text = StringProperty("")
    ok_text = StringProperty("")
    done = BooleanProperty(False)
    words = ObjectProperty(None)
    __events__ = ("on_read", "on_dismiss")

    def __init__(self, client: ConsentClient, decision: Decision | None = None, *,
                 zone: tzinfo | None = None, **kw: Any) -> None:
        self.client = client
        self.decision = decision or client.decide()
        if self.decision.kind not in (Kind.NOTICE, Kind.UPCOMING) or \
                self.decision.version is None:
            raise UsageError(f"NoticeBanner needs a NOTICE or UPCOMING decision, not "
                             f"{self.decision.kind.value}")
        super().__init__(**kw)
        self.version = self.decision.version
        self.tag = language(client, self.version)
        w = self.words = Words(self.tag, self.version, client.manifest, zone,
                                    client.preferred_locales)
        # What it holds is client_sdk.ui.layout.notice's description (the console's
        # preview renders the same): the heading, what changed, Read and OK.
        for item in notice(w, self.decision):
            if item.kind == "heading":
                self.heading = item.text
            elif item.kind == "change":
                self.ids.changes.add_widget(KText(text=f"[b]{escape(item.text)}[/b] — "
                                                       f"{escape(item.detail)}",
                                                  base_size=14))
            elif item.action == "read":
                self.read_text = item.text
            elif item.action == "dismiss":
                self.ok_text = item.text
        self.modal: PolicyModal | None = None

    def read(self) -> None:
        """Open the text this notice is about; closing it counts as reading the notice."""
        self.modal = PolicyModal(self.client, self.version, self.tag,
                                 on_close=lambda _m: self._read_done())
        self.modal.open()
        self.dispatch("on_read")

    def _read_done(self) -> None:
        self.dismiss()

    def dismiss(self) -> LedgerRecord | None:
        if self.done:
            return None
        record = self.client.acknowledge_notice()
        self.done = True
        self.heading = self.words("notice_noted")
        self.dispatch("on_dismiss", record)
        return record

    def on_read(self) -> None:
        pass

    def on_dismiss(self, record: Any) -> None:
        pass


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
