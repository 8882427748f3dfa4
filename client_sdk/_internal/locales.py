"""Locale negotiation and the SDK's own UI strings' locales."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

__all__ = ["negotiate", "pick_text"]


def _candidates(tag: str) -> list[str]:
    """``uz-Cyrl-UZ`` -> ``uz-Cyrl-UZ``, ``uz-Cyrl``, ``uz``."""
    parts = tag.replace("_", "-").split("-")
    return ["-".join(parts[:i]) for i in range(len(parts), 0, -1)]


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


def pick_text(texts: Mapping[str, str], locale: str, default: str) -> str:
    """``texts[locale]``, else its base language, else the default locale, else any."""
    for cand in (*_candidates(locale), default):
        if cand in texts:
            return texts[cand]
    return next(iter(texts.values()), "")
