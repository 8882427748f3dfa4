"""Drafts: from the current version or an uploaded file, edits, the guard, diff, preview,
publishing now or later; bad input is named and stores nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from admin_support import APP, Clock, csrf, events, post, sign_in
from server import Kelisim
from server.admin.models import Draft
from server.models import App, PolicyVersion

# Publish and Discard cannot be undone: the form's box naming what will happen is ticked.
CONFIRM = {"confirm": "yes"}
DEMO_V2 = Path(__file__).resolve().parent.parent / "demo_app" / "policy" / "jana-courier" / "2.0"


@pytest.fixture
def publisher(client: FlaskClient, published: Path, users: dict[str, int],
              kelisim: Kelisim, clock: Clock) -> FlaskClient:
    sign_in(client, kelisim, users["publisher"])
    return client


def draft_from_current(client: FlaskClient) -> int:
    resp = post(client, f"/admin/apps/{APP}/drafts")
    assert resp.status_code == 303
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def form_of(client: FlaskClient, draft_id: int) -> dict[str, str]:
    """The draft's edit form as the browser would submit it unchanged."""
    html = client.get(f"/admin/drafts/{draft_id}").get_data(True)
    form = html[html.index(f'action="/admin/drafts/{draft_id}"'):]
    form = form[:form.index("</form>")]
    data: dict[str, str] = {}
    for m in re.finditer(r'<input ([^>]*)>', form):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        if attrs.get("type") == "checkbox":
            if " checked" in m.group(1):
                data[attrs["name"]] = attrs["value"]
        elif "name" in attrs:
            data[attrs["name"]] = attrs.get("value", "")
    for m in re.finditer(r'<textarea name="(\w+)"[^>]*>(.*?)</textarea>', form, re.S):
        import html as h

        data[m.group(1)] = h.unescape(m.group(2))
    for m in re.finditer(r'<select name="(\w+)">(.*?)</select>', form, re.S):
        sel = re.search(r'<option (?:value="([^"]*)" )?selected>([^<]*)', m.group(2))
        if sel:
            data[m.group(1)] = sel.group(1) if sel.group(1) is not None else sel.group(2)
    data.pop("csrf_token", None)
    return data


def summarise(client: FlaskClient, draft_id: int, summary: str = "What changed.") -> None:
    """Give every language a "what changed" summary, keeping its text."""
    import html as h

    page = client.get(f"/admin/drafts/{draft_id}").get_data(True)
    for tag in re.findall(rf'href="/admin/drafts/{draft_id}/doc/([\w-]+)">[\w-]+</a> ·', page):
        doc = client.get(f"/admin/drafts/{draft_id}/doc/{tag}").get_data(True)
        text = h.unescape(re.search(r'<textarea name="text"[^>]*>(.*?)</textarea>', doc,
                                    re.S).group(1))
        resp = post(client, f"/admin/drafts/{draft_id}/doc/{tag}",
                    {"text": text, "summary": summary})
        assert resp.status_code == 303


def save(client: FlaskClient, draft_id: int, **changes: Any) -> Any:
    data = {**form_of(client, draft_id), **changes}
    data = {k: v for k, v in data.items() if v is not None}
    return post(client, f"/admin/drafts/{draft_id}", data)


def test_mislabelled_minor_is_refused_then_published_as_major(
        publisher: FlaskClient, kelisim: Kelisim) -> None:
    draft_id = draft_from_current(publisher)
    assert "Ready to publish" not in publisher.get(f"/admin/drafts/{draft_id}").get_data(True)
    resp = save(publisher, draft_id, label="1.1", significance="minor",
                cross_border_transfer="true")
    assert resp.status_code == 303
    page = publisher.get(f"/admin/drafts/{draft_id}").get_data(True)
    # The guard judges the fields even while summaries are still missing.
    # Each named as the form names its field, without the draft's file paths.
    assert "these changes require major" in page and "What changed (en): missing" in page
    assert "<li>cross-border transfer turned on</li>" in page and "version.toml" not in page
    summarise(publisher, draft_id)
    page = publisher.get(f"/admin/drafts/{draft_id}").get_data(True)
    assert "these changes require major" in page and "What changed (en): missing" not in page
    resp = post(publisher, f"/admin/drafts/{draft_id}/publish", CONFIRM)
    assert resp.status_code == 422
    assert "The guard refused" in resp.get_data(True)
    with kelisim.db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PolicyVersion)) == 1
    save(publisher, draft_id, significance="major", notes="Couriers' data goes to Almaty DC")
    page = publisher.get(f"/admin/drafts/{draft_id}").get_data(True)
    assert "Ready to publish as major" in page
    resp = post(publisher, f"/admin/drafts/{draft_id}/publish", CONFIRM)
    assert resp.status_code == 303, resp.get_data(True)[:3000]
    with kelisim.db.session(readonly=True) as s:
        v = s.scalars(sa.select(PolicyVersion).where(PolicyVersion.label == "1.1")).one()
        assert v.significance == "major" and v.body["cross_border_transfer"] is True
        d = s.get(Draft, draft_id)
        assert d is not None and d.status == "published" and d.published_number == v.number
    history = publisher.get(f"/admin/apps/{APP}").get_data(True)
    assert "publisher@example.com" in history and "Almaty DC" in history
    published = events(kelisim, "version.publish")[-1]
    assert (published.actor, published.target, published.details["label"]) == (
        "publisher@example.com", APP, "1.1")
    # The manifest apps download now carries it.
    from helpers import payload_of

    served = payload_of(publisher.get(f"/v1/apps/{APP}/manifest.json").data)
    assert served["current"]["label"] == "1.1"


def test_override_reason_publishes_a_minor_anyway(publisher: FlaskClient,
                                                  kelisim: Kelisim) -> None:
    draft_id = draft_from_current(publisher)
    summarise(publisher, draft_id)
    save(publisher, draft_id, label="1.0.1", significance="patch", public_disclosure="true")
    resp = post(publisher, f"/admin/drafts/{draft_id}/publish",
                {**CONFIRM, "override_reason": "court order, published register"})
    assert resp.status_code == 303
    with kelisim.db.session(readonly=True) as s:
        v = s.scalars(sa.select(PolicyVersion).where(PolicyVersion.label == "1.0.1")).one()
        assert v.override_reason == "court order, published register"


def test_upload_edit_diff_preview_schedule(publisher: FlaskClient, kelisim: Kelisim,
                                           clock: Clock) -> None:
    text = (DEMO_V2 / "en.md").read_bytes()
    resp = publisher.post(f"/admin/apps/{APP}/drafts/upload", data={
        "csrf_token": csrf(publisher), "locale": "en",
        "file": (__import__("io").BytesIO(text), "policy-2.md")},
        content_type="multipart/form-data")
    assert resp.status_code == 303, resp.get_data(True)[:2000]
    draft_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    with kelisim.db.session(readonly=True) as s:
        d = s.get(Draft, draft_id)
        assert d is not None
        assert d.documents["en"].strip() == text.decode().strip()
        assert set(d.documents) == {"en", "kk", "ru"}  # the other languages carried over
    page = publisher.get(f"/admin/drafts/{draft_id}").get_data(True)
    assert "Missing translations" in page and "en: summary of what changed" in page
    diff = publisher.get(f"/admin/drafts/{draft_id}/diff").get_data(True)
    assert 'class="add"' in diff and "Text · en" in diff
    # A document edit, then a field diff and the preview of both layers.
    resp = post(publisher, f"/admin/drafts/{draft_id}/doc/en",
                {"text": "# Privacy\n\nNew <script>alert(1)</script> text.\n",
                 "summary": "Shorter text."})
    assert resp.status_code == 303
    save(publisher, draft_id, label="3.0", significance="major", min_age="16",
         consent_term="P1Y")
    fields = publisher.get(f"/admin/drafts/{draft_id}/diff").get_data(True)
    assert "<code>min_age</code>" in fields and "<code>consent_term</code>" in fields
    preview = publisher.get(f"/admin/drafts/{draft_id}/preview?locale=en").get_data(True)
    assert "&lt;script&gt;" in preview and "<script>" not in preview
    assert "Shorter text." in preview and "Consent is valid for 1 year." in preview
    assert 'id="first-layer"' in preview and "I am 16 or older" in preview
    # The phone speaks the document's language, whatever the console's is (SDK strings).
    kk = publisher.get(f"/admin/drafts/{draft_id}/preview?locale=kk").get_data(True)
    assert "Қандай деректер" in kk and "Келісімнің қолданылу мерзімі: 1 жыл." in kk
    # Scheduled: effective in the future makes it upcoming.
    later = (clock.now + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    assert save(publisher, draft_id, effective=later).status_code == 303
    for tag in ("kk", "ru"):
        post(publisher, f"/admin/drafts/{draft_id}/doc/{tag}",
             {"text": f"# {tag}\n\ntext\n", "summary": "changed"})
    page = publisher.get(f"/admin/drafts/{draft_id}").get_data(True)
    assert "It will be upcoming" in page and ">Schedule<" in page
    resp = post(publisher, f"/admin/drafts/{draft_id}/publish", CONFIRM)
    assert resp.status_code == 303, resp.get_data(True)[:3000]
    assert "upcoming" in publisher.get(f"/admin/apps/{APP}").get_data(True)
    scheduled = events(kelisim, "version.publish")[-1]
    assert scheduled.details["upcoming"] is True and scheduled.details["label"] == "3.0"


def test_an_effective_time_that_has_passed_is_not_ready_to_publish(
        publisher: FlaskClient, kelisim: Kelisim, clock: Clock) -> None:
    """Saved as a future time, the effective time passes before Publish is pressed: the
    draft page no longer says "Ready to publish", and publishing is refused by name."""
    draft_id = draft_from_current(publisher)
    summarise(publisher, draft_id)
    effective = clock.now.replace(second=0) + timedelta(minutes=1)
    assert save(publisher, draft_id, label="1.1", significance="minor",
                effective=effective.strftime("%Y-%m-%dT%H:%M")).status_code == 303
    assert "It will be upcoming" in publisher.get(f"/admin/drafts/{draft_id}").get_data(True)
    clock.now = effective + timedelta(seconds=70)
    page = publisher.get(f"/admin/drafts/{draft_id}").get_data(True)
    stamp = effective.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "Ready to publish" not in page
    assert f"Effective: {stamp} is in the past" in page
    resp = post(publisher, f"/admin/drafts/{draft_id}/publish", CONFIRM)
    assert resp.status_code == 422
    assert f"Effective: {stamp} is in the past" in resp.get_data(True)
    with kelisim.db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PolicyVersion)) == 1


@pytest.mark.parametrize("changes, field", [
    ({"label": ""}, "label"),
    ({"significance": "huge"}, "significance"),
    ({"min_age": "-1"}, "min_age"),
    ({"min_age": "abc"}, "min_age"),
    ({"consent_term": "forever"}, "consent_term"),
    ({"effective": "tomorrow"}, "effective"),
    ({"purposes_toml": "[[purposes]\nid="}, "form"),
    ({"purposes_toml": "x = 1"}, "form"),
    ({"app_toml": "id = 'other'"}, "form"),
])
def test_bad_draft_form_names_the_field_and_stores_nothing(
        publisher: FlaskClient, kelisim: Kelisim, changes: dict[str, str], field: str) -> None:
    draft_id = draft_from_current(publisher)
    with kelisim.db.session(readonly=True) as s:
        before = s.get(Draft, draft_id)
        assert before is not None
        spec, n = dict(before.spec), len(events(kelisim))
    resp = save(publisher, draft_id, **{"label": "9.9", **changes})
    assert resp.status_code == 422
    assert f'data-field="{field}"' in resp.get_data(True)
    with kelisim.db.session(readonly=True) as s:
        after = s.get(Draft, draft_id)
        assert after is not None and after.spec == spec
    assert len(events(kelisim)) == n


def test_bad_uploads(publisher: FlaskClient, kelisim: Kelisim) -> None:
    import io

    for data, name, needle in ((b"", "empty.txt", "empty"),
                               (b"\xff\xfe\x00bad", "bad.txt", "bad.txt: "),
                               (b"%PDF-1.4 not really", "scan.pdf", "scan.pdf: "),
                               (b"# Hello\n\nworld", "x.md", "")):
        fields: dict[str, Any] = {"csrf_token": csrf(publisher),
                                  "file": (io.BytesIO(data), name)}
        if needle == "":
            fields["locale"] = "xx"
            needle = "must be one of: kk, ru"
        resp = publisher.post(f"/admin/apps/{APP}/drafts/upload", data=fields,
                              content_type="multipart/form-data")
        assert resp.status_code == 422, name
        assert needle in resp.get_data(True), resp.get_data(True)[-1500:]
    resp = post(publisher, f"/admin/apps/{APP}/drafts/upload")
    assert resp.status_code == 422 and 'data-field="file"' in resp.get_data(True)
    with kelisim.db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0


def test_discard(publisher: FlaskClient, kelisim: Kelisim) -> None:
    draft_id = draft_from_current(publisher)
    assert post(publisher, f"/admin/drafts/{draft_id}/discard", CONFIRM).status_code == 303
    assert publisher.get(f"/admin/drafts/{draft_id}").status_code == 404
    assert [e.action for e in events(kelisim) if e.action.startswith("draft.")] == [
        "draft.create", "draft.discard"]


def test_app_metadata_changes_are_published_with_the_version(
        publisher: FlaskClient, kelisim: Kelisim) -> None:
    draft_id = draft_from_current(publisher)
    summarise(publisher, draft_id)
    form = form_of(publisher, draft_id)
    # A new vendor (in the US) used by the notifications purpose: a change that needs major,
    # and data now goes to a third party abroad, which the version must say.
    app_toml = form["app_toml"] + ('\n[[vendors]]\nid = "onesignal"\nname = "OneSignal"\n'
                                   'country = "US"\npolicy_url = "https://onesignal.com/privacy"\n')
    purposes = form["purposes_toml"].replace(
        'id = "notifications"\nrequired = false', 'id = "notifications"\nrequired = false',
        1).replace('vendors = []', 'vendors = ["onesignal"]', 2)
    resp = save(publisher, draft_id, label="1.2", significance="minor", app_toml=app_toml,
                purposes_toml=purposes, third_party_transfer="true",
                cross_border_transfer="true")
    assert resp.status_code == 303, resp.get_data(True)[-3000:]
    page = publisher.get(f"/admin/drafts/{draft_id}").get_data(True)
    assert "new vendor: onesignal" in page and "these changes require major" in page
    diff = publisher.get(f"/admin/drafts/{draft_id}/diff").get_data(True)
    assert "<code>vendors.onesignal</code>" in diff
    save(publisher, draft_id, significance="major")
    assert post(publisher, f"/admin/drafts/{draft_id}/publish", CONFIRM).status_code == 303
    with kelisim.db.session(readonly=True) as s:
        app = s.get(App, APP)
        assert app is not None
        assert "onesignal" in {v["id"] for v in app.catalog["vendors"]}


def test_bad_app_metadata_is_named(publisher: FlaskClient, kelisim: Kelisim) -> None:
    draft_id = draft_from_current(publisher)
    app_toml = form_of(publisher, draft_id)["app_toml"].replace('bin = "240540012347"',
                                                                'bin = "240540012348"')
    resp = save(publisher, draft_id, label="1.3", app_toml=app_toml)
    assert resp.status_code == 422
    assert "App details · Controller · BIN: not a valid 12-digit BIN" in resp.get_data(True)


def test_a_language_without_its_titles_is_refused_unless_published_anyway(
        publisher: FlaskClient, kelisim: Kelisim) -> None:
    """Issue 22: a draft given a ky document while its purposes have no ky title (the ky
    screen would show them in another language) is refused, not just warned about; the
    publisher may tick "publish anyway", and the audit log says which titles were
    missing."""
    draft_id = draft_from_current(publisher)
    summarise(publisher, draft_id)
    save(publisher, draft_id, label="1.0.1", significance="patch")
    resp = post(publisher, f"/admin/drafts/{draft_id}/doc/ky",
                {"text": "# Купуялык саясаты\n\nТекст.\n", "summary": "Кыргызча кошулду.",
                 "title": "Купуялык саясаты"})
    assert resp.status_code == 303, resp.get_data(True)[:2000]
    page = publisher.get(f"/admin/drafts/{draft_id}").get_data(True)
    assert "Purposes · delivery · Title: missing in ky: a user reading" in page
    assert 'name="allow_missing_titles"' in page and "Ready to publish" not in page
    with kelisim.db.session(readonly=True) as s:
        before = len(s.scalars(sa.select(PolicyVersion)).all())
    resp = post(publisher, f"/admin/drafts/{draft_id}/publish", CONFIRM)
    assert resp.status_code == 422
    html = resp.get_data(True)
    # Each missing title is listed once (the check above the form), and the refusal says
    # what to do.
    assert html.count("Purposes · delivery · Title: missing in ky: a user") == 1
    assert 'data-field="publish">Some languages lack titles (listed above).' in html
    with kelisim.db.session(readonly=True) as s:
        assert len(s.scalars(sa.select(PolicyVersion)).all()) == before
    resp = post(publisher, f"/admin/drafts/{draft_id}/publish",
                {**CONFIRM, "allow_missing_titles": "yes"})
    assert resp.status_code == 303, resp.get_data(True)[:3000]
    # The app page it lands on says what was published.
    landed = publisher.get(resp.headers["Location"]).get_data(True)
    assert '<p class="notice" id="published">Version 1.0.1 is published and in force.' in landed
    event = events(kelisim, "version.publish")[-1]
    assert event.details["label"] == "1.0.1"
    assert "ky: purposes.delivery.title" in event.details["missing_titles_allowed"]
    assert event.details["missing_titles_allowed"] == [
        "ky: purposes.delivery.title", "ky: purposes.notifications.title"]


def test_a_document_edit_is_counted_in_utf8_bytes_against_max_document_bytes(
        publisher: FlaskClient, kelisim: Kelisim) -> None:
    """690,000 Cyrillic letters (1.38 MB in UTF-8) were saved into a draft over
    MAX_DOCUMENT_BYTES (1 MiB): the form counted characters."""
    draft_id = draft_from_current(publisher)
    with kelisim.db.session(readonly=True) as s:
        d = s.get(Draft, draft_id)
        assert d is not None
        before = dict(d.documents)
    text = "# Политика\n\n" + "ж" * 690_000 + "\n"
    size = len(text.encode())
    resp = post(publisher, f"/admin/drafts/{draft_id}/doc/ru", {"text": text})
    assert resp.status_code == 422
    assert (f"({size:,} bytes) in UTF-8, over MAX_DOCUMENT_BYTES, the 1 MiB a document "
            f"may have") in resp.get_data(True)
    with kelisim.db.session(readonly=True) as s:
        d = s.get(Draft, draft_id)
        assert d is not None and d.documents == before
    # Just under the limit in bytes is saved.
    fits = "# Политика\n\n" + "ж" * ((kelisim.settings.max_document_bytes - 100) // 2) + "\n"
    assert post(publisher, f"/admin/drafts/{draft_id}/doc/ru",
                {"text": fits}).status_code == 303
