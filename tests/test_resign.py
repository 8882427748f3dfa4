"""Re-signing before expiry and when an upcoming version takes effect."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from client_sdk.timeutil import parse_time, utcnow
from helpers import MANIFEST_TYPE, payload_of, verified_root, verify
from server import Kelisim

MANIFEST = "/v1/apps/jana-courier/manifest.json"


@pytest.fixture
def config(config: dict[str, Any]) -> dict[str, Any]:
    # A manifest that lives 1 hour and is re-signed when 50 minutes are left: due at once.
    return {**config, "MANIFEST_TTL": 3600, "RESIGN_BEFORE": 3000}


def test_served_manifest_is_resigned_when_due(client: FlaskClient, published: Path,
                                              kelisim: Kelisim) -> None:
    first = payload_of(client.get(MANIFEST).data)
    expires = parse_time(first["expires"])
    assert timedelta(minutes=59) <= expires - utcnow() <= timedelta(hours=1)
    # Ten minutes later the re-sign point (expires - 50 min) has passed.
    later = utcnow() + timedelta(minutes=11)
    blob = kelisim.published.manifest("jana-courier", now=later)
    assert blob is not None
    second = verify(blob.body, verified_root(client.get("/v1/root.json").data), "manifest",
                    MANIFEST_TYPE)
    assert second["seq"] == first["seq"] + 1
    assert second["current"] == first["current"]
    assert parse_time(second["expires"]) > expires


def test_resign_command(cli, published: Path) -> None:
    out = cli("resign").output
    assert "jana-courier: seq 1 good until" in out
    out = cli("resign", "jana-courier", "--force").output
    assert "jana-courier: seq 2 signed" in out
    assert "unknown app 'nosuch'" in cli("resign", "nosuch", ok=False).output


def test_upcoming_takes_over_at_its_effective_time(client: FlaskClient, cli,
                                                   published: Path) -> None:
    when = utcnow() + timedelta(seconds=2)
    toml = published / "2.0" / "version.toml"
    toml.write_text(f"effective = {when.strftime('%Y-%m-%dT%H:%M:%SZ')}\n" + toml.read_text())
    cli("publish", str(published / "2.0"))
    before = payload_of(client.get(MANIFEST).data)
    assert before["current"]["label"] == "1.0" and before["upcoming"]["label"] == "2.0"
    time.sleep(max(0.0, (when - utcnow()).total_seconds()) + 1.1)
    after = payload_of(client.get(MANIFEST).data)
    assert after["seq"] == before["seq"] + 1
    assert after["current"]["label"] == "2.0" and after["upcoming"] is None
    assert [h["label"] for h in after["history"]] == ["1.0"]
