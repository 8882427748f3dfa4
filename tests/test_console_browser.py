"""The console end to end in real Chromium against a real `kelisim serve`, with real SDK
clients sending the records the dashboard counts. Screenshots of every page go to
test-artifacts/console/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from console_page import chromium

from client_sdk import ConsentClient
from livesrv import demo_server

pytestmark = pytest.mark.slow

APP = "jana-courier"
REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / "test-artifacts" / "console"
DEMO_V2 = REPO / "demo_app" / "policy" / "jana-courier" / "2.0"
NEW_PASSWORD = "console test password 1"


def sdk_clients(url: str, root: bytes, tmp: Path) -> dict[str, int]:
    """Five app installs answer the consent screen as users would; returns the counts."""
    made = []
    for i, langs in enumerate([("kk",), ("ru",), ("kk",), ("en",), ("ru",)]):
        c = ConsentClient(url, APP, root, tmp / f"app{i}", preferred_locales=langs)
        assert c.refresh().ok
        made.append(c)
    made[0].accept(["analytics"], age_confirmed=True, evidence={"scrolled_to_end": True})
    made[1].accept([], age_confirmed=True)
    made[2].decline()
    made[3].accept(["analytics", "notifications"], age_confirmed=True)
    made[3].withdraw()
    made[4].accept(["notifications"], age_confirmed=True)
    made[4].request_deletion()
    for c in made:
        result = c.sync()
        assert result.ok and result.pending == 0, result
        c.close()
    return {"answered": 5, "accept": 4, "decline": 1, "withdraw": 1}


@pytest.fixture
def server(tmp_path: Path) -> Any:
    with demo_server(tmp_path) as served:
        yield served


def test_console_end_to_end(server: dict[str, Any], tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = server["url"]
    expected = sdk_clients(base, server["root"], tmp_path)
    upload = tmp_path / "jana-courier-3.md"
    upload.write_text((DEMO_V2 / "en.md").read_text("utf-8") +
                      "\n## Publication\n\nCourier ratings are shown publicly on the map.\n",
                      "utf-8")
    with chromium() as page:

        def shot(name: str) -> None:
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

        def submit(selector: str) -> None:
            # Every form posts and redirects: wait for the page it lands on.
            with page.expect_navigation():
                page.click(selector)

        # Sign in with the one-time password demo-setup printed; choose a new one.
        page.goto(f"{base}/admin/")
        assert "/admin/login" in page.url
        page.fill("input[name=email]", "owner@localhost")
        page.fill("input[name=password]", server["password"])
        shot("login")
        submit("button[type=submit]")
        assert page.url.endswith("/admin/password")
        shot("password")
        page.fill("input[name=current]", server["password"])
        page.fill("input[name=new]", NEW_PASSWORD)
        page.fill("input[name=confirm]", NEW_PASSWORD)
        submit("form button[type=submit]")
        assert page.url.endswith("/admin/")
        assert "Jana Courier" in page.content()
        shot("apps")

        # The dashboard counts what the SDK clients sent.
        page.goto(f"{base}/admin/apps/{APP}/dashboard")
        for name, n in expected.items():
            assert page.text_content(f'[data-metric="{name}"]') == str(n), name
        assert page.locator("svg.chart").count() == 2
        shot("dashboard")

        # A draft from an uploaded policy file.
        page.goto(f"{base}/admin/apps/{APP}")
        shot("app")
        page.set_input_files("input[name=file]", str(upload))
        page.select_option("select[name=locale]", "en")
        submit("text=New draft from a file")
        assert re.search(r"/admin/drafts/\d+$", page.url)
        draft_url = page.url
        # Mislabelled: turning on public disclosure as a minor version.
        page.fill("input[name=label]", "3.0")
        page.select_option("select[name=significance]", "minor")
        page.check("input[name=public_disclosure]")
        submit("text=Save draft")
        for tag in ("en", "kk", "ru", "uz", "ky"):
            page.goto(f"{draft_url}/doc/{tag}")
            page.fill("input[name=summary]", f"Courier ratings become public ({tag}).")
            if tag == "en":
                shot("document")
            submit("form.form-grid button[type=submit]")
        assert page.url == draft_url
        verdict = page.text_content("#verdict") or ""
        assert "these changes require major" in verdict
        assert "public disclosure turned on" in verdict
        shot("draft-refused")
        page.check("form[action$='/publish'] input[name=confirm]")
        submit("text=Publish now")
        assert "The guard refused" in page.content()
        # Published as major after all.
        page.goto(draft_url)
        page.select_option("select[name=significance]", "major")
        page.fill("textarea[name=notes]", "Ratings on the public map")
        submit("text=Save draft")
        assert "Ready to publish as major" in (page.text_content("#verdict") or "")
        shot("draft-ready")
        page.goto(f"{draft_url}/diff")
        assert "Courier ratings are shown publicly" in (page.text_content("pre.diff") or "")
        assert "public_disclosure" in (page.text_content("#field-diff") or "")
        shot("diff")
        page.goto(f"{draft_url}/preview?locale=en")
        layer = page.text_content("#first-layer") or ""
        assert "Some of your data is made public." in layer and "Jana Courier LLP" in layer
        assert "Courier ratings are shown publicly" in (page.text_content("#document") or "")
        # What the phone shows (client_sdk.ui.layout): a user who accepted 2.0 is asked
        # again, what changed first; permissions; the bar's three buttons; no check box
        # but the age row's.
        assert page.text_content("[data-kind=change]") == \
            "3.0 — Courier ratings become public (en)."
        assert page.locator("[data-kind=permission]").count() == 3
        assert page.locator("#bar [data-kind=button]").all_text_contents() == \
            ["Decline", "Only required", "Accept all"]
        assert page.locator("#first-layer [data-kind=check]").all_text_contents() == \
            ["I am 16 or older"]
        shot("preview")
        page.click("#cases >> text=First launch")
        assert page.locator("[data-kind=change]").count() == 0
        shot("preview-first")
        draft_path = draft_url.removeprefix(base)
        for lang, title in (("ru", "Что изменилось"), ("kk", "Не өзгерді")):
            page.goto(f"{base}/admin/lang/{lang}?next={draft_path}/preview%3Flocale%3D{lang}")
            assert title in (page.text_content("#first-layer") or "")
            shot(f"preview-{lang}")
        page.goto(f"{base}/admin/lang/en?next={draft_path}")
        page.goto(draft_url)
        page.check("form[action$='/publish'] input[name=confirm]")
        submit("text=Publish now")
        assert re.search(rf"/admin/apps/{APP}\?published=\d+$", page.url)
        assert "Version 3.0 is published and in force." in (page.text_content("#published")
                                                            or "")
        history = page.text_content("table.grid") or ""
        assert "3.0" in history and "owner@localhost" in history
        assert "Ratings on the public map" in history
        shot("versions")

        # The deletion request from the app, resolved with a note.
        page.goto(f"{base}/admin/requests")
        assert page.locator("#requests tbody tr").count() == 1
        shot("requests")
        page.fill("input[name=note]", "Erased from the courier CRM")
        # (The row's first button downloads the request's proof file: the owner's.)
        assert page.locator("#requests form.proof button").count() == 1
        submit("#requests form.row button[value=resolve]")
        assert "No open requests" in page.content()
        page.goto(f"{base}/admin/requests?all=1")
        assert "Erased from the courier CRM" in page.content()

        # The consent log, one record verified.
        page.goto(f"{base}/admin/apps/{APP}/consents")
        assert page.locator("#records tbody tr").count() == 6
        shot("consents")
        # Versions by label, times in the app's country's zone with UTC on hover.
        assert page.text_content("#records tbody tr:last-child td[data-version]") == "2.0"
        assert "Times: Asia/Almaty" in (page.text_content("#time-zone") or "")
        assert (page.get_attribute("#records time", "title") or "").endswith(" UTC")
        page.select_option("select[name=version]", "2.0")
        submit("form.filters button[type=submit]")
        assert page.locator("#records tbody tr").count() == 6
        submit("#records tbody tr:last-child td:last-child a")
        submit("text=Verify receipt and chain")
        assert page.locator("#checks li.ok").count() == 5
        record_url = page.url
        shot("record")

        for name in ("keys", "users", "audit"):
            page.goto(f"{base}/admin/{name}")
            shot(name)
        audit = page.text_content("#events") or ""
        for action in ("console.sign_in", "draft.create", "version.publish",
                       "deletion.resolve", "user.password_changed"):
            assert action in audit, action
        page.goto(f"{base}/admin/lang/ru?next=/admin/apps/{APP}/dashboard")
        assert "Согласия" in page.content()
        shot("dashboard-ru")
        # Kazakh: the pages that were partly English (Keys), to look at.
        page.goto(f"{base}/admin/lang/kk?next=/admin/keys")
        assert "Кілттер мен түбір" in page.content()
        shot("keys-kk")
        page.goto(f"{base}/admin/apps/{APP}/dashboard")
        assert "Келісімдер" in page.content()
        shot("dashboard-kk")
        page.goto(f"{base}/admin/audit")
        shot("audit-kk")
        # The consent log, a record and the audit log in each language, to look at.
        first = f"{base}/admin/apps/{APP}/consents?action=accept"
        for lang, saw in (("en", "Scrolled to the end"), ("ru", "Прокрутил до конца"),
                          ("kk", "Соңына дейін айналдырды")):
            page.goto(f"{base}/admin/lang/{lang}?next=/admin/apps/{APP}/consents")
            shot(f"consents-{lang}")
            page.goto(record_url)
            shot(f"record-{lang}")
            page.goto(first)
            submit("#records tbody tr:last-child td:last-child a")  # made[0]: scrolled
            assert saw in (page.text_content("#evidence") or ""), lang
            shot(f"record-evidence-{lang}")
            page.goto(f"{base}/admin/audit")
            shot(f"audit-{lang}")
    # The app sees the version the console published.
    c = ConsentClient(base, APP, server["root"], tmp_path / "app0")
    assert c.refresh().ok
    assert c.decide().version.label == "3.0"
    c.close()
