"""What the widgets say about a manifest, all in one language: the negotiated (or the
user's remembered) locale drives the document, the SDK's own words, purposes, vendors,
countries, permissions, summaries and dates alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from client_sdk._internal.locales import base_language, negotiate, pick_text, user_chain
from client_sdk.decision import Change
from client_sdk.protocol.model import Controller, Manifest, Purpose, Version
from client_sdk.ui import fmt
from client_sdk.ui.strings import STRINGS, operator, text

if TYPE_CHECKING:  # the console uses Words without the client (and its transport)
    from client_sdk.client import ConsentClient

__all__ = ["Words", "language"]


def language(client: ConsentClient, version: Version) -> str:
    """The locale to show ``version`` in: the one the user chose last (remembered in the
    store), else the negotiated one."""
    remembered = client.remembered_locale()
    prefs = [remembered, *client.preferred_locales] if remembered else \
        list(client.preferred_locales)
    return negotiate(prefs, version.locales, version.default_locale)


def _chosen(tag: str, prefs: Sequence[str]) -> bool:
    """Whether ``tag``'s language is one of the user's ``prefs``."""
    return any(base_language(p) == base_language(tag) for p in prefs)


class Words:
    """Every string a widget shows for ``version``, in ``tag``.

    ``prefs`` is the user's preference list (``client.preferred_locales``). A text the
    manifest lacks in ``tag`` falls back along it and then to the document's default
    locale, never to a language the user did not choose. When ``tag`` is a fallback the
    user did not choose (the version has no document in any of theirs), the SDK's own words
    stay in the first of ``prefs`` they exist in (all five languages have them)."""

    def __init__(self, tag: str, version: Version | None = None,
                 manifest: Manifest | None = None, zone: tzinfo | None = None,
                 prefs: Sequence[str] = ()) -> None:
        self.tag = tag
        self.chain = user_chain(tag, prefs)
        ui_prefs = [tag] if not prefs or _chosen(tag, prefs) else [*prefs, tag]
        self.ui = negotiate(ui_prefs, STRINGS, "en")
        self.version = version
        self.manifest = manifest
        self.zone = zone

    def __call__(self, key: str, **values: object) -> str:
        return text(key, self.ui, **values)

    def pick(self, texts: dict[str, str] | object) -> str:
        assert self.version is not None
        return pick_text(texts, self.chain, self.version.default_locale)  # type: ignore[arg-type]

    def operator(self, c: Controller) -> str:
        """The controller's name and number, the number named after its country."""
        return operator(c.name, c.bin, c.country, self.ui)

    def date(self, moment: datetime) -> str:
        return fmt.date(moment, self.ui, self.zone)

    def when(self, moment: datetime) -> str:
        return fmt.datetime_local(moment, self.ui, self.zone)

    def age(self, years: int) -> str:
        return fmt.plural("age_confirm", self.ui, years)

    def term(self) -> str:
        assert self.version is not None
        term = self.version.consent_term
        if not term:
            return self("term_none")
        return self("term", term=fmt.duration(term, self.ui))

    def permission(self, pid: str) -> str:
        key = f"permission.{pid}"
        return self(key) if key in STRINGS["en"] else pid.replace("_", " ").capitalize()

    def country(self, code: str) -> str:
        return fmt.country(code, self.ui)

    def vendors(self, ids: Sequence[str]) -> str:
        assert self.version is not None
        known = {v.id: v for v in self.version.vendors}
        return ", ".join(self("vendor", name=known[x].name, country=self.country(known[x].country))
                         for x in ids if x in known)

    def purpose_title(self, p: Purpose) -> str:
        return self.pick(p.title)

    def data_titles(self, ids: Sequence[str] | None = None) -> list[str]:
        assert self.version is not None
        cats = self.version.data_categories
        return [self.pick(c.title) or c.id for c in cats if ids is None or c.id in ids]

    def changes(self, changes: Sequence[Change]) -> list[tuple[str, str]]:
        """(label, summary) of each change, re-read from the signed manifest in this
        language (a Decision carries them in the language negotiated at decide time)."""
        summaries: dict[int, dict[str, str]] = {}
        if self.manifest is not None:
            for entry in self.manifest.history:
                summaries[entry.version] = dict(entry.summary)
            for v in (self.manifest.current, self.manifest.upcoming):
                if v is not None:
                    summaries[v.version] = {t: d.summary for t, d in v.locales.items()
                                            if d.summary}
        out = []
        for c in changes:
            mapping = summaries.get(c.version)
            summary = pick_text(mapping, self.chain, self.version.default_locale
                                if self.version else "en") if mapping else c.summary
            out.append((c.label, summary or "—"))
        return out

    def facts(self) -> list[str]:
        """The Art. 8(4) statements of the first layer, as plain text."""
        v = self.version
        assert v is not None
        names = ", ".join(self("vendor", name=x.name, country=self.country(x.country))
                          for x in v.vendors)
        home = self.manifest.controller.country if self.manifest else ""
        abroad = sorted({x.country for x in v.vendors if x.country != home})
        lines = [
            self("third_party_yes", names=names) if v.third_party_transfer and names
            else self("third_party_no") if not v.third_party_transfer
            else self("third_party_yes", names="—"),
            self("cross_border_yes", countries=", ".join(self.country(c) for c in abroad)
                 or "—") if v.cross_border_transfer else self("cross_border_no"),
            self("public_yes") if v.public_disclosure else self("public_no"),
            self.term(),
        ]
        return lines
