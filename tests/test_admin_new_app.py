"""Issue 18, dead ends: an app created in the console (app.toml's rules, the CLI's service),
a new draft's base chosen by the officer, Publish and Discard confirmed without JavaScript."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from test_admin_drafts import CONFIRM, draft_from_current, save, summarise

from admin_support import APP, Clock, events, post, sign_in
from server import Kelisim
from server.admin.models import AppSettings, Draft
from server.models import App, PolicyVersion

GOOD = {"id": "kz.dala_taxi", "name": "Dala Taxi", "controller_name": "Dala Taxi LLP",
        "country": "KZ", "bin": "240540012347", "email": "privacy@dala.kz",
        "address": "Almaty, Abay ave. 1", "default_locale": "kk",
        "request_deadline_days": "20"}


def errors(html: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, text in re.findall(r'<p class="field-error" data-field="(\w+)">([^<]*)</p>',
                                 html):
        out.setdefault(name, []).append(text)
    return out


@pytest.fixture
def owner(client: FlaskClient, users: dict[str, int], kelisim: Kelisim,
          clock: Clock) -> FlaskClient:
    sign_in(client, kelisim, users["owner"])
    return client


def test_an_owner_creates_an_app_and_is_told_what_next(owner: FlaskClient,
                                                        kelisim: Kelisim) -> None:
    form = owner.get("/admin/new-app").get_data(True)
    # The default deadline is the server's (REQUEST_DEADLINE_DAYS), the languages the five.
    assert f'value="{kelisim.settings.request_deadline_days}"' in form
    resp = post(owner, "/admin/new-app", GOOD)
    assert resp.status_code == 303, resp.get_data(True)[:3000]
    assert resp.headers["Location"] == "/admin/apps/kz.dala_taxi?created=1"
    with kelisim.db.session(readonly=True) as s:
        app = s.get(App, "kz.dala_taxi")
        assert app is not None and app.name == "Dala Taxi" and app.default_locale == "kk"
        assert app.controller == {"name": "Dala Taxi LLP", "bin": "240540012347",
                                  "country": "KZ", "email": "privacy@dala.kz",
                                  "address": "Almaty, Abay ave. 1"}
        settings = s.get(AppSettings, "kz.dala_taxi")
        assert settings is not None and settings.request_deadline_days == 20
    logged = [(e.actor, e.action, e.target) for e in events(kelisim)]
    assert ("owner@example.com", "app.create", "kz.dala_taxi") in logged
    assert ("owner@example.com", "app.settings", "kz.dala_taxi") in logged
    page = owner.get(resp.headers["Location"]).get_data(True)
    assert 'id="next-steps"' in page and "write the first draft" in page
    assert "Deadline for answering a request: 20 days." in page
    # The first draft, written in the console: a blank version 1.0 of the app.
    resp = post(owner, "/admin/apps/kz.dala_taxi/drafts")
    assert resp.status_code == 303
    draft = owner.get(resp.headers["Location"]).get_data(True)
    assert "a new text, not a copy of a published version" in draft and 'value="1.0"' in draft


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"bin": "240540012340"}, "bin",
     "Company number: is not a valid 12-digit BIN (check digit fails)"),
    ({"country": "UZ"}, "bin", "Company number: must be 9 digits (TIN (STIR))"),
    ({"country": "KG", "bin": "305123456"}, "bin",
     "Company number: must be 14 digits (INN)"),
    ({"id": "Dala Taxi"}, "id", "App id: must be a lowercase id"),
    ({"email": "privacy at dala"}, "email", "Contact e-mail: Not a valid email address."),
    ({"address": " "}, "address", "Address: Missing data for required field."),
    ({"request_deadline_days": "0"}, "request_deadline_days",
     "Deadline for data-subject requests (days): Must be greater than or equal to 1"),
])
def test_a_bad_field_is_named_next_to_it_and_nothing_is_stored(
        owner: FlaskClient, kelisim: Kelisim, changes: dict[str, str], field: str,
        message: str) -> None:
    resp = post(owner, "/admin/new-app", {**GOOD, **changes})
    assert resp.status_code == 422
    found = errors(resp.get_data(True))
    assert list(found) == [field], found
    assert found[field][0].startswith(message), found
    # What was typed stays in the form.
    assert 'value="Dala Taxi LLP"' in resp.get_data(True)
    with kelisim.db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(App)) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(AppSettings)) == 0
    assert events(kelisim) == []


def test_errors_in_the_pages_language(owner: FlaskClient) -> None:
    owner.get("/admin/lang/kk")
    resp = post(owner, "/admin/new-app", {**GOOD, "country": "UZ", "email": "x"})
    found = errors(resp.get_data(True))
    assert found == {"bin": ["Компанияның тіркеу нөмірі: 9 саннан тұруы керек (СТН (СТИР))"],
                     "email": ["Байланыс эл. поштасы: Бұл эл. пошта мекенжайы емес."]}
    owner.get("/admin/lang/ru")
    resp = post(owner, "/admin/new-app", {**GOOD, "bin": "1"})
    assert errors(resp.get_data(True)) == {
        "bin": ["Регистрационный номер компании: должен состоять из 12 цифр (БИН)"]}


def test_an_existing_id_and_other_roles_are_refused(
        client: FlaskClient, users: dict[str, int], kelisim: Kelisim, clock: Clock) -> None:
    sign_in(client, kelisim, users["owner"])
    assert post(client, "/admin/new-app", GOOD).status_code == 303
    resp = post(client, "/admin/new-app", {**GOOD, "name": "Another"})
    assert resp.status_code == 422
    assert errors(resp.get_data(True)) == {
        "id": ["App id: An app with this id exists already; choose another id."]}
    for role in ("publisher", "responder", "viewer"):
        sign_in(client, kelisim, users[role])
        assert client.get("/admin/new-app").status_code == 403
        assert post(client, "/admin/new-app", {**GOOD, "id": role}).status_code == 403
    with kelisim.db.session(readonly=True) as s:
        assert [a.name for a in s.scalars(sa.select(App))] == ["Dala Taxi"]


def test_app_toml_follows_the_same_rules(cli: object, tmp_path: Path) -> None:
    """`kelisim apps create` and the form check the company number by one definition."""
    (tmp_path / "app.toml").write_text(
        'id = "uz.savat"\nname = "Savat"\ndefault_locale = "uz"\n[controller]\n'
        'name = "Savat MChJ"\nbin = "3051234567"\ncountry = "UZ"\n'
        'email = "info@savat.uz"\naddress = "Toshkent"\n', "utf-8")
    result = cli("apps", "create", str(tmp_path), ok=False)  # type: ignore[operator]
    assert "controller.bin: must be 9 digits (TIN (STIR))" in result.output


@pytest.fixture
def scheduled(client: FlaskClient, published: Path, users: dict[str, int],
              kelisim: Kelisim, clock: Clock) -> FlaskClient:
    """The demo app with 1.0 in force and 2.0 (public disclosure on) published for ten
    days from now."""
    sign_in(client, kelisim, users["publisher"])
    draft_id = draft_from_current(client)
    summarise(client, draft_id)
    later = (clock.now + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    assert save(client, draft_id, label="2.0", significance="major", effective=later,
                public_disclosure="true").status_code == 303
    resp = post(client, f"/admin/drafts/{draft_id}/publish", CONFIRM)
    assert resp.status_code == 303, resp.get_data(True)[:3000]
    return client


def test_the_officer_chooses_the_base_of_a_new_draft(scheduled: FlaskClient,
                                                     kelisim: Kelisim) -> None:
    page = scheduled.get(f"/admin/apps/{APP}").get_data(True)
    bases = re.findall(r'<input type="radio" name="base" value="(\d+)"( checked)?>', page)
    # 1.0 (in force) is offered first and chosen unless the officer picks 2.0 (upcoming).
    assert bases == [("1", " checked"), ("2", "")]
    assert "version 1.0 (in force)" in page and "version 2.0 (upcoming," in page
    for base, label, state in (("", "1.0", "in force"), ("1", "1.0", "in force"),
                               ("2", "2.0", "upcoming")):
        resp = post(scheduled, f"/admin/apps/{APP}/drafts", {"base": base} if base else {})
        assert resp.status_code == 303
        draft = scheduled.get(resp.headers["Location"]).get_data(True)
        based_on = re.search(r'<p class="subnav" id="based-on">([^·]*)', draft)
        assert based_on and " ".join(based_on.group(1).split()) == \
            f"based on version {label} ({state})", based_on
    with kelisim.db.session(readonly=True) as s:
        drafts = s.scalars(sa.select(Draft).where(Draft.status == "open")
                           .order_by(Draft.id)).all()
        assert [d.base_number for d in drafts] == [1, 1, 2]
        # Each a copy of its base: 2.0 publishes data, 1.0 does not.
        assert [d.spec["public_disclosure"] for d in drafts] == [False, False, True]
    # The app page lists each open draft with its base.
    page = scheduled.get(f"/admin/apps/{APP}").get_data(True)
    listed = re.search(r'<ul id="drafts">(.*?)</ul>', page, re.S)
    assert listed and listed.group(1).count("based on 1.0") == 2 and \
        listed.group(1).count("based on 2.0") == 1
    # Only the version in force or the upcoming one may be the base.
    assert post(scheduled, f"/admin/apps/{APP}/drafts", {"base": "7"}).status_code == 409


def test_publish_and_discard_need_their_confirmation(published: Path, client: FlaskClient,
                                                     users: dict[str, int],
                                                     kelisim: Kelisim, clock: Clock) -> None:
    sign_in(client, kelisim, users["publisher"])
    draft_id = draft_from_current(client)
    summarise(client, draft_id)
    later = (clock.now + timedelta(days=3)).replace(second=0)
    save(client, draft_id, label="1.1", significance="major",
         effective=later.strftime("%Y-%m-%dT%H:%M"))
    page = client.get(f"/admin/drafts/{draft_id}").get_data(True)
    when = later.strftime("%Y-%m-%dT%H:%M:%SZ")
    # The time in the officer's zone, UTC in the <time> element's datetime.
    assert (f'Version 1.1 will be published and take effect on <time datetime="{when}"'
            in page)
    assert f"Draft #{draft_id} will be discarded; this cannot be undone." in page
    resp = post(client, f"/admin/drafts/{draft_id}/publish")
    assert resp.status_code == 422
    assert errors(resp.get_data(True))["publish"] == [
        "Tick the box that says what will happen: publishing cannot be undone."]
    resp = post(client, f"/admin/drafts/{draft_id}/publish", {"confirm": "on"})
    assert resp.status_code == 422
    resp = post(client, f"/admin/drafts/{draft_id}/discard")
    assert resp.status_code == 422
    assert errors(resp.get_data(True))["discard"] == [
        "Tick the box that says what will happen: discarding cannot be undone."]
    with kelisim.db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PolicyVersion)) == 1
        d = s.get(Draft, draft_id)
        assert d is not None and d.status == "open"
    assert [e.action for e in events(kelisim) if e.action != "draft.edit_document"][-1] \
        == "draft.edit"
    # Without an effective time it takes effect at once, and the box says so.
    save(client, draft_id, effective="")
    page = client.get(f"/admin/drafts/{draft_id}").get_data(True)
    assert "Version 1.1 will be published and take effect at once; this cannot be undone." \
        in page
    assert post(client, f"/admin/drafts/{draft_id}/discard", CONFIRM).status_code == 303
    with kelisim.db.session(readonly=True) as s:
        d = s.get(Draft, draft_id)
        assert d is not None and d.status == "discarded"
