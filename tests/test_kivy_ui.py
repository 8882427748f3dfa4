"""The Kivy widgets in a real window under Xvfb, driven by taps at widget coordinates."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_client_e2e import new_version

from client_sdk.strings import LANGUAGE_NAMES, STRINGS
from conftest import DEMO, REPO
from livesrv import kelisim

pytestmark = pytest.mark.slow
FONTS = REPO / "client_sdk" / "kivy" / "fonts"
ARTIFACTS = REPO / "test-artifacts" / "screens"


def font_chars(path: Path) -> set[int]:
    """Code points in a TrueType font's Unicode cmap (formats 4 and 12)."""
    data = path.read_bytes()
    tables = {}
    for i in range(struct.unpack(">H", data[4:6])[0]):
        tag, _, off, _ = struct.unpack(">4sIII", data[12 + 16 * i: 28 + 16 * i])
        tables[tag] = off
    base = tables[b"cmap"]
    chars: set[int] = set()
    for i in range(struct.unpack(">H", data[base + 2: base + 4])[0]):
        _, _, sub_off = struct.unpack(">HHI", data[base + 4 + 8 * i: base + 12 + 8 * i])
        sub = base + sub_off
        fmt = struct.unpack(">H", data[sub: sub + 2])[0]
        if fmt == 4:
            seg = struct.unpack(">H", data[sub + 6: sub + 8])[0] // 2
            ends = struct.unpack(f">{seg}H", data[sub + 14: sub + 14 + 2 * seg])
            starts = struct.unpack(f">{seg}H", data[sub + 16 + 2 * seg: sub + 16 + 4 * seg])
            for s, e in zip(starts, ends, strict=True):
                chars.update(range(s, e + 1))
        elif fmt == 12:
            n = struct.unpack(">I", data[sub + 12: sub + 16])[0]
            for j in range(n):
                s, e, _ = struct.unpack(">III", data[sub + 16 + 12 * j: sub + 28 + 12 * j])
                chars.update(range(s, e + 1))
    return chars


def test_shipped_font_has_every_glyph_the_screens_show() -> None:
    shown = "".join(v for table in STRINGS.values() for v in table.values())
    shown += "".join(LANGUAGE_NAMES.values())
    for doc in DEMO.glob("*/*.md"):
        shown += doc.read_text()
    shown += (DEMO / "app.toml").read_text()
    needed = {ord(c) for c in unicodedata.normalize("NFC", shown)
              if not c.isspace() and unicodedata.category(c)[0] != "C"}
    assert {0x02BB, 0x02BC, 0x04D9, 0x0493, 0x049B, 0x04A3, 0x04E9, 0x04B1, 0x04AF, 0x04B2,
            0x0456, 0x045E} <= needed, "the check must cover kk, uz and ky letters"
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
                 "DejaVuSans-BoldOblique.ttf"):
        missing = sorted(needed - font_chars(FONTS / name))
        assert not missing, f"{name} lacks {[chr(c) for c in missing]}"
    assert (FONTS / "LICENSE-DejaVu.txt").exists()


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("bundles")
    env = {**os.environ, "KELISIM_INSTANCE_PATH": str(tmp / "instance")}
    env.pop("KELISIM_DATABASE_URL", None)
    kelisim(env, "demo-setup")
    # Every export also holds the app "long-policy", whose one version is very long.
    out = {"a": tmp / "a", "minor": tmp / "minor", "major": tmp / "major", "long": tmp / "a"}
    long_app = tmp / "long-policy"
    (long_app / "1").mkdir(parents=True)
    (long_app / "app.toml").write_text((DEMO / "app.toml").read_text().replace(
        'id = "jana-courier"', 'id = "long-policy"', 1))
    toml = (DEMO / "1.0" / "version.toml").read_text().replace('label = "1.0"', 'label = "1"')
    toml = "\n".join(line for line in toml.splitlines()
                     if not line.startswith(("ru = ", "en = ")))  # a Kazakh-only policy
    (long_app / "1" / "version.toml").write_text(toml)
    paragraph = "Деректер тек жеткізу үшін өңделеді және заңда көрсетілген мерзімде сақталады. "
    body = ["# Ұзын саясат", "", paragraph * 300, ""]  # one paragraph of ~24,000 characters
    body += [f"## {i}. Бөлім\n\n{paragraph * 2}\n" for i in range(1, 1001)]
    (long_app / "1" / "kk.md").write_text("\n".join(body))
    kelisim(env, "apps", "create", str(long_app))
    kelisim(env, "publish", str(long_app / "1"))
    kelisim(env, "export-static", str(out["a"]))
    kelisim(env, "publish", str(new_version(tmp / "p", "2.1", "minor", "Түзетулер")),
            "--app", "jana-courier")
    kelisim(env, "export-static", str(out["minor"]))
    kelisim(env, "publish", str(new_version(tmp / "p", "3.0", "major", "Жаңа мақсат",
                                            extra_purpose=True)), "--app", "jana-courier")
    kelisim(env, "export-static", str(out["major"]))
    return out


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail("Xvfb is not installed: run `bash scripts/system-deps.sh test`")
    for number in range(90, 140):
        if not Path(f"/tmp/.X{number}-lock").exists():
            break
    proc = subprocess.Popen([xvfb, f":{number}", "-screen", "0", "1280x1024x24", "-nolisten",
                             "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        assert time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.05)
    yield f":{number}"
    proc.terminate()
    proc.wait(timeout=10)


def run_driver(display: str, bundles: dict[str, Path], locale: str) -> dict[str, Any]:
    out = ARTIFACTS / locale
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "DISPLAY": display, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, str(REPO / "tests" / "ui" / "driver.py"), str(out),
                           locale, str(bundles["a"]), str(bundles["minor"]),
                           str(bundles["major"]), str(bundles["long"])], env=env,
                          capture_output=True, text=True, timeout=300)
    result_file = out / "result.json"
    assert result_file.exists(), f"driver failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    result: dict[str, Any] = json.loads(result_file.read_text())
    assert "error" not in result, result["error"]
    return result


@pytest.mark.parametrize("locale", ["kk", "ru", "uz"])
def test_screens(display: str, bundles: dict[str, Path], locale: str) -> None:
    r = run_driver(display, bundles, locale)
    # First launch: Accept stays disabled until the end was reached (and age confirmed).
    assert r["first_accept_disabled"] is True and r["records_after_early_tap"] == 0
    assert r["scrolled"] is True and r["accept_disabled_before_age"] is True
    assert r["accept_disabled_after"] is False
    rec = r["first_record"]
    assert rec["action"] == "accept" and rec["evidence"]["scrolled_to_end"] is True
    assert rec["evidence"]["seconds_on_screen"] >= 0 and rec["age_confirmed"] is True
    assert rec["purposes"]["analytics"] is True and rec["purposes"]["delivery"] is True
    assert r["decision_after_accept"] == "none"
    expected = {"kk": "Келісемін", "ru": "Принимаю", "uz": "Qabul qilaman"}[locale]
    assert r["ui_accept_text"] == expected
    # The language switch changes the document and the UI strings.
    assert r["language_options_found"] >= 1
    assert r["language_before"] == ["Jana Courier құпиялылық саясаты", "Келісемін"]
    assert r["language_after"] == ["Политика конфиденциальности Jana Courier", "Принимаю", "ru"]
    assert r["decline_actions"] == ["decline"]
    # Re-prompt after a major version shows the summaries first.
    assert r["major_decision"] == ["prompt", "significant_change"]
    assert any("Жаңа мақсат" in text for text in r["major_labels"])
    # Minor: a banner; Dismiss acknowledges.
    assert r["minor_decision"] == "notice"
    assert r["minor_actions"] == ["accept", "acknowledge"] and r["minor_after"] == "none"
    # Settings: a purpose change and a withdrawal are ledger records.
    assert r["settings_granted_analytics"] is True
    assert r["settings_actions"] == ["accept", "update", "withdraw"]
    assert r["settings_decision"] == "prompt"
    # Bad data shows something sensible, never a crash.
    # (that client prefers Russian, and the Russian document is missing)
    assert r["nodoc_labels"][0] == "[i]Этот текст недоступен на вашем языке.[/i]"
    assert r["nodoc_accept_enabled"] is True
    assert r["long_labels"] > 2000 and r["long_scrolled"] is True
    # The first frame does not wait for the whole document, nor does "end" come early.
    assert r["long_first_frame_seconds"] < 2 and r["long_scrolled_early"] is False
    for name in ("consent", "reprompt", "notice", "settings", "long"):
        png = ARTIFACTS / locale / f"{name}-{locale}.png"
        assert png.exists() and png.stat().st_size > 2000, png


def test_demo_app_starts_offline_on_the_consent_screen(display: str, bundles: dict[str, Path],
                                                       tmp_path: Path) -> None:
    env = {**os.environ, "DISPLAY": display, "PYTHONPATH": str(REPO),
           "KELISIM_DEMO_BUNDLE": str(bundles["a"]), "KELISIM_DEMO_DATA": str(tmp_path),
           "KELISIM_DEMO_SERVER": "http://127.0.0.1:9", "KELISIM_DEMO_EXIT_ON_FRAME": "1",
           "KIVY_NO_CONSOLELOG": "1", "KIVY_HOME": str(tmp_path / "kivy")}
    (tmp_path / "kivy").mkdir()
    proc = subprocess.run([sys.executable, "-m", "demo_app"], env=env, capture_output=True,
                          text=True, timeout=120, cwd=REPO)
    assert "first-frame" in proc.stdout, proc.stderr[-3000:]
    # The first launch recorded nothing yet, and found its manifest in the bundle.
    from client_sdk.store import Store

    store = Store(tmp_path)
    assert store.records() == [] and store.get_meta("manifest") is not None
    store.close()
