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

What the user grants is part of the decision (``Decision.granted``): the purposes of the
version in force that the user switched on, and only while the decision is not PROMPT (nor
UNAVAILABLE). ``ConsentClient.is_granted`` reads it from the same ``decide()``, so the gate
and the decision can never disagree. :func:`next_change` is the next instant at which the
decision changes by time alone (an upcoming version's effective time, a consent term's end).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import field
from datetime import datetime

from client_sdk._internal.locales import negotiate, pick_text, user_chain
from client_sdk.protocol.model import CONSENT_MODE_SIGNALS, HistoryEntry, Manifest, Version
from client_sdk.protocol.record import Record, record
from client_sdk.protocol.timeutil import parse_duration

__all__ = ["Change", "ConsentState", "Decision", "GrantChange", "Kind", "consent_mode_signals",
           "decide", "effective_view", "grants", "next_change", "vendors_allowed"]


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
    # The purposes whose consent stands now (empty for PROMPT and UNAVAILABLE).
    granted: frozenset[str] = frozenset()


@record
class GrantChange(Record):
    """What a listener is told (``ConsentClient.add_listener``): the purposes ``granted``
    and ``revoked`` by this change, all ``purposes`` granted now, its ``cause`` (``accept``,
    ``decline``, ``withdraw``, ``update``, ``acknowledge``, ``refresh``, ``check``) and the
    ``decision`` now (its ``kind`` and ``reasons``: why, e.g. ``significant_change``)."""

    granted: frozenset[str]
    revoked: frozenset[str]
    purposes: frozenset[str]
    cause: str
    decision: Decision

    @property
    def kind(self) -> Kind:
        return self.decision.kind

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.decision.reasons


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
    granted = frozenset(p.id for p in cur.purposes if state.grants.get(p.id))
    seen = max([consented, *state.acknowledged])
    minor = _changes(view, seen, chain, default, only=("minor",))
    if minor:
        return Decision(Kind.NOTICE, ("minor_change",), cur, locale,
                        _changes(view, seen, chain, default, only=("minor", "major")), stale,
                        granted)
    up = view.upcoming
    if up is not None and up.version not in state.acknowledged:
        up_locale = negotiate(preferences, up.locales, up.default_locale)
        summary = pick_text({t: d.summary for t, d in up.locales.items()},
                            user_chain(up_locale, preferences), up.default_locale)
        return Decision(Kind.UPCOMING, ("upcoming", up.significance), up, up_locale,
                        (Change(up.version, up.label, up.significance, up.effective, summary),),
                        stale, granted)
    return Decision(Kind.NONE, (), cur, locale, (), stale, granted)


def grants(manifest: Manifest | None, state: ConsentState, now: datetime) -> frozenset[str]:
    """The purposes granted at ``now``: ``decide(...).granted``, the one rule
    ``is_granted`` follows (empty whenever the decision is PROMPT or UNAVAILABLE)."""
    return decide(manifest, state, now, ()).granted


def _same(a: Decision, b: Decision) -> bool:
    return (a.kind, a.reasons, a.granted, a.version and a.version.version) == \
        (b.kind, b.reasons, b.granted, b.version and b.version.version)


def next_change(manifest: Manifest | None, state: ConsentState, now: datetime
                ) -> datetime | None:
    """The first instant after ``now`` at which the decision changes by time alone (what
    is shown, why, or what is granted): an upcoming version's effective time, or the end of
    the consent term under the version in force then. None when time alone changes
    nothing."""
    if manifest is None:
        return None
    candidates: set[datetime] = set()
    up = manifest.upcoming
    if up is not None and up.effective > now:
        candidates.add(up.effective)
    if state.status == "accepted" and state.accepted_at is not None:
        for v in (manifest.current, up):
            if v is None or v.consent_term is None:
                continue
            try:
                end = state.accepted_at + parse_duration(v.consent_term)
            except OverflowError:  # a term beyond year 9999 never ends
                continue
            if end > now:
                candidates.add(end)
    # The rules compare ``now`` only with these instants: the decision holds between them,
    # so the first one that changes it is the answer.
    before = decide(manifest, state, now, ())
    for moment in sorted(candidates):
        after = decide(manifest, state, moment, ())
        if not _same(before, after):
            return moment
        before = after
    return None



def vendors_allowed(version: Version, granted: frozenset[str]) -> frozenset[str]:
    """The vendors of ``version`` whose every purpose (in ``version``) is in ``granted``;
    a vendor that serves no purpose there is not allowed."""
    serves: dict[str, set[str]] = {}
    for p in version.purposes:
        for vendor in p.vendors:
            serves.setdefault(vendor, set()).add(p.id)
    return frozenset(v for v, purposes in serves.items() if purposes <= granted)


def consent_mode_signals(version: Version | None, granted: frozenset[str]) -> dict[str, str]:
    """Google Consent Mode v2 from ``version.consent_mode`` (signal -> purposes): granted
    when the signal is mapped and all its purposes are in ``granted``, else denied."""
    mapping = version.consent_mode if version is not None else {}
    return {signal: "granted" if mapping.get(signal) and set(mapping[signal]) <= granted
            else "denied" for signal in CONSENT_MODE_SIGNALS}
