"""The decision rules with frozen time, one rule at a time, then through the client."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from client_sdk import ConsentClient, Kind, UsageError
from client_sdk._internal.locales import negotiate
from client_sdk.decision import ConsentState, decide
from client_sdk.protocol.model import Manifest
from simulator import BASE, NOW, Simulator, ts, version

DOCS = {"kk": b"# kk\n", "ru": b"# ru\n", "en": b"# en\n"}
DAY = timedelta(days=1)


def manifest(*versions: dict[str, Any], upcoming: dict[str, Any] | None = None) -> Manifest:
    *old, current = versions
    return Manifest.from_payload({
        "_type": "manifest", "spec_version": 1, "app": "demo", "seq": 1, "issued": ts(NOW),
        "expires": ts(NOW + 7 * DAY),
        "controller": {"name": "D", "bin": "240540012347", "country": "KZ", "email": "a@b.kz",
                       "address": "A"},
        "current": current, "upcoming": upcoming,
        "history": [{"version": v["version"], "label": v["label"],
                     "significance": v["significance"], "effective": v["effective"],
                     "summary": {t: d["summary"] for t, d in v["locales"].items()
                                 if d["summary"]}} for v in old],
    })


def v(n: int, sig: str = "major", since: int | None = None, days_ago: int = 30,
      **kw: Any) -> dict[str, Any]:
    return version(n, significance=sig, since=since, docs=DOCS, summary=f"changes in {n}",
                   effective=NOW - days_ago * DAY, **kw)


def accepted(version_: int, days_ago: int = 1, acks: set[int] | None = None,
             grants: dict[str, bool] | None = None) -> ConsentState:
    return ConsentState("accepted", version_, NOW - days_ago * DAY,
                        grants if grants is not None else {"service": True, "analytics": False},
                        frozenset(acks or ()))


NONE = ConsentState("none")
PREFS = ("kk-KZ", "ru")


def test_unavailable_without_manifest() -> None:
    d = decide(None, NONE, NOW, PREFS)
    assert d.kind is Kind.UNAVAILABLE and d.reasons == ("no_verified_manifest",)


def test_first_launch_then_none() -> None:
    m = manifest(v(1))
    d = decide(m, NONE, NOW, PREFS)
    assert (d.kind, d.reasons, d.locale, d.version.version) == (Kind.PROMPT, ("first_launch",),
                                                                "kk", 1)
    assert decide(m, accepted(1), NOW, PREFS).kind is Kind.NONE


def test_declined_and_withdrawn_prompt_again() -> None:
    m = manifest(v(1))
    assert decide(m, ConsentState("declined"), NOW, PREFS).reasons == ("declined",)
    assert decide(m, ConsentState("withdrawn"), NOW, PREFS).reasons == ("withdrawn",)


def test_major_change_prompts_with_summaries() -> None:
    m = manifest(v(1), v(2, "major"))
    d = decide(m, accepted(1), NOW, ("ru",))
    assert d.kind is Kind.PROMPT and d.reasons == ("significant_change",)
    assert [(c.version, c.summary) for c in d.changes] == [(2, "changes in 2 [ru]")]


def test_skipped_from_1_to_4_where_only_3_was_major() -> None:
    m = manifest(v(1), v(2, "minor", since=1), v(3, "major"), v(4, "patch", since=3))
    d = decide(m, accepted(1), NOW, PREFS)
    assert d.kind is Kind.PROMPT and d.reasons == ("significant_change",)
    assert [(c.version, c.significance) for c in d.changes] == [(2, "minor"), (3, "major"),
                                                                (4, "patch")]
    assert d.changes[1].summary == "changes in 3 [kk]"
    # Having consented to 3, only the patch is newer: nothing to show.
    assert decide(m, accepted(3), NOW, PREFS).kind is Kind.NONE


def test_new_required_purpose_prompts() -> None:
    purposes = [{"id": "service", "required": True, "title": {"kk": "x"},
                 "description": {"kk": "x"}, "data": [], "vendors": []},
                {"id": "payments", "required": True, "title": {"kk": "x"},
                 "description": {"kk": "x"}, "data": [], "vendors": []}]
    m = manifest(v(1), v(2, "minor", since=1, purposes=purposes))
    d = decide(m, accepted(1), NOW, PREFS)
    assert d.kind is Kind.PROMPT and d.reasons == ("new_required_purpose", "payments")


def test_consent_term_over() -> None:
    m = manifest(v(1, term="P30D"))
    assert decide(m, accepted(1, days_ago=29), NOW, PREFS).kind is Kind.NONE
    d = decide(m, accepted(1, days_ago=30), NOW, PREFS)
    assert d.kind is Kind.PROMPT and d.reasons == ("expired",)


def test_minor_notice_until_acknowledged_and_patch_is_silent() -> None:
    m = manifest(v(1), v(2, "minor", since=1))
    d = decide(m, accepted(1), NOW, PREFS)
    assert d.kind is Kind.NOTICE and [c.version for c in d.changes] == [2]
    assert decide(m, accepted(1, acks={2}), NOW, PREFS).kind is Kind.NONE
    assert decide(manifest(v(1), v(2, "patch", since=1)), accepted(1), NOW,
                  PREFS).kind is Kind.NONE


def test_upcoming_announced_then_takes_over() -> None:
    up_major = v(2, "major", days_ago=-10)
    m = manifest(v(1), upcoming=up_major)
    d = decide(m, accepted(1), NOW, PREFS)
    assert d.kind is Kind.UPCOMING and d.version.version == 2
    assert d.changes[0].summary == "changes in 2 [kk]"
    assert decide(m, accepted(1, acks={2}), NOW, PREFS).kind is Kind.NONE
    later = NOW + 11 * DAY
    d = decide(m, accepted(1, acks={2}), later, PREFS)
    assert d.kind is Kind.PROMPT and d.reasons == ("significant_change",)
    assert d.version.version == 2
    m_minor = manifest(v(1), upcoming=v(2, "minor", since=1, days_ago=-10))
    assert decide(m_minor, accepted(1), later, PREFS).kind is Kind.NOTICE


def test_rule_order_first_launch_beats_upcoming() -> None:
    m = manifest(v(1), upcoming=v(2, days_ago=-1))
    assert decide(m, NONE, NOW, PREFS).reasons == ("first_launch",)


@pytest.mark.parametrize("prefs,available,expected", [
    (("kk-KZ", "ru"), ["kk", "ru"], "kk"),
    (("en-US", "ru-RU"), ["kk", "ru"], "ru"),
    (("de",), ["kk", "ru"], "kk"),
    (("uz-Cyrl-UZ",), ["uz", "uz-Cyrl"], "uz-Cyrl"),
    (("uz-UZ",), ["ru", "uz-Cyrl"], "uz-Cyrl"),
    (("ky-KG", "ru"), ["ky", "ru"], "ky"),
    (("RU",), ["ru"], "ru"),
])
def test_locale_negotiation(prefs: tuple[str, ...], available: list[str], expected: str) -> None:
    assert negotiate(prefs, available, "kk") == expected


# -- through the client and its ledger --------------------------------------------------
@pytest.fixture
def client(tmp_path: Path) -> ConsentClient:
    sim = Simulator()
    sim.manifest_payload["current"] = version(1, docs={"kk": sim.kk, "ru": sim.ru},
                                              min_age=16, guardian=True)
    sim.publish()
    c = ConsentClient(BASE, "demo", sim.roots[0], tmp_path, transport=sim,
                      preferred_locales=("ru",), clock=lambda: NOW)
    assert c.refresh().ok
    return c


def test_accept_records_everything(client: ConsentClient) -> None:
    rec = client.accept(["analytics"], evidence={"scrolled_to_end": True,
                                                 "seconds_on_screen": 41.6},
                        age_confirmed=True)
    assert rec.action == "accept" and rec.locale == "ru" and rec.manifest_seq == 2
    assert rec.purposes == {"service": True, "analytics": True}
    assert rec.evidence == {"scrolled_to_end": True, "seconds_on_screen": 42}
    assert rec.document_sha256 == client.manifest.current.locales["ru"].sha256
    assert rec.client_time == ts(NOW)
    assert client.decide().kind is Kind.NONE and client.is_granted("analytics")
    assert [r.id for r in client.history()] == [rec.id]
    assert not client.history()[0].synced


def test_purpose_changes_and_withdraw(client: ConsentClient) -> None:
    client.accept(age_confirmed=True)
    assert not client.is_granted("analytics") and client.is_granted("service")
    client.update_purposes({"analytics": True})
    assert client.is_granted("analytics")
    client.withdraw(["analytics"])
    assert not client.is_granted("analytics") and client.decide().kind is Kind.NONE
    client.withdraw(["service"])  # a required purpose: withdraws everything
    assert client.decide().reasons == ("withdrawn",) and not client.is_granted("service")
    assert [r.action for r in client.history()] == ["accept", "update", "update", "withdraw"]


def test_decline_then_accept(client: ConsentClient) -> None:
    client.decline()
    assert client.decide().reasons == ("declined",)
    client.accept(age_confirmed=True)
    assert client.decide().kind is Kind.NONE


@pytest.mark.parametrize("kwargs,message", [
    ({"purposes": ["ads"]}, "unknown purpose 'ads'"),
    ({"purposes": {"service": False}}, "refusing it is a decline"),
    ({"locale": "en"}, "has no 'en' document"),
    ({"evidence": {"scrolled": True}}, "unknown evidence field 'scrolled'"),
    ({"evidence": {"seconds_on_screen": "5"}}, "seconds_on_screen must be a number"),
    ({}, "sets min_age 16: pass age_confirmed"),
    ({"age_confirmed": False}, "needs guardian"),
    # An adult's accept carries no guardian: the SDK never records one (nor would the server).
    ({"age_confirmed": True, "guardian": {"name": "Айгүл"}}, "an adult's accept carries no"),
])
def test_programmer_errors_raise_at_once(client: ConsentClient, kwargs: dict[str, Any],
                                         message: str) -> None:
    if "age_confirmed" not in kwargs and message != "sets min_age 16: pass age_confirmed":
        kwargs["age_confirmed"] = True
    with pytest.raises(UsageError, match=message):
        client.accept(**kwargs)
    assert client.history() == []


def test_decline_checks_its_locale_as_accept_does(client: ConsentClient) -> None:
    """decline(locale=...) with a locale the version has no document in is refused, as
    accept() refuses it; it used to switch to the negotiated locale without a word."""
    with pytest.raises(UsageError, match="has no 'en' document"):
        client.accept(locale="en", age_confirmed=True)
    with pytest.raises(UsageError, match="has no 'en' document"):
        client.decline(locale="en")
    assert client.history() == []
    assert client.decline(locale="kk").locale == "kk"
    assert client.decline().locale == "ru"  # none given: the negotiated one


def test_withdraw_checks_the_state_under_the_lock(client: ConsentClient) -> None:
    """Two threads withdrawing the same consent at once: one withdrawal is recorded, the
    other finds nothing to withdraw. The state is checked under the lock the record is
    appended under (it used to be checked before taking it, so both passed)."""
    client.accept(age_confirmed=True)
    real_lock, real_append = client._lock, client.store.append
    first_in = threading.Event()  # the first withdrawal is writing its record
    second_waits = threading.Event()  # the second one is at the lock
    release = threading.Event()

    class Watched:
        def __enter__(self) -> None:
            if threading.current_thread().name == "second":
                second_waits.set()
            real_lock.acquire()

        def __exit__(self, *exc: object) -> None:
            real_lock.release()

    def slow_append(record: Any) -> None:
        first_in.set()
        assert release.wait(10)
        real_append(record)

    client._lock = Watched()  # type: ignore[assignment]
    client.store.append = slow_append  # type: ignore[method-assign]
    outcomes: dict[str, Any] = {}

    def run(name: str) -> None:
        try:
            outcomes[name] = client.withdraw().action
        except UsageError as exc:
            outcomes[name] = exc

    first = threading.Thread(target=run, args=("first",), name="first")
    first.start()
    assert first_in.wait(10)
    second = threading.Thread(target=run, args=("second",), name="second")
    second.start()
    assert second_waits.wait(10)
    release.set()
    first.join(10)
    second.join(10)
    assert outcomes["first"] == "withdraw"
    assert isinstance(outcomes["second"], UsageError)
    assert "no consent to withdraw" in str(outcomes["second"])
    assert [r.action for r in client.history()] == ["accept", "withdraw"]


def test_guardian_consent(client: ConsentClient) -> None:
    rec = client.accept(age_confirmed=False, guardian={"name": "Айгүл", "relation": "mother"})
    assert rec.guardian == {"name": "Айгүл", "relation": "mother"}


def test_usage_errors_without_manifest(tmp_path: Path) -> None:
    sim = Simulator()
    sim.offline = True
    c = ConsentClient(BASE, "demo", sim.roots[0], tmp_path, transport=sim)
    assert c.decide().kind is Kind.UNAVAILABLE
    with pytest.raises(UsageError, match="no verified manifest yet"):
        c.accept()
    with pytest.raises(UsageError, match="no notice to acknowledge"):
        c.acknowledge_notice()
    assert c.is_granted("anything") is False


def test_a_huge_consent_term_never_overflows(tmp_path: Path) -> None:
    sim = Simulator()
    sim.manifest_payload["current"] = version(1, docs={"kk": sim.kk, "ru": sim.ru},
                                              term="P999999Y")
    sim.publish()
    c = ConsentClient(BASE, "demo", sim.roots[0], tmp_path, transport=sim, clock=lambda: NOW)
    assert c.refresh().ok
    c.accept()
    assert c.decide().kind is Kind.NONE


def test_clock_none_is_the_system_clock(tmp_path: Path) -> None:
    # docs/sdk.md shows clock=None; it used to raise TypeError at the first decide().
    sim = Simulator()
    c = ConsentClient(BASE, "demo", sim.roots[0], tmp_path, transport=sim, clock=None)
    assert c.decide().kind is Kind.UNAVAILABLE
    assert c.clock().tzinfo is not None
