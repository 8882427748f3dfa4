"""Importing an existing policy: a file's bytes become a version draft, in memory.

:func:`import_document` reads Markdown, plain text, Word .docx or a PDF with a text layer
(:mod:`server.policy.importing.formats`), turns text into Markdown
(:mod:`server.policy.importing.text`), splits a bilingual file into one document per locale,
and writes a version.toml whose purposes, flags and (for an update) "what changed" summaries
are placeholders marked ``# REVIEW``: an importer cannot know them, and ``kelisim publish``
refuses a version.toml that still has a marker. ``kelisim import`` writes the result as a
version folder (:func:`write_version_dir`); the console makes a draft of it. """

from __future__ import annotations

import json
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.errors import PolicyImportError
from server.messages import Message, human_bytes
from server.policy.importing.formats import ImportLimits, extract
from server.policy.importing.langdetect import detect, foreign_language, script_of, split_languages
from server.policy.importing.storeguess import guess_categories, proposal_lines
from server.policy.importing.text import (
    find_date,
    find_label,
    keep_structure,
    looks_like_markdown,
    parse_front_matter,
    strip_controls,
    text_to_markdown,
    title_of,
    unligature,
)
from server.policy.schema import is_publishable_locale

__all__ = ["ImportLimits", "ImportedPolicy", "import_document", "write_version_dir"]

DEFAULT_TITLES = {
    "kk": "Құпиялылық саясаты",
    "ru": "Политика конфиденциальности",
    "en": "Privacy Policy",
    "uz": "Maxfiylik siyosati",
    "ky": "Купуялык саясаты",
}
_SERVICE = {
    "kk": ("Қызмет көрсету", "Осы саясатта сипатталған қызметті көрсету."),
    "ru": ("Оказание услуг", "Оказание услуг, описанных в этой политике."),
    "en": ("Providing the service", "Providing the service this policy describes."),
    "uz": ("Xizmat koʻrsatish", "Ushbu siyosatda tavsiflangan xizmatni koʻrsatish."),
    "ky": ("Кызмат көрсөтүү", "Ушул саясатта сүрөттөлгөн кызматты көрсөтүү."),
}


@dataclass
class ImportedPolicy:
    """A version draft made from one file: documents, labels and a version.toml to review."""

    label: str
    # YYYY-MM-DD the policy states, if any: a proposal for the effective date that the
    # officer confirms, never applied (a version takes effect when published, or at the
    # effective time the officer sets).
    stated_date: str | None
    documents: dict[str, str]  # locale tag -> Markdown
    titles: dict[str, str]
    version_toml: str
    kind: str  # markdown | text | docx | pdf
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def spec(self) -> dict[str, Any]:
        """version.toml as data (placeholders included)."""
        return tomllib.loads(self.version_toml)


def _tag_for(lang: str, text: str) -> str:
    # Uzbek is written in Latin (the default tag) and in Cyrillic (uz-Cyrl).
    if lang == "uz" and script_of(text) == "Cyrl":
        return "uz-Cyrl"
    return lang


def _toml_str(value: str) -> str:
    # JSON's string escapes are TOML's, except that TOML also refuses U+007F raw.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _version_toml(label: str, stated_date: str | None, locales: list[str],
                  titles: dict[str, str], filename: str, previous: str | None,
                  label_from_date: bool = False, store: list[str] | None = None) -> str:
    def table(values: dict[str, str]) -> str:
        return "{ " + ", ".join(f"{k} = {_toml_str(v)}" for k, v in values.items()) + " }"

    lines = [
        f"# Imported from {' '.join(strip_controls(Path(filename).name).split())} by "
        f"`kelisim import`.",
        "# Lines marked REVIEW hold placeholders: an importer cannot know the purposes, the",
        "# data each one uses, the vendors or the Law 94-V flags. Make each say what the",
        "# policy says, then delete its marker; `kelisim publish` refuses this file until then.",
        f"label = {_toml_str(label)}" + (
            "  # REVIEW: proposed from the date the text states (it names no version); "
            "keep it or give a version number such as 1.0" if label_from_date else ""),
        f'significance = "major"  {"# REVIEW: major, minor or patch?" if previous else ""}'
        .rstrip(),
    ]
    if stated_date:
        lines += [f"# The text states the date {stated_date}: a proposal for `effective`, "
                  f"not applied. A version",
                  "# takes effect when published; to schedule this one for a later date, "
                  "uncomment and set:",
                  f"# effective = {stated_date}T00:00:00Z"]
    lines += [
        "third_party_transfer = false   # REVIEW",
        "cross_border_transfer = false  # REVIEW",
        "public_disclosure = false      # REVIEW",
        "",
        "[title]",
        *(f"{tag} = {_toml_str(t)}" for tag, t in titles.items()),
    ]
    if previous is not None:
        lines += ["", "# What changed since the version in effect, shown to users in each "
                      "language.", "[summary]",
                  *(f'{tag} = ""  # REVIEW: what changed since {previous}?' for tag in locales)]
    lines += [
        "",
        "[[purposes]]  # REVIEW: one entry per purpose the policy names",
        'id = "service"',
        "required = true",
        "data = []",
        "vendors = []",
        f"title = {table({t: _SERVICE[t[:2]][0] for t in locales})}",
        f"description = {table({t: _SERVICE[t[:2]][1] for t in locales})}",
        'store = { apple = ["NSPrivacyCollectedDataTypePurposeAppFunctionality"], '
        'play = ["PSL_APP_FUNCTIONALITY"] }  # REVIEW: its names in the store labels',
        "",
        *(store or []),
    ]
    return "\n".join(lines) + "\n"


def import_document(data: bytes, filename: str, *, locale: str | None = None,
                    label: str | None = None, previous: str | None = None,
                    limits: ImportLimits | None = None,
                    max_document_bytes: int = 1024 * 1024) -> ImportedPolicy:
    """Turn a policy file's bytes into a version draft.

    ``filename`` tells the format when the bytes do not (and names the file in messages);
    ``locale`` skips language detection (and picks that section of a bilingual file);
    ``previous`` is the label of the version in effect when this one updates it: the
    draft then asks for a "what changed" summary per language. ``limits`` bound the work of
    reading the file; each document made must fit ``max_document_bytes`` (publishing
    would refuse it). A date the text states is only proposed for ``effective`` (in a
    comment and a note): a version takes effect when published unless the officer sets it.

    Raises:
        PolicyImportError: an unreadable, scanned or empty file, an unknown locale, a
            language that cannot be told or is not one Kelisim publishes, a file over a
            limit, or an impossible date.
    """
    if locale is not None and not is_publishable_locale(locale):
        raise PolicyImportError(f"--locale {locale!r}: use kk, ru, en, uz, uz-Cyrl or ky")
    source = extract(data, filename, limits)
    # Control and bidi override characters go before anything is made of the text: the
    # documents, titles, label and date all come from it.
    text = unicodedata.normalize("NFC", unligature(strip_controls(source.text)))
    meta, body = parse_front_matter(text)
    is_markdown = source.kind in ("markdown", "docx") or (
        source.kind == "text" and looks_like_markdown(body))
    parts = split_languages(body)
    result_notes = list(source.notes)
    warnings: list[str] = []
    if locale is not None:
        chosen = [p for p in parts if p[0] == locale[:2]] if len(parts) > 1 else []
        if len(parts) > 1 and not chosen:
            found = ", ".join(str(lang) for lang, _ in parts)
            raise PolicyImportError(Message(f"{filename}: no {locale} section (found: {found})",
                                            "imp_no_section", file=filename, tag=locale,
                                            found=found), filename)
        section = chosen[0][1] if chosen else parts[0][1]
        foreign = foreign_language(section)
        detected = detect(section)
        if foreign is not None:
            warnings.append(f"--locale {locale}: the text looks like {foreign[1]} "
                            f"({foreign[0]}), not {locale}; check the file")
        elif detected is not None and detected != locale[:2]:
            warnings.append(f"--locale {locale}: the text looks like {detected}, not {locale}")
        parts = [(locale, section)]
    docs: dict[str, str] = {}
    titles: dict[str, str] = {}
    for lang, section in parts:
        if lang is None:
            foreign = foreign_language(section)
            if foreign is not None:
                raise PolicyImportError(Message(
                    f"{filename}: the text looks like {foreign[1]} ({foreign[0]}); Kelisim "
                    f"publishes kk, ru, en, uz and ky; pass --locale to import it anyway",
                    "imp_foreign", file=filename, lang=foreign[0]), filename)
            raise PolicyImportError(Message(f"{filename}: cannot tell the language of the "
                                            f"text; pass --locale", "imp_no_language",
                                            file=filename), filename)
        tag = locale or _tag_for(lang, section)
        if tag in docs:
            raise PolicyImportError(Message(f"{filename}: two sections in {tag}; split the "
                                            f"file by hand", "imp_two_sections",
                                            file=filename, tag=tag), filename)
        md = keep_structure(section.strip()) + "\n" if is_markdown \
            else text_to_markdown(section)
        size = len(md.encode("utf-8", "surrogatepass"))
        if size > max_document_bytes:
            raise PolicyImportError(Message(
                f"{filename}: the {tag} document is {human_bytes(size)}, over "
                f"MAX_DOCUMENT_BYTES, the {human_bytes(max_document_bytes)} a document may "
                f"have (publishing would refuse it)", "import_doc_too_large", tag=tag,
                size=size, limit=max_document_bytes), filename)
        docs[tag] = md
        titles[tag] = (meta.get("title") if len(parts) == 1 else None) or title_of(md, meta) \
            or DEFAULT_TITLES[tag[:2]]
    date = find_date(text, filename)
    stated = find_label(text)
    final_label = label or stated or date or "1.0"
    if len(docs) > 1:
        result_notes.append(f"split into {len(docs)} languages: {', '.join(docs)}")
    if source.kind == "text" and not is_markdown:
        result_notes.append("plain text converted to Markdown")
    if stated and not label:
        result_notes.append(f"label taken from the version the text states: {stated}")
    label_from_date = not label and not stated and date is not None
    if label_from_date:
        result_notes.append(f"label proposed from the date the text states: {date} (the text "
                            f"names no version); keep it or give a version number")
    if date:
        result_notes.append(f"the text states the date {date}: proposed as the effective "
                            f"date, not applied (a version takes effect when published; "
                            f"set its effective date to schedule it later)")
    if previous is not None:
        result_notes.append(f"updates {previous}: write what changed in [summary]")
    guesses = guess_categories("\n".join(docs.values()))
    if guesses:
        result_notes.append(f"store labels: proposed a mapping for the data the text names "
                            f"({', '.join(g.id for g in guesses)}); review it in version.toml")
    toml = _version_toml(final_label, date, list(docs), titles, filename, previous,
                         label_from_date, proposal_lines(guesses))
    return ImportedPolicy(final_label, date, docs, titles, toml, source.kind, result_notes,
                          warnings)


def write_version_dir(result: ImportedPolicy, target: Path) -> None:
    """Write the draft as a version folder (``<locale>.md`` files and version.toml).

    Raises:
        PolicyImportError: ``target`` exists and is not empty, or cannot be written.
    """
    try:
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise PolicyImportError(f"{target}: exists and is not empty; choose --out")
        target.mkdir(parents=True, exist_ok=True)
        for tag, md in result.documents.items():
            (target / f"{tag}.md").write_text(md, encoding="utf-8")
        (target / "version.toml").write_text(result.version_toml, encoding="utf-8")
    except OSError as exc:
        raise PolicyImportError(f"{target}: cannot write ({exc.strerror})") from None
