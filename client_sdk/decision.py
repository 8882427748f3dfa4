"""The decision rules: what the app must show now. Pure: manifest, consent state, time.

Rules, in order (DESIGN.md):

1. no verified manifest -> UNAVAILABLE
2. an upcoming version whose time has come is the current one
3. no consent -> PROMPT(first_launch); the last choice was a decline -> PROMPT(declined)
4. consent withdrawn -> PROMPT(withdrawn)
5. consented version < reconsent_required_since -> PROMPT(significant_change)
6. a required purpose the user has not granted -> PROMPT(new_required_purpose)
7. consent term over -> PROMPT(expired)
8. a newer minor version not yet acknowledged -> NOTICE(minor_change)
9. an upcoming version not yet announced -> UPCOMING
10. else NONE
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import field
from datetime import datetime

from client_sdk._internal.locales import negotiate, pick_text, user_chain
from client_sdk.protocol.model import HistoryEntry, Manifest, Version
from client_sdk.protocol.record import Record, record
from client_sdk.protocol.timeutil import parse_duration

__all__ = ["Change", "ConsentState", "Decision", "Kind", "decide", "effective_view"]


class Kind(enum.Enum):
    PROMPT = "prompt"
    NOTICE = "notice"
    UPCOMING = "upcoming"
    NONE = "none"
    UNAVAILABLE = "unavailable"


@record
class Change(Record):
    """One version's "what changed", in the negotiated locale."""

    version: int
    label: str
    significance: str
    effective: datetime
    summary: str


@record
class ConsentState(Record):
    """What the ledger says, reduced to what the rules need."""

    status: str  # "none" | "accepted" | "declined" | "withdrawn"
    version: int | None = None  # the version last accepted
    accepted_at: datetime | None = None
    grants: Mapping[str, bool] = field(default_factory=dict)
    acknowledged: frozenset[int] = frozenset()  # versions whose notice was acknowledged


@record
class Decision(Record):
    """What to show now: ``kind``, why (``reasons``), the version and language, and what
    changed since the user's last decision."""

    kind: Kind
    reasons: tuple[str, ...] = ()
    version: Version | None = None  # the version to show (upcoming one for UPCOMING)
    locale: str | None = None
    changes: tuple[Change, ...] = ()
    stale: bool = False  # the manifest has expired and could not be refreshed


@record
class View(Record):
    """The manifest as of ``now``: which version is current, which is still upcoming."""

    current: Version
    upcoming: Version | None
    history: tuple[HistoryEntry, ...]


def effective_view(manifest: Manifest, now: datetime) -> View:
    up = manifest.upcoming
    if up is not None and up.effective <= now:
        old = manifest.current
        entry = HistoryEntry(old.version, old.label, old.significance, old.effective,
                             {t: d.summary for t, d in old.locales.items() if d.summary})
        return View(up, None, (*manifest.history, entry))
    return View(manifest.current, up, manifest.history)


def _entries(view: View) -> list[HistoryEntry]:
    cur = view.current
    return [*view.history, HistoryEntry(cur.version, cur.label, cur.significance,
                                        cur.effective,
                                        {t: d.summary for t, d in cur.locales.items()})]


def _changes(view: View, after: int, locale: Sequence[str], default: str,
             only: Sequence[str] = ("major", "minor", "patch")) -> tuple[Change, ...]:
    """``locale``: the negotiated locale, then the user's preferences (a summary missing
    in one falls back along them, then to ``default``)."""
    return tuple(
        Change(e.version, e.label, e.significance, e.effective,
               pick_text(e.summary, locale, default))
        for e in _entries(view) if e.version > after and e.significance in only
    )


def decide(manifest: Manifest | None, state: ConsentState, now: datetime,
           preferences: Sequence[str], *, stale: bool = False) -> Decision:
    if manifest is None:
        return Decision(Kind.UNAVAILABLE, ("no_verified_manifest",))
    view = effective_view(manifest, now)
    cur = view.current
    locale = negotiate(preferences, cur.locales, cur.default_locale)
    chain = user_chain(locale, preferences)
    default = cur.default_locale

    def prompt(reason: str, after: int = 0) -> Decision:
        changes = _changes(view, after, chain, default) if after else ()
        return Decision(Kind.PROMPT, (reason,), cur, locale, changes, stale)

    if state.status == "none":
        return prompt("first_launch")
    if state.status == "declined":
        return prompt("declined")
    if state.status == "withdrawn":
        return prompt("withdrawn")
    assert state.version is not None and state.accepted_at is not None
    consented = state.version
    if consented < cur.reconsent_required_since:
        return prompt("significant_change", after=consented)
    missing = [p.id for p in cur.purposes if p.required and not state.grants.get(p.id)]
    if missing:
        return Decision(Kind.PROMPT, ("new_required_purpose", *missing), cur, locale,
                        _changes(view, consented, chain, default), stale)
    # now - accepted_at, not accepted_at + term: a term of 999999 years must not overflow.
    if cur.consent_term is not None and \
            now - state.accepted_at >= parse_duration(cur.consent_term):
        return prompt("expired")
    seen = max([consented, *state.acknowledged])
    minor = _changes(view, seen, chain, default, only=("minor",))
    if minor:
        return Decision(Kind.NOTICE, ("minor_change",), cur, locale,
                        _changes(view, seen, chain, default, only=("minor", "major")), stale)
    up = view.upcoming
    if up is not None and up.version not in state.acknowledged:
        up_locale = negotiate(preferences, up.locales, up.default_locale)
        summary = pick_text({t: d.summary for t, d in up.locales.items()},
                            user_chain(up_locale, preferences), up.default_locale)
        return Decision(Kind.UPCOMING, ("upcoming", up.significance), up, up_locale,
                        (Change(up.version, up.label, up.significance, up.effective, summary),),
                        stale)
    return Decision(Kind.NONE, (), cur, locale, (), stale)
