"""ConsentSettings with the data subject's requests, in a real Kivy window (Xvfb) against
the real server: the operator's answer, synced in the window, is shown in the user's
language; a rectification needs a note; the deletion dialog offers to withdraw consent in
the same step; the user's data is saved to a folder the status names (tests/ui/rights.py
drives it; screenshots in test-artifacts/screens/rights)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from builders import REPO, server_env
from client_sdk import ConsentClient
from client_sdk.ui.strings import STRINGS
from livesrv import free_port, kelisim_here, running

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
APP = "jana-courier"
OUT = REPO / "test-artifacts" / "screens" / "rights"
ANSWER = "Копия данных отправлена на вашу почту"
REFUSAL = "Записи о доставках хранятся 5 лет по закону"


def test_settings_show_the_operators_answer_and_offer_every_request(
        display: str, tmp_path: Path) -> None:
    env = server_env(tmp_path / "instance")
    kelisim_here(env, "demo-setup")
    bundle = tmp_path / "app.kelisim"
    kelisim_here(env, "bundle", APP, str(bundle))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data = tmp_path / "device"
    with running(env, port):
        # The app filed two requests earlier; the operator answered both since.
        c = ConsentClient.from_bundle(url, bundle, data, ("ru",))
        c.accept(age_confirmed=True)
        access, blocking = c.request("access"), c.request("blocking")
        assert c.sync().ok
        c.close()
        kelisim_here(env, "requests", "resolve", APP, access.id, "--note", ANSWER)
        kelisim_here(env, "requests", "refuse", APP, blocking.id, "--note", REFUSAL)
        shutil.rmtree(OUT, ignore_errors=True)
        OUT.mkdir(parents=True)
        cfg = {"data": str(data), "bundle": str(bundle), "url": url,
               "export_dir": str(tmp_path / "Documents")}
        proc = subprocess.run(
            [sys.executable, str(REPO / "tests" / "ui" / "driver.py"), str(OUT), "rights",
             json.dumps(cfg)],
            env={**os.environ, "DISPLAY": display, "PYTHONPATH": str(REPO),
                 "TZ": "Asia/Almaty"}, capture_output=True, text=True, timeout=600)
    result_file = OUT / "result.json"
    assert result_file.exists(), f"driver failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    r: dict[str, Any] = json.loads(result_file.read_text())
    assert "error" not in r, r["error"]
    assert not r.get("timeouts"), r["timeouts"]
    ru = STRINGS["ru"]
    # Before the sync: received, with the deadline; after it: the answers, in Russian.
    before = " ".join(r["before_sync"])
    assert ru["kind.access"] in before and ru["state.open"].split(" {")[0] in before
    after = " ".join(r["after_sync"])
    assert ru["requests"] in after
    assert ru["state.resolved"].split(" {")[0] in after and ANSWER in after
    assert ru["state.refused"].split(" {")[0] in after and REFUSAL in after
    assert r["requests"] == [["access", "resolved", ANSWER], ["blocking", "refused", REFUSAL]]
    # Rectification: a note field, no withdraw box; no note, no request.
    assert r["rect_dialog"] and not r["rect_withdraw_row"]
    assert r["rect_empty_kept_open"] and r["rect_empty_requests"] == 2
    assert r["rect_filed"] == ["rectification", "Фамилия: Нурланова", "open"]
    # Deletion: withdrawing consent offered in the same step, and recorded.
    assert r["del_withdraw_shown"] and r["del_withdraw_ticked"]
    assert r["del_filed"] == ["deletion", True, "open"]
    assert r["consent_after_deletion"] == "withdrawn" and r["withdraw_button_disabled"]
    # The export: a JSON and a summary in the folder, and the status says where.
    assert r["export_while_saving"] == [True, True, ru["export_saving"]]
    assert not r["export_button_after"]
    assert r["export_status"].startswith(ru["export_saved"].split("{")[0])
    assert str(tmp_path / "Documents") in r["export_status"]
    assert [Path(n).suffix for n in r["export_files"]] == [".json", ".txt"]
    # Every language shows the requests in its own words.
    for tag, shown in r["shown"].items():
        text = " ".join(shown)
        assert STRINGS[tag]["requests"] in text and STRINGS[tag]["kind.access"] in text, tag
        assert ANSWER in text and REFUSAL in text
        # Consent was withdrawn with the deletion: nothing is "what you agreed to" now.
        assert STRINGS[tag]["agreed_to"] not in text and STRINGS[tag]["purposes"] in text, tag
    assert len(r["screenshots"]) == 2 + 5 * 2 * 2
