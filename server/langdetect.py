"""Which of kk, ru, en, uz, ky a text is in.

Small and deterministic: letters that only one language uses (Kazakh ә ұ һ і, Uzbek ў ҳ
and the Latin oʻ/gʻ) and each language's commonest function words. Good enough to label a
policy document, which is long; it says None rather than guess on short or mixed text.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

__all__ = ["detect", "script_of"]

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


def _norm_apostrophes(word: str) -> str:
    return re.sub(r"['ʼ‘’`]", "ʻ", word) if word else word


def script_of(text: str) -> str | None:
    """'Cyrl', 'Latn' or None (no letters)."""
    cyr = lat = 0
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            if name.startswith("CYRILLIC"):
                cyr += 1
            elif name.startswith("LATIN"):
                lat += 1
    if cyr == lat == 0:
        return None
    return "Cyrl" if cyr >= lat else "Latn"


def _scores(text: str) -> Counter[str]:
    lower = unicodedata.normalize("NFC", text).lower()
    words = [_norm_apostrophes(w) for w in _WORD_RE.findall(lower)]
    scores: Counter[str] = Counter()
    for w in words:
        for lang, stop in _STOP.items():
            if w in stop or w.replace("ʻ", "'") in stop:
                scores[lang] += 1
    for lang, letters in _OWN.items():
        scores[lang] += sum(1 for ch in lower if ch in letters) // 2
    # Kyrgyz writes ң ө ү but none of ғ қ ә ұ һ і, which Kazakh and Uzbek need.
    if not any(ch in lower for ch in "ғқәұһіўҳ"):
        scores["ky"] += sum(1 for ch in lower if ch in "ңөү") // 2
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
