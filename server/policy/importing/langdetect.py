"""Which of kk, ru, en, uz, ky a text is in, and where a bilingual text changes language.

Small and deterministic: letters that only one language uses (Kazakh ә ұ һ і, Uzbek ў ҳ
and the Latin oʻ/gʻ) and each language's commonest function words. Good enough to label a
policy document, which is long; it says None rather than guess on short or mixed text.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter

__all__ = ["detect", "foreign_language", "script_of", "split_languages"]

_WORD_RE = re.compile(r"[^\W\d_]+(?:['ʻʼ‘’`][^\W\d_]+)?", re.UNICODE)

_STOP: dict[str, frozenset[str]] = {
    "ru": frozenset(
        [
            "и",
            "в",
            "не",
            "на",
            "что",
            "с",
            "по",
            "для",
            "или",
            "к",
            "о",
            "от",
            "мы",
            "вы",
            "это",
            "как",
            "при",
            "его",
            "их",
            "вас",
            "ваших",
            "данных",
            "также",
            "если",
            "может",
            "быть",
            "которые",
            "которых",
            "только",
        ]
    ),
    "kk": frozenset(
        [
            "және",
            "мен",
            "бен",
            "пен",
            "үшін",
            "бұл",
            "осы",
            "немесе",
            "туралы",
            "болып",
            "арқылы",
            "бойынша",
            "деректер",
            "деректерді",
            "сіздің",
            "біз",
            "қосымша",
            "жеке",
            "ретінде",
            "кезде",
        ]
    ),
    "ky": frozenset(
        [
            "жана",
            "менен",
            "үчүн",
            "бул",
            "же",
            "болуп",
            "аркылуу",
            "боюнча",
            "жөнүндө",
            "маалыматтар",
            "маалыматтарды",
            "сиздин",
            "биз",
            "колдонмо",
            "жеке",
            "катары",
            "учурда",
        ]
    ),
    "uz": frozenset(
        [
            "ва",
            "учун",
            "билан",
            "бу",
            "ёки",
            "бўйича",
            "орқали",
            "ҳам",
            "маълумотлар",
            "маълумотларни",
            "сизнинг",
            "биз",
            "илова",
            "шахсий",
            "сифатида",
        ]
    )
    | frozenset(
        [
            "va",
            "uchun",
            "bilan",
            "bu",
            "yoki",
            "boʻyicha",
            "orqali",
            "ham",
            "maʼlumotlar",
            "maʼlumotlarni",
            "sizning",
            "biz",
            "ilova",
            "shaxsiy",
            "sifatida",
            "ushbu",
        ]
    ),
    "en": frozenset(
        [
            "the",
            "and",
            "of",
            "to",
            "in",
            "is",
            "for",
            "you",
            "your",
            "we",
            "with",
            "that",
            "this",
            "are",
            "or",
            "by",
            "our",
            "as",
            "be",
            "not",
            "any",
            "may",
        ]
    ),
}
# Letters one language alone (of the five) writes.
_OWN = {"kk": set("әұһі"), "uz": set("ўҳ")}
_UZ_LATIN_RE = re.compile(r"[og][ʻ‘'’`]", re.IGNORECASE)


_APOSTROPHES = str.maketrans({c: "ʻ" for c in "'ʼ‘’`"})


def _norm_apostrophes(word: str) -> str:
    return word.translate(_APOSTROPHES)


@functools.lru_cache(maxsize=4096)
def _script_of_char(ch: str) -> str:
    # unicodedata.name per character was most of an import's time: a text has few
    # distinct letters, so each is named once.
    if not ch.isalpha():
        return ""
    name = unicodedata.name(ch, "")
    return "C" if name.startswith("CYRILLIC") else "L" if name.startswith("LATIN") else ""


def script_of(text: str) -> str | None:
    """'Cyrl', 'Latn' or None (no letters)."""
    counts = Counter(map(_script_of_char, text))
    cyr, lat = counts["C"], counts["L"]
    if cyr == lat == 0:
        return None
    return "Cyrl" if cyr >= lat else "Latn"


def _scores(text: str) -> Counter[str]:
    # Each distinct word and letter is looked at once (a policy repeats its words).
    lower = unicodedata.normalize("NFC", text).lower()
    chars = Counter(lower)
    scores: Counter[str] = Counter()
    for word, count in Counter(_WORD_RE.findall(lower)).items():
        w = _norm_apostrophes(word)
        for lang, stop in _STOP.items():
            if w in stop or w.replace("ʻ", "'") in stop:
                scores[lang] += count
    for lang, letters in _OWN.items():
        scores[lang] += sum(chars[ch] for ch in letters) // 2
    # Kyrgyz writes ң ө ү but none of ғ қ ә ұ һ і, which Kazakh and Uzbek need.
    if not any(chars[ch] for ch in "ғқәұһіўҳ"):
        scores["ky"] += sum(chars[ch] for ch in "ңөү") // 2
    if _UZ_LATIN_RE.search(lower):
        scores["uz"] += len(_UZ_LATIN_RE.findall(lower))
    return scores


def detect(text: str, *, min_score: int = 3) -> str | None:
    """The language tag of ``text`` (kk, ru, en, uz, ky), or None when unsure."""
    script = script_of(text)
    if script is None:
        return None
    allowed = ("ru", "kk", "ky", "uz") if script == "Cyrl" else ("en", "uz")
    scores = _scores(text)
    ranked = sorted(allowed, key=lambda lang: scores[lang], reverse=True)
    best = ranked[0]
    if scores[best] < min_score or scores[best] == scores[ranked[1]]:
        return None
    return best


# Languages Kelisim does not publish, told apart only to warn that a text is in one of them.
_FOREIGN: dict[str, tuple[str, frozenset[str]]] = {
    "de": ("German", frozenset([
        "der", "die", "das", "und", "ist", "nicht", "mit", "für", "sie", "wir", "ein",
        "eine", "zu", "von", "den", "auf", "werden", "ihre", "ihrer", "sich", "des",
        "dem", "im", "bei", "oder", "auch", "wie", "über", "diese", "wenn", "nach",
    ])),
    "fr": ("French", frozenset([
        "le", "la", "les", "et", "des", "est", "pour", "vous", "nous", "une", "un",
        "du", "dans", "que", "qui", "sur", "par", "avec", "ne", "pas", "sont", "ou",
        "aux", "vos", "votre", "ces",
    ])),
    "tr": ("Turkish", frozenset([
        "ve", "bir", "bu", "için", "ile", "olarak", "veya", "gibi", "olan", "daha",
        "çok", "kadar", "sizin", "bizim", "ancak", "her", "değil",
    ])),
    "es": ("Spanish", frozenset([
        "el", "los", "las", "y", "es", "para", "usted", "nosotros", "una", "del", "en",
        "que", "su", "por", "con", "no", "son", "sus", "datos", "se",
    ])),
}


def foreign_language(text: str) -> tuple[str, str] | None:
    """``(tag, name)`` of a language Kelisim does not publish (German, French, Turkish,
    Spanish) when ``text`` is clearly in it rather than in kk, ru, en, uz or ky."""
    if script_of(text) != "Latn":
        return None
    lower = unicodedata.normalize("NFC", text).lower()
    words = Counter(_norm_apostrophes(w) for w in _WORD_RE.findall(lower))
    ours = _scores(text)
    best_ours = max((ours[lang] for lang in ("en", "uz")), default=0)
    scored = {tag: sum(n for w, n in words.items() if w in stop)
              for tag, (_, stop) in _FOREIGN.items()}
    tag = max(scored, key=lambda t: scored[t])
    if scored[tag] >= 5 and scored[tag] > 2 * best_ours:
        return tag, _FOREIGN[tag][0]
    return None


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


