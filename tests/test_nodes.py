"""Issue 17 items 4 and 5: what nodes share, `kelisim node export/import`, a node that
lacks something refusing to start, and the warning while the root's private key is online.

The two-node tests run two real `kelisim serve` on one PostgreSQL schema: an install
registered on one node keeps its token, history and renewal on the other.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_serving import a_record, request, wait_for_listeners

from helpers import payload_of
from livesrv import KELISIM, free_port, get, kelisim, kelisim_here, running

pytestmark = pytest.mark.slow

APP = "jana-courier"
MANIFEST = f"/v1/apps/{APP}/manifest.json"
ROOT_WARNING = "holds the root's private key"


def node_env(folder: Path, database_url: str | None, **keys: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KELISIM_")}
    env.update({"KELISIM_INSTANCE_PATH": str(folder / "instance"),
                "KELISIM_RATE_LIMIT_IP": "off", "KELISIM_RATE_LIMIT_INSTALL": "off"})
    if database_url:
        env["KELISIM_DATABASE_URL"] = database_url
    env.update({f"KELISIM_{k}": v for k, v in keys.items()})
    return env


def refused(env: dict[str, str], *command: str) -> str:
    """Run ``command``; it must fail fast (not start a server); its output."""
    done = subprocess.run(list(command), env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def serve_refused(env: dict[str, str]) -> str:
    out = refused(env, KELISIM, "serve", "--port", str(free_port()))
    # The WSGI entry and the main process refuse alike when started directly.
    assert "cannot start" in refused(env, sys.executable, "-c", "import server.wsgi")
    assert "cannot start" in refused(env, sys.executable, "-m", "server.serving.master",
                                     "--port", str(free_port()))
    return out


@pytest.fixture
def pg_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("nodes share one PostgreSQL database")
    return database_url


def test_export_needs_a_shared_database_and_never_overwrites(tmp_path: Path,
                                                             database_url: str) -> None:
    env = node_env(tmp_path / "a", database_url)
    kelisim_here(env, "demo-setup")
    out = tmp_path / "node.json"
    if database_url.startswith("sqlite"):
        assert "nodes share one PostgreSQL database" in refused(
            env, KELISIM, "node", "export", str(out))
        assert not out.exists()
        return
    said = kelisim(env, "node", "export", str(out))
    assert str(out) in said and stat.S_IMODE(out.stat().st_mode) == 0o600
    doc = json.loads(out.read_text())
    assert sorted(name.split("-")[0] for name in doc["keys"]) == ["log", "manifest", "receipt"]
    assert sorted(doc["deployment_keys"]) == ["subject-hmac.key", "webhook_key"]
    assert not any(name.startswith("root-") for name in doc["keys"])  # stays offline
    assert doc["config"] == {"DATABASE_URL": database_url, "RATE_LIMIT_IP": "off",
                             "RATE_LIMIT_INSTALL": "off"}
    before = out.read_bytes()
    assert "exists" in refused(env, KELISIM, "node", "export", str(out))
    assert out.read_bytes() == before


def _post(port: int, auth: dict[str, str], manifest: dict[str, Any]) -> int:
    status, _, body = request(port, "POST", f"/v1/apps/{APP}/consents",
                              {"records": [a_record(manifest)]}, auth)
    assert status in (200, 401), body
    return status


def test_two_nodes_prepared_by_node_import_serve_one_user(tmp_path: Path,
                                                          pg_url: str) -> None:
    a = node_env(tmp_path / "a", pg_url, ROOT_KEY_ONLINE_OK="true")
    kelisim_here(a, "demo-setup")
    node_file = tmp_path / "node.json"
    kelisim(a, "node", "export", str(node_file))
    # Node B: an empty folder, not even DATABASE_URL; the node file brings all of it.
    b = node_env(tmp_path / "b", None)
    said = kelisim(b, "node", "import", str(node_file))
    instance = tmp_path / "b" / "instance"
    written = sorted(p for p in instance.rglob("*") if p.is_file())
    assert [p.name.split("-")[0] for p in written] == [
        "config.toml", "log", "manifest", "receipt", "subject", "secret_key", "webhook_key"]
    # One deployment: the same subject ids for a user, the same sealed webhook secrets.
    for name in ("keys/subject-hmac.key", "webhook_key"):
        assert (instance / name).read_bytes() == (tmp_path / "a" / "instance" / name
                                                  ).read_bytes()
    for path in written:
        assert f"wrote     {path}" in said
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(instance.glob("keys/root-*"))
    assert "unchanged" in kelisim(b, "node", "import", str(node_file))
    # A file that differs is never replaced, and nothing is written.
    config = instance / "config.toml"
    config.write_text(config.read_text() + "MANIFEST_MAX_AGE = 30\n")
    (instance / "keys" / written[1].name).unlink()
    out = refused(b, KELISIM, "node", "import", str(node_file))
    assert str(config) in out and "nothing was written" in out
    assert not (instance / "keys" / written[1].name).exists()
    config.write_text(config.read_text().replace("MANIFEST_MAX_AGE = 30\n", ""))
    kelisim(b, "node", "import", str(node_file))

    port_a, port_b = free_port(), free_port()
    with running(a, port_a), running(b, port_b):
        status, _, body = request(port_a, "POST", f"/v1/apps/{APP}/installs")
        assert status == 201
        install = json.loads(body)
        auth = {"Authorization": f"Bearer {install['token']}"}
        manifest = payload_of(get(port_a, MANIFEST)[2])
        # Fail-over A -> B -> A: one install, one history, whichever node answers.
        assert [_post(port, auth, manifest) for port in (port_a, port_b, port_a)] == \
            [200, 200, 200]
        history = f"/v1/apps/{APP}/installs/{install['install_id']}/consents"
        for port in (port_a, port_b):
            status, _, body = request(port, "GET", history, headers=auth)
            assert status == 200 and len(json.loads(body)["records"]) == 3
        # A token renewed on B works on A.
        status, _, body = request(port_b, "POST", history.replace("/consents", "/token"),
                                  headers=auth)
        assert status == 200, body
        renewed = {"Authorization": f"Bearer {json.loads(body)['token']}"}
        assert _post(port_a, renewed, manifest) == 200


def copy_keys(source: Path, target: Path, *roles: str) -> None:
    keys = target / "instance" / "keys"
    keys.mkdir(parents=True, mode=0o700, exist_ok=True)
    for role in roles:
        for key in (source / "instance" / "keys").glob(f"{role}-*.pem"):
            (keys / key.name).write_bytes(key.read_bytes())
            os.chmod(keys / key.name, 0o600)


def test_a_node_that_lacks_something_refuses_to_start(tmp_path: Path, pg_url: str) -> None:
    a = node_env(tmp_path / "a", pg_url)
    kelisim_here(a, "demo-setup")
    # Set up as docs/operations.md used to say: the database and the manifest key.
    c = node_env(tmp_path / "c", pg_url)
    copy_keys(tmp_path / "a", tmp_path / "c", "manifest")
    out = serve_refused(c)
    assert "lacks the receipt key" in out and "lacks the manifest key" not in out
    assert "kelisim node import" in out
    for key in (tmp_path / "c" / "instance" / "keys").glob("manifest-*.pem"):
        key.unlink()
    out = serve_refused(c)
    assert "lacks the receipt key" in out and "lacks the manifest key" in out
    # Once an install exists, a node without the secret that signed its token would
    # make its own and refuse it: it stops before, naming the secret.
    port = free_port()
    with running(a, port):
        assert request(port, "POST", f"/v1/apps/{APP}/installs")[0] == 201
    d = node_env(tmp_path / "d", pg_url)  # the keys copied, the secret forgotten
    copy_keys(tmp_path / "a", tmp_path / "d", "manifest", "receipt")
    out = serve_refused(d)
    assert "no secret key" in out and "SECRET_KEY" in out
    assert not (tmp_path / "d" / "instance" / "secret_key").exists()


def test_a_single_node_without_its_receipt_key_refuses_to_start(tmp_path: Path) -> None:
    env = node_env(tmp_path, None)
    kelisim_here(env, "demo-setup")
    for key in (tmp_path / "instance" / "keys").glob("receipt-*.pem"):
        key.unlink()
    out = serve_refused(env)
    assert "lacks the receipt key" in out and "receipt-" in out


# -- item 5: the root's private key ------------------------------------------------------
def test_root_key_online_is_said_once_per_start(tmp_path: Path) -> None:
    env = node_env(tmp_path, None)
    kelisim_here(env, "demo-setup")  # as `make run` does
    keys = tmp_path / "instance" / "keys"
    for case, extra, expected in (("online", {}, 1),
                                  ("acknowledged", {"KELISIM_ROOT_KEY_ONLINE_OK": "true"}, 0),
                                  ("moved offline", {}, 0)):
        if case == "moved offline":
            offline = tmp_path / "offline"
            offline.mkdir()
            for key in keys.glob("root-*.pem"):
                key.rename(offline / key.name)
        port = free_port()
        with running({**env, **extra}, port, workers=2):
            wait_for_listeners(port, 2)  # both workers started (and said what they say)
            assert get(port, MANIFEST)[0] == 200
            log = (tmp_path / "instance" / f"server-{port}.log").read_text().splitlines()
        warned = [line for line in log if ROOT_WARNING in line]
        assert len(warned) == expected, (case, log)
        # Nothing else a newcomer must read: the banner, and the one warning.
        assert all(line.startswith(("Kelisim on ", "  ")) or line in warned
                   for line in log), log
    # A plain WSGI server's worker says it once, as it starts.
    for key in (tmp_path / "offline").glob("root-*.pem"):
        key.rename(keys / key.name)
    done = subprocess.run([sys.executable, "-c", "import server.wsgi"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count(ROOT_WARNING) == 1, done.stderr
