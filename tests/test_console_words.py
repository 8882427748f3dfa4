"""Issue 18 (the officer's words): every guard reason and validation problem on a draft page
in the page's language, naming the field as the form names it and no file path; importer
notes kept apart from the history note; no empty "Add a language:"; the Keys page without a
file path; one way to count a document's length, and a single-spaced diff; sizes in a
readable unit naming MAX_DOCUMENT_BYTES."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from test_admin_drafts import draft_from_current, form_of, save, summarise

from admin_support import post, sign_in
from server import Kelisim
from server.admin.i18n_texts import TEXTS
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
    # The app details: a bad BIN, another app's id.
    seen += _collect(officer, draft_id, label="1.1", app_toml=form["app_toml"].replace(
        'bin = "240540012347"', 'bin = "12"'))
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
    seen += messages(post(officer, f"/admin/drafts/{draft_id}/publish").get_data(True))
    # The document form: a summary too long, a text over MAX_DOCUMENT_BYTES.
    resp = post(officer, f"/admin/drafts/{draft_id}/doc/ru",
                {"text": "# П\n\n" + "ж" * 600_000, "summary": "с" * 2001})
    assert resp.status_code == 422
    seen += messages(resp.get_data(True))
    codes = {"v_required", "v_one_of", "v_integer", "not_duration", "not_time",
             "toml_invalid", "purposes_extra", "v_id", "v_boolean", "v_list", "v_locale",
             "v_empty", "v_unknown", "v_duplicate", "v_bin", "app_id_stays", "effective_past",
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
    refused = messages(post(officer, f"/admin/drafts/{draft_id}/publish").get_data(True))
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
