"""The sync protocol's client side against the real server, on SQLite and PostgreSQL:
a wrong device clock never blocks a withdrawal; a changed SECRET_KEY never strands records."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from builders import RATE_LIMITS_OFF, server_env
from client_sdk import ConsentClient
from client_sdk.protocol.timeutil import utcnow
from livesrv import demo_setup, free_port, kelisim_here, running

pytestmark = pytest.mark.slow
APP = "jana-courier"


def setup(tmp_path: Path, database_url: str) -> dict[str, Any]:
    env = server_env(tmp_path / "instance", database_url, **RATE_LIMITS_OFF)
    demo_setup(env)
    static = tmp_path / "static"
    kelisim_here(env, "export-static", str(static))
    return {"env": env, "root": (static / "v1/root/1.json").read_bytes(),
            "manifest": (static / f"v1/apps/{APP}/manifest.json").read_bytes()}


def stored(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    lines = kelisim_here(env, "consents", "export", APP).splitlines()
    return {r["record_id"]: r for r in map(json.loads, lines)}


@pytest.mark.parametrize("skew", [timedelta(days=5 * 365), timedelta(days=-5 * 365),
                                  timedelta(days=2)], ids=["+5y", "-5y", "+2d"])
def test_a_wrong_clock_never_blocks_a_withdrawal(tmp_path: Path, database_url: str,
                                                  skew: timedelta) -> None:
    srv = setup(tmp_path, database_url)
    port = free_port()
    moment = {"now": utcnow() + skew}
    client = ConsentClient(f"http://127.0.0.1:{port}", APP, srv["root"], tmp_path / "app",
                           bundled_manifest=srv["manifest"], clock=lambda: moment["now"])
    skewed = client.accept(age_confirmed=True)  # recorded while the device clock was wrong
    moment["now"] = utcnow()
    withdrawal = client.withdraw()
    with running(srv["env"], port):
        result = client.sync()
    assert result.ok and result.pending == 0, result.error
    history = {r.id: r for r in client.history()}
    assert history[withdrawal.id].status == "synced"
    on_server = stored(srv["env"])
    assert withdrawal.id in on_server
    # The server either keeps the decision with a skew flag, or refuses it for good and the
    # SDK sets it aside with the reason; it never stays pending, blocking what follows.
    if history[skewed.id].status == "rejected":
        assert "client_time" in (history[skewed.id].reason or "")
        assert skewed.id not in on_server
    else:
        assert history[skewed.id].status == "synced" and skewed.id in on_server


def test_a_new_secret_key_registers_the_install_again(tmp_path: Path,
                                                      database_url: str) -> None:
    srv = setup(tmp_path, database_url)
    port = free_port()
    client = ConsentClient(f"http://127.0.0.1:{port}", APP, srv["root"], tmp_path / "app",
                           bundled_manifest=srv["manifest"])
    first = client.accept(age_confirmed=True)
    with running({**srv["env"], "KELISIM_SECRET_KEY": "a" * 40}, port):
        assert client.sync().synced == 1
    old_install = client.store.get_meta("install_id")
    withdrawal = client.withdraw()
    with running({**srv["env"], "KELISIM_SECRET_KEY": "b" * 40}, port):
        result = client.sync()
    assert (result.ok, result.synced, result.pending) == (True, 1, 0), result.error
    new_install = client.store.get_meta("install_id")
    assert new_install is not None and new_install != old_install
    on_server = stored(srv["env"])
    assert on_server[first.id]["install_id"] == (old_install or b"").decode()
    assert on_server[withdrawal.id]["install_id"] == new_install.decode()
