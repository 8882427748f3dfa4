"""ConsentScreen, NoticeBanner, ConsentSettings and ConsentGate.

Sizes are in dp/sp; the layouts work from 360x640 portrait to a desktop window. Work that
may block (refresh, sync) runs off the UI thread; results come back through
``@mainthread``. Bad data (a locale without its document, no purposes, a huge policy)
shows a message instead of failing.
"""

from __future__ import annotations

import threading
import time
import webbrowser
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from kivy.clock import Clock, mainthread
from kivy.core.text import LabelBase
from kivy.graphics import Color, Rectangle
from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.checkbox import CheckBox
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.spinner import Spinner
from kivy.uix.switch import Switch
from kivy.uix.textinput import TextInput
from kivy.uix.widget import Widget

from ..client import ConsentClient
from ..decision import Decision, Kind
from ..errors import ConsentError, UsageError
from ..locales import negotiate, pick_text
from ..model import Version
from ..strings import LANGUAGE_NAMES, STRINGS, text
from .markup import Block, escape, to_blocks

__all__ = ["FONT_NAME", "ConsentGate", "ConsentScreen", "ConsentSettings", "NoticeBanner",
           "Text", "column", "iter_labels", "markdown_labels", "register_fonts"]

FONT_NAME = "KelisimSans"
FONT_DIR = Path(__file__).resolve().parent / "fonts"
INK = (0.12, 0.12, 0.14, 1)
MUTED = (0.38, 0.38, 0.42, 1)
PAPER = (1, 1, 1, 1)
ACCENT = (0.10, 0.45, 0.91, 1)
# Kivy draws a label as one texture; a paragraph longer than this is cut into several
# labels so that a very long policy never exceeds the GPU's texture size.
MAX_BLOCK_CHARS = 2500
# Document labels made before the first frame, and per frame after it.
FIRST_SLICE = 12
SLICE = 100


def register_fonts() -> None:
    """Register the shipped DejaVu Sans (all five languages, Uzbek ʻ and ʼ included)."""
    LabelBase.register(
        FONT_NAME,
        fn_regular=str(FONT_DIR / "DejaVuSans.ttf"),
        fn_italic=str(FONT_DIR / "DejaVuSans-Oblique.ttf"),
        fn_bold=str(FONT_DIR / "DejaVuSans-Bold.ttf"),
        fn_bolditalic=str(FONT_DIR / "DejaVuSans-BoldOblique.ttf"),
    )


# Registering only records file names; doing it at import means no widget of ours can be
# built before its font exists.
register_fonts()


def _ui_locale(tag: str, preferences: tuple[str, ...] = ()) -> str:
    """The language of the widgets' own words: the user's preference where the SDK speaks
    it (a Uzbek user reads Uzbek buttons even when the policy exists only in Kazakh),
    else the document's language."""
    for pref in preferences:
        hit = negotiate([pref], STRINGS, "")
        if hit:
            return hit
    return negotiate([tag], STRINGS, "en")


class Text(Label):
    """A wrapping label whose height follows its text."""

    def __init__(self, markup_text: str = "", *, size: float = 15, bold: bool = False,
                 color: tuple[float, ...] = INK, **kw: Any) -> None:
        super().__init__(text=markup_text, markup=True, font_name=FONT_NAME,
                         font_size=sp(size), bold=bold, color=color, size_hint_y=None,
                         halign="left", valign="top", **kw)
        self.bind(width=self._wrap, texture_size=self._fit)
        self.bind(on_ref_press=lambda _w, ref: webbrowser.open(ref))

    def _wrap(self, *_: Any) -> None:
        self.text_size = (self.width, None)

    def _fit(self, *_: Any) -> None:
        self.height = self.texture_size[1] + dp(4)


def _button(label: str, **kw: Any) -> Button:
    return Button(text=label, font_name=FONT_NAME, font_size=sp(15), size_hint_y=None,
                  height=dp(48), **kw)


def _paper(widget: Widget) -> None:
    with widget.canvas.before:
        Color(*PAPER)
        rect = Rectangle(pos=widget.pos, size=widget.size)
    widget.bind(pos=lambda w, p: setattr(rect, "pos", p),
                size=lambda w, s: setattr(rect, "size", s))


def column(**kw: Any) -> GridLayout:
    """A vertical, padded column whose height follows its children (for a ScrollView)."""
    options: dict[str, Any] = {"spacing": dp(6), "padding": dp(12), **kw}
    grid = GridLayout(cols=1, size_hint_y=None, **options)
    grid.bind(minimum_height=grid.setter("height"))
    return grid


def iter_labels(blocks: list[Block]) -> Iterator[Text]:
    """Labels for Markdown blocks (see markup.to_blocks), made one at a time (each label
    renders its text when made), long paragraphs split."""
    for b in blocks:
        if b.kind == "heading":
            yield Text(b.markup, size=max(22 - 2 * b.level, 15), bold=True)
        elif b.kind == "rule":
            yield Text("—" * 8, color=MUTED)
        else:
            pad = dp(16) * b.level if b.kind == "item" else 0
            for i in range(0, max(len(b.markup), 1), MAX_BLOCK_CHARS):
                label = Text(b.markup[i:i + MAX_BLOCK_CHARS])
                label.padding = (pad, 0)
                yield label


def markdown_labels(blocks: list[Block]) -> list[Text]:
    """All labels for Markdown blocks at once."""
    return list(iter_labels(blocks))


class ConsentScreen(BoxLayout):
    """The consent screen for the decision's version: summaries of what changed (on a
    re-prompt), the policy, purposes with toggles, permissions, age confirmation, Accept
    (once scrolled to the end, by default) and Decline.

    Events: ``on_accept(record)``, ``on_decline(record)``.
    """

    scrolled_to_end = BooleanProperty(False)
    # True once the whole document is laid out: it is added a slice per frame, so the
    # first frame comes at once however long the policy is.
    complete = BooleanProperty(False)
    locale = StringProperty("")
    __events__ = ("on_accept", "on_decline")

    def __init__(self, client: ConsentClient, decision: Decision | None = None, *,
                 require_scroll: bool = True, **kw: Any) -> None:
        super().__init__(orientation="vertical", **kw)
        _paper(self)
        self.client = client
        self.decision = decision or client.decide()
        if self.decision.version is None:
            raise UsageError("ConsentScreen needs a decision with a version")
        self.version: Version = self.decision.version
        self.require_scroll = require_scroll
        self.shown_at = time.monotonic()
        self.switches: dict[str, Switch] = {}
        self._slicer: Any = None
        self._pending: Iterator[Text] = iter(())
        self.age_box: CheckBox | None = None
        self.guardian_box: CheckBox | None = None
        self.guardian_name: TextInput | None = None
        self.locale = self.decision.locale or self.version.default_locale
        self.ui_locale = _ui_locale(self.locale, tuple(client.preferred_locales))
        self._build()

    # -- layout ------------------------------------------------------------------------
    def _t(self, key: str, **values: object) -> str:
        return text(key, self.ui_locale, **values)

    def _build(self) -> None:
        if self._slicer is not None:
            self._slicer.cancel()
            self._slicer = None
        self.clear_widgets()
        v = self.version
        doc = v.locales.get(self.locale)
        head = BoxLayout(orientation="vertical", size_hint_y=None, padding=(dp(12), dp(8)),
                         spacing=dp(2))
        head.bind(minimum_height=head.setter("height"))
        self.title_label = Text(escape(doc.title if doc else self._t("title")), size=19,
                                bold=True)
        head.add_widget(self.title_label)
        stamp = v.effective.strftime("%Y-%m-%d")
        head.add_widget(Text(escape(f"{self._t('version', label=v.label)} · "
                                    f"{self._t('effective', date=stamp)}"),
                             size=13, color=MUTED))
        languages = sorted(v.locales)
        self.language = Spinner(text=LANGUAGE_NAMES.get(self.locale, self.locale),
                                values=[LANGUAGE_NAMES.get(t, t) for t in languages],
                                font_name=FONT_NAME, size_hint=(None, None),
                                size=(dp(160), dp(40)), option_cls=_SpinnerOption)
        self.language.bind(text=self._on_language)
        self._languages = {LANGUAGE_NAMES.get(t, t): t for t in languages}
        head.add_widget(self.language)
        self.add_widget(head)

        self.scroll = ScrollView(do_scroll_x=False, bar_width=dp(6))
        self.body = column()
        self.scroll.add_widget(self.body)
        self.scroll.bind(scroll_y=self._on_scroll)
        self.body.bind(height=self._on_scroll)
        self.add_widget(self.scroll)
        self._fill_body()

        self.hint = Text(self._t("scroll_hint"), size=13, color=MUTED)
        self.hint.padding = (dp(12), 0)
        self.add_widget(self.hint)
        buttons = BoxLayout(size_hint_y=None, height=dp(60), spacing=dp(8), padding=dp(6))
        self.decline_button = _button(self._t("decline"))
        self.accept_button = _button(self._t("accept"), background_color=ACCENT)
        self.decline_button.bind(on_release=lambda *_: self.decline())
        self.accept_button.bind(on_release=lambda *_: self.accept())
        buttons.add_widget(self.decline_button)
        buttons.add_widget(self.accept_button)
        self.add_widget(buttons)
        self._update_accept()

    def _fill_body(self) -> None:
        v = self.version
        body = self.body
        if self.decision.changes and self.decision.kind is Kind.PROMPT and \
                self.decision.reasons[:1] != ("first_launch",):
            body.add_widget(Text(self._t("what_changed"), size=17, bold=True))
            for change in self.decision.changes:
                summary = change.summary or "—"
                body.add_widget(Text(f"[b]{escape(change.label)}[/b] — {escape(summary)}"))
        try:
            document = self.client.document(self.locale, version=v.version)
            body_blocks = to_blocks(document)
        except (ConsentError, UsageError):
            body_blocks = [Block("paragraph", f"[i]{escape(self._t('no_document'))}[/i]")]
        doc_box = column(padding=0)
        body.add_widget(doc_box)
        self._pending = iter_labels(body_blocks)
        self.complete = False
        self._add_slice(doc_box, FIRST_SLICE)
        if not self.complete:
            self._slicer = Clock.schedule_interval(lambda _dt: self._add_slice(doc_box, SLICE),
                                                   0)
        body.add_widget(Text(self._t("purposes"), size=17, bold=True))
        if not v.purposes:
            body.add_widget(Text(f"[i]{escape(self._t('no_purposes'))}[/i]"))
        vendors = {x.id: x for x in v.vendors}
        for p in v.purposes:
            row = BoxLayout(size_hint_y=None, spacing=dp(8))
            words = column(padding=0, spacing=dp(2))
            title = pick_text(p.title, self.locale, v.default_locale)
            mark = f" · {self._t('required')}" if p.required else ""
            words.add_widget(Text(f"[b]{escape(title)}[/b]{escape(mark)}"))
            words.add_widget(Text(escape(pick_text(p.description, self.locale,
                                                   v.default_locale)), size=13, color=MUTED))
            if p.vendors:
                names = ", ".join(f"{vendors[x].name} ({vendors[x].country})"
                                  for x in p.vendors if x in vendors)
                words.add_widget(Text(escape(self._t("shared_with", names=names)), size=13,
                                      color=MUTED))
            switch = Switch(active=True if p.required else self._granted(p.id),
                            disabled=p.required, size_hint=(None, None),
                            size=(dp(83), dp(40)))
            self.switches[p.id] = switch
            row.add_widget(words)
            row.add_widget(switch)
            words.bind(height=lambda w, h, r=row: setattr(r, "height", max(h, dp(44))))
            body.add_widget(row)
        if v.permissions:
            body.add_widget(Text(self._t("permissions"), size=17, bold=True))
            for perm in v.permissions:
                rationale = pick_text(perm.rationale, self.locale, v.default_locale)
                body.add_widget(Text(f"[b]{escape(perm.id)}[/b]: {escape(rationale)}"))
        if v.min_age is not None:
            self.age_box = self._check(body, self._t("age_confirm", age=v.min_age))
            if v.guardian_consent:
                self.guardian_box = self._check(body, self._t("guardian_confirm"))
                self.guardian_name = TextInput(hint_text=self._t("guardian_name"),
                                               font_name=FONT_NAME, multiline=False,
                                               size_hint_y=None, height=dp(44))
                self.guardian_name.bind(text=lambda *_: self._update_accept())
                body.add_widget(self.guardian_name)

    def _add_slice(self, box: GridLayout, count: int) -> bool:
        for _ in range(count):
            label = next(self._pending, None)
            if label is None:
                self.complete = True
                if self._slicer is not None:
                    self._slicer.cancel()
                    self._slicer = None
                self._on_scroll()
                return False
            box.add_widget(label)
        return True

    def _check(self, body: GridLayout, label: str) -> CheckBox:
        row = BoxLayout(size_hint_y=None, height=dp(48), spacing=dp(6))
        box = CheckBox(size_hint=(None, None), size=(dp(44), dp(44)), color=(0, 0, 0, 1))
        box.bind(active=lambda *_: self._update_accept())
        words = Text(escape(label))
        row.add_widget(box)
        row.add_widget(words)
        words.bind(height=lambda w, h: setattr(row, "height", max(h, dp(48))))
        body.add_widget(row)
        return box

    def _granted(self, purpose: str) -> bool:
        state = self.client.consent_state()
        return state.status == "accepted" and bool(state.grants.get(purpose))

    # -- state -------------------------------------------------------------------------
    def _on_scroll(self, *_: Any) -> None:
        if not hasattr(self, "scroll"):
            return
        fits = self.body.height <= self.scroll.height
        if self.complete and (fits or self.scroll.scroll_y <= 0.002):
            self.scrolled_to_end = True
        self._update_accept()

    def _age_ok(self) -> bool:
        if self.age_box is None or self.age_box.active:
            return True
        return bool(self.guardian_box is not None and self.guardian_box.active
                    and self.guardian_name is not None and self.guardian_name.text.strip())

    def _update_accept(self) -> None:
        if not hasattr(self, "accept_button"):
            return
        ready = (self.scrolled_to_end or not self.require_scroll) and self._age_ok()
        self.accept_button.disabled = not ready
        self.hint.opacity = 0 if self.scrolled_to_end or not self.require_scroll else 1

    def _on_language(self, _spinner: Any, name: str) -> None:
        tag = self._languages.get(name)
        if tag and tag != self.locale:
            self.set_locale(tag)

    def set_locale(self, tag: str) -> None:
        """Show the document and the screen's own words in ``tag``."""
        keep = {pid: s.active for pid, s in self.switches.items()}
        self.locale = tag
        self.ui_locale = _ui_locale(tag)
        self.switches = {}
        self.scrolled_to_end = False
        self._build()
        for pid, on in keep.items():
            if pid in self.switches and not self.switches[pid].disabled:
                self.switches[pid].active = on

    def evidence(self) -> dict[str, Any]:
        return {"scrolled_to_end": bool(self.scrolled_to_end),
                "seconds_on_screen": min(int(time.monotonic() - self.shown_at), 86400)}

    # -- actions -----------------------------------------------------------------------
    def accept(self) -> None:
        if self.accept_button.disabled:
            return
        guardian = None
        if self.age_box is not None and not self.age_box.active and self.guardian_name:
            guardian = {"name": self.guardian_name.text.strip(), "relation": "guardian"}
        record = self.client.accept(
            {pid: s.active for pid, s in self.switches.items()}, locale=self.locale,
            evidence=self.evidence(),
            age_confirmed=None if self.age_box is None else bool(self.age_box.active),
            guardian=guardian)
        self.dispatch("on_accept", record)

    def decline(self) -> None:
        record = self.client.decline(locale=self.locale, evidence=self.evidence())
        self.dispatch("on_decline", record)

    def on_accept(self, record: Any) -> None:
        pass

    def on_decline(self, record: Any) -> None:
        pass


class _SpinnerOption(Button):
    def __init__(self, **kw: Any) -> None:
        super().__init__(font_name=FONT_NAME, size_hint_y=None, height=dp(40), **kw)


class NoticeBanner(BoxLayout):
    """A non-blocking notice: a minor change, or an upcoming version ("changes on …").
    Read opens the policy (``on_read``); Dismiss records the acknowledgement."""

    __events__ = ("on_read", "on_dismiss")

    def __init__(self, client: ConsentClient, decision: Decision | None = None,
                 **kw: Any) -> None:
        super().__init__(orientation="vertical", size_hint_y=None, padding=dp(10),
                         spacing=dp(6), **kw)
        with self.canvas.before:
            Color(0.93, 0.96, 1, 1)
            self._bg = Rectangle(pos=self.pos, size=self.size)
        self.bind(pos=lambda w, p: setattr(self._bg, "pos", p),
                  size=lambda w, s: setattr(self._bg, "size", s))
        self.client = client
        self.decision = decision or client.decide()
        if self.decision.kind not in (Kind.NOTICE, Kind.UPCOMING):
            raise UsageError(f"NoticeBanner needs a NOTICE or UPCOMING decision, not "
                             f"{self.decision.kind.value}")
        ui = _ui_locale(self.decision.locale or "en", tuple(client.preferred_locales))
        if self.decision.kind is Kind.UPCOMING and self.decision.version is not None:
            stamp = _date(self.decision.version.effective)
            heading = text("notice_upcoming", ui, date=stamp)
        else:
            heading = text("notice_minor", ui)
        self.message = Text(f"[b]{escape(heading)}[/b]")
        self.add_widget(self.message)
        for change in self.decision.changes:
            self.add_widget(Text(escape(change.summary or change.label), size=13))
        row = BoxLayout(size_hint_y=None, height=dp(48), spacing=dp(8))
        self.read_button = _button(text("read", ui))
        self.dismiss_button = _button(text("dismiss", ui), background_color=ACCENT)
        self.read_button.bind(on_release=lambda *_: self.dispatch("on_read"))
        self.dismiss_button.bind(on_release=lambda *_: self.dismiss())
        row.add_widget(self.read_button)
        row.add_widget(self.dismiss_button)
        self.add_widget(row)
        self.bind(minimum_height=self.setter("height"))

    def dismiss(self) -> None:
        record = self.client.acknowledge_notice()
        self.dispatch("on_dismiss", record)

    def on_read(self) -> None:
        pass

    def on_dismiss(self, record: Any) -> None:
        pass


def _date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


class ConsentSettings(BoxLayout):
    """Current choices with per-purpose switches, the full policy, history with sync
    status, Withdraw and Request deletion."""

    __events__ = ("on_policy", "on_change")

    def __init__(self, client: ConsentClient, **kw: Any) -> None:
        super().__init__(orientation="vertical", **kw)
        _paper(self)
        self.client = client
        self.switches: dict[str, Switch] = {}
        self.refresh_view()

    def _t(self, key: str, **values: object) -> str:
        return text(key, _ui_locale(self.locale, tuple(self.client.preferred_locales)),
                    **values)

    @property
    def locale(self) -> str:
        manifest = self.client.manifest
        if manifest is None:
            return self.client.preferred_locales[0] if self.client.preferred_locales else "en"
        v = self.client.current_version()
        return negotiate(self.client.preferred_locales, v.locales, v.default_locale)

    def refresh_view(self) -> None:
        self.clear_widgets()
        self.switches = {}
        scroll = ScrollView(do_scroll_x=False)
        col = column()
        scroll.add_widget(col)
        self.add_widget(scroll)
        col.add_widget(Text(self._t("settings"), size=19, bold=True))
        if self.client.manifest is None:
            col.add_widget(Text(escape(self._t("unavailable"))))
            return
        v = self.client.current_version()
        state = self.client.consent_state()
        col.add_widget(Text(self._t("your_choices"), size=17, bold=True))
        if not v.purposes:
            col.add_widget(Text(f"[i]{escape(self._t('no_purposes'))}[/i]"))
        for p in v.purposes:
            row = BoxLayout(size_hint_y=None, height=dp(48))
            title = pick_text(p.title, self.locale, v.default_locale)
            row.add_widget(Text(escape(title) + (f" · {escape(self._t('required'))}"
                                                 if p.required else "")))
            switch = Switch(active=state.status == "accepted" and
                            bool(state.grants.get(p.id)),
                            disabled=p.required or state.status != "accepted",
                            size_hint=(None, None), size=(dp(83), dp(40)))
            switch.bind(active=lambda _s, on, pid=p.id: self._toggle(pid, on))
            self.switches[p.id] = switch
            row.add_widget(switch)
            col.add_widget(row)
        self.policy_button = _button(self._t("full_policy"))
        self.policy_button.bind(on_release=lambda *_: self.dispatch("on_policy"))
        col.add_widget(self.policy_button)
        col.add_widget(Text(self._t("history"), size=17, bold=True))
        for r in reversed(self.client.history()):
            status = self._t("synced") if r.synced else self._t("not_synced")
            when = r.client_time.replace("T", " ").rstrip("Z")
            col.add_widget(Text(f"{escape(self._t('action.' + r.action))} · "
                                f"{escape(when)} · [i]{escape(status)}[/i]", size=13))
        self.withdraw_button = _button(self._t("withdraw"))
        self.withdraw_button.disabled = state.status != "accepted"
        self.withdraw_button.bind(on_release=lambda *_: self.withdraw())
        col.add_widget(self.withdraw_button)
        self.deletion_button = _button(self._t("request_deletion"))
        self.deletion_button.bind(on_release=lambda *_: self.request_deletion())
        col.add_widget(self.deletion_button)

    def _toggle(self, purpose: str, on: bool) -> None:
        state = self.client.consent_state()
        if state.status != "accepted" or bool(state.grants.get(purpose)) == on:
            return
        record = self.client.update_purposes({purpose: on})
        self.dispatch("on_change", record)

    def withdraw(self) -> None:
        record = self.client.withdraw()
        self.refresh_view()
        self.dispatch("on_change", record)

    def request_deletion(self) -> None:
        record = self.client.request_deletion()
        self.refresh_view()
        self.deletion_button.text = self._t("deletion_requested")
        self.dispatch("on_change", record)

    def on_policy(self) -> None:
        pass

    def on_change(self, record: Any) -> None:
        pass


class ConsentGate:
    """Refresh on a background thread, decide, and show the right widget in ``parent``
    (ConsentScreen for PROMPT, NoticeBanner for NOTICE/UPCOMING, nothing otherwise);
    ``on_done(decision)`` is called on the UI thread once nothing blocks the app."""

    def __init__(self, client: ConsentClient, parent: Widget,
                 on_done: Callable[[Decision], None], *, require_scroll: bool = True,
                 sync: bool = True) -> None:
        register_fonts()
        self.client = client
        self.parent = parent
        self.on_done = on_done
        self.require_scroll = require_scroll
        self.sync = sync
        self.shown: Widget | None = None

    def start(self) -> None:
        # A verified local state is enough to decide at once (offline first); refresh
        # runs meanwhile and a newer decision replaces it if the user has not answered.
        self._show(self.client.decide())
        # The network waits for the first frame: the screen comes first.
        Clock.schedule_once(lambda _dt: threading.Thread(
            target=self._work, daemon=True, name="kelisim-refresh").start(), 0.1)

    def _work(self) -> None:
        self.client.refresh()
        if self.sync:
            self.client.sync()
        self._refreshed(self.client.decide())

    @mainthread
    def _refreshed(self, decision: Decision) -> None:
        if self.shown is None and decision.kind in (Kind.PROMPT, Kind.NOTICE, Kind.UPCOMING):
            self._show(decision)
        elif isinstance(self.shown, ConsentScreen) and decision.kind is Kind.PROMPT and \
                decision.version is not None and \
                decision.version.version != self.shown.version.version:
            self._remove()
            self._show(decision)

    def _show(self, decision: Decision) -> None:
        if decision.kind is Kind.PROMPT:
            screen = ConsentScreen(self.client, decision, require_scroll=self.require_scroll)
            screen.bind(on_accept=lambda *_: self._finish(), on_decline=lambda *_: None)
            self.shown = screen
            self.parent.add_widget(screen)
        elif decision.kind in (Kind.NOTICE, Kind.UPCOMING):
            banner = NoticeBanner(self.client, decision)
            banner.bind(on_dismiss=lambda *_: self._finish())
            self.shown = banner
            self.parent.add_widget(banner)
            self.on_done(decision)  # a notice does not block the app
        elif decision.kind is Kind.NONE:
            self.on_done(decision)

    def _remove(self) -> None:
        if self.shown is not None and self.shown.parent is not None:
            self.shown.parent.remove_widget(self.shown)
        self.shown = None

    def _finish(self) -> None:
        was_prompt = isinstance(self.shown, ConsentScreen)
        self._remove()
        if was_prompt:
            self.on_done(self.client.decide())
        if self.sync:
            threading.Thread(target=self.client.sync, daemon=True).start()
