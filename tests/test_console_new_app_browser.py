"""From nothing to a published, scheduled and verified version of a new app, in the console
alone (issue 18): a fresh instance with only an owner account, real Chromium, a real
`kelisim serve`. The owner creates the app, imports a policy from tests/data, fills what
the draft needs, publishes 1.0, schedules 2.0, and verifies a consent record an app sent
(the SDK against the live server, the one part that is not the officer's). Screenshots of
the key pages in en, ru and kk go to test-artifacts/console/new-app-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import console_page
import pytest
from click.testing import CliRunner
from console_page import chromium, first_sign_in
from flask.cli import ScriptInfo

from builders import RATE_LIMITS_OFF, server_env
from client_sdk import ConsentClient
from livesrv import free_port, running
from server import create_app
from server.cli import main

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / "test-artifacts" / "console"
POLICY = REPO / "tests" / "data" / "policies" / "dala-taxi.kk-ru.txt"
APP = "kz.dala_taxi"
OWNER = "dana@dala-taxi.example"
PASSWORD = "a fresh owner passphrase"
PURPOSES = '''[[purposes]]
id = "trips"
required = true
title = { kk = "Сапарлар", ru = "Поездки" }
description = { kk = "Такси шақыру, сапар.", ru = "Вызов такси, поездка." }

[[purposes]]
id = "offers"
required = false
title = { kk = "Ұсыныстар", ru = "Предложения" }
description = { kk = "Жеңілдіктер туралы хабарламалар.", ru = "Уведомления о скидках." }
'''


def setup_instance(instance: Path) -> tuple[str, bytes]:
    """What an operator does once, at the terminal, before the officer starts: migrate,
    create the keys and the root, create one owner. The same `kelisim` commands, run in
    this process (each would otherwise start a Python of its own); returns the owner's
    one-time password and the root an app pins."""
    app = create_app({"INSTANCE_PATH": str(instance),
                      "DATABASE_URL": f"sqlite:///{instance / 'kelisim.db'}"})
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))
        assert result.exit_code == 0, result.output
        return result.output

    run("db", "upgrade")
    run("keys", "init")
    one_time = re.search(r"one-time password: (\S+)",
                         run("users", "create", OWNER, "--role", "owner"))
    assert one_time
    root = run("root", "show", "--version", "1").strip().encode()
    app.extensions["kelisim"].db.dispose()
    return one_time.group(1), root


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A new instance: a migrated database, keys and a root, one owner; nothing else."""
    tmp = tmp_path_factory.mktemp("new-app")
    one_time, root = setup_instance(tmp / "instance")
    port = free_port()
    with running(server_env(tmp / "instance", **RATE_LIMITS_OFF), port):
        yield {"url": f"http://127.0.0.1:{port}", "password": one_time, "root": root,
               "tmp": tmp}


def test_a_new_officer_goes_from_nothing_to_a_scheduled_verified_version(
        fresh: dict[str, Any]) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = fresh["url"]
    with chromium() as page:

        def shot(name: str) -> None:
            page.screenshot(path=str(SHOTS / f"new-app-{name}.png"), full_page=True)

        def submit(selector: str) -> None:
            console_page.submit(page, selector)

        def text(selector: str) -> str:
            return " ".join((page.text_content(selector) or "").split())

        # Sign in with the one-time password and choose a new one.
        first_sign_in(page, base, OWNER, fresh["password"], PASSWORD)
        assert page.url.endswith("/admin/")
        shot("apps-empty-en")

        # Create the app; a wrong BIN first (its check digit fails): named, nothing stored.
        submit("#new-app")
        assert page.url.endswith("/admin/new-app")
        page.fill("input[name=id]", APP)
        page.fill("input[name=name]", "Dala Taxi")
        page.fill("input[name=controller_name]", "ТОО «Dala Taxi»")
        page.select_option("select[name=country]", "KZ")
        page.fill("input[name=bin]", "240540012340")
        page.fill("input[name=email]", "privacy@dala-taxi.example")
        page.fill("input[name=address]", "Almaty, Abay avenue 150")
        page.select_option("select[name=default_locale]", "kk")
        page.fill("input[name=request_deadline_days]", "15")
        submit("#new-app-form button[type=submit]")
        assert text('[data-field="bin"]') == (
            "Company number: is not a valid 12-digit BIN (check digit fails)")
        shot("form-error-en")
        page.fill("input[name=bin]", "240540012347")
        submit("#new-app-form button[type=submit]")
        assert page.url.endswith(f"/admin/apps/{APP}?created=1")
        assert "write the first draft" in text("#next-steps")
        assert "15 days" in page.content()
        shot("created-en")

        # Import the policy (a Kazakh and Russian text file) as the first draft.
        page.set_input_files("input[name=file]", str(POLICY))
        submit("form[action$='/drafts/upload'] button[type=submit]")
        assert re.search(r"/admin/drafts/\d+$", page.url)
        draft_url = page.url
        assert text("#based-on").startswith("a new text, not a copy of a published version")
        assert sorted(re.findall(r'/doc/([\w-]+)">\1</a> ·', page.content())) == ["kk", "ru"]
        # What the draft needs: its label, the purposes (the TOML field), the flags.
        page.fill("input[name=label]", "1.0")
        page.click("#toml summary")  # "Edit as TOML", folded under the Version form
        page.fill("textarea[name=purposes_toml]", PURPOSES)
        page.check("input[name=third_party_transfer]")
        submit("text=Save draft")
        assert page.url == draft_url
        assert "Ready to publish as major" in text("#verdict")
        assert text("form[action$='/publish'] label.confirm") == (
            "Version 1.0 will be published and take effect at once; this cannot be undone.")
        shot("draft-ready-en")
        # Publish refuses until its box is ticked (the browser's own check bypassed, as a
        # page without it would send).
        page.eval_on_selector("form[action$='/publish'] input[name=confirm]",
                              "e => e.required = false")
        submit("text=Publish now")
        assert "Tick the box that says what will happen" in text('[data-field="publish"]')
        page.check("form[action$='/publish'] input[name=confirm]")
        submit("text=Publish now")
        assert re.search(rf"/admin/apps/{APP}\?published=1$", page.url)
        assert text("#published") == "Version 1.0 is published and in force."

        # A user of the app accepts 1.0: the SDK verifies the signed manifest it gets.
        client = ConsentClient(base, APP, fresh["root"], fresh["tmp"] / "phone",
                               preferred_locales=("ru",))
        assert client.refresh().ok
        accepted = client.accept(["offers"], evidence={"scrolled_to_end": True})
        assert client.sync().ok

        # Version 2.0 from the version in force, effective in 30 days: scheduled.
        submit("#new-draft button[type=submit]")
        assert "based on version 1.0 (in force)" in text("#based-on")
        later = (datetime.now(UTC) + timedelta(days=30)).replace(second=0, microsecond=0)
        page.fill("input[name=label]", "2.0")
        page.select_option("select[name=significance]", "major")
        page.fill("input[name=effective]", later.strftime("%Y-%m-%dT%H:%M"))
        page.check("input[name=cross_border_transfer]")
        submit("text=Save draft")
        draft2 = page.url
        for tag, summary in (("kk", "Деректер шетелге жіберіледі."),
                             ("ru", "Данные передаются за границу.")):
            page.goto(f"{draft2}/doc/{tag}")
            page.fill("input[name=summary]", summary)
            submit("form.form-grid button[type=submit]")
        assert "Ready to publish as major" in text("#verdict")
        # Said in the officer's zone (a KZ controller: Asia/Almaty), UTC in the element.
        when = later.strftime("%Y-%m-%dT%H:%M:%SZ")
        local = later.astimezone(ZoneInfo("Asia/Almaty")).strftime("%Y-%m-%d %H:%M")
        assert text("form[action$='/publish'] label.confirm") == (
            f"Version 2.0 will be published and take effect on {local}; this cannot be "
            f"undone.")
        assert page.get_attribute("form[action$='/publish'] label.confirm time",
                                  "datetime") == when
        shot("draft-schedule-en")
        page.check("form[action$='/publish'] input[name=confirm]")
        submit("text=Schedule")
        assert text("#published") == f"Version 2.0 is scheduled: it takes effect {local}."
        shot("scheduled-en")

        # Verify: the app now knows 2.0 is coming; the record's receipt and chain check out.
        assert client.refresh().ok
        decision = client.decide()
        assert decision.kind.value == "upcoming" and decision.version is not None
        assert decision.version.label == "2.0"
        client.close()
        page.goto(f"{base}/admin/apps/{APP}/consents/{accepted.id}")
        submit("text=Verify receipt and chain")
        assert page.locator("#checks li.ok").count() == 5
        assert page.locator("#checks li.bad").count() == 0
        shot("verified-en")

        # The same pages in Russian and Kazakh, to look at.
        for lang in ("ru", "kk"):
            page.goto(f"{base}/admin/lang/{lang}?next=/admin/new-app")
            shot(f"form-{lang}")
            page.goto(f"{base}/admin/apps/{APP}")
            shot(f"scheduled-{lang}")
            page.goto(f"{base}/admin/apps/{APP}/consents/{accepted.id}?verify=1")
            assert page.locator("#checks li.ok").count() == 5
            shot(f"verified-{lang}")
        page.goto(f"{base}/admin/audit")
        audit = text("#events")
        for action in ("app.create", "app.settings", "draft.create", "version.publish"):
            assert action in audit, action
