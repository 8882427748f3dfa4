"""Console polish from the store labels review: the first draft from an upload selects its
default language; an old link to a published draft leads to its version; the phone preview
says when a draft has no change summary; the importer's notes speak of the console's
fields, not of version.toml, ``[summary]`` or ``--locale``."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from test_admin_drafts import draft_from_current, save, summarise
from test_console_words import as_lang, english_in

from admin_support import APP, Clock, post, sign_in
from server import Kelisim
from server.admin.importnotes import console_note
from server.admin.models import Draft

POLICIES = Path(__file__).resolve().parent / "data" / "policies"


def _upload(client: FlaskClient, name: str, locale: str = "") -> int:
    src = POLICIES / name
    resp = post(client, f"/admin/apps/{APP}/drafts/upload", {
        "locale": locale, "file": (io.BytesIO(src.read_bytes()), src.name)},
        content_type="multipart/form-data")
    assert resp.status_code == 303, resp.get_data(True)[-2000:]
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def _notes(page: str) -> list[str]:
    box = page[page.index('id="importer-notes"'):]
    box = box[:box.index("</div>")]
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", n)).split())
            for n in re.findall(r"<li[^>]*>(.*?)</li>", box, re.S)]


def test_the_first_draft_from_an_upload_selects_its_default_language(
        client: FlaskClient, cli: Any, demo_dir: Path, users: dict[str, int],
        kelisim: Kelisim, clock: Clock) -> None:
    cli("keys", "init")
    cli("apps", "create", str(demo_dir))  # default language kk, no version yet
    sign_in(client, kelisim, users["publisher"])
    for name, locale, want in (("qoyan-books.ru.md", "ru", "ru"),  # no kk text: its own
                               ("dala-taxi.kk-ru.txt", "", "kk")):  # the app's default
        draft_id = _upload(client, name, locale)
        page = client.get(f"/admin/drafts/{draft_id}").get_data(True)
        select = page[page.index('<select name="default_locale">'):]
        select = select[:select.index("</select>")]
        assert re.findall(r"<option selected>(\w+)</option>", select) == [want], name
        with kelisim.db.session(readonly=True) as s:
            d = s.get(Draft, draft_id)
            assert d is not None and d.spec["default_locale"] == want
    # ... so saving the Version form unchanged keeps it, and the preview uses it.
    assert save(client, draft_id, label="1.0").status_code == 303
    with kelisim.db.session(readonly=True) as s:
        d = s.get(Draft, draft_id)
        assert d is not None and d.spec["default_locale"] == "kk"


def test_the_importers_notes_use_the_consoles_words(
        client: FlaskClient, published: Path, users: dict[str, int], kelisim: Kelisim,
        clock: Clock) -> None:
    sign_in(client, kelisim, users["publisher"])
    draft_id = _upload(client, "qoyan-books.ru.md", "ru")
    page = client.get(f"/admin/drafts/{draft_id}").get_data(True)
    notes = _notes(page)
    text = "\n".join(notes)
    assert "This updates version 1.0: under “Documents”, open each language and write " \
           "“What changed (shown to users with the new version)”." in notes
    assert any(n.startswith("The text states the date 2023-03-14: proposed as the effective "
                            "date, not applied.") and "“Effective (UTC; empty = when "
                            "published)”" in n for n in notes)
    store = next(n for n in notes if n.startswith("Store labels:"))
    assert "“Store labels (TOML: apple, play, linked, tracking, ephemeral)”" in store
    assert 'apple = ["NSPrivacyCollectedDataType' in store
    for cli_word in ("version.toml", "[summary]", "--locale", "proposed a mapping",
                     "REVIEW"):
        assert cli_word not in text, cli_word
    for lang in ("ru", "kk"):
        as_lang(client, lang)
        notes = _notes(client.get(f"/admin/drafts/{draft_id}").get_data(True))
        # Data left in: store ids, dates, tags; no English sentence.
        plain = [re.sub(r"(apple|play|linked) = [^;.]*|NSPrivacy\w+|PSL_\w+|Markdown", "", n)
                 for n in notes]
        assert english_in(plain) == [], (lang, notes)


def test_a_note_the_console_does_not_know_is_shown_as_written() -> None:
    assert console_note("something new the importer says") == (
        "something new the importer says", False)
    text, ours = console_note("--locale kk: the text looks like ru, not kk")
    assert ours and text == "“Language” kk: the text looks like ru, not kk; check the file."


def test_an_old_link_to_a_published_draft_leads_to_its_version(
        client: FlaskClient, published: Path, users: dict[str, int], kelisim: Kelisim,
        clock: Clock) -> None:
    sign_in(client, kelisim, users["publisher"])
    draft_id = draft_from_current(client)
    assert save(client, draft_id, label="1.1", significance="minor").status_code == 303
    summarise(client, draft_id)
    resp = post(client, f"/admin/drafts/{draft_id}/publish", {"confirm": "yes"})
    assert resp.status_code == 303
    for path in ("", "/diff", "/preview", "/doc/en"):
        resp = client.get(f"/admin/drafts/{draft_id}{path}")
        assert resp.status_code == 303, path
        assert resp.headers["Location"] == (f"/admin/apps/{APP}?draft={draft_id}&published=2"
                                            f"#published"), path
    page = client.get(resp.headers["Location"]).get_data(True)
    notice = page[page.index('id="published"'):]
    assert f"Draft #{draft_id} was published as version 1.1: it is no longer a draft." \
        in notice[:notice.index("</p>")]
    # A POST to it is refused as before (nothing to do), and a discarded draft is gone.
    assert post(client, f"/admin/drafts/{draft_id}", {"label": "x"}).status_code == 404
    other = draft_from_current(client)
    assert post(client, f"/admin/drafts/{other}/discard", {"confirm": "yes"}
                ).status_code == 303
    assert client.get(f"/admin/drafts/{other}").status_code == 404
    # Only a version of this app is named; a made-up draft number alone says nothing.
    page = client.get(f"/admin/apps/{APP}?draft=99").get_data(True)
    assert 'id="published"' not in page


def test_the_preview_says_when_no_change_summary_is_written(
        client: FlaskClient, published: Path, users: dict[str, int], kelisim: Kelisim,
        clock: Clock) -> None:
    sign_in(client, kelisim, users["publisher"])
    draft_id = draft_from_current(client)  # major, no label, no summaries yet
    page = client.get(f"/admin/drafts/{draft_id}/preview?locale=en&case=update"
                      ).get_data(True)
    change = re.search(r'<p class="change" data-kind="change">(.*?)</p>', page, re.S)
    assert change is not None
    shown = html.unescape(re.sub(r"<[^>]+>", "", change.group(1)))
    assert shown == ("(no label yet) — No summary of what changed is written in this "
                     "language: the phone shows “—” here. Write it under Documents.")
    as_lang(client, "kk")
    page = client.get(f"/admin/drafts/{draft_id}/preview?locale=en&case=update"
                      ).get_data(True)
    assert "Бұл тілде не өзгергені жазылмаған" in page and "— — —" not in page
    as_lang(client, "en")
    summarise(client, draft_id, "Couriers now share photos.")
    page = client.get(f"/admin/drafts/{draft_id}/preview?locale=en&case=update"
                      ).get_data(True)
    assert "— Couriers now share photos." in page and "No summary of what" not in page
