"""Store privacy labels from the signed policy: the fields, the guard, the files, the check.

The demo app's policy maps every data category; the files `kelisim labels` writes are
checked against what each store reads (Apple's keys, fastlane's JSON shape, the Play
Console CSV layout of tests/data/play_data_safety_export.csv).
"""

from __future__ import annotations

import csv
import io
import json
import plistlib
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from client_sdk.errors import FormatError
from client_sdk.protocol import model
from client_sdk.protocol.model import Manifest
from helpers import payload_of
from server.policy.guard import label_reasons
from server.policy.labelfiles import CSV_HEADER, play_questions, read_play_csv
from server.policy.source import load_app_dir, load_version_dir
from server.policy.storelabels import (
    APPLE_DATA_TYPES,
    APPLE_PURPOSES,
    PLAY_DATA_TYPES,
    PLAY_PURPOSES,
    labels_of,
)

APP = "jana-courier"
DATA = Path(__file__).parent / "data"
DEMO = Path(__file__).resolve().parents[1] / "demo_app" / "policy" / APP
# spaceship/lib/spaceship/connect_api/models/app_data_usage_*.rb (fastlane): the ids
# upload_app_privacy_details_to_app_store sends to App Store Connect.
FASTLANE_PROTECTIONS = {"DATA_USED_TO_TRACK_YOU", "DATA_LINKED_TO_YOU",
                        "DATA_NOT_LINKED_TO_YOU", "DATA_NOT_COLLECTED"}
APPLE_KEYS = {"NSPrivacyTracking", "NSPrivacyTrackingDomains", "NSPrivacyCollectedDataTypes"}
APPLE_ENTRY_KEYS = {"NSPrivacyCollectedDataType", "NSPrivacyCollectedDataTypeLinked",
                    "NSPrivacyCollectedDataTypeTracking", "NSPrivacyCollectedDataTypePurposes"}


def test_the_tables_have_what_the_stores_list() -> None:
    assert len(APPLE_DATA_TYPES) == 35 and len(APPLE_PURPOSES) == 6
    assert len(PLAY_PURPOSES) == 7 and len(PLAY_DATA_TYPES) == 38
    assert all(t.startswith("NSPrivacyCollectedDataType") for t in APPLE_DATA_TYPES)
    assert all(p.startswith("NSPrivacyCollectedDataTypePurpose") for p in APPLE_PURPOSES)


def test_the_demo_policy_maps_every_data_category() -> None:
    meta = load_app_dir(DEMO)
    assert meta.data_categories and all(c.get("store") for c in meta.data_categories)
    assert meta.store["encrypted_in_transit"] is True
    for version in ("1.0", "2.0"):
        spec = load_version_dir(DEMO / version, 10**6).spec
        assert all(p.get("store") for p in spec["purposes"]), version


def _publish_both(cli: Any, published: Path) -> None:
    cli("publish", str(published / "2.0"))


def _served(client: FlaskClient) -> dict[str, Any]:
    return payload_of(client.get(f"/v1/apps/{APP}/manifest.json").data)


def test_the_manifest_carries_the_labels_as_spec_2(cli: Any, client: FlaskClient,
                                                   published: Path) -> None:
    payload = _served(client)
    assert payload["spec_version"] == 2
    parsed = Manifest.from_payload(payload)
    location = next(c for c in parsed.current.data_categories if c.id == "location")
    assert location.store is not None
    assert location.store.apple == ("NSPrivacyCollectedDataTypePreciseLocation",)
    assert parsed.current.store is not None and parsed.current.store.encrypted_in_transit
    # An SDK that reads only spec 1 refuses it by its spec version, naming the field.
    old = dict(payload, spec_version=1)
    with pytest.raises(FormatError, match="unknown field") as err:
        Manifest.from_payload(old)
    assert err.value.field == "current"


def test_a_manifest_without_labels_stays_spec_1(cli: Any, client: FlaskClient,
                                                demo_dir: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    for path in [demo_dir / "app.toml", *demo_dir.glob("*/version.toml")]:
        text = path.read_text()
        text = re.sub(r"^store = \{.*\}\n", "", text, flags=re.M)
        text = re.sub(r"^\[store\]\n(?:[a-z_]+ = .*\n)+", "", text, flags=re.M)
        path.write_text(text)
    cli("keys", "init")
    cli("apps", "create", str(demo_dir))
    cli("publish", str(demo_dir / "1.0"))
    payload = _served(client)
    assert payload["spec_version"] == 1
    assert "store" not in json.dumps(payload)
    assert Manifest.from_payload(payload).current.store is None
    # An SDK of spec 1 (only 1 in SPEC_VERSIONS, unknown fields refused) reads it as before.
    monkeypatch.setattr(model, "SPEC_VERSIONS", (1,))
    assert Manifest.from_payload(payload).current.store is None


def test_an_sdk_that_reads_spec_1_only_refuses_spec_2_by_its_version(
        monkeypatch: pytest.MonkeyPatch, client: FlaskClient, published: Path) -> None:
    monkeypatch.setattr(model, "SPEC_VERSIONS", (1,))
    with pytest.raises(FormatError, match="unsupported spec_version") as err:
        Manifest.from_payload(_served(client))
    assert err.value.field == "spec_version"


@pytest.mark.parametrize(("path", "value", "field"), [
    (("data_categories", 0, "store", "apple", 0), "Location", "current.data_categories[0]"
     ".store.apple[0]"),
    (("data_categories", 0, "store", "play", 0), "psl_name", "current.data_categories[0]"
     ".store.play[0]"),
    (("purposes", 0, "store", "apple", 0), "NSPrivacyCollectedDataTypeName",
     "current.purposes[0].store.apple[0]"),
    (("store", "tracking_domains"), ["Tracker.Example"], "current.store.tracking_domains[0]"),
    (("data_categories", 0, "store", "linked"), "yes", "current.data_categories[0].store.linked"),
])
def test_the_sdk_refuses_bad_store_fields_by_name(client: FlaskClient, published: Path,
                                                  path: tuple[Any, ...], value: Any,
                                                  field: str) -> None:
    payload = _served(client)
    target: Any = payload["current"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(FormatError) as err:
        Manifest.from_payload(payload)
    assert err.value.field == field


@pytest.mark.parametrize(("where", "store", "problem"), [
    ("category", '{ apple = ["NSPrivacyCollectedDataTypeLocation"], play = [], linked = true }',
     "'NSPrivacyCollectedDataTypeLocation' is not an Apple data type"),
    ("category", '{ apple = [], play = ["PSL_GPS"], linked = true }',
     "'PSL_GPS' is not a Google Play data type"),
    ("category", '{ apple = [], play = [] }', "store.linked: Missing data"),
])
def test_the_policy_source_refuses_unknown_store_ids(cli: Any, demo_dir: Path, where: str,
                                                     store: str, problem: str) -> None:
    app_toml = demo_dir / "app.toml"
    text = app_toml.read_text()
    text = re.sub(r"^store = \{.*PreciseLocation.*\}$", f"store = {store}", text, flags=re.M)
    app_toml.write_text(text)
    cli("keys", "init")
    out = cli("apps", "create", str(demo_dir), ok=False).output
    assert problem in out
    assert "app.toml: data_categories[1].store." in out


def _labels_files(cli: Any, tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "labels"
    cli("labels", APP, "--out", str(out), *args)
    return out


def test_the_privacy_manifest_has_only_apples_keys_and_values(cli: Any, published: Path,
                                                              tmp_path: Path) -> None:
    _publish_both(cli, published)
    out = _labels_files(cli, tmp_path, "--python-runtime")
    raw = (out / "PrivacyInfo.xcprivacy").read_bytes()
    assert b"kelisim: jana-courier version 2 (2.0), manifest seq 2 sha256 " in raw
    plist = plistlib.loads(raw)
    assert set(plist) == APPLE_KEYS | {"NSPrivacyAccessedAPITypes"}
    # The entries CPython's OpenSSL, SQLite and clock need, with Apple's reason codes.
    assert {e["NSPrivacyAccessedAPIType"]: e["NSPrivacyAccessedAPITypeReasons"]
            for e in plist["NSPrivacyAccessedAPITypes"]} == {
        "NSPrivacyAccessedAPICategoryFileTimestamp": ["C617.1"],
        "NSPrivacyAccessedAPICategorySystemBootTime": ["35F9.1"]}
    assert set(plistlib.loads((_labels_files(cli, tmp_path / "plain") / "PrivacyInfo.xcprivacy")
                              .read_bytes())) == APPLE_KEYS
    assert plist["NSPrivacyTracking"] is False and plist["NSPrivacyTrackingDomains"] == []
    entries = plist["NSPrivacyCollectedDataTypes"]
    for e in entries:
        assert set(e) == APPLE_ENTRY_KEYS
        assert e["NSPrivacyCollectedDataType"] in APPLE_DATA_TYPES
        assert e["NSPrivacyCollectedDataTypePurposes"]
        assert set(e["NSPrivacyCollectedDataTypePurposes"]) <= set(APPLE_PURPOSES)
        assert isinstance(e["NSPrivacyCollectedDataTypeLinked"], bool)
    by_type = {e["NSPrivacyCollectedDataType"]: e for e in entries}
    assert by_type["NSPrivacyCollectedDataTypePreciseLocation"][
        "NSPrivacyCollectedDataTypeLinked"] is True
    # Device data serve delivery (app functionality) and analytics (version 2.0's purpose).
    assert by_type["NSPrivacyCollectedDataTypeOtherDiagnosticData"][
        "NSPrivacyCollectedDataTypePurposes"] == [
        "NSPrivacyCollectedDataTypePurposeAnalytics",
        "NSPrivacyCollectedDataTypePurposeAppFunctionality"]


def test_the_json_is_what_fastlane_uploads(cli: Any, published: Path, tmp_path: Path) -> None:
    out = _labels_files(cli, tmp_path)
    usages = json.loads((out / "app_privacy_details.json").read_text())
    categories = {c for c, _ in APPLE_DATA_TYPES.values() if c}
    purposes = {p for p, _ in APPLE_PURPOSES.values()}
    assert usages == sorted(usages, key=lambda u: u["category"])
    for u in usages:  # what upload_app_data_usages reads from each entry, and nothing else
        assert set(u) == {"category", "purposes", "data_protections"}
        assert u["category"] in categories
        assert u["purposes"] and set(u["purposes"]) <= purposes
        assert u["purposes"] == sorted(set(u["purposes"]))
        assert set(u["data_protections"]) <= FASTLANE_PROTECTIONS - {"DATA_NOT_COLLECTED"}
        assert ("DATA_LINKED_TO_YOU" in u["data_protections"]) != (
            "DATA_NOT_LINKED_TO_YOU" in u["data_protections"])
    assert {u["category"] for u in usages} == {"NAME", "PHONE_NUMBER", "PRECISE_LOCATION",
                                              "PHOTOS_OR_VIDEOS", "OTHER_DIAGNOSTIC_DATA"}


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def test_the_csv_round_trips_through_the_play_export_layout(cli: Any, published: Path,
                                                            tmp_path: Path) -> None:
    _publish_both(cli, published)
    template = DATA / "play_data_safety_export.csv"
    out = _labels_files(cli, tmp_path, "--play-template", str(template))
    written, exported = _rows(out / "data_safety.csv"), _rows(template)
    assert tuple(written[0]) == CSV_HEADER
    # Same rows in the same order: ids, requirement and label kept, values filled in.
    assert [(r[0], r[1], r[3], r[4]) for r in written] == [
        (r[0], r[1], r[3], r[4]) for r in exported]
    values = {(r[0], r[1]): r[2] for r in written[1:]}
    assert values[("PSL_SUPPORTED_ACCOUNT_CREATION_METHODS", "PSL_ACM_NONE")] == "TRUE"
    assert values[("PSL_HAS_OUTSIDE_APP_ACCOUNTS", "")] == "FALSE"
    assert values[("PSL_DATA_TYPES_LOCATION", "PSL_PRECISE_LOCATION")] == "TRUE"
    assert values[("PSL_DATA_TYPES_LOCATION", "PSL_APPROX_LOCATION")] == ""
    usage = "PSL_DATA_USAGE_RESPONSES:PSL_USER_INTERACTION:"
    assert values[(usage + "PSL_DATA_USAGE_COLLECTION_AND_SHARING",
                   "PSL_DATA_USAGE_ONLY_SHARED")] == "TRUE"  # Firebase receives it
    assert values[(usage + "DATA_USAGE_USER_CONTROL",
                   "PSL_DATA_USAGE_USER_CONTROL_OPTIONAL")] == "TRUE"  # analytics is optional
    assert values[(usage + "DATA_USAGE_SHARING_PURPOSE", "PSL_ANALYTICS")] == "TRUE"
    assert values[("PSL_DATA_COLLECTION_ENCRYPTED_IN_TRANSIT", "")] == "TRUE"
    # And it reads back as a Play export.
    assert len(read_play_csv((out / "data_safety.csv").read_bytes(), "x")) == len(exported) - 1
    cli("labels", APP, "--check", str(out))


def test_the_full_question_list_is_the_export_row_for_row() -> None:
    """Without a template, the CSV has every row of a Play Console export, in its order,
    with its requirement and label: 782 rows and the header, the outside-app accounts'
    questions (PSL_OUTSIDE_APP_ACCOUNT_TYPES) included."""
    exported = read_play_csv((DATA / "play_data_safety_export.csv").read_bytes(), "fixture")
    assert [tuple(r[:2]) + tuple(r[3:]) for r in exported] == list(play_questions())
    assert len(exported) == 782
    assert len({(r[0], r[1]) for r in exported}) == 782


def test_a_template_that_is_not_a_play_export_is_refused(cli: Any, published: Path,
                                                         tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("Question,Response\n")
    out = cli("labels", APP, "--out", str(tmp_path / "o"), "--play-template", str(bad),
              ok=False).output
    assert f"{bad}:1: not Play Console's Data safety export" in out
    assert not (tmp_path / "o").exists()


def test_labels_md_in_every_language_names_the_version(cli: Any, published: Path,
                                                       tmp_path: Path) -> None:
    out = _labels_files(cli, tmp_path)
    names = sorted(p.name for p in out.glob("labels.*.md"))
    assert names == ["labels.en.md", "labels.kk.md", "labels.ru.md"]
    ru = (out / "labels.ru.md").read_text()
    assert "Геолокация (во время доставки) (location): App Store: Precise Location" in ru
    assert "kelisim: jana-courier version 1 (1.0), manifest seq 1 sha256" in ru
    lock = json.loads((out / "kelisim-labels.json").read_text())
    assert lock["version"] == 1 and set(lock["files"]) >= {"data_safety.csv",
                                                           "app_privacy_details.json"}


def _next_version(published: Path, label: str, significance: str,
                  edit: Any = lambda spec: spec) -> Path:
    target = published / label
    target.mkdir(exist_ok=True)
    for doc in (published / "2.0").iterdir():
        (target / doc.name).write_bytes(doc.read_bytes())
    spec = (target / "version.toml").read_text().replace('label = "2.0"', f'label = "{label}"')
    spec = spec.replace('significance = "major"', f'significance = "{significance}"')
    (target / "version.toml").write_text(edit(spec))
    return target


def _drifts(cli: Any, out: Path) -> str:
    result = cli("labels", APP, "--check", str(out), ok=False)
    assert result.exit_code != 0
    return str(result.output)


def test_a_vendor_change_is_seen_by_the_guard_and_the_labels(cli: Any, published: Path,
                                                             tmp_path: Path) -> None:
    _publish_both(cli, published)
    out = _labels_files(cli, tmp_path)
    cli("labels", APP, "--check", str(out))

    # Firebase (the analytics vendor) now also receives the location: a major change, and a
    # shared data type the Play label adds; as a patch the guard names both.
    def share_location(spec: str) -> str:
        return spec.replace('data = ["usage", "device"]', 'data = ["usage", "device", "location"]')

    v3 = _next_version(published, "3.0", "patch", share_location)
    refused = cli("publish", str(v3), ok=False).output
    assert "require major" in refused
    assert "purpose 'analytics' now uses data category 'location'" in refused
    assert ("store label now says: Play: Location / Precise location: collected and shared, "
            "required; collected for App functionality, Analytics; shared for Analytics") \
        in refused
    _next_version(published, "3.0", "major", share_location)
    cli("publish", str(v3))
    drifts = _drifts(cli, out)
    assert "kelisim-labels.json:" in drifts and "made from version 2 (2.0), the current " \
        "version is 3 (3.0)" in drifts
    assert re.search(r"data_safety\.csv:\d+: PSL_DATA_USAGE_RESPONSES:PSL_PRECISE_LOCATION:"
                     r"PSL_DATA_USAGE_COLLECTION_AND_SHARING PSL_DATA_USAGE_ONLY_SHARED is '', "
                     r"the current version says 'TRUE'", drifts)
    assert re.search(r"labels\.en\.md:\d+: says '- Precise Location: linked to the user; for "
                     r"App Functionality', the current version says '- Precise Location: "
                     r"linked to the user; for Analytics, App Functionality'", drifts)
    cli("labels", APP, "--out", str(out))
    cli("labels", APP, "--check", str(out))

    # Only a store label flag changes (usage data used for tracking): not major, but a
    # patch may not change what the store page says.
    app_toml = published / "app.toml"
    app_toml.write_text(app_toml.read_text().replace(
        'play = ["PSL_USER_INTERACTION"], linked = false',
        'play = ["PSL_USER_INTERACTION"], linked = false, tracking = true'))
    v4 = _next_version(published, "4.0", "patch", share_location)
    refused = cli("publish", str(v4), ok=False).output
    assert "require minor or major" in refused
    assert ("store label now says: Apple: Product Interaction: not linked to the user, used "
            "for tracking; for Analytics") in refused
    assert "store label now says: Apple: tracking: yes" in refused
    _next_version(published, "4.0", "minor", share_location)
    cli("publish", str(v4))
    drifts = _drifts(cli, out)
    assert re.search(r"PrivacyInfo\.xcprivacy:\d+: says '<false/>', the current version says "
                     r"'<true/>'", drifts)
    cli("labels", APP, "--out", str(out))
    cli("labels", APP, "--check", str(out))


def test_check_names_the_csv_line_that_drifted(cli: Any, published: Path,
                                               tmp_path: Path) -> None:
    out = _labels_files(cli, tmp_path)
    path = out / "data_safety.csv"
    lines = path.read_bytes().decode().split("\r\n")
    n = next(i for i, line in enumerate(lines)
             if line.startswith("PSL_DATA_TYPES_LOCATION,PSL_PRECISE_LOCATION,TRUE"))
    lines[n] = lines[n].replace(",TRUE,", ",,")
    path.write_bytes("\r\n".join(lines).encode())
    result = cli("labels", APP, "--check", str(out), ok=False)
    assert (f"data_safety.csv:{n + 1}: PSL_DATA_TYPES_LOCATION PSL_PRECISE_LOCATION is '', "
            f"the current version says 'TRUE'") in result.output
    (out / "labels.ru.md").unlink()
    assert "labels.ru.md: missing" in cli("labels", APP, "--check", str(out), ok=False).output


def test_label_reasons_are_empty_without_labels_before() -> None:
    spec = {"purposes": [], "data_categories": []}
    assert label_reasons(None, spec) == []
    assert label_reasons(spec, {**spec, "store": {"encrypted_in_transit": True}}) == []
    assert labels_of(spec) is None


def test_unmapped_categories_are_named_when_files_are_made(cli: Any, published: Path,
                                                           tmp_path: Path) -> None:
    app_toml = published / "app.toml"
    app_toml.write_text(re.sub(r"^store = \{.*PhotosorVideos.*\}\n", "", app_toml.read_text(),
                               flags=re.M))
    v2 = published / "2.0"
    cli("publish", str(v2))
    out = cli("labels", APP, "--out", str(tmp_path / "o"), ok=False).output
    assert "data category 'photos' has no apple and no play data type (store.apple)" in out
    assert not (tmp_path / "o").exists()


POLICIES = sorted((DATA / "policies").iterdir())


@pytest.mark.parametrize("path", POLICIES, ids=[p.name for p in POLICIES])
def test_imported_policies_come_with_a_proposed_mapping(path: Path) -> None:
    from server.policy.importing.importer import import_document
    from server.policy.schema import CategoryStoreSchema, PurposeStoreSchema

    result = import_document(path.read_bytes(), path.name)
    lines = result.version_toml.splitlines()
    proposals = [line.split("proposal: ", 1)[1].split("  (the text says", 1)[0]
                 for line in lines if line.startswith("# REVIEW store proposal: ")]
    assert len(proposals) >= 3, result.version_toml
    for proposal in proposals:  # each is TOML the officer can paste, with valid store ids
        ((_cid, store),) = tomllib.loads(proposal).items()
        CategoryStoreSchema().load(store)
    purpose = result.spec["purposes"][0]["store"]
    PurposeStoreSchema().load(purpose)
    assert any(line.startswith("store = ") and "# REVIEW" in line for line in lines)
    assert "store labels: proposed a mapping" in " ".join(result.notes)
