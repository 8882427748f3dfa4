"""The draft page's structure form (purposes, vendors, data categories, permissions): rows
added, moved and removed by server round trips, saved with the TOML path's schemas, errors
named as the form names the field in the page's language, nothing stored on a failed save,
and the same stored draft whether saved from the form or from its TOML."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from admin_support import APP, Clock, events, post, sign_in
from server import Kelisim
from server.admin import structure
from server.admin.i18n_texts import TEXTS
from server.admin.models import Draft


class StructureForm(HTMLParser):
    """The fields of the form posting to ``.../structure`` as a browser submits them (no
    button: the test names the ``op``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action", "").split("#")[0].endswith("/structure")
        if not self.inside or (not a.get("name") and tag != "option"):
            return
        name = a.get("name", "")
        if tag == "input" and (a.get("type") != "checkbox" or "checked" in a):
            self.fields.append((name, a.get("value", "")))
        elif tag == "textarea":
            self._textarea = name
            self.fields.append((name, ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            name, text = self.fields[-1]
            self.fields[-1] = (name, text + data)


def fields_of(html: str) -> list[tuple[str, str]]:
    parser = StructureForm()
    parser.feed(html)
    # A textarea's first newline is not part of its value (as in a browser).
    return [(k, v) for k, v in parser.fields if k != "csrf_token"]


def submit(client: FlaskClient, draft_id: int, fields: list[tuple[str, str]], op: str,
           **changes: Any) -> Any:
    """Post the structure form with ``changes`` (a list sets every value of a check-box
    group) and the button ``op``."""
    data: dict[str, list[str]] = {}
    for k, v in fields:
        data.setdefault(k, []).append(v)
    for k, change in changes.items():
        data[k] = change if isinstance(change, list) else [change]
    data["op"] = [op]
    return post(client, f"/admin/drafts/{draft_id}/structure", data)


@pytest.fixture
def publisher(client: FlaskClient, published: Path, users: dict[str, int],
              kelisim: Kelisim, clock: Clock) -> FlaskClient:
    sign_in(client, kelisim, users["publisher"])
    return client


def new_draft(client: FlaskClient) -> int:
    resp = post(client, f"/admin/apps/{APP}/drafts")
    assert resp.status_code == 303
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def stored(kelisim: Kelisim, draft_id: int) -> tuple[dict[str, Any], dict[str, Any] | None]:
    with kelisim.db.session(readonly=True) as s:
        d = s.get(Draft, draft_id)
        assert d is not None
        return copy.deepcopy(d.spec), copy.deepcopy(d.app_meta)


def page_of(client: FlaskClient, draft_id: int) -> str:
    return client.get(f"/admin/drafts/{draft_id}").get_data(True)


def test_unchanged_form_saves_the_same_draft(publisher: FlaskClient, kelisim: Kelisim) -> None:
    draft_id = new_draft(publisher)
    before = stored(kelisim, draft_id)
    fields = fields_of(page_of(publisher, draft_id))
    names = dict(fields)
    # Every language of the draft's documents side by side, for titles and descriptions.
    assert {f"purposes-0-{k}-{t}" for k in ("title", "description") for t in ("en", "kk", "ru")
            } <= set(names)
    assert names["purposes-rows"] == "2" and names["vendors-0-id"] == "firebase"
    resp = submit(publisher, draft_id, fields, "save")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("#structure")
    assert stored(kelisim, draft_id) == before  # app metadata stays the app's own (None)
    assert events(kelisim, "draft.edit_structure")[-1].details["purposes"] == [
        "delivery", "notifications"]


def test_add_reorder_remove_are_round_trips_that_store_nothing_until_saved(
        publisher: FlaskClient, kelisim: Kelisim) -> None:
    draft_id = new_draft(publisher)
    before = stored(kelisim, draft_id)
    resp = submit(publisher, draft_id, fields_of(page_of(publisher, draft_id)), "purposes:add")
    html = resp.get_data(True)
    assert resp.status_code == 200 and 'id="structure-unsaved"' in html
    fields = fields_of(html)
    assert dict(fields)["purposes-rows"] == "3" and dict(fields)["purposes-2-id"] == ""
    # Typed into the new row, then moved up: what was typed moves with it.
    resp = submit(publisher, draft_id, fields, "purposes:2:up", **{
        "purposes-2-id": "analytics", "purposes-2-title-en": "Analytics",
        "purposes-2-title-ru": "Аналитика", "purposes-2-description-en": "Usage statistics.",
        "purposes-2-description-ru": "Статистика использования.",
        "purposes-2-vendors": ["firebase"], "purposes-2-data": ["usage", "device"]})
    fields = fields_of(resp.get_data(True))
    names = dict(fields)
    assert (names["purposes-1-id"], names["purposes-2-id"]) == ("analytics", "notifications")
    assert names["purposes-1-title-ru"] == "Аналитика"
    resp = submit(publisher, draft_id, fields, "purposes:0:down")
    fields = fields_of(resp.get_data(True))
    assert [v for k, v in fields if k.endswith("-id") and k.startswith("purposes")] == [
        "analytics", "delivery", "notifications"]
    assert stored(kelisim, draft_id) == before  # nothing stored by the buttons
    resp = submit(publisher, draft_id, fields, "data_categories:4:remove")  # usage: in use
    assert resp.status_code == 422
    assert "Data category 5 (usage) cannot be removed: Purpose 1 (analytics) uses it" in \
        resp.get_data(True)
    resp = submit(publisher, draft_id, fields, "permissions:1:remove")  # camera: unused
    fields = fields_of(resp.get_data(True))
    assert dict(fields)["permissions-rows"] == "2"
    resp = submit(publisher, draft_id, fields, "save")
    assert resp.status_code == 303, resp.get_data(True)[:2000]
    spec, meta = stored(kelisim, draft_id)
    assert [p["id"] for p in spec["purposes"]] == ["analytics", "delivery", "notifications"]
    assert spec["purposes"][0] == {
        "id": "analytics", "required": False,
        "title": {"en": "Analytics", "ru": "Аналитика"},
        "description": {"en": "Usage statistics.", "ru": "Статистика использования."},
        "data": ["device", "usage"], "vendors": ["firebase"]}  # in the list's order
    assert meta is not None and [p["id"] for p in meta["permissions"]] == [
        "location", "notifications"]
    # The version's own list of permissions no longer names the removed one.
    assert spec["permissions"] == ["location", "notifications"]
    audit = events(kelisim, "draft.edit_structure")[-1]
    assert audit.actor == "publisher@example.com" and audit.target == f"{APP}/draft-{draft_id}"
    assert audit.details["permissions"] == ["location", "notifications"]


def test_removing_a_vendor_in_use_is_refused_and_named(publisher: FlaskClient,
                                                       kelisim: Kelisim) -> None:
    draft_id = new_draft(publisher)
    fields = fields_of(page_of(publisher, draft_id))
    resp = submit(publisher, draft_id, fields, "save", **{"purposes-1-vendors": ["firebase"]})
    assert resp.status_code == 303
    fields = fields_of(page_of(publisher, draft_id))
    resp = submit(publisher, draft_id, fields, "vendors:0:remove")
    html = resp.get_data(True)
    assert resp.status_code == 422 and dict(fields_of(html))["vendors-rows"] == "1"
    assert "Vendor 1 (firebase) cannot be removed: Purpose 2 (notifications) uses it." in html
    # Renaming the vendor leaves the purpose naming one that is gone: refused at Save.
    before = stored(kelisim, draft_id)
    resp = submit(publisher, draft_id, fields, "save", **{"vendors-0-id": "firebase-eu"})
    html = resp.get_data(True)
    assert resp.status_code == 422
    assert ("Purpose 2 (notifications), Vendors: there is no firebase in Vendors; add it "
            "there or untick it.") in html
    assert 'data-field="purposes-1-vendors"' in html
    assert stored(kelisim, draft_id) == before


def test_schema_errors_are_named_per_field_in_the_pages_language(
        publisher: FlaskClient, kelisim: Kelisim) -> None:
    draft_id = new_draft(publisher)
    before = stored(kelisim, draft_id)
    fields = fields_of(page_of(publisher, draft_id))
    bad = {"purposes-1-id": "Push Notes", "vendors-0-country": "USA",
           "vendors-0-policy_url": "policies.google.com", "data_categories-1-id": "contact",
           # The app's permissions have texts in five languages: every one shows.
           **{k: "" for k, _v in fields if k.startswith("permissions-0-rationale-")}}
    assert len([k for k in bad if k.startswith("permissions-0-rationale-")]) == 5
    resp = submit(publisher, draft_id, fields, "save", **bad)
    html = resp.get_data(True)
    assert resp.status_code == 422 and 'id="structure-errors"' in html
    for key, text in [
            ("purposes-1-id", "Purpose 2 (Push Notes), Id: use lowercase letters"),
            ("vendors-0-country", "Vendor 1 (firebase), Country (two letters, e.g. US): a "
                                  "two-letter country code"),
            ("vendors-0-policy_url", "Vendor 1 (firebase), Privacy policy URL: not a web"),
            ("data_categories-1-id", "Data category 2 (contact), Id: the id contact is used "
                                     "twice"),
            ("permissions-0-rationale", "Permission 1 (location), Rationale: required.")]:
        assert f'data-field="{key}">{text}' in html.replace("&#39;", "'"), (key, re.findall(
            r'data-field="([^"]*)">([^<]*)', html))
    assert "draft-" not in html.split('id="structure-errors"')[1].split("</div>")[0]
    # What was typed is kept; nothing is stored.
    kept = dict(fields_of(html))
    assert (kept["purposes-1-id"], kept["vendors-0-country"]) == ("Push Notes", "USA")
    assert stored(kelisim, draft_id) == before
    assert events(kelisim, "draft.edit_structure") == []
    # The same in Russian and Kazakh.
    for lang, text in [("ru", "Цель 2 (Push Notes), Идентификатор: используйте строчные"),
                       ("kk", "2-мақсат (Push Notes), Идентификатор: кіші латын")]:
        publisher.get(f"/admin/lang/{lang}")
        html = submit(publisher, draft_id, fields, "save", **bad).get_data(True)
        assert f'data-field="purposes-1-id">{text}' in html, lang
        assert "Missing data" not in html and "lowercase" not in html


def test_round_trip_form_and_toml_store_the_same_draft(publisher: FlaskClient,
                                                       kelisim: Kelisim) -> None:
    from test_admin_drafts import form_of

    draft_id = new_draft(publisher)
    resp = post(publisher, f"/admin/drafts/{draft_id}", {**form_of(publisher, draft_id),
                                                          "label": "1.1"})
    assert resp.status_code == 303
    fields = fields_of(page_of(publisher, draft_id))
    resp = submit(publisher, draft_id, fields, "vendors:add")
    fields = fields_of(resp.get_data(True))
    resp = submit(publisher, draft_id, fields, "save", **{
        "vendors-1-id": "sentry", "vendors-1-name": "Functional Software, Inc.",
        "vendors-1-country": "US", "vendors-1-policy_url": "https://sentry.io/privacy/",
        "purposes-0-vendors": ["sentry"], "purposes-1-title-ru": "Push-уведомления",
        "data_categories-0-title-en": "Contact details"})
    assert resp.status_code == 303, resp.get_data(True)[:3000]
    after_form = stored(kelisim, draft_id)
    assert after_form[1] is not None and after_form[1]["vendors"][1]["id"] == "sentry"
    assert after_form[0]["purposes"][1]["title"]["ru"] == "Push-уведомления"
    # The TOML the page shows, saved unchanged: the same draft.
    resp = post(publisher, f"/admin/drafts/{draft_id}", form_of(publisher, draft_id))
    assert resp.status_code == 303
    assert stored(kelisim, draft_id) == after_form
    # And back: the form of that TOML, saved unchanged, is the same draft too.
    resp = submit(publisher, draft_id, fields_of(page_of(publisher, draft_id)), "save")
    assert resp.status_code == 303
    assert stored(kelisim, draft_id) == after_form
    # A change made in the TOML shows in the form.
    form = form_of(publisher, draft_id)
    form["purposes_toml"] = form["purposes_toml"].replace('"Push-уведомления"', '"Пуш"')
    assert post(publisher, f"/admin/drafts/{draft_id}", form).status_code == 303
    assert dict(fields_of(page_of(publisher, draft_id)))["purposes-1-title-ru"] == "Пуш"


def test_only_publishers_edit_and_every_post_needs_csrf(
        client: FlaskClient, published: Path, users: dict[str, int], kelisim: Kelisim,
        clock: Clock) -> None:
    sign_in(client, kelisim, users["publisher"])
    draft_id = new_draft(client)
    fields = fields_of(page_of(client, draft_id))
    resp = client.post(f"/admin/drafts/{draft_id}/structure", data={**dict(fields),
                                                                   "op": "save"})
    assert resp.status_code == 400  # no CSRF token
    before = stored(kelisim, draft_id)
    for role in ("responder", "viewer"):
        sign_in(client, kelisim, users[role])
        resp = submit(client, draft_id, fields, "save", **{"purposes-0-id": "changed"})
        assert resp.status_code == 403, role
    assert stored(kelisim, draft_id) == before


def test_every_text_of_the_form_is_in_the_three_catalogues() -> None:
    for text in structure.labels():
        for lang in ("ru", "kk"):
            assert TEXTS[lang].get(text), (lang, text)
        if text.startswith("structure_"):
            assert TEXTS["en"].get(text), text


def test_a_field_is_one_entry_in_the_description(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a submission and writing its data follow the description alone."""
    from werkzeug.datastructures import MultiDict

    extra = structure.Section("data_categories", "Data categories", "Data category {n}",
                              "Add a data category", "app", (
                                  structure.Field("id", "text", "Id"),
                                  structure.Field("title", "locale_text", "Title"),
                                  structure.Field("tracking", "bool", "Tracking",
                                                  optional=True),
                                  structure.Field("apple", "option", "Apple data type",
                                                  options=("contact-info", "location"),
                                                  optional=True)))
    monkeypatch.setattr(structure, "SECTIONS", (extra,))
    form = MultiDict([("data_categories-rows", "2"), ("data_categories-0-id", "contact"),
                      ("data_categories-0-title-en", "Contact"),
                      ("data_categories-0-tracking", "true"),
                      ("data_categories-0-apple", "contact-info"),
                      ("data_categories-1-id", "device"),
                      ("data_categories-1-title-kk", " Құрылғы ")])
    assert structure.data_of(structure.read(form)) == {"data_categories": [
        {"id": "contact", "title": {"en": "Contact"}, "tracking": True,
         "apple": "contact-info"},
        {"id": "device", "title": {"kk": "Құрылғы"}}]}


def test_languages_side_by_side_follow_the_documents_default_first() -> None:
    rows: structure.State = {"purposes": [{"title": {"uz-Cyrl": "Етказиш", "ky": " "}}]}
    order = ("kk", "ru", "en", "uz", "ky")
    assert structure.locales_of({"en": "", "ru": "", "kk": ""}, rows, order, "ru") == [
        "ru", "kk", "en", "uz-Cyrl"]
    assert structure.locales_of({}, {}, order, "kk") == ["kk"]
