"""Policy text as people write it, turned into Markdown: headers, sections, paragraphs.

Pure functions over strings. Plain text (typed, or extracted from a PDF) is often
hard-wrapped: a paragraph spread over several lines, a run-together header
("MAXFIYLIK SIYOSATI Yangilandi: 12.03.2024 Versiya: 1.1"). :func:`text_to_markdown`
rebuilds title, numbered section headings, lists and paragraphs; :func:`keep_structure`
separates the blocks a Markdown file runs together; :func:`unligature` undoes a PDF's
typographic ligatures; :func:`find_label` and :func:`find_date` read the version or date
the policy states near its top.

Line-break hyphens. A line that ends in "-" before a line starting with a lower-case
letter is either a word a typesetter hyphenated ("ac-" / "counting") or a compound that is
written with a hyphen and happened to break there ("veb-" / "saytiga", "что-" / "либо").
Removing a hyphen that belongs to the word misspells it, so the hyphen is removed only on
evidence: a soft hyphen (U+00AD) always goes; otherwise the document's own spelling
decides (the joined word elsewhere in it: join; the hyphenated one, or any compound
"left-..." written on one line: keep); without either, the hyphen stays when the part
before it is a letter, an abbreviation or number ("e-", "SMS-", "COVID-"), a prefix
written with a hyphen in the five languages (:data:`HYPHEN_PREFIXES`) or the part after it
a hyphenated particle (:data:`HYPHEN_PARTICLES`), and goes otherwise.
"""

from __future__ import annotations

import datetime
import itertools
import re
import unicodedata
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from typing import Any

from server.errors import PolicyImportError

__all__ = ["HYPHEN_PARTICLES", "HYPHEN_PREFIXES", "escape_markdown", "find_date", "find_label",
           "join_hyphenated", "keep_structure", "looks_like_markdown", "parse_front_matter",
           "split_header", "strip_controls", "text_to_markdown", "title_of", "unligature"]

# Words that introduce a date or a version in a policy's header, in the five languages.
_HEADER_KEYS = (
    "last updated", "updated", "effective date", "effective", "version", "date",
    "последнее обновление", "дата обновления", "обновлено", "редакция", "версия",
    "дата вступления в силу", "действует с",
    "соңғы жаңарту", "жаңартылды", "нұсқасы", "нұсқа", "күшіне енген күні",
    "oxirgi yangilanish", "yangilandi", "versiya", "kuchga kirish sanasi", "sana",
    "акыркы жаңыртуу", "жаңыртылды", "күчүнө кирген күнү",
)
_KEY_RE = re.compile(r"(?<!\w)(" + "|".join(re.escape(k) for k in _HEADER_KEYS) + r")\s*:",
                     re.IGNORECASE)
_VERSION_RE = re.compile(r"(?<!\w)(?:version|versiya|версия|редакция|нұсқасы|нұсқа)"
                         r"\s*[:№#]?\s*v?([0-9]{1,4}(?:\.[0-9]{1,4}){0,3})(?![0-9.]*[0-9])"
                         # "1e400", "2beta": not a label to cut short; none is taken.
                         r"(?![.]?\w)",
                         re.IGNORECASE)
_NUMBERED_RE = re.compile(r"^([0-9]+(\.[0-9]+)*)\.?\s+\S")
_BULLET_RE = re.compile(r"^\s*[•·▪●◦\-–—*]\s+")
_MD_SPECIAL_RE = re.compile(r"([\\`*_\[\]<])")
_PAGE_FOOTER_RE = re.compile(r"^([0-9]{1,4}|(page|страница|бет|sahifa|барак)\s*[0-9]+"
                             r"(\s*(of|из|/)\s*[0-9]+)?)$", re.IGNORECASE)
_SENTENCE_END = (".", "!", "?", ":", ";", "»", '"', "”")
# A numbered heading is short; a longer numbered line is the start of a numbered paragraph.
_NUMBERED_HEADING_MAX = 70

# Alphabetic presentation forms (U+FB00-FB4F: the Latin ligatures ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ, Armenian
# and Hebrew forms) that a PDF's text layer keeps: text, not typography.
_PRESENTATION_RE = re.compile("[\ufb00-\ufb4f]")

# Prefixes written with a hyphen before the word they join (kk, ru, en, uz, ky), few and
# none a syllable a typesetter would break a word after ("re-", "ex-", "авто-" are left out).
HYPHEN_PREFIXES = frozenset({
    "veb", "web", "onlayn", "online", "offline", "self", "third", "cross", "opt",
    "веб", "онлайн", "офлайн", "интернет", "бизнес", "вице", "пуш", "смс", "медиа",
})
# Particles joined with a hyphen to the word before them (ru "что-либо", "кто-нибудь",
# "все-таки", "давай-ка").
HYPHEN_PARTICLES = frozenset({"либо", "нибудь", "то", "таки", "ка", "тко"})

_WORD_RE = re.compile(r"[^\W\d_]+(?:[-\u02bb\u02bc'’][^\W\d_]+)*")


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


_MD_FENCE_RE = re.compile(r"^\s{0,3}(```|~~~)")
_MD_SECTION_RE = re.compile(r"^\s{0,3}(\*\*|__)?([0-9]+(\.[0-9]+)+\.?|[0-9]+[.)])(\*\*|__)?\s+\S")
_MD_BOLD_LINE_RE = re.compile(r"^\s{0,3}(\*\*|__)[^*_\n]+\1 ?$")
# A header line: "Key: value" with a known key, or any short bold "**Label:** value".
_MD_KEY_LINE_RE = re.compile(r"^\s{0,3}(?:[*_]*(?:" + "|".join(re.escape(k) for k in _HEADER_KEYS)
                             + r")\s*:|(\*\*|__)[^*_:\n]{1,40}:\1\s*\S|(\*\*|__)[^*_:\n]{1,40}\2:)",
                             re.IGNORECASE)
_MD_BLOCK_START_RE = re.compile(r"^\s{0,3}(#|>|[-*+]\s|\||```|~~~|---|\*\*\*)")


def keep_structure(markdown: str) -> str:
    """Markdown whose blocks were written line under line, separated: a Markdown renderer
    joins consecutive lines into one paragraph, so a bold section header and the numbered
    sub-sections under it ("**1. Umumiy qoidalar**" / "1.1. ..." / "1.2. ...") would show
    as one block. A blank line goes before each numbered line and after a line that is all
    bold (unless it ends in a line break: the author's choice); consecutive header lines
    ("Versiya: 1.0") end in a line break. Fenced code and tables are left alone; Markdown
    already in blocks is returned unchanged."""
    out: list[str] = []
    fenced = False
    for line in markdown.split("\n"):
        if _MD_FENCE_RE.match(line):
            fenced = not fenced
        prev = out[-1] if out else ""
        after_text = bool(prev.strip()) and not fenced and not line.startswith((" ", "\t")) \
            and not prev.lstrip().startswith(("|", "```", "~~~"))
        in_para = after_text and not _MD_BLOCK_START_RE.match(prev)
        if after_text and _MD_SECTION_RE.match(line):
            out.append("")  # also after a list item, which would take it in
        elif in_para and line.strip() and not _MD_BLOCK_START_RE.match(line):
            if _MD_BOLD_LINE_RE.match(prev):
                out.append("")
            elif _MD_KEY_LINE_RE.match(prev) and _MD_KEY_LINE_RE.match(line) \
                    and not prev.endswith(("  ", "\\")):
                out[-1] = prev + "  "
        out.append(line)
    return "\n".join(out)


def looks_like_markdown(text: str) -> bool:
    return bool(re.search(r"^(#{1,6}\s|\s*[-*+]\s|\*\*|---\s*$)", text, re.MULTILINE))


def split_header(line: str) -> list[str]:
    """A run-together header line split before each ``Key:`` it holds:
    ``"MAXFIYLIK SIYOSATI Yangilandi: 12.03.2024 Versiya: 1.1"`` ->
    ``["MAXFIYLIK SIYOSATI", "Yangilandi: 12.03.2024", "Versiya: 1.1"]``."""
    starts = [m.start() for m in _KEY_RE.finditer(line)]
    if not starts or (starts == [0] and len(_KEY_RE.findall(line)) == 1):
        return [line]
    cuts = [0, *[s for s in starts if s > 0], len(line)]
    return [part for a, b in itertools.pairwise(cuts)
            if (part := line[a:b].strip())]


def _is_caps(line: str) -> bool:
    # Cased letters only: Uzbek ʻ and ʼ (U+02BB, U+02BC) are letters without a case.
    letters = [c for c in line if c.isalpha() and c.lower() != c.upper()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


def escape_markdown(line: str, *, block_start: bool = True) -> str:
    """Escape what Markdown would read as markup; at a block start also what would open a
    heading, quote or list."""
    line = _MD_SPECIAL_RE.sub(r"\\\1", line)
    if block_start:
        numbered = re.match(r"^([0-9]+)([.)])(\s)", line)
        if numbered:
            line = f"{numbered[1]}\\{numbered[2]}{line[numbered.end(2):]}"
        elif re.match(r"^(#|>|\+ |=+$|-+$)", line):
            line = "\\" + line
    return line


def _is_heading(line: str) -> bool:
    if line.endswith((".", ";", ",", ":")) or len(line) > 90:
        return False
    if _NUMBERED_RE.match(line):
        return len(line) <= _NUMBERED_HEADING_MAX
    return _is_caps(line) and len(line) <= 70


def unligature(text: str) -> str:
    """The text with its alphabetic presentation forms (U+FB00-FB4F: "ﬁ", "ﬂ", ...)
    replaced by their letters (NFKC, for these characters only: NFKC of the whole text
    would also change superscripts, fractions, full-width forms and the like)."""
    return _PRESENTATION_RE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def _spellings(lines: list[str]) -> tuple[set[str], set[str]]:
    """The words of the text (lower-case) and the parts before a hyphen inside a line."""
    words: set[str] = set()
    prefixes: set[str] = set()
    for line in lines:
        for m in _WORD_RE.finditer(line):
            word = m.group().lower()
            words.add(word)
            if "-" in word:
                prefixes.add(word.split("-", 1)[0])
    return words, prefixes


def join_hyphenated(left: str, right: str, words: AbstractSet[str] = frozenset(),
                    prefixes: AbstractSet[str] = frozenset()) -> str:
    """``left`` (a line ending in "-" or a soft hyphen) joined to ``right`` (the next line,
    starting with a lower-case letter): without the hyphen when it was a line-break hyphen,
    with it when it belongs to the word (the rule is in the module docstring). ``words``
    and ``prefixes``: the words of the whole text and the parts before a hyphen in them."""
    if left.endswith("\u00ad"):
        return left[:-1] + right
    before = re.search(r"([^\W_]+)$", left[:-1])
    after = re.match(r"[^\W\d_]+", right)
    if before is None or after is None:
        return left + right
    part, rest = before.group(1), after.group()
    joined, hyphenated = (part + rest).lower(), f"{part}-{rest}".lower()
    if joined in words and hyphenated not in words:
        return left[:-1] + right
    if hyphenated in words or part.lower() in prefixes:
        return left + right
    keep = (len(part) == 1 or any(c.isdigit() for c in part)
            or any(c.isupper() for c in part[1:]) or part.lower() in HYPHEN_PREFIXES
            or rest.lower() in HYPHEN_PARTICLES)
    return left + right if keep else left[:-1] + right


def _continues(line: str, following: str) -> bool:
    """Whether ``following`` (the next line, as extracted) continues ``line``'s sentence:
    it starts in lower case, or ``line`` ends in a hyphen."""
    nxt = following.strip()
    return bool(nxt) and (nxt[0].islower() or line.endswith(("-", "\u00ad")))


def _blocks(lines: list[str]) -> list[tuple[str, str]]:
    """Lines to ``(kind, text)`` blocks: heading, bullet, para. A paragraph runs on over
    line breaks until a blank line, a heading, a bullet, or a sentence end followed by a
    line that starts like a new sentence. A numbered line ("1.2. ...") is a heading only
    when it is short and stands alone, not continued by the next line (a long or wrapped
    one starts a numbered paragraph). Linear in the text: an open block keeps its lines in
    a list, joined once when it closes (joining on each line made a long hard-wrapped
    paragraph quadratic)."""
    blocks: list[tuple[str, list[str]]] = []
    open_kind: str | None = None
    words, prefixes = _spellings(lines)
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line or _PAGE_FOOTER_RE.match(line):
            open_kind = None if not line else open_kind
            continue
        if _is_heading(line) and not (_NUMBERED_RE.match(line) and _continues(
                line, lines[i + 1] if i + 1 < len(lines) else "")):
            blocks.append(("heading", [line]))
            open_kind = None
            continue
        last = blocks[-1][1][-1] if blocks else ""  # the open block's last piece
        mid_sentence = open_kind == "para" and not last.endswith(_SENTENCE_END)
        # A dash that starts a wrapped line mid-sentence is punctuation, not a list item.
        if _BULLET_RE.match(line) and not (mid_sentence and line[0] in "-–—"):
            blocks.append(("bullet", [_BULLET_RE.sub("", line, count=1)]))
            open_kind = "bullet"
            continue
        prev = last if blocks and open_kind else ""
        starts_new = line[0].isupper() or line[0].isdigit() or line[0] in "«\"“("
        # A list item runs on only with a lower-case continuation; a paragraph unless a
        # sentence ended and a new one starts.
        if (open_kind == "bullet" and line[0].islower()) or (
                open_kind == "para" and not (prev.endswith(_SENTENCE_END) and starts_new)):
            pieces = blocks[-1][1]
            if prev.endswith(("-", "\u00ad")) and line[0].islower():
                pieces[-1] = join_hyphenated(pieces[-1], line, words, prefixes)
            else:
                pieces.append(line)
            continue
        blocks.append(("para", [line]))
        open_kind = "para"
    return [(kind, " ".join(pieces)) for kind, pieces in blocks]


def _continues_title(title: str, line: str) -> bool:
    """Whether ``line``, right under the title (no blank line between), is more of it: an
    ALL-CAPS title goes on in capitals, any title with a lower-case continuation; never a
    numbered line, a ``Key:`` header line or a sentence."""
    if not line or len(title) + len(line) > 200 or _NUMBERED_RE.match(line) \
            or _KEY_RE.search(line) or line.endswith((".", ";", ",", ":")):
        return False
    return _is_caps(line) if _is_caps(title) else line[0].islower()


def text_to_markdown(text: str) -> str:
    """Plain text to Markdown: the title (the first short line, or a long all-caps one),
    header lines, numbered or all-caps section headings, bullet lists, and paragraphs
    rebuilt from hard-wrapped lines."""
    lines = text.splitlines()
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    out: list[str] = []
    if first is not None:
        head = split_header(lines[first].strip())
        candidate = head[0]
        is_title = (_is_caps(candidate) or (len(candidate) <= 100
                    and not candidate.endswith((".", ";", ","))
                    and not _NUMBERED_RE.match(candidate)))
        if is_title:
            rest = first + 1
            if len(head) == 1:  # a title wrapped over lines (a PDF's) is one title
                while rest < len(lines) and _continues_title(candidate, lines[rest].strip()):
                    candidate = f"{candidate} {lines[rest].strip()}"
                    rest += 1
            out += [f"# {escape_markdown(candidate, block_start=False)}", ""]
            out += [escape_markdown(part) + "  " for part in head[1:]]
            lines = lines[rest:]
        elif len(head) > 1:
            lines = [*head, *lines[first + 1:]]
    previous = ""
    for kind, block in _blocks(lines):
        if kind == "heading":
            out += ["", f"## {escape_markdown(block, block_start=False)}", ""]
        elif kind == "bullet":
            out.append("- " + escape_markdown(block))
        else:
            out += ["", escape_markdown(block), ""] if previous == "bullet" else [
                escape_markdown(block), ""]
        previous = kind
    md = "\n".join(line.rstrip() if not line.endswith("  ") else line for line in out)
    return re.sub(r"\n{3,}", "\n\n", md).strip() + "\n"


# C0 and C1 control characters but tab and newline (ESC, BEL, DEL: a careless editor's,
# or a terminal escape planted in a file), and the bidirectional overrides, embeddings and
# isolates (U+202A-202E, U+2066-2069) that make text display other than it reads.
_CONTROLS_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Page and line breaks among them (a PDF's form feed) still break the line.
_BREAKS_RE = re.compile("[\x0b\x0c\x1c-\x1e\x85]")


def strip_controls(text: str) -> str:
    """``text`` without control characters (but newline and tab) and without bidi
    override, embedding and isolate controls; a form feed, vertical tab or NEL becomes a
    newline."""
    return _CONTROLS_RE.sub("", _BREAKS_RE.sub("\n", text))


def _no_controls(text: str) -> str:
    # A title is one line of words: no control characters (TOML refuses them in a string),
    # no tab, and no bidi controls.
    return strip_controls(text).replace("\t", " ").replace("\n", " ").strip()


def title_of(markdown: str, meta: dict[str, str]) -> str | None:
    m = re.search(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", markdown, re.MULTILINE)
    if m:
        return _no_controls(m.group(1).replace("**", "").replace("\\", "")) or None
    first = next((ln.strip() for ln in markdown.splitlines() if ln.strip()), "")
    bold = re.fullmatch(r"\*\*(.+?)\*\*\\?", first)
    if bold:
        return _no_controls(bold.group(1)) or None
    return _no_controls(meta.get("title") or "") or None


_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6, "июля": 7,
    "августа": 8, "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12,
}


_LAW_RE = re.compile(r"(?i)\b(закон\w*|заң\w*|кодекс\w*|постановлени\w*|приказ\w*|указ\w*|"
                     r"law|act|code|decree|regulation|qonun\w*|мыйзам\w*)\b[^.\n]*$")
_LAW_NUMBER_RE = re.compile(r"(?i)\s*(года|год|г\.|жылғы|yil)?\s*(№|no\.?\s*[0-9]|n\s*[0-9])")
_STATED_RE = re.compile(r"(?i)(updated|effective|last\s+modified|обновлен\w*|редакци\w*|"
                        r"вступа\w*|действует|дата|жаңарт\w*|күшіне|yangilan\w*|kuchga|"
                        r"жаңыртыл\w*|күчүнө)")


# A time of day written after a date: "2024-02-29T10:30", "01.11.2025 10:30:00".
_TIME_RE = re.compile(r"(?:T|[ \t]+)([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?(?![0-9])")


def find_date(text: str, filename: str = "the file") -> str | None:
    """The date the policy states for itself (effective / last updated), as YYYY-MM-DD:
    a date after such words first, else the first date; never the date of a law it cites.

    Raises:
        PolicyImportError: the date that would be taken does not exist ("Effective:
            2024-02-30"), or the time written after it ("2024-02-29T25:61"), naming
            its line.
    """
    head = text[:3000]
    patterns: list[tuple[str, Callable[[re.Match[str]], tuple[Any, Any, Any]]]] = [
        (r"([0-9]{4})-([0-9]{2})-([0-9]{2})", lambda m: (m[1], m[2], m[3])),
        # Digits, not word boundaries: "_05.02.2025_" (Markdown italics) is a date too.
        (r"(?<![0-9])([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})(?![0-9])",
         lambda m: (m[3], m[2], m[1])),
        (r"\b([A-Za-z]+) ([0-9]{1,2}), ([0-9]{4})\b",
         lambda m: (m[3], _MONTHS.get(m[1].lower()), m[2])),
        (r"\b([0-9]{1,2}) ([A-Za-z]+) ([0-9]{4})\b",
         lambda m: (m[3], _MONTHS.get(m[2].lower()), m[1])),
        (r"\b([0-9]{1,2}) ([А-Яа-яё]+) ([0-9]{4})\b",
         lambda m: (m[3], _MONTHS.get(m[2].lower()), m[1])),
    ]
    found: list[tuple[int, int, int, str]] = []
    for pattern, parts in patterns:
        for m in re.finditer(pattern, head):
            y, mo, d = parts(m)
            if mo is None:
                continue
            try:
                y_i, mo_i, d_i = int(y), int(mo), int(d)
            except ValueError:
                continue
            if not (1990 <= y_i <= 2100 and 1 <= mo_i <= 12 and 1 <= d_i <= 31):
                continue
            before = head[max(0, m.start() - 80):m.start()]
            after = head[m.end():m.end() + 25]
            # "Закон ... от 21 мая 2013 года № 94-V": the date of a law the policy cites
            # (almost every Kazakh policy cites Law 94-V), not the policy's own date.
            if _LAW_RE.search(before[-60:]) or _LAW_NUMBER_RE.match(after):
                continue
            stated = 0 if _STATED_RE.search(before) else 1
            found.append((stated, m.start(), m.end(), f"{y_i:04d}-{mo_i:02d}-{d_i:02d}"))
    if not found:
        return None
    _, start, end, date = min(found)
    line = head[:start].count("\n") + 1
    try:
        datetime.date.fromisoformat(date)
    except ValueError:
        raise PolicyImportError(f"{filename}:{line}: {date} is not a date (no such day); "
                                f"correct the date the policy states", filename,
                                line) from None
    time = _TIME_RE.match(head, end)
    if time and not (int(time[1]) <= 23 and int(time[2]) <= 59
                     and int(time[3] or 0) <= 59):
        raise PolicyImportError(f"{filename}:{line}: {time[0].strip()} after {date} is "
                                f"not a time of day; correct the date the policy states",
                                filename, line)
    return date


def find_label(text: str) -> str | None:
    """The version the policy states near its top ("Versiya: 1.1", "Редакция 3"), if any;
    a version that goes on in letters ("1e400", "2beta") is not taken, never cut short."""
    m = _VERSION_RE.search(text[:1500])
    return m.group(1) if m else None
