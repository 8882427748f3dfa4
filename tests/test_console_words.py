"""Issue 18 (the officer's words): every guard reason and validation problem on a draft page
in the page's language, naming the field as the form names it and no file path; importer
notes kept apart from the history note; no empty "Add a language:"; the Keys page without a
file path; one way to count a document's length, and a single-spaced diff; sizes in a
readable unit naming MAX_DOCUMENT_BYTES."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from test_admin_drafts import draft_from_current, form_of, save, summarise

from admin_support import APP, csrf, events, post, sign_in
from server import Kelisim
from server.admin.i18n_texts import TEXTS
from server.admin.importnotes import console_note
from server.admin.models import Draft
from server.models import PolicyVersion

LANGS = ("ru", "kk")
# Words of an English sentence (none is a word of Russian or Kazakh, nor an id used here).
_ENGLISH = re.compile(
    r"\b(the|is|are|must|be|of|to|in|not|an|and|or|now|with|from|for|has|this|more|over|"
    r"missing|required|unknown|turned|new|needs|there|no|at|least|most|characters|valid|"
    r"field|changed?|version|purpose|vendor|document|label|shares|uses|becomes|longer|"
    r"lowered|granted|instead|publish(ed)?|refused|guard|line|column|bytes|file|larger)\b",
    re.IGNORECASE)
_PATH = re.compile(r"version\.toml|app\.toml|\b[\w-]+\.md\b|draft-\d+|app metadata")
# Data, not words: ids, setting names, codes the messages quote.
_DATA = re.compile(r"MAX_DOCUMENT_BYTES|Consent Mode|analytics_storage|\[\[purposes\]\]|"
                   r"UTF-8|TOML|NUL|https://…|[a-z]+_[a-z_]+|\b(kk|ru|en|uz|ky|uz-Cyrl)\b")


def messages(page: str) -> list[str]:
    """The texts of the problems, reasons, missing translations and field errors."""
    found = [m for m in re.findall(r'<p class="field-error"[^>]*>(.*?)</p>', page, re.S)]
    for block in re.findall(r'<ul class="(?:reasons|missing)"[^>]*>(.*?)</ul>', page, re.S):
        found += re.findall(r"<li>(.*?)</li>", block, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", m)).split()) for m in found]


def english_in(texts: list[str]) -> list[str]:
    """The texts that are (partly) English sentences or quote a file path."""
    bad = []
    for text in texts:
        words = _DATA.sub(" ", text)
        if _PATH.search(text) or _ENGLISH.search(words):
            bad.append(text)
    return bad


def longest_part(text: str) -> str:
    """The longest stretch of a catalogue text without a ``{placeholder}``."""
    return max((p.strip() for p in re.split(r"\{\w+\}", text)), key=len)


def as_lang(client: FlaskClient, lang: str) -> None:
    with client.session_transaction("/admin/") as sess:
        sess["lang"] = lang


@pytest.fixture
def officer(client: FlaskClient, published: Path, users: dict[str, int],
            kelisim: Kelisim) -> FlaskClient:
    sign_in(client, kelisim, users["publisher"])
    return client


BAD_PURPOSES = '''
[[purposes]]
id = "Bad Id"
required = "maybe"
data = "contact"
title = { xx = "T", kk = "" }
description = { kk = "d" }
extra = 1

[[purposes]]
id = "delivery"
title = { kk = "Жеткізу" }
description = { kk = "Жеткізу" }

[[purposes]]
id = "twice"
required = false
title = { kk = "Екі" }
description = { kk = "Екі" }

[[purposes]]
id = "twice"
required = false
title = { kk = "Екі" }
description = { kk = "Екі" }
'''

REFS = '''
[[purposes]]
id = "delivery"
required = true
data = ["contact", "nothing"]
vendors = ["nobody"]
title = { ru = "Доставка" }
description = { ru = "Доставка" }
'''


def _collect(client: FlaskClient, draft_id: int, **changes: Any) -> list[str]:
    """Save the draft with ``changes`` and return every message the draft page shows."""
    resp = save(client, draft_id, **changes)
    page = resp.get_data(True) if resp.status_code == 422 else \
        client.get(f"/admin/drafts/{draft_id}").get_data(True)
    return messages(page)


@pytest.mark.parametrize("lang", LANGS)
def test_every_validation_problem_is_in_the_page_language_without_paths(
        officer: FlaskClient, kelisim: Kelisim, lang: str) -> None:
    """Each kind: the form's own checks, the purposes and app details TOML (syntax, keys,
    schema), version.toml's schema, documents, references to the app's catalog, dates,
    labels, missing texts; on a page in ``lang`` none is English or names a file."""
    as_lang(officer, lang)
    draft_id = draft_from_current(officer)
    seen: list[str] = []
    # A fresh copy: the label is empty (the schema's length check).
    page = officer.get(f"/admin/drafts/{draft_id}").get_data(True)
    seen += messages(page)
    label = {"ru": "Метка: от 1 до 64 символов", "kk": "Белгі: 1–64 таңба болуы керек"}[lang]
    assert label in seen, seen
    # The form's own checks (422, each beside its field).
    seen += _collect(officer, draft_id, label="", significance="huge", min_age="abc",
                     consent_term="forever", effective="soon")
    # The purposes TOML: not TOML, a key that is not [[purposes]], every schema error kind.
    form = form_of(officer, draft_id)
    seen += _collect(officer, draft_id, label="1.1", purposes_toml="[[purposes]\nid = 1\n")
    seen += _collect(officer, draft_id, label="1.1", purposes_toml="foo = 1\n")
    seen += _collect(officer, draft_id, label="1.1", purposes_toml=BAD_PURPOSES,
                     guardian_consent="true")
    # The app details: a BIN too short, one whose check digit fails, another app's id.
    seen += _collect(officer, draft_id, label="1.1", app_toml=form["app_toml"].replace(
        'bin = "240540012347"', 'bin = "12"'))
    seen += _collect(officer, draft_id, label="1.1", app_toml=form["app_toml"].replace(
        'bin = "240540012347"', 'bin = "240540012348"'))
    seen += _collect(officer, draft_id, label="1.1", app_toml=form["app_toml"].replace(
        'id = "jana-courier"', 'id = "other-app"', 1))
    # Dates and labels (publishing's checks), then references and missing summaries.
    seen += _collect(officer, draft_id, label="1.1", effective="2020-01-01T00:00",
                     purposes_toml=form["purposes_toml"])
    seen += _collect(officer, draft_id, label="1.0", effective="",
                     purposes_toml=form["purposes_toml"])
    seen += _collect(officer, draft_id, label="1.1", purposes_toml=REFS)
    # Documents: one without a title, a default language without a document.
    assert post(officer, f"/admin/drafts/{draft_id}/doc/ky",
                {"text": "Жөнөкөй текст.\n"}).status_code == 303
    seen += _collect(officer, draft_id, label="1.1", default_locale="uz",
                     purposes_toml=form["purposes_toml"])
    # A language whose purposes have no titles, then publishing refused for it.
    assert post(officer, f"/admin/drafts/{draft_id}/doc/ky",
                {"text": "# Купуялык саясаты\n\nТекст.\n"}).status_code == 303
    summarise(officer, draft_id)
    seen += _collect(officer, draft_id, label="1.1", default_locale="",
                     purposes_toml=form["purposes_toml"])
    seen += messages(post(officer, f"/admin/drafts/{draft_id}/publish",
                         {"confirm": "yes"}).get_data(True))
    # The document form: a summary too long, a text over MAX_DOCUMENT_BYTES.
    resp = post(officer, f"/admin/drafts/{draft_id}/doc/ru",
                {"text": "# П\n\n" + "ж" * 600_000, "summary": "с" * 2001})
    assert resp.status_code == 422
    seen += messages(resp.get_data(True))
    codes = {"v_required", "v_one_of", "v_integer", "not_duration", "not_time",
             "toml_invalid", "purposes_extra", "v_id", "v_boolean", "v_list", "v_locale",
             "v_empty", "v_unknown", "v_duplicate", "v_bin", "v_company_digits", "app_id_stays",
             "effective_past",
             "label_taken", "unknown_vendor", "unknown_category", "default_text_missing",
             "summary_missing", "doc_no_title", "no_document_in", "title_missing",
             "text_missing_in", "text_too_large", "v_length_max", "v_length_between"}
    for code in sorted(codes):
        start = longest_part(TEXTS[lang][code])
        assert any(start in m for m in seen), (code, start)
    assert english_in(seen) == [], english_in(seen)
    with kelisim.db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PolicyVersion)) == 1


@pytest.mark.parametrize("lang", LANGS)
def test_every_guard_reason_is_in_the_page_language(officer: FlaskClient, lang: str) -> None:
    """A minor version with every kind of change that needs major: the verdict and the
    refusal list the reasons in ``lang``; the CLI's English sentences stay as they were."""
    as_lang(officer, lang)
    draft_id = draft_from_current(officer)
    summarise(officer, draft_id)
    form = form_of(officer, draft_id)
    purposes = form["purposes_toml"].replace(
        'data = ["contact", "device"]\nvendors = []',
        'data = ["contact", "device", "usage"]\nvendors = ["firebase"]').replace(
        'id = "notifications"\nrequired = false', 'id = "notifications"\nrequired = true')
    purposes += ('\n[[purposes]]\nid = "ratings"\nrequired = false\ndata = []\nvendors = []\n'
                 'title = { kk = "Бағалар", ru = "Оценки", en = "Ratings" }\n'
                 'description = { kk = "Бағалар", ru = "Оценки", en = "Ratings" }\n')
    app_toml = form["app_toml"].replace('name = "Jana Courier LLP (demo)"',
                                        'name = "Jana Courier JSC"')
    resp = save(officer, draft_id, label="1.1", significance="minor", min_age="16",
                consent_term="P5Y", third_party_transfer="true", cross_border_transfer="true",
                public_disclosure="true", purposes_toml=purposes, app_toml=app_toml)
    assert resp.status_code == 303, messages(resp.get_data(True))
    page = officer.get(f"/admin/drafts/{draft_id}").get_data(True)
    reasons = messages(page[page.index('id="guard-reasons"') - 40:])
    refused = messages(post(officer, f"/admin/drafts/{draft_id}/publish",
                         {"confirm": "yes"}).get_data(True))
    for code in ("g_new", "g_required", "g_purpose_data", "g_purpose_vendor", "g_min_age",
                 "g_third_party_transfer", "g_cross_border_transfer", "g_public_disclosure",
                 "g_term", "g_controller_field"):
        start = longest_part(TEXTS[lang][code])
        assert any(start in r for r in reasons), (code, reasons)
        assert any(start in r for r in refused), (code, refused)
    assert english_in(reasons + refused) == []


def test_guard_reasons_keep_the_cli_sentences() -> None:
    """The codes ride on the sentences the CLI prints: str(reason) is unchanged."""
    from server.policy.guard import major_reasons

    old = {"purposes": [{"id": "a", "required": False, "data": [], "vendors": []}],
           "min_age": 18, "consent_term": "P1Y"}
    new = {"purposes": [{"id": "a", "required": True, "data": ["x"], "vendors": []}],
           "min_age": None, "consent_term": None, "cross_border_transfer": True}
    reasons = major_reasons(old, new)
    assert [str(r) for r in reasons] == [
        "purpose 'a' becomes required", "purpose 'a' now uses data category 'x'",
        "min_age lowered from 18 to none", "cross-border transfer turned on "
        "(cross_border_transfer)", "consent term longer: P1Y -> indefinite"]
    assert [r.code for r in reasons] == ["g_required", "g_purpose_data", "g_min_age_none",
                                         "g_cross_border_transfer", "g_term_indefinite"]


DATA = Path(__file__).resolve().parent / "data" / "policies"


def test_importer_notes_never_become_the_history_note(officer: FlaskClient,
                                                      kelisim: Kelisim) -> None:
    """Item 2: an upload's importer notes are kept with the draft's creation (audit log) and
    shown apart on the draft page; the Notes field starts empty. A draft that still holds
    them as its notes (made before) publishes without them, and the audit log says so."""
    src = DATA / "qoyan-books.ru.md"
    resp = post(officer, f"/admin/apps/{APP}/drafts/upload", {
        "locale": "ru", "file": (io.BytesIO(src.read_bytes()), src.name)},
        content_type="multipart/form-data")
    assert resp.status_code == 303, resp.get_data(True)[-2000:]
    draft_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    created = events(kelisim, "draft.create")[-1]
    noted = created.details["importer_notes"]
    assert any("the text states the date 2023-03-14" in n for n in noted)
    page = officer.get(f"/admin/drafts/{draft_id}").get_data(True)
    box = page[page.index('id="importer-notes"'):]
    # In the console's words (server/admin/importnotes.py), not the command's.
    assert console_note(noted[0])[0] in html.unescape(box[:box.index("</div>")])
    assert re.search(r'<textarea name="notes" rows="3"></textarea>', page)
    # A draft of the older kind: its notes are the importer's.
    with kelisim.db.session() as s:
        d = s.get(Draft, draft_id)
        assert d is not None and d.notes == ""
        d.notes = "\n".join(noted)
    summarise(officer, draft_id)
    resp = post(officer, f"/admin/drafts/{draft_id}/publish", {"confirm": "yes"})
    assert resp.status_code == 303, messages(resp.get_data(True))
    with kelisim.db.session(readonly=True) as s:
        d = s.get(Draft, draft_id)
        assert d is not None and d.status == "published" and d.notes == ""
    dropped = events(kelisim, "draft.drop_importer_notes")
    assert [e.details["notes"] for e in dropped] == [noted]
    history = officer.get(f"/admin/apps/{APP}").get_data(True)
    assert "2023-03-14" in history and "the text states the date" not in history


def test_add_a_language_is_never_followed_by_nothing(officer: FlaskClient) -> None:
    """Item 3: with every language present the control says so instead of an empty list."""
    draft_id = draft_from_current(officer)
    page = officer.get(f"/admin/drafts/{draft_id}").get_data(True)
    assert re.search(r'<p id="add-language">Add a language: <a [^>]*>uz</a> <a [^>]*>ky</a>',
                     page)
    for tag in ("uz", "ky"):
        assert post(officer, f"/admin/drafts/{draft_id}/doc/{tag}",
                    {"text": "# Siyosat\n\nMatn.\n"}).status_code == 303
    for lang, said in (("en", "Every language the console publishes has a document"),
                       ("ru", "В черновике есть документ на каждом языке"),
                       ("kk", "Жобада консоль жариялайтын әр тілде құжат бар")):
        as_lang(officer, lang)
        page = officer.get(f"/admin/drafts/{draft_id}").get_data(True)
        line = re.search(r'<p id="add-language">(.*?)</p>', page)
        assert line is not None and line.group(1).startswith(said), line
        assert TEXTS[lang].get("Add a language:", "Add a language:") not in page


def test_the_keys_page_says_what_to_do_without_a_file_path(officer: FlaskClient,
                                                          users: dict[str, int],
                                                          kelisim: Kelisim) -> None:
    """Item 4: no "docs/operations.md" (the docs are not served): what to do for a leaked
    key in words, and the administrator's guide section by name, in each language."""
    sign_in(officer, kelisim, users["owner"])
    for lang, said in (("en", "If a key may have leaked"), ("ru", "Если ключ мог утечь"),
                       ("kk", "Кілт жария болуы мүмкін болса")):
        as_lang(officer, lang)
        page = officer.get("/admin/keys").get_data(True)
        assert said in page and "Key rotation" in page
        assert "docs/" not in page and ".md" not in page


def test_a_document_length_is_counted_one_way(officer: FlaskClient,
                                              kelisim: Kelisim) -> None:
    """Item 5: a text saved from the browser's textarea (CRLF line ends) is stored as
    publishing stores it; the draft page counts its characters, the editor its UTF-8 bytes
    against MAX_DOCUMENT_BYTES, and both agree with the published document."""
    draft_id = draft_from_current(officer)
    with kelisim.db.session(readonly=True) as s:
        d = s.get(Draft, draft_id)
        assert d is not None
        text = (d.documents["ru"] + "\nНовый абзац.\nЕщё одна строка.\n").replace("\n", "\r\n")
    stored = text.replace("\r\n", "\n")
    assert post(officer, f"/admin/drafts/{draft_id}/doc/ru",
                {"text": text, "summary": "Изменено."}).status_code == 303
    with kelisim.db.session(readonly=True) as s:
        d = s.get(Draft, draft_id)
        assert d is not None and d.documents["ru"] == stored
    page = officer.get(f"/admin/drafts/{draft_id}").get_data(True)
    shown = re.search(r'doc/ru">ru</a> · <span class="doc-length">(\d+) characters</span>',
                      page)
    assert shown is not None and int(shown.group(1)) == len(stored)
    size = len(stored.encode())
    editor = officer.get(f"/admin/drafts/{draft_id}/doc/ru").get_data(True)
    assert (f"{len(stored)} characters; {size} of the 1048576 bytes a document may have in "
            f"UTF-8 (MAX_DOCUMENT_BYTES).") in editor
    # The diff: one line of the page per line of the text, not two.
    diff = officer.get(f"/admin/drafts/{draft_id}/diff").get_data(True)
    block = re.search(r'<pre class="diff">(.*?)</pre>', diff, re.S)
    assert block is not None and '<span class="add">+Новый абзац.</span>' in block.group(1)
    assert "\n" not in re.sub(r"<span[^>]*>.*?</span>", "", block.group(1), flags=re.S)


def test_an_upload_over_max_document_bytes_names_the_setting(officer: FlaskClient,
                                                             kelisim: Kelisim, cli: Any,
                                                             tmp_path: Path) -> None:
    """Item 6: the console's upload refuses a file over MAX_DOCUMENT_BYTES naming it and
    the size readably, in the page's language; `kelisim import` of a 5 MB policy is
    refused naming the setting, and nothing is written or stored."""
    big = ("# Политика\n\n" + "Текст политики. " * 40_000).encode()  # 1.2 MB
    as_lang(officer, "ru")
    # The multipart body built here: the test client spools one over 500 KB to a temporary
    # file it never closes (a ResourceWarning in a later test).
    token = csrf(officer)
    body = (f'--b18\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--b18\r\nContent-Disposition: form-data; name="file"; filename="big.md"\r\n'
            f'Content-Type: text/markdown\r\n\r\n').encode() + big + b"\r\n--b18--\r\n"
    resp = officer.post(f"/admin/apps/{APP}/drafts/upload", data=body,
                        content_type="multipart/form-data; boundary=b18")
    assert resp.status_code == 422
    said = messages(resp.get_data(True))
    assert said == ["Файл больше MAX_DOCUMENT_BYTES (1 МиБ) — наибольшего размера документа "
                    "политики."]
    # 5 MB: over the console's form limit too, which is said with both settings.
    five_mb = body.replace(big, big * 5)
    resp = officer.post(f"/admin/apps/{APP}/drafts/upload", data=five_mb,
                        content_type="multipart/form-data; boundary=b18")
    assert resp.status_code == 413
    assert messages(resp.get_data(True).replace("<p>", '<p class="field-error">')) == [
        "Форма больше 4,06 МиБ (4 259 840 байт) (ADMIN_MAX_BODY_BYTES); документ "
        "политики может занимать не больше 1 МиБ (MAX_DOCUMENT_BYTES).",
        TEXTS["ru"]["Back to the apps"]]
    with kelisim.db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0
    five = tmp_path / "policy.md"
    five.write_bytes(("# Policy\n\n" + "The policy text. " * 310_000).encode())  # 5.3 MB
    out = cli("import", str(five), "--app", APP, "--out", str(tmp_path / "v"),
              ok=False).output
    assert "its text is over 2 MiB (2,097,152 bytes) (twice MAX_DOCUMENT_BYTES)" in out
    assert not (tmp_path / "v").exists()


@pytest.mark.parametrize("lang", LANGS)
def test_upload_refusals_are_in_the_page_language(officer: FlaskClient, kelisim: Kelisim,
                                                  lang: str) -> None:
    """A file the importer refuses is named, and what to do said in the page's language
    (the console's upload form, not the CLI's --locale); nothing is stored."""
    as_lang(officer, lang)
    said: list[str] = []
    for data, name in ((b"   \n", "empty.txt"), (b"\xd0\xcf\x11\xe0old word", "old.doc"),
                       (b"Zzxq vbrt plokm grrt xnnf.\n" * 20, "noise.txt"),
                       (b"%PDF-1.4 not really", "scan.pdf")):
        resp = post(officer, f"/admin/apps/{APP}/drafts/upload", {
            "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
        assert resp.status_code == 422, name
        shown = messages(resp.get_data(True))
        assert len(shown) == 1 and shown[0].startswith(f"{name}: "), shown
        said += [shown[0].removeprefix(f"{name}: ")]
    assert english_in(said) == [] and not [s for s in said if "--locale" in s], said
    with kelisim.db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0


def test_a_publish_that_lost_a_race_is_told_in_the_page_language(officer: FlaskClient) -> None:
    """Publishing a draft while the page showed an older state of the app (seen 0, the app
    has version 1): refused, who published what and when said in Kazakh."""
    as_lang(officer, "kk")
    draft_id = draft_from_current(officer)
    summarise(officer, draft_id)
    save(officer, draft_id, label="1.1")
    resp = post(officer, f"/admin/drafts/{draft_id}/publish", {"seen": "0", "confirm": "yes"})
    assert resp.status_code == 409
    said = [m for m in messages(resp.get_data(True)) if "жаңа ғана жарияланды" in m]
    assert len(said) == 1 and said[0].startswith(f"{APP} қолданбасының 1 (1.0) нұсқасы"), said
    assert english_in(said) == []
