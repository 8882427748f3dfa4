"""The significance guard, rule by rule."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from server.policy.guard import major_reasons, metadata_changes

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
    (changed(consent_mode={"analytics_storage": ["push"]}),
     "Consent Mode signal 'analytics_storage' now granted by push"),
    (dict(changed(consent_mode={"ad_storage": ["push"]}), _old_mode={"ad_storage": ["delivery"]}),
     "Consent Mode signal 'ad_storage' granted by push instead of delivery"),
])
def test_each_rule(new: dict[str, Any], reason: str) -> None:
    old = changed(consent_mode=new.pop("_old_mode")) if "_old_mode" in new else BASE
    reasons = major_reasons(old, new)
    assert len(reasons) == 1 and reasons[0].startswith(reason)


@pytest.mark.parametrize("new", [
    changed(min_age=21), changed(consent_term="P6M"), changed(third_party_transfer=False),
    changed(purposes=[BASE["purposes"][0]]), changed(vendors=[]),
    changed(purposes=[BASE["purposes"][0], {**BASE["purposes"][1], "data": []}]),
])
def test_narrowing_changes_are_not_major(new: dict[str, Any]) -> None:
    assert major_reasons(BASE, new) == []


def test_consent_mode_narrowed_is_not_major() -> None:
    old = changed(consent_mode={"ad_storage": ["push"], "analytics_storage": ["push"]})
    # a signal dropped, or asking for more purposes: granted to fewer users than before
    assert major_reasons(old, changed(consent_mode={"ad_storage": ["delivery", "push"]})) == []
    assert major_reasons(old, changed(consent_mode={})) == []


def test_all_reasons_are_listed_together() -> None:
    new = changed(min_age=12, third_party_transfer=True, vendors=[{"id": "v"}])
    assert len(major_reasons(BASE, new)) == 3


def test_vendor_moving_country_is_major() -> None:
    old = changed(vendors=[{"id": "cdn", "country": "KZ"}])
    assert major_reasons(old, changed(vendors=[{"id": "cdn", "country": "US"}])) == [
        "vendor 'cdn' moves data from KZ to US"]


META: dict[str, Any] = {
    "id": "app", "name": "App", "default_locale": "kk",
    "controller": {"name": "A LLP", "bin": "240540012347", "country": "KZ",
                   "email": "a@example.kz", "address": "Almaty"},
    "vendors": [{"id": "firebase", "country": "US"}], "data_categories": [],
    "permissions": [],
}


def test_metadata_changes() -> None:
    assert metadata_changes(META, copy.deepcopy(META)) == []
    new = copy.deepcopy(META)
    new["controller"].update(email="dpo@example.kz", bin="240540012348")
    new["vendors"].append({"id": "sentry", "country": "US"})
    new["data_categories"] = [{"id": "usage"}]
    got = [(c.sentence, c.major) for c in metadata_changes(META, new)]
    assert got == [
        ("controller bin: '240540012347' -> '240540012348'", True),
        ("controller email: 'a@example.kz' -> 'dpo@example.kz'", False),
        ("app.toml: new vendor 'sentry'", False),
        ("app.toml: new data category 'usage'", False),
    ]
    gone = copy.deepcopy(META)
    gone["vendors"] = [{"id": "firebase", "country": "KZ"}]
    assert [c.sentence for c in metadata_changes(META, gone)] == [
        "app.toml: vendor 'firebase' changed"]
