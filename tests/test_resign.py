"""Re-signing before expiry and when an upcoming version takes effect, on an injected clock:
every moment is a parameter, so nothing depends on how fast the machine runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from client_sdk.protocol.timeutil import format_time, parse_time
from helpers import MANIFEST_TYPE, verified_root, verify
from server import Kelisim
from server.policy.publish import publish_version, register_app
from server.policy.source import load_app_dir, load_version_dir
from server.trust.roots import init_root

APP = "jana-courier"
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def config(config: dict[str, Any]) -> dict[str, Any]:
    # A manifest that lives 1 hour and is re-signed when 50 minutes are left.
    return {**config, "MANIFEST_TTL": 3600, "RESIGN_BEFORE": 3000}


def _publish(k: Kelisim, folder: Path, now: datetime) -> None:
    with k.db.session() as s:
        publish_version(s, APP, load_version_dir(folder, 1 << 20), k.keys_dir, now, k.timing,
                        actor="test", app_meta=load_app_dir(folder.parent))


@pytest.fixture
def at_now(kelisim: Kelisim, demo_dir: Path) -> Path:
    """Keys, the demo app and its version 1.0, all done at NOW."""
    with kelisim.db.session() as s:
        init_root(s, kelisim.keys_dir, NOW, kelisim.root_ttl, actor="test")
        register_app(s, load_app_dir(demo_dir), NOW, actor="test")
    _publish(kelisim, demo_dir / "1.0", NOW)
    return demo_dir


def _manifest(k: Kelisim, now: datetime) -> dict[str, Any]:
    blob = k.published.manifest(APP, now=now)
    assert blob is not None
    root = k.published.root()
    assert root is not None
    return verify(blob.body, verified_root(root.body), "manifest", MANIFEST_TYPE)


def test_served_manifest_is_resigned_when_due(kelisim: Kelisim, at_now: Path) -> None:
    first = _manifest(kelisim, NOW)
    assert (first["issued"], first["expires"]) == (format_time(NOW),
                                                   format_time(NOW + timedelta(hours=1)))
    # The re-sign point is expires - 50 min = NOW + 10 min: one second before, nothing.
    due = NOW + timedelta(minutes=10)
    assert _manifest(kelisim, due - timedelta(seconds=1))["seq"] == first["seq"]
    second = _manifest(kelisim, due)
    assert second["seq"] == first["seq"] + 1
    assert second["current"] == first["current"]
    assert parse_time(second["expires"]) == due + timedelta(hours=1)


def test_resign_command(cli, published: Path) -> None:
    out = cli("resign").output
    assert "jana-courier: seq 1 good until" in out
    out = cli("resign", "jana-courier", "--force").output
    assert "jana-courier: seq 2 signed" in out
    assert "unknown app 'nosuch'" in cli("resign", "nosuch", ok=False).output


def test_upcoming_takes_over_at_its_effective_time(kelisim: Kelisim, at_now: Path) -> None:
    when = NOW + timedelta(seconds=2)
    toml = at_now / "2.0" / "version.toml"
    toml.write_text(f"effective = {format_time(when)}\n" + toml.read_text())
    _publish(kelisim, at_now / "2.0", NOW)
    before = _manifest(kelisim, NOW)
    assert before["current"]["label"] == "1.0" and before["upcoming"]["label"] == "2.0"
    assert _manifest(kelisim, when - timedelta(seconds=1))["seq"] == before["seq"]
    after = _manifest(kelisim, when)
    assert after["seq"] == before["seq"] + 1
    assert after["current"]["label"] == "2.0" and after["upcoming"] is None
    assert [h["label"] for h in after["history"]] == ["1.0"]
