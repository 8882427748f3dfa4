"""The significance guard, rule by rule."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from server.guard import major_reasons

BASE: dict[str, Any] = {
    "purposes": [{"id": "delivery", "required": True, "data": ["contact"], "vendors": []},
                 {"id": "push", "required": False, "data": ["device"], "vendors": []}],
    "vendors": [], "data_categories": [{"id": "contact"}, {"id": "device"}],
    "permissions": [{"id": "camera"}], "min_age": 18, "guardian_consent": True,
    "third_party_transfer": False, "cross_border_transfer": False, "public_disclosure": False,
    "consent_term": "P1Y",
}


def changed(**kw: Any) -> dict[str, Any]:
    new = copy.deepcopy(BASE)
    new.update(kw)
    return new


def test_first_version_and_identical_version_need_nothing() -> None:
    assert major_reasons(None, BASE) == []
    assert major_reasons(BASE, copy.deepcopy(BASE)) == []


@pytest.mark.parametrize("new,reason", [
    (changed(purposes=[*BASE["purposes"], {"id": "ads", "required": False, "data": [],
                                           "vendors": []}]), "new purpose 'ads'"),
    (changed(vendors=[{"id": "firebase"}]), "new vendor 'firebase'"),
    (changed(data_categories=[*BASE["data_categories"], {"id": "usage"}]),
     "new data category 'usage'"),
    (changed(permissions=[{"id": "camera"}, {"id": "location"}]), "new permission 'location'"),
    (changed(min_age=16), "min_age lowered from 18 to 16"),
    (changed(min_age=None), "min_age lowered from 18 to none"),
    (changed(guardian_consent=False), "guardian consent no longer required"),
    (changed(third_party_transfer=True), "transfer to third parties turned on"),
    (changed(cross_border_transfer=True), "cross-border transfer turned on"),
    (changed(public_disclosure=True), "public disclosure turned on"),
    (changed(consent_term="P2Y"), "consent term longer: P1Y -> P2Y"),
    (changed(consent_term=None), "consent term longer: P1Y -> indefinite"),
    (changed(purposes=[BASE["purposes"][0], {**BASE["purposes"][1], "required": True}]),
     "purpose 'push' becomes required"),
    (changed(purposes=[{**BASE["purposes"][0], "data": ["contact", "device"]},
                       BASE["purposes"][1]]),
     "purpose 'delivery' now uses data category 'device'"),
    (changed(purposes=[{**BASE["purposes"][0], "vendors": ["x"]}, BASE["purposes"][1]]),
     "purpose 'delivery' now shares data with vendor 'x'"),
])
def test_each_rule(new: dict[str, Any], reason: str) -> None:
    reasons = major_reasons(BASE, new)
    assert len(reasons) == 1 and reasons[0].startswith(reason)


@pytest.mark.parametrize("new", [
    changed(min_age=21), changed(consent_term="P6M"), changed(third_party_transfer=False),
    changed(purposes=[BASE["purposes"][0]]), changed(vendors=[]),
    changed(purposes=[BASE["purposes"][0], {**BASE["purposes"][1], "data": []}]),
])
def test_narrowing_changes_are_not_major(new: dict[str, Any]) -> None:
    assert major_reasons(BASE, new) == []


def test_all_reasons_are_listed_together() -> None:
    new = changed(min_age=12, third_party_transfer=True, vendors=[{"id": "v"}])
    assert len(major_reasons(BASE, new)) == 3
