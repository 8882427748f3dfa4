"""Issue 18 in real Chromium against a real `kelisim serve`: a draft page with form errors,
validation problems and guard reasons, in English, Russian and Kazakh (screenshots in
test-artifacts/console/draft-errors-*.png), and the diff view one line per line of text."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import console_page
import pytest
from console_page import chromium, first_sign_in
from test_console_words import english_in

from livesrv import demo_server

pytestmark = pytest.mark.slow

APP = "jana-courier"
REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / "test-artifacts" / "console"
NEW_PASSWORD = "console words password 1"
RATINGS = ('\n[[purposes]]\nid = "ratings"\nrequired = false\ndata = []\nvendors = []\n'
           'title = { kk = "Бағалар", ru = "Оценки", en = "Ratings" }\n'
           'description = { kk = "Бағалар", ru = "Оценки", en = "Ratings" }\n')


@pytest.fixture
def server(tmp_path: Path) -> Any:
    with demo_server(tmp_path) as served:
        yield served


def test_a_draft_page_with_errors_in_three_languages(server: dict[str, Any]) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = server["url"]
    with chromium() as page:

        def submit(selector: str) -> None:
            console_page.submit(page, selector)

        first_sign_in(page, base, "owner@localhost", server["password"], NEW_PASSWORD)
        # A new draft from the current version (the form's POST, with the page's token).
        page.goto(f"{base}/admin/apps/{APP}")
        token = page.get_attribute("input[name=csrf_token]", "value")
        made = page.request.post(f"{base}/admin/apps/{APP}/drafts",
                                 form={"csrf_token": token or ""}, max_redirects=0)
        assert made.status == 303, made.text()[:500]
        path = made.headers["location"].removeprefix(base)
        draft_id = path.rsplit("/", 1)[1]
        save = f'form[action="/admin/drafts/{draft_id}"] button[type=submit]'
        # Stored: a minor version with changes that need major; summaries still missing.
        page.goto(f"{base}{path}")
        page.fill("input[name=label]", "3.0")
        page.select_option("select[name=significance]", "minor")
        page.check("input[name=cross_border_transfer]")
        page.click("#toml summary")  # "Edit as TOML", folded under the Version form
        purposes = page.input_value("textarea[name=purposes_toml]")
        page.fill("textarea[name=purposes_toml]", purposes + RATINGS)
        submit(save)
        assert page.url.endswith(path)
        # A text change for the diff.
        page.goto(f"{base}{path}/doc/ru")
        text = page.input_value("textarea[name=text]")
        page.fill("textarea[name=text]", text + "\nНовый абзац.\nЕщё одна строка.\n")
        submit("form.form-grid button[type=submit]")
        for lang in ("en", "ru", "kk"):
            page.goto(f"{base}/admin/lang/{lang}?next={path}")
            assert page.get_attribute("html", "lang") == lang
            # Not stored: an empty label and a term that is not a duration.
            page.fill("input[name=label]", "")
            page.fill("input[name=consent_term]", "forever")
            submit(save)
            said = [" ".join(t.split()) for t in page.locator(
                ".field-error, ul.reasons li, ul.missing li").all_text_contents()]
            assert page.locator('.field-error[data-field="label"]').count() == 1
            assert page.locator('.field-error[data-field="consent_term"]').count() == 1
            assert page.locator("#guard-reasons li").count() >= 1
            assert page.locator("#problems li").count() >= 3
            assert not [t for t in said if re.search(r"\.toml|\.md\b|draft-\d", t)], said
            if lang != "en":
                assert english_in(said) == [], said
            page.screenshot(path=str(SHOTS / f"draft-errors-{lang}.png"), full_page=True)
        # The diff: each line of text one line on the page, with no blank line between.
        page.goto(f"{base}{path}/diff")
        gaps = page.evaluate("""() => {
            const spans = [...document.querySelectorAll('pre.diff span')];
            return spans.slice(1).map((s, i) =>
                s.getBoundingClientRect().top - spans[i].getBoundingClientRect().bottom);
        }""")
        assert len(gaps) >= 3 and max(gaps) < 1, gaps
        page.screenshot(path=str(SHOTS / "diff-single-spaced.png"), full_page=True)
