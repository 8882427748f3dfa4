"""client_sdk.protocol.rules: the consent rules, over a Version and plain values (no SQLite,
no I/O)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client_sdk.errors import FormatError
from client_sdk.protocol.model import Manifest, Version
from client_sdk.protocol.rules import ACTIONS, Problem, check_accept, check_evidence, check_record
from simulator import Simulator, version

KK = "# Саясат\n".encode()
RU = "# Политика\n".encode()


def make(**kw: Any) -> Version:
    return Version.from_payload(version(3, docs={"kk": KK, "ru": RU}, **kw), "current")


V = make()
AGED = make(min_age=16, guardian=True)
AGED_NO_GUARDIAN = make(min_age=18)
SHA_KK = V.locales["kk"].sha256
SHA_RU = V.locales["ru"].sha256


def fields(problems: list[Problem]) -> list[str]:
    return [p.field for p in problems]


def accept(v: Version = V, purposes: dict[str, bool] | None = None, **kw: Any) -> list[Problem]:
    args: dict[str, Any] = {"locale": "kk", "document_sha256": SHA_KK, "age_confirmed": None,
                            "guardian": None}
    args.update(kw)
    return check_accept(v, {"service": True, "analytics": False} if purposes is None
                        else purposes, **args)


def test_valid_accepts() -> None:
    assert accept() == []
    assert accept(purposes={"service": True, "analytics": True}, locale="ru",
                  document_sha256=SHA_RU) == []
    assert accept(AGED, age_confirmed=True) == []
    assert accept(AGED, age_confirmed=False, guardian={"name": "Айгүл", "relation": "ana"}) == []


@pytest.mark.parametrize("kwargs,field,message", [
    ({"purposes": {"service": False}}, "purposes.service", "refusing it is a decline"),
    ({"purposes": {"analytics": True}}, "purposes.service", "is required"),
    ({"purposes": {"service": True, "ads": True}}, "purposes.ads", "unknown purpose 'ads'"),
    ({"locale": "en"}, "locale", "has no 'en' document"),
    ({"locale": None}, "locale", "is not a locale tag"),
    ({"locale": "kk\n"}, "locale", "is not a locale tag"),
    ({"document_sha256": None}, "document_sha256", "not a document of version 3.0"),
    ({"document_sha256": "00" * 32}, "document_sha256", "not a document of version 3.0"),
    ({"document_sha256": SHA_RU}, "document_sha256", "the 'ru' document, not the 'kk'"),
    ({"guardian": {"name": " "}}, "guardian", "sets no min_age"),
])
def test_accept_problems(kwargs: dict[str, Any], field: str, message: str) -> None:
    problems = accept(**kwargs)
    assert fields(problems) == [field]
    assert message in problems[0].message


@pytest.mark.parametrize("v,kwargs,field,message", [
    (AGED, {"age_confirmed": None}, "age_confirmed", "sets min_age 16: pass age_confirmed"),
    (AGED, {"age_confirmed": False}, "guardian", "needs guardian consent"),
    (AGED, {"age_confirmed": False, "guardian": {"name": ""}}, "guardian", "needs guardian"),
    (AGED, {"age_confirmed": False, "guardian": {"name": 5}}, "guardian", "needs guardian"),
    (AGED_NO_GUARDIAN, {"age_confirmed": False}, "age_confirmed",
     "under 18 cannot consent"),
    (AGED, {"age_confirmed": False, "guardian": {"name": "A", "phone": "1"}}, "guardian",
     "takes name and relation"),
])
def test_age_and_guardian(v: Version, kwargs: dict[str, Any], field: str, message: str) -> None:
    problems = accept(v, **kwargs)
    assert fields(problems) == [field]
    assert message in problems[0].message


GUARDIAN = {"name": "Айгүл", "relation": "ana"}


@pytest.mark.parametrize("v,age,message", [
    (AGED, True, "the user confirmed being 16 or older: an adult's accept carries no guardian"),
    (AGED_NO_GUARDIAN, True, "the user confirmed being 18 or older"),
    (V, None, "version 3.0 sets no min_age"),
    (V, True, "version 3.0 sets no min_age"),
    (make(guardian=True), None, "version 3.0 sets no min_age"),
    (AGED, None, "a guardian consents only for a user under 16"),
])
def test_a_guardian_only_with_a_minor_the_version_allows(v: Version, age: bool | None,
                                                        message: str) -> None:
    """An adult's accept, or one of a version without min_age, carries no guardian: it
    would store a guardian's consent that nobody gave."""
    problems = [p for p in accept(v, age_confirmed=age, guardian=GUARDIAN)
                if p.field == "guardian"]
    assert len(problems) == 1 and message in problems[0].message, problems
    assert [p for p in accept(v, age_confirmed=age, guardian=None) if p.field == "guardian"] \
        == []


def test_a_minor_without_guardian_consent_has_no_guardian() -> None:
    problems = accept(AGED_NO_GUARDIAN, age_confirmed=False, guardian=GUARDIAN)
    assert fields(problems) == ["age_confirmed", "guardian"]
    assert "has no guardian consent (guardian_consent false)" in problems[1].message


def test_every_problem_is_listed() -> None:
    problems = accept(AGED, purposes={"service": False, "ads": True}, locale="en")
    assert fields(problems) == ["purposes.ads", "purposes.service", "locale", "age_confirmed"]


@pytest.mark.parametrize("action,purposes,extra,expected", [
    ("decline", {"service": False, "analytics": False}, {}, []),
    ("decline", {"service": True}, {}, ["purposes.service"]),
    ("decline", {}, {"locale": "ru"}, ["document_sha256"]),
    ("update", {"analytics": True}, {}, []),
    ("update", {"service": False}, {}, ["purposes.service"]),
    ("update", {}, {}, ["purposes"]),
    ("update", {"ads": False}, {}, ["purposes.ads"]),
    ("withdraw", {"service": False, "analytics": False}, {}, []),
    ("withdraw", {"analytics": True}, {}, ["purposes.analytics"]),
    ("withdraw", {"ads": False}, {}, ["purposes.ads"]),
    ("acknowledge", {}, {}, []),
    ("acknowledge", {"analytics": True}, {}, ["purposes"]),
    ("acknowledge", {}, {"locale": "en"}, ["locale"]),
    ("deletion_request", {}, {"locale": None, "document_sha256": None}, []),
    ("deletion_request", {"service": True}, {}, ["purposes"]),
    ("delete", {}, {}, ["action"]),
])
def test_record_rules(action: str, purposes: dict[str, bool], extra: dict[str, Any],
                      expected: list[str]) -> None:
    args: dict[str, Any] = {"locale": "kk", "document_sha256": SHA_KK}
    args.update(extra)
    assert fields(check_record(V, action, purposes, **args)) == expected


def test_record_checks_evidence_and_accept_rules() -> None:
    assert check_record(V, "accept", {"service": True}, locale="kk", document_sha256=SHA_KK,
                        evidence={"scrolled_to_end": True}) == []
    problems = check_record(AGED, "accept", {"service": True}, locale="kk",
                            document_sha256=SHA_KK, evidence={"seconds_on_screen": -1})
    assert fields(problems) == ["age_confirmed", "evidence.seconds_on_screen"]
    assert str(problems[0]).startswith("age_confirmed: version 3.0 sets min_age 16")
    assert set(ACTIONS) == {"accept", "decline", "withdraw", "update", "acknowledge",
                            "deletion_request", "access_request", "rectification_request",
                            "blocking_request", "link", "unlink"}


def test_evidence_contract() -> None:
    good = {"layers_shown": ["first_layer", "full_text"], "full_text_opened": True,
            "scrolled_to_end": False, "seconds_on_screen": 86400,
            "seconds_by_layer": {"purposes": 0, "full_text": 12}, "ui_locale": "uz-Cyrl"}
    assert check_evidence(good) == []
    assert check_evidence({}) == []


@pytest.mark.parametrize("evidence,field", [
    ({"layers_shown": ["first_layer", "first_layer"]}, "evidence.layers_shown"),
    ({"layers_shown": ["popup"]}, "evidence.layers_shown"),
    ({"layers_shown": "full_text"}, "evidence.layers_shown"),
    ({"full_text_opened": 1}, "evidence.full_text_opened"),
    ({"scrolled_to_end": None}, "evidence.scrolled_to_end"),
    ({"seconds_on_screen": 86401}, "evidence.seconds_on_screen"),
    ({"seconds_on_screen": True}, "evidence.seconds_on_screen"),
    ({"seconds_on_screen": 1.5}, "evidence.seconds_on_screen"),
    ({"seconds_by_layer": {"popup": 1}}, "evidence.seconds_by_layer"),
    ({"seconds_by_layer": {"purposes": -1}}, "evidence.seconds_by_layer"),
    ({"seconds_by_layer": [1]}, "evidence.seconds_by_layer"),
    ({"ui_locale": "Kazakh"}, "evidence.ui_locale"),
    ({"scrolled": True}, "evidence.scrolled"),
])
def test_evidence_problems(evidence: dict[str, Any], field: str) -> None:
    assert fields(check_evidence(evidence)) == [field]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8)


@given(st.sampled_from([*ACTIONS, "x"]),
       st.dictionaries(st.text(max_size=10), json_values, max_size=4),
       json_values, json_values, json_values, json_values,
       st.dictionaries(st.text(max_size=12), json_values, max_size=4))
def test_rules_take_any_json(action: str, purposes: dict[str, Any], locale: Any, sha: Any,
                             age: Any, guardian: Any, evidence: dict[str, Any]) -> None:
    # The server calls the rules after its schema, but a rule must never be the thing that
    # crashes: any JSON gives a list of problems.
    problems = check_record(AGED, action, purposes, locale=locale, document_sha256=sha,
                            age_confirmed=age,
                            guardian=guardian if isinstance(guardian, dict) else None,
                            evidence=evidence)
    assert all(isinstance(p, Problem) and p.field and p.message for p in problems)


def test_model_uses_the_grammar() -> None:
    sim = Simulator()
    for path, value in [(("seq",), 2**31), (("current", "version"), 2**31),
                        (("current", "default_locale"), "kk\n"),
                        (("app",), "demo\n"), (("issued",), "2026-01-15T12:00:00Z\n"),
                        (("issued",), "2026-02-30T12:00:00Z"),
                        (("current", "locales", "kk", "length"), 2**40)]:
        payload = copy.deepcopy(sim.manifest_payload)
        payload["seq"] = 1
        target = payload
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        with pytest.raises(FormatError):
            Manifest.from_payload(payload)
    payload = copy.deepcopy(sim.manifest_payload)
    payload["seq"] = 1
    payload["current"]["locales"]["kk\n"] = payload["current"]["locales"].pop("kk")
    with pytest.raises(FormatError, match="is not a locale tag"):
        Manifest.from_payload(payload)


def test_a_valid_id_is_not_thereby_a_locale_tag() -> None:
    # The model remembers values it has seen valid; an id must not pass as a locale tag.
    sim = Simulator()
    payload = copy.deepcopy(sim.manifest_payload)
    payload["seq"] = 1
    Manifest.from_payload(payload)  # "analytics" seen as a valid purpose id
    payload["current"]["purposes"][0]["title"] = {"analytics": "x"}
    with pytest.raises(FormatError, match="must map locale tags to strings"):
        Manifest.from_payload(payload)
