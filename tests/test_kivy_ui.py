"""The Kivy widgets in a real window under Xvfb, driven by taps at widget coordinates."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from builders import DEMO, REPO, new_version, server_env
from client_sdk.ui.strings import LANGUAGE_NAMES, PLURALS, STRINGS
from livesrv import free_port, kelisim_here, running

# One worker runs them all (conftest.ONE_WORKER). The first test's set-up runs every window
# scenario at once (each driver may take up to 400 s on a loaded machine): more than the
# suite's 300 s per test.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]
FONTS = REPO / "client_sdk" / "kivy" / "fonts"
ARTIFACTS = REPO / "test-artifacts" / "screens"
LOCALES = ("kk", "ru", "en", "uz", "ky")


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
    shown += "".join(v for forms in PLURALS.values() for table in forms.values()
                     for v in table.values())
    from demo_app.strings import STRINGS as DEMO_STRINGS

    shown += "".join(v for table in DEMO_STRINGS.values() for v in table.values())
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


def _short_policy(tmp: Path) -> Path:
    """An app whose policy is five Markdown blocks, about twice a phone screen long."""
    app = tmp / "short-policy"
    (app / "1").mkdir(parents=True)
    (app / "app.toml").write_text((DEMO / "app.toml").read_text().replace(
        'id = "jana-courier"', 'id = "short-policy"', 1))
    toml = (DEMO / "2.0" / "version.toml").read_text().replace('label = "2.0"', 'label = "1"')
    (app / "1" / "version.toml").write_text(toml)
    para = ("Мы обрабатываем персональные данные курьеров только для выполнения доставок и в "
            "сроки, которые установлены законом и этой политикой. ") * 4
    for tag in ("kk", "ru", "en", "uz", "ky"):
        (app / "1" / f"{tag}.md").write_text(f"# Short {tag}\n\n{para}\n\n{para}\n\n"
                                            f"{para}\n\nEnd.\n")
    return app


def _long_policy(tmp: Path) -> Path:
    """A Kazakh-only policy of 2,000 blocks (one paragraph of ~24,000 characters among
    them)."""
    app = tmp / "long-policy"
    (app / "1").mkdir(parents=True)
    (app / "app.toml").write_text((DEMO / "app.toml").read_text().replace(
        'id = "jana-courier"', 'id = "long-policy"', 1))
    toml = (DEMO / "1.0" / "version.toml").read_text().replace('label = "1.0"', 'label = "1"')
    toml = "\n".join(line for line in toml.splitlines()
                     if not line.startswith(("ru = ", "en = ")))
    (app / "1" / "version.toml").write_text(toml)
    paragraph = "Деректер тек жеткізу үшін өңделеді және заңда көрсетілген мерзімде сақталады. "
    body = ["# Ұзын саясат", "", paragraph * 300, ""]
    body += [f"## {i}. Бөлім\n\n{paragraph * 2}\n" for i in range(1, 1000)]
    (app / "1" / "kk.md").write_text("\n".join(body))
    return app


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One server instance: the demo app (2.0, then a minor 2.1, then a major 3.0), a
    short and a long policy; one-file bundles of each state; the server running."""
    tmp = tmp_path_factory.mktemp("ui")
    env = server_env(tmp / "instance")
    kelisim_here(env, "demo-setup")
    for app in (_short_policy(tmp), _long_policy(tmp)):
        kelisim_here(env, "apps", "create", str(app))
        kelisim_here(env, "publish", str(app / "1"))
    b = {name: tmp / f"{name}.kelisim" for name in ("a", "minor", "major", "short", "long")}
    kelisim_here(env, "bundle", "jana-courier", str(b["a"]))
    kelisim_here(env, "bundle", "short-policy", str(b["short"]))
    kelisim_here(env, "bundle", "long-policy", str(b["long"]))
    kelisim_here(env, "publish", str(new_version(tmp / "p", "2.1", "minor", "Corrections")),
            "--app", "jana-courier")
    kelisim_here(env, "bundle", "jana-courier", str(b["minor"]))
    major = new_version(tmp / "p", "3.0", "major", "New purpose", extra_purpose=True)
    kelisim_here(env, "publish", str(major), "--app", "jana-courier")
    kelisim_here(env, "bundle", "jana-courier", str(b["major"]))
    port = free_port()
    with running(env, port):
        yield {**{k: str(v) for k, v in b.items()}, "url": f"http://127.0.0.1:{port}",
               "env": env, "tmp": tmp}


def _start(display: str, name: str, mode: str, config: dict[str, Any]
           ) -> tuple[subprocess.Popen[str], Path]:
    out = ARTIFACTS / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = {**os.environ, "DISPLAY": display, "PYTHONPATH": str(REPO),
           "TZ": "Asia/Almaty"}
    cfg = {k: v for k, v in config.items() if isinstance(v, str | list | int | float)}
    proc = subprocess.Popen([sys.executable, str(REPO / "tests" / "ui" / "driver.py"),
                             str(out), mode, json.dumps(cfg)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, out


def _start_demo(display: str, instance: dict[str, Any], name: str, locale: str,
                theme: str, scale: float) -> tuple[subprocess.Popen[str], Path]:
    out = ARTIFACTS / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = {**os.environ, "DISPLAY": display, "PYTHONPATH": str(REPO), "TZ": "Asia/Almaty",
           "KELISIM_DEMO_BUNDLE": instance["a"], "KELISIM_DEMO_DATA": str(out / "data"),
           "KELISIM_DEMO_SERVER": "http://127.0.0.1:9", "KELISIM_DEMO_LOCALES": locale,
           "KELISIM_DEMO_THEME": theme, "KELISIM_DEMO_TEXT_SCALE": str(scale)}
    proc = subprocess.Popen([sys.executable, str(REPO / "tests" / "ui" / "demo_driver.py"),
                             str(out), f"{locale}-{theme}-{scale:.1f}"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, out


def _collect(proc: subprocess.Popen[str], out: Path) -> dict[str, Any]:
    try:
        stdout, stderr = proc.communicate(timeout=400)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    result_file = out / "result.json"
    if not result_file.exists():
        return {"error": f"driver failed:\n{stdout}\n{stderr[-4000:]}"}
    result: dict[str, Any] = json.loads(result_file.read_text())
    return result


def _result(runs: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    result = runs[name]
    assert "error" not in result, result["error"]
    assert not result.get("timeouts"), result["timeouts"]
    return result


@pytest.fixture(scope="module")
def runs(display: str, instance: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The driver runs at once (two cores): the defects, the screens in light and in
    dark, and the demo app in two languages and themes."""
    screens = {**instance, "locales": list(LOCALES), "scales": [1.0, 1.6, 2.0],
               "shot_scales": [1.0, 1.6]}
    started = {
        "behaviour": _start(display, "behaviour", "behaviour", instance),
        "light": _start(display, "light", "screens", {**screens, "theme": "light"}),
        "dark": _start(display, "dark", "screens", {**screens, "theme": "dark",
                                                    "scales": [1.0, 1.6], "audit": False}),
        "demo-ky": _start_demo(display, instance, "demo-ky", "ky", "light", 1.0),
        "demo-ru": _start_demo(display, instance, "demo-ru", "ru", "dark", 1.6),
    }
    return {name: _collect(*p) for name, p in started.items()}


KAZAKH_ONLY = set("әғқңөұүһі")
UZBEK_LATIN = set("ʻʼ")


def test_evidence_is_what_happened_on_screen(runs: dict[str, Any]) -> None:
    r = _result(runs, "behaviour")["d1"]
    assert r["blocks"] <= 12 and r["content_over_view"] > 1.5  # the case that lied before
    assert r["first_layer_accept_enabled"] is False and r["scrolled_before"] is False
    assert r["scrolled_at_top"] is False and r["accept_enabled_at_top"] is False
    assert r["accept_enabled_after"] is True
    ev = r["record"]["evidence"]
    assert ev["scrolled_to_end"] is True and ev["full_text_opened"] is True
    assert ev["layers_shown"] == ["first_layer", "full_text"]
    assert set(ev["seconds_by_layer"]) == {"first_layer", "full_text"}
    assert ev["ui_locale"] == "ru" and 0 <= ev["seconds_on_screen"] <= 86400
    quick = r["quick_record"]["evidence"]
    assert quick["scrolled_to_end"] is False and quick["full_text_opened"] is False
    assert quick["layers_shown"] == ["first_layer"]
    assert set(quick) <= {"layers_shown", "full_text_opened", "scrolled_to_end",
                          "seconds_on_screen", "seconds_by_layer", "ui_locale"}


def test_layers_stay_inside_a_screen_that_does_not_span_the_window(
        runs: dict[str, Any]) -> None:
    r = _result(runs, "behaviour")["clip"]
    assert r["toolbar_pixels"] > 5000 and r["toolbar_not_red"] == 0
    assert r["embedded_covered"] is False and r["full_covered"] is True


def test_never_accept_without_the_document(runs: dict[str, Any]) -> None:
    r = _result(runs, "behaviour")["d2"]
    assert r["state"] == "failed" and r["accept_enabled"] is False and r["records"] == 0
    assert r["hint"] == STRINGS["ru"]["offline_document"]  # the network, not the language


def test_failures_off_the_ui_thread_leave_loading_and_are_logged(
        runs: dict[str, Any]) -> None:
    """client_sdk.kivy.base.background: work that raises an unexpected exception reaches
    the widget (the document fails with its retry, the modal says so, settings stop
    syncing and report an unsent result) and the kelisim log; before, the widget stayed
    "loading" for ever (a timeout here)."""
    r = _result(runs, "behaviour")["d2b"]
    assert r["screen_state"] == "failed"
    assert r["screen_hint"] == STRINGS["ru"]["offline_document"]
    assert r["modal_status"] == STRINGS["ru"]["offline_document"]
    assert r["settings_status"] == STRINGS["ru"]["send_later"] and r["synced_ok"] == [False]
    failures = [m for m in r["logged"] if m.startswith("background work ")]
    assert len(failures) >= 3 and all(m.endswith("failed | exc") for m in failures)


def test_one_language_everywhere_and_progress_kept(runs: dict[str, Any]) -> None:
    r = _result(runs, "behaviour")["d3"]
    uz = " ".join(r["uz_labels"] + r["uz_purposes"])
    assert "Yetkazib berish" in uz and "Nima oʻzgardi" in uz and "Jana Courier" in uz
    assert not KAZAKH_ONLY & set(uz.lower()), "Kazakh words on an Uzbek screen"
    ru = " ".join(r["ru_labels"] + r["ru_purposes"] + r["settings_labels"] +
                  r["banner_labels"])
    assert "Что изменилось" in ru and "Выполнение доставки" in ru and "Геолокация" in ru
    assert "New purpose (ru)" in ru and "(kk)" not in ru and "(en)" not in ru
    assert not KAZAKH_ONLY & set(ru.lower()) and not UZBEK_LATIN & set(ru)
    assert r["after"] == {"locale": "ru", "layer": "full_text", "scrolled": True,
                          "age": True, "analytics": True}
    assert r["remembered"] == "ru" and r["decide_locale_next_launch"] == "ru"


def test_every_action_has_an_outcome(runs: dict[str, Any]) -> None:
    r = _result(runs, "behaviour")["d4"]
    assert r["declined_outcomes"] == ["declined"] and r["declined_panel"] is True
    assert r["decline_syncs"] >= 1 and r["review_again_layer"] == "first_layer"
    assert r["update_status"] == STRINGS["kk"]["sent"]
    assert r["withdraw_dialog"] is True and r["withdraw_before_confirm"] == ["accept",
                                                                            "update"]
    assert r["after_cancel"] == ["accept", "update"]
    assert r["withdraw_actions"] == ["accept", "update", "withdraw"]
    assert r["revoked"] == ["withdrawn"] and r["prompt_shown"] is True
    assert r["granted_after"] is False
    assert r["deletion_dialog"] is True
    assert r["changes"] == ["update", "withdraw", "deletion_request"]
    assert r["synced"] == [True, True, True] and r["unsent"] == []
    assert r["final_status"] == STRINGS["kk"]["sent"]
    assert r["notice_modal_lines"] > 5 and r["notice_actions"][-1] == "acknowledge"
    assert r["notice_heading"] == STRINGS["kk"]["notice_noted"]
    assert r["notice_decision"] == "none"


def test_no_baked_english_always_active_names_plurals(runs: dict[str, Any]) -> None:
    r = _result(runs, "behaviour")["d5"]
    assert r["switches"] == 0 and r["settings_switches"] == 0
    assert any("Всегда включено" in x for x in r["purpose_labels"])
    first = " ".join(r["first_labels"])
    assert "Мне 16 лет или больше" in first and "Геолокация" in first
    assert "location" not in first and "[b]camera" not in first
    assert "3 года" in first  # the consent term, P3Y
    assert "Соединенные Штаты" in first  # the vendor's country, in words
    assert "2026" in r["meta"] and "-" not in r["meta"].split("·")[1]  # not ISO
    assert r["title"] == ["Policy [b]1[/b] & [ref=https://evil.example]more[/ref]", False,
                          True, {}]
    assert any("Всегда включено" in x for x in r["settings_labels"])


def test_document_off_the_ui_thread_and_recycled(runs: dict[str, Any]) -> None:
    r = _result(runs, "behaviour")["d7"]
    assert r["state_while_fetching"] == "loading" and r["frames_while_fetching"] >= 5
    assert r["long_blocks"] > 2000 and r["long_line_widgets"] < 80
    assert r["long_scrolled_at_top"] is False and r["long_scrolled"] is True


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_screen_every_language_scales_without_clipping(runs: dict[str, Any],
                                                             theme: str) -> None:
    r = _result(runs, theme)
    assert r.get("a11y", []) == []
    shots = set(r["screenshots"])
    for loc in LOCALES:
        for scale in ("1.0", "1.6"):
            for screen in ("consent", "purposes", "fulltext", "declined", "reprompt",
                           "notice", "read", "settings", "confirm"):
                name = f"{screen}-{loc}-{theme}-{scale}.png"
                assert name in shots and (ARTIFACTS / theme / name).stat().st_size > 2000


@pytest.mark.parametrize(("run", "locale"), [("demo-ky", "ky"), ("demo-ru", "ru")])
def test_demo_shows_refresh_failures_and_stops_analytics_on_withdrawal(
        runs: dict[str, Any], run: str, locale: str) -> None:
    r = _result(runs, run)
    from demo_app.strings import STRINGS as DEMO_STRINGS

    assert r["first"] == "ConsentScreen" and r["refresh_error_shown"] is True
    assert r["refresh_error"].startswith(DEMO_STRINGS[locale]["refresh_failed"][:20])
    assert "http://127.0.0.1:9" in r["refresh_error"] and "Errno" not in r["refresh_error"]
    assert r["accept_enabled_before_reading"] is False  # the demo requires the full text
    assert r["analytics_after_accept"] is True and r["deliveries"] == 5
    assert r["analytics_text"] == DEMO_STRINGS[locale]["analytics_on"]
    assert r["screen"] == "settings"
    assert r["analytics_after_withdraw"] is False and r["reprompt_in_window"] is True
    assert r["reprompt_reason"] == "withdrawn"


@pytest.mark.parametrize(("run", "locale"), [("demo-ky", "ky"), ("demo-ru", "ru")])
def test_demo_first_frame_is_the_verified_consent_screen_built_once(
        runs: dict[str, Any], instance: dict[str, Any], tmp_path: Path, run: str,
        locale: str) -> None:
    """The first frame after start-up (bench/demo_start.py times it) holds the consent
    screen from the verified bundle, laid out before it was drawn; what that frame does not
    show waited for it."""
    from client_sdk import ConsentClient

    f = _result(runs, run)["first_frame"]
    client = ConsentClient.from_bundle("https://offline.invalid", instance["a"], tmp_path,
                                       (locale,))
    assert f["shown"] == "ConsentScreen" and f["in_window"] is True
    assert f["title"] == client.current_version().locales[locale].title
    assert len(f["first_layer_labels"]) >= 8  # who, what data, purposes, transfers, term...
    # Each label rendered once, at its real width (a second render only when a word too
    # long for the line shrinks the font); laid out on Kivy's triggers alone, every label
    # rendered at each width its parents passed through: four to five times.
    renders = f["renders"]
    assert max(renders.values()) <= 2 and sum(renders.values()) <= len(renders) + 2, renders
    assert not {"kelisim-work", "kelisim-refresh"} & set(f["threads"]), f["threads"]
    assert f["document_state"] == "loading" and f["full_text_built"] is False
    assert f["app_screens_built"] is False


def _demo(display: str, bundle: str, data: Path,
          kivy_home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DISPLAY": display, "PYTHONPATH": str(REPO),
           "KELISIM_DEMO_BUNDLE": bundle, "KELISIM_DEMO_DATA": str(data),
           "KELISIM_DEMO_SERVER": "http://127.0.0.1:9", "KELISIM_DEMO_EXIT_ON_FRAME": "1",
           "KIVY_HOME": str(kivy_home)}
    env.pop("KIVY_NO_CONSOLELOG", None)  # what a newcomer sees on the console
    return subprocess.run([sys.executable, "-m", "demo_app"], env=env, capture_output=True,
                          text=True, timeout=120, cwd=REPO)


def test_demo_starts_cleanly_with_a_store_per_server_instance(
        display: str, instance: dict[str, Any], tmp_path: Path) -> None:
    from client_sdk._internal.store import Store
    from client_sdk.protocol.bundle import load_bundle
    from demo_app.main import instance_dir

    (tmp_path / "kivy").mkdir()
    data = tmp_path / "data"
    first = _demo(display, instance["a"], data, tmp_path / "kivy")
    assert "first-frame" in first.stdout, first.stderr[-3000:]
    assert "Traceback" not in first.stderr and "Error" not in first.stderr, first.stderr
    # `make clean && make run`: a new instance with a new root. Its bundle gets a new
    # store; the old one cannot leave the app stuck on a policy it can no longer verify.
    env = server_env(tmp_path / "instance2")
    kelisim_here(env, "demo-setup")
    kelisim_here(env, "bundle", "jana-courier", str(tmp_path / "new.kelisim"))
    second = _demo(display, str(tmp_path / "new.kelisim"), data, tmp_path / "kivy")
    assert "first-frame" in second.stdout, second.stderr[-3000:]
    old = instance_dir(data, load_bundle(instance["a"]))
    new = instance_dir(data, load_bundle(tmp_path / "new.kelisim"))
    assert old != new and old.parent == new.parent == data
    for folder in (old, new):
        store = Store(folder)
        assert store.get_meta("manifest") is not None and store.records() == []
        store.close()
