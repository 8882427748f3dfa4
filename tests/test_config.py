"""Configuration: defaults, instance config.toml, KELISIM_* variables, errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.config import ConfigError, load_config


def test_defaults_and_derived_paths(tmp_path: Path) -> None:
    cfg = load_config({"INSTANCE_PATH": str(tmp_path)}, environ={})
    assert cfg["DATABASE_URL"] == f"sqlite:///{tmp_path / 'kelisim.db'}"
    assert cfg["KEYS_DIR"] == str(tmp_path / "keys")
    assert cfg["MANIFEST_TTL"] == 7 * 24 * 3600 and cfg["PORT"] == 8000


def test_order_file_then_environment(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("PORT = 9000\nMANIFEST_MAX_AGE = 30\n")
    cfg = load_config(environ={"KELISIM_INSTANCE_PATH": str(tmp_path),
                               "KELISIM_PORT": "9100"})
    assert cfg["PORT"] == 9100 and cfg["MANIFEST_MAX_AGE"] == 30


@pytest.mark.parametrize("content,message", [
    ("PORTT = 1\n", "unknown key(s) ['PORTT']"),
    ("PORT = \n", "config.toml: Invalid value"),
    ("PORT = true\n", "KELISIM_PORT: True is not an integer"),
    ("INSTANCE_PATH = '/x'\n", "INSTANCE_PATH cannot be set"),
])
def test_bad_instance_config(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "config.toml").write_text(content)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config({"INSTANCE_PATH": str(tmp_path)}, environ={})


@pytest.mark.parametrize("env,message", [
    ({"KELISIM_MANIFEST_TTL": "week"}, "KELISIM_MANIFEST_TTL: 'week' is not an integer"),
    ({"KELISIM_PORT": "-1"}, "KELISIM_PORT: must not be negative"),
    ({"KELISIM_RESIGN_BEFORE": "999999999"}, "must be shorter than KELISIM_MANIFEST_TTL"),
])
def test_bad_environment(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config({"INSTANCE_PATH": str(tmp_path)}, environ=env)


def test_cli_reports_config_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from server.cli import main

    monkeypatch.setenv("KELISIM_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("KELISIM_MANIFEST_TTL", "week")
    result = CliRunner().invoke(main, ["apps", "list"])
    assert result.exit_code != 0
    assert "KELISIM_MANIFEST_TTL: 'week' is not an integer" in result.output


def test_every_setting_is_documented_and_every_documented_key_exists() -> None:
    """docs/configuration.md's table and the typed Settings list the same keys."""
    from server.config import DEFAULTS

    doc = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text()
    rows = re.findall(r"^\| (`[A-Z_]+`(?:, `[A-Z_]+`)*) \|", doc, re.MULTILINE)
    keys = [key for row in rows for key in re.findall(r"`([A-Z_]+)`", row)]
    assert sorted({k for k in keys if keys.count(k) > 1}) == []  # one row each
    assert set(keys) == set(DEFAULTS)


def test_settings_are_typed_values() -> None:
    """load_settings gives typed fields: numbers from environment strings, secrets as a list."""
    from server.config import load_settings

    s = load_settings({"INSTANCE_PATH": "/tmp/x"}, {"KELISIM_PORT": "9001",
                                                     "KELISIM_BODY_READ_TIMEOUT": "2.5",
                                                     "KELISIM_SECRET_KEY": "a b"})
    assert (s.port, s.body_read_timeout, s.secret_key) == (9001, 2.5, ["a", "b"])
    assert s.keys_dir == "/tmp/x/keys" and s.limit("RATE_LIMIT_IP") == "1200/minute"
