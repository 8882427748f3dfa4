"""The console's phone preview of a draft (server/admin/phone.py): the SDK's own first
layer and notice (client_sdk.ui.layout), for a user opening the app for the first time
and for one who accepted the version published last. tests/test_preview_drift.py checks
the same pages against the Kivy widgets in a window; these are the cases around it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from test_admin_drafts import draft_from_current, save, summarise

from admin_support import Clock, sign_in
from client_sdk.ui.strings import STRINGS
from server import Kelisim
from server.admin.models import Draft

EN = STRINGS["en"]


@pytest.fixture
def publisher(client: FlaskClient, published: Path, users: dict[str, int],
              kelisim: Kelisim, clock: Clock) -> FlaskClient:
    sign_in(client, kelisim, users["publisher"])
    return client


def _kinds(page: str, kind: str) -> list[str]:
    found = re.findall(rf'data-kind="{kind}"[^>]*>(.*?)</p>', page, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", f).split()) for f in found]


def test_a_minor_draft_is_a_notice_for_who_accepted_and_a_first_layer_for_others(
        publisher: FlaskClient) -> None:
    draft_id = draft_from_current(publisher)
    summarise(publisher, draft_id, "Typos fixed.")
    save(publisher, draft_id, label="1.1", significance="minor")
    url = f"/admin/drafts/{draft_id}/preview?locale=en"
    update = publisher.get(url).get_data(True)  # the default: who accepted 1.0
    assert 'data-screen="notice"' in update and 'id="first-layer"' not in update
    assert _kinds(update, "heading") == [EN["notice_minor"]]
    assert _kinds(update, "change") == ["1.1 — Typos fixed."]
    assert _kinds(update, "button") == [EN["read"], EN["dismiss"]]
    first = publisher.get(url + "&case=first").get_data(True)
    assert 'data-screen="first_layer"' in first and _kinds(first, "change") == []
    assert _kinds(first, "button") == [EN["decline"], EN["only_required"], EN["accept_all"]]
    assert 'type="checkbox"' not in first  # the purposes' switches are the second layer's
    assert _kinds(first, "check") == ["I am 18 or older"]
    assert _kinds(first, "meta")[0].startswith("Version 1.1 · ")


def test_a_patch_shows_who_accepted_nothing(publisher: FlaskClient) -> None:
    draft_id = draft_from_current(publisher)
    summarise(publisher, draft_id, "A comma.")
    save(publisher, draft_id, label="1.0.1", significance="patch")
    page = publisher.get(f"/admin/drafts/{draft_id}/preview?locale=ru").get_data(True)
    assert 'data-screen="none"' in page and "1.0" in page
    assert "data-kind" not in page


def test_an_unlabelled_draft_is_previewed_and_a_broken_one_says_why(
        publisher: FlaskClient, kelisim: Kelisim) -> None:
    draft_id = draft_from_current(publisher)  # no label, no summaries yet
    page = publisher.get(f"/admin/drafts/{draft_id}/preview?locale=kk&case=first")
    text = page.get_data(True)
    assert page.status_code == 200 and 'data-screen="first_layer"' in text
    assert _kinds(text, "meta")[0].startswith(STRINGS["kk"]["version"].format(label="—"))
    with kelisim.db.session() as s:  # a vendor the app's catalogue does not have
        d = s.get(Draft, draft_id)
        assert d is not None
        purposes = [dict(p) for p in d.spec["purposes"]]
        purposes[0]["vendors"] = ["nobody"]
        d.spec = {**d.spec, "purposes": purposes}
    text = publisher.get(f"/admin/drafts/{draft_id}/preview?locale=en").get_data(True)
    assert 'data-screen="none"' in text and "unknown vendor &#39;nobody&#39;" in text
    assert "data-kind" not in text
