"""``ConsentSettings``: what the user agreed to and when, per-purpose switches with
descriptions and vendors, the full policy, the history in local time with what changed
and whether it reached the operator, the user's requests with their status and the
operator's answer, Withdraw, the requests of every kind (access, rectification, blocking,
deletion with the choice to withdraw consent in the same step; each confirmed first), and
saving a copy of the user's data (``save_export``: JSON with the receipts and a summary in
the user's language, written to ``export_dir``, the user's Documents folder by default).

Every action shows its result at once, dispatches ``on_change(record)`` and starts a sync
in the background; the history refreshes when the sync answers.

Events: ``on_change(record)``, ``on_policy()``, ``on_synced(result)``.
"""

from __future__ import annotations

import os
import threading
from datetime import tzinfo
from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from client_sdk._internal.store import LedgerRecord
from client_sdk._internal.sync import SyncResult
from client_sdk.client import ConsentClient
from client_sdk.errors import ConsentError
from client_sdk.kivy.base import KText, background
from client_sdk.kivy.confirm_dialog import ConfirmDialog
from client_sdk.kivy.layers import heading, purpose_row, small
from client_sdk.kivy.policy_view import PolicyModal
from client_sdk.kivy.request_dialog import RequestDialog
from client_sdk.protocol.timeutil import parse_time
from client_sdk.ui.markup import escape
from client_sdk.ui.summary import request_line
from client_sdk.ui.texts import Words, language

__all__ = ["ConsentSettings"]


class ConsentSettings(BoxLayout):  # type: ignore[misc]
    title = StringProperty("")
    status = StringProperty("")  # the result of the last action
    accepted = BooleanProperty(False)
    syncing = BooleanProperty(False)
    exporting = BooleanProperty(False)  # a copy of the user's data is being saved
    words = ObjectProperty(None)
    __events__ = ("on_change", "on_policy", "on_synced", "on_exported")

    def __init__(self, client: ConsentClient, *, zone: tzinfo | None = None,
                 export_dir: str | Path | None = None, **kw: Any) -> None:
        self.client = client
        self.zone = zone
        self.export_dir = Path(export_dir) if export_dir is not None else _user_folder()
        self.toggles: dict[str, Any] = {}
        self.dialog: ConfirmDialog | RequestDialog | None = None
        self.modal: PolicyModal | None = None
        super().__init__(**kw)
        self.refresh_view()

    def refresh_view(self) -> None:
        """Rebuild from the client's state (after an action, a sync, a language change)."""
        box = self.ids.content
        box.clear_widgets()
        self.toggles = {}
        manifest = self.client.manifest
        if manifest is None:
            w = self.words = Words(self.client.preferred_locales[0]
                                   if self.client.preferred_locales else "en")
            self.title = w("settings")
            box.add_widget(KText(text=escape(w("unavailable"))))
            self.accepted = False
            return
        v = self.client.current_version()
        w = self.words = Words(language(self.client, v), v, manifest, self.zone,
                               prefs=self.client.preferred_locales)
        self.title = w("settings")
        state = self.client.consent_state()
        self.accepted = state.status == "accepted"
        if state.status == "accepted" and state.accepted_at is not None:
            label = _label(manifest, state.version) or str(state.version)
            box.add_widget(KText(text=escape(w("accepted_on", label=label,
                                                 date=w.date(state.accepted_at)))))
        else:
            last = self._last_time(("withdraw", "decline"))
            key = {"withdrawn": "withdrawn_on", "declined": "declined_on"}.get(state.status)
            box.add_widget(KText(text=escape(w(key, date=w.date(last)) if key and last
                                             else w("no_consent"))))
        # Only consent that stands is "what you agreed to"; after a decline or withdrawal
        # the purposes are what the policy asks for, every optional one off.
        box.add_widget(heading(w("agreed_to" if self.accepted else "purposes")))
        for p in v.purposes:
            on = self.accepted and bool(state.grants.get(p.id))
            row, toggle = purpose_row(w, p, None if p.required else on, self._toggle)
            if toggle is not None:
                toggle.disabled = not self.accepted
                self.toggles[p.id] = toggle
            box.add_widget(row)
        requests = self.client.requests()
        if requests:
            box.add_widget(heading(w("requests")))
            for q in reversed(requests):
                box.add_widget(small(_request_markup(request_line(w.ui, q, self.zone))))
        box.add_widget(heading(w("history")))
        for r in reversed(self.client.history()):
            box.add_widget(small(self._history_line(w, r)))

    def _last_time(self, actions: tuple[str, ...]) -> Any:
        for r in reversed(self.client.history()):
            if r.action in actions:
                return parse_time(r.client_time)
        return None

    def _history_line(self, w: Words, r: LedgerRecord) -> str:
        when = w.when(parse_time(r.client_time))
        status = getattr(r, "status", None)
        if status == "rejected":
            sent = w("rejected", reason=getattr(r, "reason", "") or "")
        else:
            sent = w("synced") if r.synced else w("not_synced")
        line = f"[b]{escape(w('action.' + r.action))}[/b] · {escape(when)} · {escape(sent)}"
        manifest = self.client.manifest
        v = self.client.current_version() if manifest is not None else None
        if r.action == "update" and v is not None:
            titles = {p.id: w.purpose_title(p) for p in v.purposes}
            changed = [w("purpose_on" if on else "purpose_off", title=titles.get(pid, pid))
                       for pid, on in sorted(r.purposes.items())]
            line += "\n" + escape("; ".join(changed))
        elif r.action == "accept":
            label = _label(manifest, r.version) if manifest is not None else None
            line += "\n" + escape(w("version", label=label or r.version))
        return line

    # -- actions -----------------------------------------------------------------------
    def _toggle(self, purpose: str, on: bool) -> None:
        state = self.client.consent_state()
        if state.status != "accepted" or bool(state.grants.get(purpose)) == on:
            return
        self._done(self.client.update_purposes({purpose: on}))

    def open_policy(self) -> None:
        v = self.client.current_version()
        self.modal = PolicyModal(self.client, v, language(self.client, v))
        self.modal.open()
        self.dispatch("on_policy")

    def ask_withdraw(self) -> None:
        self._ask("confirm_withdraw_title", "confirm_withdraw_body", "withdraw",
                  self.withdraw)

    def ask_deletion(self) -> None:
        """Confirm a deletion request; while consent stands, the dialog offers to withdraw
        it in the same step (ticked)."""
        self.ask_request("deletion")

    def ask_request(self, kind: str) -> None:
        """Confirm a request of ``kind`` (a rectification asks what to correct)."""
        w = self.words
        titles = {"deletion": ("confirm_deletion_title", "confirm_deletion_body",
                               "request_deletion")}
        title, body, confirm = titles.get(kind, (f"confirm_{kind}_title",
                                                 f"confirm_{kind}_body", f"request.{kind}"))
        offer_withdraw = kind == "deletion" and self.accepted
        self.dialog = RequestDialog(
            title=w(title), message=w(body), confirm_text=w(confirm),
            cancel_text=w("cancel"),
            note_hint=w("note_hint") if kind == "rectification" else "",
            note_required=kind == "rectification",
            withdraw_text=w("withdraw_too") if offer_withdraw else "",
            withdraw=offer_withdraw,
            action=lambda note, withdraw: self.request(kind, note, withdraw))
        self.dialog.open()

    def _ask(self, title: str, body: str, confirm: str, action: Any) -> None:
        w = self.words
        self.dialog = ConfirmDialog(title=w(title), message=w(body), confirm_text=w(confirm),
                                    cancel_text=w("cancel"), action=action)
        self.dialog.open()

    def withdraw(self) -> None:
        """Withdraw all consent now (``ask_withdraw`` asks first)."""
        self._done(self.client.withdraw())

    def request_deletion(self, withdraw: bool = False) -> None:
        """Ask for deletion now (``ask_deletion`` asks first)."""
        self.request("deletion", None, withdraw)

    def request(self, kind: str, note: str | None = None,
                withdraw: bool | None = None) -> None:
        """File a request of ``kind`` now (``ask_request`` asks first)."""
        self._done(self.client.request(kind, note,
                                       withdraw=bool(withdraw) if kind == "deletion"
                                       else None))

    def save_export(self) -> threading.Thread:
        """Write a copy of the user's data (JSON with the receipts, and the summary as
        text) into ``export_dir`` on a background thread (for a signed-in user the SDK asks
        the server for the other devices' records, up to the transport's deadline: never on
        the UI thread). ``exporting`` is True meanwhile; then ``status`` says where the copy
        is, or why it could not be saved, and ``on_exported(path or None)`` fires."""
        w = self.words
        locale = w.ui if w is not None else None
        folder = self.export_dir
        self.exporting = True
        self.status = w("export_saving") if w else ""

        def work() -> Path | Exception:
            try:
                export = self.client.export_my_data(locale)
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"{export.filename}.json"
                _write(path, export.json)
                _write(path.with_suffix(".txt"), export.summary.encode("utf-8"))
            except (OSError, ConsentError) as exc:  # said on the screen, not a bug
                return exc
            return path

        return background(work, self._exported, self._exported)

    def _exported(self, outcome: Path | Exception) -> None:
        w = self.words
        self.exporting = False
        if isinstance(outcome, Path):
            self.status = w("export_saved", path=str(outcome)) if w else str(outcome)
            self.dispatch("on_exported", outcome)
        else:
            self.status = w("export_failed", reason=str(outcome)) if w else str(outcome)
            self.dispatch("on_exported", None)

    def _done(self, record: LedgerRecord) -> None:
        self.status = self.words("saved_sending")
        self.refresh_view()
        self.dispatch("on_change", record)
        self.sync_now()

    def sync_now(self) -> None:
        """Sync on a background thread; the history and status follow its result."""
        self.syncing = True
        background(self.client.sync, self._synced, self._sync_failed)

    def _synced(self, result: SyncResult) -> None:
        self.syncing = False
        sent = result.ok and result.pending == 0
        self.status = self.words("sent") if sent else self.words("send_later")
        self.refresh_view()
        self.dispatch("on_synced", result)

    def _sync_failed(self, exc: Exception) -> None:
        """sync() raised (it returns its errors, so this is a bug, logged by
        :func:`background`): the records wait, as when offline."""
        self._synced(SyncResult(False, 0, -1, ConsentError(f"sync failed: {exc!r}")))

    def on_change(self, record: Any) -> None:
        pass

    def on_policy(self) -> None:
        pass

    def on_exported(self, path: Any) -> None:
        pass

    def on_synced(self, result: Any) -> None:
        pass


def _request_markup(text: str) -> str:
    """A request's line with its kind in bold (the rest escaped: the answer is the
    operator's text)."""
    first, _, rest = text.partition(" · ")
    return f"[b]{escape(first)}[/b]" + (f" · {escape(rest)}" if rest else "")


def _user_folder() -> Path:
    """Where a desktop user looks for a saved file: Documents when there is one."""
    home = Path.home()
    docs = home / "Documents"
    return docs if docs.is_dir() else home


def _write(path: Path, data: bytes) -> None:
    """Write a whole file atomically: temp file, fsync, rename."""
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _label(manifest: Any, number: int | None) -> str | None:
    for v in (manifest.current, manifest.upcoming):
        if v is not None and v.version == number:
            return str(v.label)
    for e in manifest.history:
        if e.version == number:
            return str(e.label)
    return None


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
