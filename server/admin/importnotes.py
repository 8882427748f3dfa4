"""The importer's notes of an uploaded draft, in console terms: the importer writes them for
``kelisim import`` (version.toml, ``[summary]``, ``--locale``, ``# REVIEW`` lines); the draft
page says the same with the form's field names, in the page's language.

The notes are stored as the importer wrote them (the audit entry of the draft's creation);
only what is shown changes. A note this module does not know is shown as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.admin.i18n import gettext as _
from server.admin.models import Draft
from server.models import AdminEvent
from server.policy.importing.storeguess import proposals

__all__ = ["CODES", "console_note", "importer_notes"]


def _fields() -> dict[str, str]:
    """The form's names the notes refer to, as the page shows them."""
    return {"documents": _("Documents"), "label": _("Label"), "language": _("Language"),
            "summary": _("What changed (shown to users with the new version)"),
            "effective": _("Effective (UTC; empty = when published)"),
            "structure": _("Purposes, vendors, data categories and permissions"),
            "box": _("Store labels (TOML: apple, play, linked, tracking, ephemeral)")}


def _store(ids: str) -> dict[str, str]:
    lines = proposals([i.strip() for i in ids.split(",")])
    return {"ids": ids, "proposals": "; ".join(f"{cid}: {text}" for cid, text in lines.items())}


# (the importer's sentence, its catalogue code, extra values from the matched groups)
_NOTES: tuple[tuple[re.Pattern[str], str, Callable[[str], dict[str, str]] | None], ...] = (
    (re.compile(r"PDF text extracted and converted to Markdown\Z"), "imp_note_pdf", None),
    (re.compile(r"Word \.docx converted to Markdown\Z"), "imp_note_docx", None),
    (re.compile(r"plain text converted to Markdown\Z"), "imp_note_text", None),
    (re.compile(r"pages (?P<pages>[\d, ]+) have no text \(scanned\?\) and were skipped; "
                r"check that nothing is missing\Z"), "imp_note_blank_pages", None),
    (re.compile(r"split into (?P<n>\d+) languages: (?P<tags>.+)\Z"), "imp_note_split", None),
    (re.compile(r"label taken from the version the text states: (?P<stated>.+)\Z"),
     "imp_note_label_stated", None),
    (re.compile(r"label proposed from the date the text states: (?P<date>\S+) \(the text "
                r"names no version\); keep it or give a version number\Z"),
     "imp_note_label_date", None),
    (re.compile(r"the text states the date (?P<date>\S+): proposed as the effective date, "
                r"not applied \(.*\)\Z"), "imp_note_date", None),
    (re.compile(r"updates (?P<previous>.+): write what changed in \[summary\]\Z"),
     "imp_note_summary", None),
    (re.compile(r"store labels: proposed a mapping for the data the text names "
                r"\((?P<ids>[^)]*)\); review it in version\.toml\Z"), "imp_note_store", _store),
    (re.compile(r"--locale (?P<locale>\S+): the text looks like (?P<what>.+?), not "
                r"(?P=locale)(?:; check the file)?\Z"), "imp_note_locale", None),
)
CODES = tuple(code for _p, code, _x in _NOTES)


def console_note(note: str) -> tuple[str, bool]:
    """(what the draft page shows for ``note``, whether it is in the page's language)."""
    for pattern, code, extra in _NOTES:
        m = pattern.match(note)
        if m:
            values = m.groupdict() | _fields()
            if extra is not None:
                values |= extra(m.group("ids"))
            return _(code, **values), True
    return note, False


def importer_notes(s: Session, d: Draft) -> list[str]:
    """What the importer noted when the draft was made from a file (none for a copy), as
    it wrote them."""
    event = s.scalars(select(AdminEvent).where(
        AdminEvent.action == "draft.create",
        AdminEvent.target == f"{d.app_id}/draft-{d.id}").limit(1)).first()
    notes = event.details.get("importer_notes") if event is not None else None
    return [str(n) for n in notes] if isinstance(notes, list) else []
