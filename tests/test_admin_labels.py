"""The console's store labels: each version's App Store and Google Play lines, its files to
download (viewer and up), and what a draft changes in the Play answers before publishing."""

from __future__ import annotations

import csv
import io
import plistlib
from pathlib import Path

from flask.testing import FlaskClient
from test_admin_drafts import draft_from_current, form_of, summarise

from admin_support import APP, Clock, post, sign_in
from server import Kelisim


def test_a_viewer_sees_the_labels_and_downloads_the_files(
        client: FlaskClient, published: Path, users: dict[str, int], kelisim: Kelisim,
        clock: Clock) -> None:
    sign_in(client, kelisim, users["viewer"])
    app_page = client.get(f"/admin/apps/{APP}").get_data(True)
    assert f"/admin/apps/{APP}/versions/1/labels" in app_page
    page = client.get(f"/admin/apps/{APP}/versions/1/labels").get_data(True)
    assert "Precise Location: linked to the user; for App Functionality" in page
    assert "Location / Precise location: collected, required; collected for App " \
           "functionality" in page
    assert "kelisim: jana-courier version 1 (1.0), manifest seq 1 sha256" in page
    plist = client.get(f"/admin/apps/{APP}/versions/1/labels/PrivacyInfo.xcprivacy")
    assert plist.status_code == 200
    assert 'filename="PrivacyInfo.xcprivacy"' in plist.headers["Content-Disposition"]
    parsed = plistlib.loads(plist.data)
    assert parsed["NSPrivacyTracking"] is False and parsed["NSPrivacyAccessedAPITypes"]
    data_safety = client.get(f"/admin/apps/{APP}/versions/1/labels/data_safety.csv")
    rows = list(csv.reader(io.StringIO(data_safety.get_data(True))))
    assert rows[0][0] == "Question ID (machine readable)"
    location = next(r for r in rows if r[1] == "PSL_PRECISE_LOCATION")
    assert location[:3] == ["PSL_DATA_TYPES_LOCATION", "PSL_PRECISE_LOCATION", "TRUE"]
    for bad in ("../app.toml", "secret.txt"):
        assert client.get(f"/admin/apps/{APP}/versions/1/labels/{bad}").status_code == 404
    assert client.get(f"/admin/apps/{APP}/versions/9/labels").status_code == 404
    ru = client.get(f"/admin/apps/{APP}/versions/1/labels",
                    headers={"Accept-Language": "ru"}).get_data(True)
    assert "Метки магазинов" in ru


def test_signed_out_nobody_downloads(client: FlaskClient, published: Path) -> None:
    resp = client.get(f"/admin/apps/{APP}/versions/1/labels/data_safety.csv")
    assert resp.status_code in (302, 303) and "/admin/login" in resp.headers["Location"]


def test_a_draft_says_which_play_answers_it_changes(
        client: FlaskClient, published: Path, users: dict[str, int], kelisim: Kelisim,
        clock: Clock) -> None:
    sign_in(client, kelisim, users["publisher"])
    draft_id = draft_from_current(client)
    form = form_of(client, draft_id)
    purposes = form["purposes_toml"]
    marker = 'id = "notifications"'
    head, tail = purposes.split(marker, 1)
    tail = tail.replace('data = ["contact", "device"]',
                        'data = ["contact", "device", "location"]', 1)
    resp = post(client, f"/admin/drafts/{draft_id}",
                {**form, "label": "1.1", "significance": "major",
                 "purposes_toml": head + marker + tail})
    assert resp.status_code == 303
    diff = client.get(f"/admin/drafts/{draft_id}/diff").get_data(True)
    assert "This draft changes your Play Data safety answers:" in diff
    assert ("+ Location / Precise location: collected, required; collected for App "
            "functionality, Developer communications") in diff
    assert "- Location / Precise location: collected, required; collected for App " \
           "functionality</span>" in diff


def test_a_patch_that_changes_a_store_label_is_refused_naming_the_line(
        client: FlaskClient, published: Path, users: dict[str, int], kelisim: Kelisim,
        clock: Clock) -> None:
    sign_in(client, kelisim, users["publisher"])
    draft_id = draft_from_current(client)
    form = form_of(client, draft_id)
    app_toml = form["app_toml"]
    device = app_toml.index('id = "device"')
    linked = app_toml.index("linked = false", device)
    app_toml = app_toml[:linked] + "linked = true" + app_toml[linked + len("linked = false"):]
    resp = post(client, f"/admin/drafts/{draft_id}",
                {**form, "label": "1.0.1", "significance": "patch", "app_toml": app_toml})
    assert resp.status_code == 303
    page = client.get(f"/admin/drafts/{draft_id}").get_data(True)
    assert "but these store label changes require minor or major:" in page
    assert ("store label now says: Apple: Other Diagnostic Data: linked to the user; for App "
            "Functionality") in page
    # With the summaries written, the publish service's own dry run says the same.
    summarise(client, draft_id)
    page = client.get(f"/admin/drafts/{draft_id}").get_data(True)
    assert "but these store label changes require minor or major:" in page
    assert "summary.en: missing" not in page
    assert post(client, f"/admin/drafts/{draft_id}/publish").status_code == 422
