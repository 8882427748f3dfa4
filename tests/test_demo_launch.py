"""How the demo starts (issue 22, part 4) and where the README's gate lines work:

- ``KELISIM_PORT=8300 make demo`` talked to port 8000: the demo follows ``KELISIM_HOST``
  and ``KELISIM_PORT`` as ``kelisim serve`` reads them, unless ``KELISIM_DEMO_SERVER`` is
  given;
- it opened in Kivy's 800x600 desktop window: ``python -m demo_app`` opens phone-shaped
  (400x800) unless Kivy is given another size (its environment or its config.ini);
- the README's ``ConsentGate(client, parent=self.root, ...).start()`` failed in
  ``build()`` (``self.root`` is None there): it now shows the consent screen in the root
  ``build()`` returns; without an App, ``parent=None`` is a UsageError naming the fix.

The windows are real (Xvfb), the server is ``kelisim serve``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from builders import REPO
from demo_app.launch import DEFAULT_HOST, DEFAULT_PORT, PHONE, server_url
from livesrv import demo_server, free_port, kelisim_here
from server.config import Settings

ARTIFACTS = REPO / "test-artifacts" / "screens" / "launch"


def test_the_demo_follows_kelisim_port_and_host() -> None:
    assert server_url({}) == "http://127.0.0.1:8000"
    assert server_url({"KELISIM_PORT": "8300"}) == "http://127.0.0.1:8300"
    assert server_url({"KELISIM_HOST": "192.0.2.7", "KELISIM_PORT": "9000"}) == \
        "http://192.0.2.7:9000"
    # A server bound to every address is reached on the loopback.
    assert server_url({"KELISIM_HOST": "0.0.0.0"}) == "http://127.0.0.1:8000"
    assert server_url({"KELISIM_HOST": "::"}) == "http://[::1]:8000"
    assert server_url({"KELISIM_HOST": "::1", "KELISIM_PORT": "8001"}) == "http://[::1]:8001"
    # KELISIM_DEMO_SERVER, when given, wins.
    assert server_url({"KELISIM_DEMO_SERVER": "https://consent.example.kz",
                       "KELISIM_PORT": "8300"}) == "https://consent.example.kz"
    for bad in ("eighty", "0", "70000", "-1"):
        with pytest.raises(ValueError, match="KELISIM_PORT"):
            server_url({"KELISIM_PORT": bad})


def test_the_demos_defaults_are_kelisim_serves() -> None:
    defaults = {f.name: f.default for f in fields(Settings)}
    assert (defaults["host"], defaults["port"]) == (DEFAULT_HOST, DEFAULT_PORT)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A real server (the demo app published) and the app's bundle from it."""
    tmp = tmp_path_factory.mktemp("launch")
    with demo_server(tmp) as server:
        bundle = tmp / "jana-courier.kelisim"
        kelisim_here(server["env"], "bundle", "jana-courier", str(bundle))
        yield {**server, "bundle": bundle, "tmp": tmp,
               "port": int(server["url"].rsplit(":", 1)[1])}


def _env(display: str, home: Path, **extra: str) -> dict[str, str]:
    """A person's shell: no Kivy or Kelisim settings but those given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KELISIM_", "KCFG_"))}
    return {**env, "DISPLAY": display, "PYTHONPATH": str(REPO), "KIVY_HOME": str(home),
            "KIVY_NO_CONSOLELOG": "1", **extra}


def _report(proc: subprocess.Popen[str], what: str) -> dict[str, Any]:
    try:
        out, err = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    assert proc.returncode == 0, f"{what} failed ({proc.returncode}):\n{out}\n{err[-4000:]}"
    report: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return report


@pytest.mark.slow
def test_the_demo_opens_phone_shaped_on_the_server_kelisim_port_names(
        served: dict[str, Any], display: str) -> None:
    tmp: Path = served["tmp"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    common = {"KELISIM_DEMO_BUNDLE": str(served["bundle"])}
    # A Kivy config.ini that chose its own size (what Kivy writes, with other values).
    chosen = tmp / "kivy-chosen"
    chosen.mkdir()
    (chosen / "config.ini").write_text("[graphics]\nwidth = 500\nheight = 700\n")
    runs = {
        # `KELISIM_PORT=... make demo`: no KELISIM_DEMO_SERVER (the Makefile sets none).
        "default": _env(display, tmp / "kivy-default", **common,
                        KELISIM_PORT=str(served["port"]), KELISIM_HOST="127.0.0.1",
                        KELISIM_DEMO_DATA=str(tmp / "data-default"),
                        KELISIM_DEMO_LOCALES="ky"),
        # Kivy's own environment names a size; KELISIM_DEMO_SERVER wins over KELISIM_PORT.
        "kcfg": _env(display, tmp / "kivy-kcfg", **common, KELISIM_PORT=str(free_port()),
                     KELISIM_DEMO_SERVER=served["url"], KCFG_GRAPHICS_WIDTH="640",
                     KCFG_GRAPHICS_HEIGHT="480", KELISIM_DEMO_DATA=str(tmp / "data-kcfg"),
                     KELISIM_DEMO_LOCALES="uz", KELISIM_DEMO_THEME="dark"),
        "config-ini": _env(display, chosen, **common, KELISIM_PORT=str(served["port"]),
                           KELISIM_DEMO_DATA=str(tmp / "data-ini"),
                           KELISIM_DEMO_LOCALES="en"),
    }
    started = {name: subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "ui" / "demo_launch.py"),
         str(ARTIFACTS / f"demo-{name}.png")], env=env, cwd=REPO, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True) for name, env in runs.items()}
    reports = {name: _report(proc, f"the demo ({name})") for name, proc in started.items()}
    for name, r in reports.items():
        assert r["server_url"] == served["url"], name
        assert r["refresh_ok"] is True and r["refresh_error"] == "", (name, r)
        assert r["shown"] == "ConsentScreen", (name, r)
    assert reports["default"]["window"] == list(PHONE)
    assert reports["kcfg"]["window"] == [640, 480]
    assert reports["config-ini"]["window"] == [500, 700]


@pytest.mark.slow
def test_the_readme_gate_lines_work_in_build(served: dict[str, Any], display: str) -> None:
    tmp: Path = served["tmp"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "readme-gate-in-build-en.png"
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "ui" / "readme_gate.py"),
         str(served["bundle"]), str(tmp / "data-readme"), str(shot)],
        env=_env(display, tmp / "kivy-readme"), cwd=tmp, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    r = _report(proc, "the README's gate lines in build()")
    assert r["shown_in_root"] is True and r["document_state"] == "ready", r
    assert "on_done" not in r  # the consent screen blocks until the user decides
    assert "parent" in r["without_an_app"] and "Kivy App" in r["without_an_app"]
    assert shot.stat().st_size > 10_000
