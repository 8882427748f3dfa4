"""``kelisim import``: an existing policy file becomes a version directory.

Markdown (with or without front matter) is kept as written; plain text is turned into
Markdown (title, numbered section headings, bullet lists, paragraphs). A file with a
section per language (e.g. Kazakh then Russian) becomes one document per locale. The
result is a directory ``kelisim publish`` accepts, with a version.toml whose purposes and
flags the operator must review (an importer cannot know them).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import PolicyImportError
from .langdetect import detect, script_of
from .policy_source import LOCALE_TAG_RE

__all__ = ["ImportResult", "import_policy", "split_languages", "text_to_markdown"]


@dataclass
class ImportResult:
    directory: Path
    locales: dict[str, int] = field(default_factory=dict)  # tag -> characters
    notes: list[str] = field(default_factory=list)


_MARKERS: dict[str, re.Pattern[str]] = {
    "kk": re.compile(r"^(қазақ тілі|қазақша|қазақ тілінде|на казахском( языке)?|казахский"
                     r"( язык)?|kazakh)$"),
    "ru": re.compile(r"^(русский язык|на русском( языке)?|русский|орыс тілі|орысша|"
                     r"орус тили|rus tili|russian)$"),
    "en": re.compile(r"^(english|ағылшын тілі|английский язык|на английском( языке)?|"
                     r"англис тили|ingliz tili)$"),
    "uz": re.compile(r"^(o[ʻ‘'’`]?zbek tili|o[ʻ‘'’`]?zbekcha|ўзбек тили|ўзбекча|"
                     r"узбекский язык|на узбекском( языке)?|uzbek)$"),
    "ky": re.compile(r"^(кыргыз тили|кыргызча|кыргызский язык|киргизский язык|"
                     r"на кыргызском( языке)?|kyrgyz)$"),
}

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


def _marker_lang(line: str) -> str | None:
    text = re.sub(r"[#*_=\-:\s]+", " ", line).strip().lower()
    if not text or len(text) > 40:
        return None
    for lang, pattern in _MARKERS.items():
        if pattern.match(text):
            return lang
    return None


def split_languages(text: str) -> list[tuple[str | None, str]]:
    """Split ``text`` into (language, section) parts.

    Sections start at a line that only names a language ("ҚАЗАҚ ТІЛІ", "РУССКИЙ ЯЗЫК").
    Without such lines, paragraphs are detected one by one; a text made of one long run
    per language is split between the runs. Otherwise the whole text is one part.
    """
    lines = text.splitlines()
    marks = [(i, lang) for i, line in enumerate(lines) if (lang := _marker_lang(line))]
    if len({lang for _, lang in marks}) >= 2:
        parts: list[tuple[str | None, str]] = []
        preamble = "\n".join(lines[: marks[0][0]]).strip()
        for n, (i, lang) in enumerate(marks):
            end = marks[n + 1][0] if n + 1 < len(marks) else len(lines)
            body = "\n".join(lines[i + 1: end]).strip()
            if n == 0 and preamble:
                body = preamble + "\n\n" + body
            parts.append((lang, body))
        return parts
    paragraphs = re.split(r"\n\s*\n", text.strip())
    runs: list[tuple[str | None, list[str]]] = []
    for para in paragraphs:
        lang = detect(para, min_score=2)
        if runs and (lang is None or lang == runs[-1][0] or runs[-1][0] is None):
            if runs[-1][0] is None and lang is not None:
                runs[-1] = (lang, runs[-1][1])
            runs[-1][1].append(para)
        else:
            runs.append((lang, [para]))
    langs = [lang for lang, _ in runs]
    sizes = [sum(len(p) for p in paras) for _, paras in runs]
    total = sum(sizes) or 1
    if (len(runs) >= 2 and len(set(langs)) == len(langs) and None not in langs
            and min(sizes) / total >= 0.2):
        return [(lang, "\n\n".join(paras)) for lang, paras in runs]
    return [(detect(text), text.strip())]


def parse_front_matter(text: str) -> tuple[dict[str, str], str]:
    """``---`` front matter as simple ``key: value`` pairs, and the text after it."""
    m = re.match(r"^---[ \t]*\n(.*?)\n---[ \t]*\n", text, re.DOTALL)
    if not m:
        return {}, text
    meta: dict[str, str] = {}
    for line in m.group(1).splitlines():
        if ":" in line and not line.startswith((" ", "\t", "#")):
            key, _, value = line.partition(":")
            meta[key.strip().lower()] = value.strip().strip("'\"")
    return meta, text[m.end():]


_NUMBERED_RE = re.compile(r"^(\d+(\.\d+)*)\.?\s+\S")
_BULLET_RE = re.compile(r"^\s*[•·▪●◦\-–—*]\s+")
_MD_SPECIAL_RE = re.compile(r"([\\`*_\[\]<])")


def _escape(line: str, *, block_start: bool = True) -> str:
    """Escape what Markdown would read as markup; at a block start also what would open a
    heading, quote or list."""
    line = _MD_SPECIAL_RE.sub(r"\\\1", line)
    if block_start:
        numbered = re.match(r"^(\d+)([.)])(\s)", line)
        if numbered:
            line = f"{numbered[1]}\\{numbered[2]}{line[numbered.end(2):]}"
        elif re.match(r"^(#|>|\+ |=+$|-+$)", line):
            line = "\\" + line
    return line


def text_to_markdown(text: str) -> str:
    """Plain text to Markdown: the first short line is the title, short numbered lines are
    section headings, bullet lines are list items, everything else stays as paragraphs."""
    out: list[str] = []
    titled = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            out.append("")
            continue
        heading = (_NUMBERED_RE.match(line) and len(line) <= 90
                   and not line.endswith((".", ";", ",", ":")))
        if not titled and not heading and len(line) <= 100 and not line.endswith((".", ";", ",")):
            out.append(f"# {_escape(line, block_start=False)}")
            titled = True
            continue
        titled = True
        if heading:
            out += ["", f"## {_escape(line, block_start=False)}", ""]
        elif _BULLET_RE.match(line):
            out.append("- " + _escape(_BULLET_RE.sub("", line, count=1)))
        else:
            if out and out[-1].startswith("- "):
                out.append("")
            out.append(_escape(line))
    md = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", md).strip() + "\n"


def _looks_like_markdown(text: str) -> bool:
    return bool(re.search(r"^(#{1,6}\s|\s*[-*+]\s|\*\*|---\s*$)", text, re.MULTILINE))


def _title_of(markdown: str, meta: dict[str, str]) -> str | None:
    m = re.search(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", markdown, re.MULTILINE)
    if m:
        return m.group(1).replace("**", "").strip()
    first = next((ln.strip() for ln in markdown.splitlines() if ln.strip()), "")
    bold = re.fullmatch(r"\*\*(.+?)\*\*\\?", first)
    if bold:
        return bold.group(1).strip()
    return meta.get("title") or None


_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6, "июля": 7,
    "августа": 8, "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12,
}


def find_date(text: str) -> str | None:
    """The first date the policy states (effective / last updated), as YYYY-MM-DD."""
    head = text[:3000]
    patterns: list[tuple[str, Callable[[re.Match[str]], tuple[Any, Any, Any]]]] = [
        (r"(\d{4})-(\d{2})-(\d{2})", lambda m: (m[1], m[2], m[3])),
        (r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b", lambda m: (m[3], m[2], m[1])),
        (r"\b([A-Za-z]+) (\d{1,2}), (\d{4})\b",
         lambda m: (m[3], _MONTHS.get(m[1].lower()), m[2])),
        (r"\b(\d{1,2}) ([А-Яа-яё]+) (\d{4})\b",
         lambda m: (m[3], _MONTHS.get(m[2].lower()), m[1])),
    ]
    found: list[tuple[int, str]] = []
    for pattern, parts in patterns:
        for m in re.finditer(pattern, head):
            y, mo, d = parts(m)
            if mo is None:
                continue
            try:
                y_i, mo_i, d_i = int(y), int(mo), int(d)
            except ValueError:
                continue
            if 1990 <= y_i <= 2100 and 1 <= mo_i <= 12 and 1 <= d_i <= 31:
                found.append((m.start(), f"{y_i:04d}-{mo_i:02d}-{d_i:02d}"))
    return min(found)[1] if found else None


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _version_toml(label: str, effective: str | None, locales: dict[str, str],
                  titles: dict[str, str], source: Path) -> str:
    def table(values: dict[str, str]) -> str:
        return "{ " + ", ".join(f"{k} = {_toml_str(v)}" for k, v in values.items()) + " }"

    lines = [
        f"# Imported from {source.name} by `kelisim import`.",
        "# REVIEW before publishing: an importer cannot know the purposes, the data each",
        "# one uses, the vendors, or the Law 94-V flags below. They are set to the narrowest",
        "# values and must say what the policy says.",
        f"label = {_toml_str(label)}",
        'significance = "major"',
    ]
    if effective:
        lines.append(f"effective = {effective}T00:00:00Z")
    lines += [
        "third_party_transfer = false   # REVIEW",
        "cross_border_transfer = false  # REVIEW",
        "public_disclosure = false      # REVIEW",
        "",
        "[title]",
        *(f"{tag} = {_toml_str(t)}" for tag, t in titles.items()),
        "",
        "[summary]",
        *(f"{tag} = {_toml_str(DEFAULT_SUMMARY.get(tag[:2], 'Imported policy.'))}"
          for tag in locales),
        "",
        "[[purposes]]",
        'id = "service"',
        "required = true",
        "data = []",
        "vendors = []",
        f"title = {table({t: _SERVICE[t[:2]][0] for t in locales})}",
        f"description = {table({t: _SERVICE[t[:2]][1] for t in locales})}",
    ]
    return "\n".join(lines) + "\n"


DEFAULT_SUMMARY = {
    "kk": "Саясат Kelisim-ге импортталды.",
    "ru": "Политика импортирована в Kelisim.",
    "en": "Policy imported into Kelisim.",
    "uz": "Siyosat Kelisimga import qilindi.",
    "ky": "Саясат Kelisimге импорттолду.",
}


def _tag_for(lang: str, text: str) -> str:
    # Uzbek is written in Latin (the default tag) and in Cyrillic (uz-Cyrl).
    if lang == "uz" and script_of(text) == "Cyrl":
        return "uz-Cyrl"
    return lang


def import_policy(file: Path, *, app_id: str, locale: str | None = None,
                  out_dir: Path | None = None, label: str | None = None) -> ImportResult:
    """Import ``file`` into a new version directory.

    Raises:
        PolicyImportError: unreadable file, undetectable language, unknown locale, or an
            output directory that exists and is not empty.
    """
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise PolicyImportError(f"{file}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PolicyImportError(f"{file}:{line}: not UTF-8 (byte {exc.start}); convert the file "
                           f"to UTF-8 first") from None
    text = unicodedata.normalize("NFC", text.removeprefix("\ufeff")).replace("\r\n", "\n")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise PolicyImportError(f"{file}:{line}: contains a NUL character; not a text file")
    if not text.strip():
        raise PolicyImportError(f"{file}: the file is empty")
    if locale is not None and not LOCALE_TAG_RE.match(locale):
        raise PolicyImportError(f"--locale {locale!r}: use kk, ru, en, uz, uz-Cyrl or ky")
    meta, body = parse_front_matter(text)
    is_markdown = file.suffix.lower() in (".md", ".markdown") or _looks_like_markdown(body)
    parts = split_languages(body)
    result = ImportResult(directory=Path())
    if locale is not None:
        chosen = [p for p in parts if p[0] == locale[:2]] if len(parts) > 1 else []
        if len(parts) > 1 and not chosen:
            found = ", ".join(str(lang) for lang, _ in parts)
            raise PolicyImportError(f"{file}: no {locale} section (found: {found})")
        parts = [(locale, chosen[0][1] if chosen else parts[0][1])]
    docs: dict[str, str] = {}
    titles: dict[str, str] = {}
    for lang, section in parts:
        if lang is None:
            raise PolicyImportError(f"{file}: cannot tell the language of the text; pass --locale")
        tag = locale or _tag_for(lang, section)
        if tag in docs:
            raise PolicyImportError(f"{file}: two sections in {tag}; split the file by hand")
        md = section.strip() + "\n" if is_markdown else text_to_markdown(section)
        docs[tag] = md
        titles[tag] = (meta.get("title") if len(parts) == 1 else None) or _title_of(md, meta) \
            or DEFAULT_TITLES[tag[:2]]
    date = find_date(text)
    label = label or date or "1.0"
    target = out_dir or Path(app_id) / label
    if target.exists() and any(target.iterdir()):
        raise PolicyImportError(f"{target}: exists and is not empty; choose --out")
    target.mkdir(parents=True, exist_ok=True)
    for tag, md in docs.items():
        (target / f"{tag}.md").write_text(md, encoding="utf-8")
        result.locales[tag] = len(md)
    (target / "version.toml").write_text(_version_toml(label, date, docs, titles, file),
                                         encoding="utf-8")
    result.directory = target
    if len(docs) > 1:
        result.notes.append(f"split into {len(docs)} languages: {', '.join(docs)}")
    if not is_markdown:
        result.notes.append("plain text converted to Markdown")
    if date:
        result.notes.append(f"effective date taken from the text: {date}")
    return result
