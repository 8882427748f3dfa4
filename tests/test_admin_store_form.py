"""The app's store values (encrypted in transit, account-deletion and data-deletion URLs) as
fields of the draft's structure form: filled from app.toml's [store], saved into the draft's
app metadata through the schema the TOML path uses, an error next to its field in the page's
language and nothing stored on a failed save; an app without [store] gets none added."""

from __future__ import annotations

import html
import re
from pathlib import Path

from flask.testing import FlaskClient
from test_admin_drafts import form_of
from test_admin_structure import fields_of, new_draft, page_of, publisher, stored, submit

from admin_support import events, post
from server import Kelisim

__all__ = ["publisher"]  # the fixture, imported for the tests below

DEMO_ACCOUNT = "https://jana-courier.example/account/delete"
DEMO_DATA = "https://jana-courier.example/privacy/delete"


def _errors(page: str, field: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(
        rf'<p class="field-error" data-field="{field}">(.*?)</p>', page)]


def test_the_fields_show_and_save_the_apps_store_values(
        publisher: FlaskClient, kelisim: Kelisim, published: Path) -> None:
    draft_id = new_draft(publisher)
    page = page_of(publisher, draft_id)
    fields = dict(fields_of(page))
    assert fields["store-encrypted_in_transit"] == "true"
    assert fields["store-account_deletion_url"] == DEMO_ACCOUNT
    assert fields["store-data_deletion_url"] == DEMO_DATA
    # The permission id's hint: the operator's own name, not Android's permission string.
    assert "not Android&#39;s permission string" in page
    resp = submit(publisher, draft_id, fields_of(page), "save", **{
        "store-account_deletion_url": "https://jana-courier.example/bye",
        "store-data_deletion_url": "", "store-encrypted_in_transit": []})
    assert resp.status_code == 303
    _spec, meta = stored(kelisim, draft_id)
    assert meta is not None
    assert meta["store"] == {"encrypted_in_transit": False, "tracking_domains": [],
                             "account_deletion_url": "https://jana-courier.example/bye",
                             "data_deletion_url": None}
    assert events(kelisim, "draft.edit_structure")[-1].details["store"] == {
        "encrypted_in_transit": False, "account_deletion_url":
            "https://jana-courier.example/bye", "data_deletion_url": ""}
    # The draft's labels say it (once it has a label).
    form = form_of(publisher, draft_id)
    assert post(publisher, f"/admin/drafts/{draft_id}",
                {**form, "label": "1.1", "significance": "minor"}).status_code == 303
    diff = publisher.get(f"/admin/drafts/{draft_id}/diff").get_data(True)
    assert "+ data encrypted in transit: no" in diff
    assert "+ account deletion link: https://jana-courier.example/bye" in diff


def test_a_bad_url_is_named_next_to_its_field_and_nothing_is_stored(
        publisher: FlaskClient, kelisim: Kelisim, published: Path) -> None:
    draft_id = new_draft(publisher)
    before = stored(kelisim, draft_id)
    fields = fields_of(page_of(publisher, draft_id))
    for bad in ("http://jana-courier.example/delete", "not a url"):
        resp = submit(publisher, draft_id, fields, "save", **{
            "store-data_deletion_url": bad, "purposes-0-id": "renamed"})
        assert resp.status_code == 422
        page = resp.get_data(True)
        assert _errors(page, "store-data_deletion_url") == [
            "Data deletion URL (https): not a web address (https://...)."]
        assert f'value="{bad}"' in page  # kept as typed
        assert stored(kelisim, draft_id) == before
    publisher.get("/admin/lang/ru")
    resp = submit(publisher, draft_id, fields, "save",
                  **{"store-account_deletion_url": "ftp://x"})
    assert _errors(resp.get_data(True), "store-account_deletion_url") == [
        "Адрес страницы удаления аккаунта (https): это не веб-адрес (https://...)."]
    assert stored(kelisim, draft_id) == before


def test_an_app_without_store_values_gets_none_added(
        publisher: FlaskClient, kelisim: Kelisim, published: Path) -> None:
    draft_id = new_draft(publisher)
    form = form_of(publisher, draft_id)
    app_toml = re.sub(r"^store = \{.*\}$", "", form["app_toml"], flags=re.M)
    assert "encrypted_in_transit" not in app_toml
    assert post(publisher, f"/admin/drafts/{draft_id}",
                {**form, "label": "1.1", "app_toml": app_toml}).status_code == 303
    fields = dict(fields_of(page_of(publisher, draft_id)))
    assert "store-encrypted_in_transit" not in fields  # unchecked
    assert fields["store-account_deletion_url"] == ""
    resp = submit(publisher, draft_id, fields_of(page_of(publisher, draft_id)), "save")
    assert resp.status_code == 303
    meta = stored(kelisim, draft_id)[1]
    assert meta is not None and "store" not in meta
    resp = submit(publisher, draft_id, fields_of(page_of(publisher, draft_id)), "save",
                  **{"store-encrypted_in_transit": "true"})
    assert resp.status_code == 303
    meta = stored(kelisim, draft_id)[1]
    assert meta is not None and meta["store"]["encrypted_in_transit"] is True


def test_every_text_of_the_store_fields_is_translated() -> None:
    from server.admin import storeform
    from server.admin.i18n_texts import TEXTS

    for text in storeform.labels():
        for lang in ("ru", "kk"):
            assert TEXTS[lang].get(text), (lang, text)


def test_the_store_boxes_list_the_values_they_take(publisher: FlaskClient,
                                                   published: Path) -> None:
    """Each purpose's and data category's "store" box says what it takes: every id the
    schema accepts (the stores' tables), an example, and the purposes in the page's language;
    the data types keep the names the stores print."""
    from server.policy.storelabels import (
        APPLE_DATA_TYPES,
        APPLE_PURPOSES,
        PLAY_DATA_TYPES,
        PLAY_PURPOSES,
    )

    draft_id = new_draft(publisher)
    publisher.get("/admin/lang/ru")
    page = html.unescape(page_of(publisher, draft_id))
    boxes = re.findall(r'<details class="values wide">(.*?)</details>', page, re.S)
    purposes = [b for b in boxes if "PSL_ANALYTICS" in b and "PSL_PRECISE_LOCATION" not in b]
    categories = [b for b in boxes if "PSL_PRECISE_LOCATION" in b]
    # One list under every purpose's and every category's box of the demo draft.
    assert len(purposes) == int(dict(fields_of(page_of(publisher, draft_id)))["purposes-rows"])
    assert categories and len(purposes) + len(categories) == len(boxes)
    assert "Допустимые значения и пример" in boxes[0]
    for ident in [*APPLE_PURPOSES, *PLAY_PURPOSES]:
        assert f"<code translate=\"no\">{ident}</code>" in purposes[0], ident
    for ident in [*APPLE_DATA_TYPES, *PLAY_DATA_TYPES]:
        assert f"<code translate=\"no\">{ident}</code>" in categories[0], ident
    assert "Аналитика" in purposes[0] and "Precise Location" in categories[0]
    assert 'linked = true' in categories[0] and "обязательно" in categories[0]
