"""The draft page's structure form in real Chromium against a real `kelisim serve`: a purpose
added with titles in two languages, moved up, a vendor in use refused removal, saved; the
form in English, Russian and Kazakh at 1280 and 800 px wide. Screenshots go to
test-artifacts/console/structure-*.png."""

from __future__ import annotations

import re
from pathlib import Path

import console_page
import pytest
from console_page import chromium, first_sign_in

from livesrv import demo_server

pytestmark = pytest.mark.slow

APP = "jana-courier"
REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / "test-artifacts" / "console"
NEW_PASSWORD = "structure test password 1"


def test_structure_form_in_the_browser(tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with demo_server(tmp_path) as server, chromium() as page:
        base = server["url"]

        def submit(selector: str) -> None:
            console_page.submit(page, selector)

        def op(value: str) -> None:
            submit(f'#structure button[name=op][value="{value}"]:not(.implicit)')

        def ids(section: str) -> list[str]:
            return [page.input_value(f"input[name={section}-{i}-id]")
                    for i in range(int(page.input_value(f"input[name={section}-rows]")))]

        def shot(name: str, width: int = 1280) -> None:
            page.set_viewport_size({"width": width, "height": 900})
            page.locator("#structure").screenshot(path=str(SHOTS / f"{name}.png"))

        first_sign_in(page, base, "owner@localhost", server["password"], NEW_PASSWORD)
        page.goto(f"{base}/admin/apps/{APP}")
        submit("text=New draft from this version")
        assert re.search(r"/admin/drafts/\d+$", page.url)
        draft_url = page.url
        assert ids("purposes") == ["delivery", "notifications", "analytics"]
        # The TOML is still there, folded away.
        assert page.locator("#toml textarea[name=purposes_toml]").count() == 1
        assert not page.is_visible("textarea[name=purposes_toml]")

        # A new purpose, titles and descriptions in English and Russian side by side.
        op("purposes:add")
        assert ids("purposes") == ["delivery", "notifications", "analytics", ""]
        assert page.is_visible("#structure-unsaved")
        en = page.locator("input[name=purposes-3-title-en]").bounding_box()
        ru = page.locator("input[name=purposes-3-title-ru]").bounding_box()
        assert en and ru and abs(en["y"] - ru["y"]) < 2  # one row, side by side
        page.fill("input[name=purposes-3-id]", "ratings")
        page.fill("input[name=purposes-3-title-en]", "Public ratings")
        page.fill("input[name=purposes-3-title-ru]", "Публичные оценки")
        page.fill("textarea[name=purposes-3-description-en]",
                  "Your courier rating is shown on the public map.")
        page.fill("textarea[name=purposes-3-description-ru]",
                  "Ваша оценка курьера видна на публичной карте.")
        page.check('input[name=purposes-3-data][value="usage"]')
        op("purposes:3:up")
        assert ids("purposes") == ["delivery", "notifications", "ratings", "analytics"]
        assert page.input_value("input[name=purposes-2-title-ru]") == "Публичные оценки"
        assert page.is_checked('input[name=purposes-2-data][value="usage"]')

        # Firebase is the analytics purpose's vendor: removing it is refused, and said.
        op("vendors:0:remove")
        assert ids("vendors") == ["firebase"]
        error = page.text_content('#structure [data-field="vendors-0"]') or ""
        assert "Vendor 1 (firebase) cannot be removed: Purpose 4 (analytics) uses it" in error
        shot("structure-refused-en")
        assert ids("purposes") == ["delivery", "notifications", "ratings", "analytics"]

        # Saved: stored in that order, and the TOML says the same.
        op("save")
        assert page.url.startswith(draft_url)
        assert ids("purposes") == ["delivery", "notifications", "ratings", "analytics"]
        assert not page.is_visible("#structure-unsaved")
        toml = page.input_value("textarea[name=purposes_toml]")
        assert toml.index('id = "ratings"') < toml.index('id = "analytics"')
        assert '"Публичные оценки"' in toml
        shot("structure-en")
        shot("structure-en-800", 800)
        # At 800 px the languages wrap, each column still wide enough to read.
        box = page.locator("input[name=purposes-2-title-en]").bounding_box()
        assert box and box["width"] > 200

        # A field error, named as the form names it, in Russian and Kazakh.
        for lang, text in [("ru", "Поставщик 1 (firebase), Страна (две буквы, например US): "
                                  "двухбуквенный код страны"),
                           ("kk", "1-жеткізуші (firebase), Ел (екі әріп, мысалы US): елдің "
                                  "екі әріпті коды")]:
            page.goto(f"{base}/admin/lang/{lang}?next=/admin/drafts/"
                      f"{draft_url.rsplit('/', 1)[1]}")
            page.fill("input[name=vendors-0-country]", "USA")
            if lang == "ru":
                op("save")
            else:  # Enter in a text box saves (never moves or removes a row)
                with page.expect_navigation():
                    page.press("input[name=vendors-0-country]", "Enter")
                assert ids("purposes") == ["delivery", "notifications", "ratings", "analytics"]
            assert text in (page.text_content('[data-field="vendors-0-country"]') or "")
            assert page.input_value("input[name=vendors-0-country]") == "USA"
            shot(f"structure-{lang}")
            shot(f"structure-{lang}-800", 800)
            page.goto(draft_url)
            assert page.input_value("input[name=vendors-0-country]") == "US"  # not stored
