"""client_sdk._internal.recording: what each decision records, as pure functions over a
Version, the user's state, a Stamp (id, time, manifest seq) and the caller's values. No
store, no clock, no client."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from client_sdk._internal import recording
from client_sdk._internal.recording import Stamp
from client_sdk.decision import ConsentState, Decision, Kind
from client_sdk.errors import UsageError
from client_sdk.protocol.model import Version
from simulator import NOW, version

KK, RU = b"# kk\n", b"# ru\n"
V = Version.from_payload(version(3, docs={"kk": KK, "ru": RU}), "current")
AGED = Version.from_payload(version(4, docs={"kk": KK}, min_age=16, guardian=True), "current")
STAMP = Stamp("0f8fad5b-d9cb-469f-a165-70867728950e", NOW, 7)
ACCEPTED = ConsentState("accepted", 3, NOW - timedelta(days=1), {"service": True,
                                                                  "analytics": False})


def test_grant_merging() -> None:
    """Required purposes are part of every acceptance; the caller's choices are added, ids
    or a mapping; a required purpose refused stays refused (the rules then refuse it)."""
    assert recording.accept_grants(V, None) == {"service": True, "analytics": False}
    assert recording.accept_grants(V, ["analytics"]) == {"service": True, "analytics": True}
    assert recording.accept_grants(V, {"analytics": 1, "service": 0}) == {
        "service": False, "analytics": True}
    assert recording.accept_grants(V, ["ads"]) == {"service": True, "analytics": False,
                                                   "ads": True}


def test_evidence_as_recorded() -> None:
    """Seconds a UI measured as floats are rounded; layers become a list; anything else is
    kept as given for the rules to judge."""
    assert recording.recorded_evidence(None) == {}
    assert recording.recorded_evidence({
        "seconds_on_screen": 41.6, "seconds_by_layer": {"first_layer": 2.4, "purposes": 3},
        "layers_shown": ("first_layer", "purposes"), "scrolled_to_end": True,
    }) == {"seconds_on_screen": 42, "seconds_by_layer": {"first_layer": 2, "purposes": 3},
           "layers_shown": ["first_layer", "purposes"], "scrolled_to_end": True}
    assert recording.recorded_evidence({"seconds_on_screen": float("nan")})[
        "seconds_on_screen"] != 0  # left for check_evidence to refuse


def test_accept_record() -> None:
    """An accept records the merged grants for every purpose of the version, the locale
    and its document, the evidence as recorded, and the stamp's id, time and seq."""
    rec = recording.accept(V, STAMP, ["analytics"], preferred_locales=("ru",),
                           evidence={"seconds_on_screen": 9.7})
    assert (rec.id, rec.action, rec.version, rec.manifest_seq) == (STAMP.record_id, "accept",
                                                                   3, 7)
    assert rec.client_time == "2026-01-15T12:00:00Z" and rec.status == "pending"
    assert rec.purposes == {"service": True, "analytics": True}
    assert (rec.locale, rec.document_sha256) == ("ru", V.locales["ru"].sha256)
    assert rec.evidence == {"seconds_on_screen": 10}
    guarded = recording.accept(AGED, STAMP, age_confirmed=False,
                               guardian={"name": "Айгүл", "relation": "ana"})
    assert guarded.guardian == {"name": "Айгүл", "relation": "ana"}
    assert guarded.age_confirmed is False


@pytest.mark.parametrize("kwargs,message", [
    ({"purposes": {"service": False}}, "refusing it is a decline"),
    ({"purposes": ["ads"]}, "unknown purpose 'ads'"),
    ({"locale": "en"}, "has no 'en' document"),
    ({"evidence": {"seconds_on_screen": -1}}, "seconds_on_screen must be a number"),
])
def test_accept_refusals(kwargs: dict[str, Any], message: str) -> None:
    """A broken rule is a UsageError with the rule's message."""
    with pytest.raises(UsageError, match=message):
        recording.accept(V, STAMP, **kwargs)


def test_decline_record_and_its_locale() -> None:
    """A decline refuses every purpose; its locale is checked as an accept's is (a locale
    without a document is refused, not replaced by the negotiated one)."""
    rec = recording.decline(V, STAMP, locale="kk")
    assert rec.purposes == {"service": False, "analytics": False}
    assert (rec.locale, rec.document_sha256) == ("kk", V.locales["kk"].sha256)
    assert recording.decline(V, STAMP, preferred_locales=("ru", "kk")).locale == "ru"
    with pytest.raises(UsageError, match="has no 'en' document"):
        recording.decline(V, STAMP, locale="en", preferred_locales=("ru",))
    with pytest.raises(UsageError, match="unknown evidence field"):
        recording.decline(V, STAMP, evidence={"scrolled": True})


def test_withdraw_and_update_depend_on_the_state() -> None:
    """Nothing accepted: nothing to withdraw or change. A withdrawal of optional purposes
    is an update; naming a required one withdraws everything."""
    for state in (ConsentState("none"), ConsentState("withdrawn"), ConsentState("declined")):
        with pytest.raises(UsageError, match="no consent to withdraw"):
            recording.withdraw(V, state, STAMP)
        with pytest.raises(UsageError, match="accept\\(\\) first"):
            recording.update(V, state, STAMP, {"analytics": True})
    everything = recording.withdraw(V, ACCEPTED, STAMP)
    assert (everything.action, everything.purposes) == (
        "withdraw", {"service": False, "analytics": False})
    assert everything.locale is None and everything.document_sha256 is None
    partial = recording.withdraw(V, ACCEPTED, STAMP, ["analytics"])
    assert (partial.action, partial.purposes) == ("update", {"analytics": False})
    assert recording.withdraw(V, ACCEPTED, STAMP, ["analytics", "service"]).action == \
        "withdraw"
    with pytest.raises(UsageError, match="unknown purpose 'ads'"):
        recording.withdraw(V, ACCEPTED, STAMP, ["ads"])
    assert recording.update(V, ACCEPTED, STAMP, {"analytics": 1}).purposes == {
        "analytics": True}
    with pytest.raises(UsageError, match="switching it off is a withdrawal"):
        recording.update(V, ACCEPTED, STAMP, {"service": False})


def test_acknowledge_and_deletion_request() -> None:
    """Only a NOTICE or UPCOMING decision can be acknowledged, in its locale; a deletion
    request names no purposes."""
    notice = Decision(Kind.NOTICE, ("minor_change",), V, "kk")
    rec = recording.acknowledge(notice, STAMP)
    assert (rec.action, rec.purposes, rec.locale) == ("acknowledge", {}, "kk")
    assert rec.document_sha256 == V.locales["kk"].sha256
    with pytest.raises(UsageError, match="no notice to acknowledge \\(decision is none\\)"):
        recording.acknowledge(Decision(Kind.NONE, (), V, "kk"), STAMP)
    deletion = recording.deletion_request(V, STAMP)
    assert (deletion.action, deletion.purposes, deletion.locale) == ("deletion_request", {},
                                                                     None)
