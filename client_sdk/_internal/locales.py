"""Locale negotiation and the SDK's own UI strings' locales."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

__all__ = ["base_language", "negotiate", "pick_text", "user_chain"]


def _candidates(tag: str) -> list[str]:
    """``uz-Cyrl-UZ`` -> ``uz-Cyrl-UZ``, ``uz-Cyrl``, ``uz``."""
    parts = tag.replace("_", "-").split("-")
    return ["-".join(parts[:i]) for i in range(len(parts), 0, -1)]


def base_language(tag: str) -> str:
    """``uz-Cyrl-UZ`` -> ``uz``, lower-case."""
    return _candidates(tag)[-1].lower()


def negotiate(preferences: Sequence[str], available: Iterable[str], default: str) -> str:
    """The best available locale (RFC 4647 lookup): each preference in order, exactly and
    then shortened down to its base language (``kk-KZ`` -> ``kk``); then a script variant
    of a preferred language (``uz`` -> ``uz-Cyrl``); then ``default``."""
    by_lower = {a.lower(): a for a in available}
    for pref in preferences:
        for cand in _candidates(pref):
            hit = by_lower.get(cand.lower())
            if hit:
                return hit
    for pref in preferences:
        base = _candidates(pref)[-1].lower()
        variants = sorted(a for low, a in by_lower.items() if low.split("-")[0] == base)
        if variants:
            return variants[0]
    return default


def pick_text(texts: Mapping[str, str], locale: str | Sequence[str], default: str) -> str:
    """The text in the first of ``locale`` (a tag, or the user's preference list) that
    ``texts`` has, each tag exactly and then shortened to its base language; else in
    ``default`` (the document's default locale). Never in a language neither names: a
    text missing in both is "" (publishing refuses such a version, see docs/console.md).
    """
    prefs = [locale] if isinstance(locale, str) else list(locale)
    for pref in (*prefs, default):
        for cand in _candidates(pref):
            if cand in texts:
                return texts[cand]
    return ""


def user_chain(first: str, preferences: Sequence[str]) -> list[str]:
    """``first`` and then the user's ``preferences``, each once, in order."""
    out: list[str] = []
    for tag in (first, *preferences):
        if tag and tag not in out:
            out.append(tag)
    return out
