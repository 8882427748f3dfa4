"""Root rotation: N+1 is signed by N's keys and its own; manifests move to the new key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from securesystemslib.exceptions import VerificationError

from helpers import MANIFEST_TYPE, verified_root, verify
from server import Kelisim

MANIFEST = "/v1/apps/jana-courier/manifest.json"


def test_rotate_manifest_key(cli, client: FlaskClient, published: Path,
                             kelisim: Kelisim) -> None:
    root1 = verified_root(client.get("/v1/root/1.json").data)
    old_key = root1["roles"]["manifest"]["keyids"][0]
    out = cli("root", "rotate", "--new", "manifest").output
    assert "root v2 signed; re-signed 1 manifest(s)" in out
    root2 = verified_root(client.get("/v1/root/2.json").data, trusted=root1)
    assert client.get("/v1/root.json").data == client.get("/v1/root/2.json").data
    new_key = root2["roles"]["manifest"]["keyids"][0]
    assert new_key != old_key and old_key not in root2["keys"]
    assert root2["roles"]["root"] == root1["roles"]["root"]
    manifest_env = client.get(MANIFEST).data
    manifest = verify(manifest_env, root2, "manifest", MANIFEST_TYPE)
    assert manifest["seq"] == 2
    # The compromised key no longer counts: the old root's manifest role rejects it.
    with pytest.raises(VerificationError):
        verify(manifest_env, root1, "manifest", MANIFEST_TYPE)
    # Later publishes use the new key too.
    cli("publish", str(published / "2.0"))
    verify(client.get(MANIFEST).data, root2, "manifest", MANIFEST_TYPE)


def test_rotate_root_key_with_offline_keys(cli, client: FlaskClient, published: Path,
                                           kelisim: Kelisim, tmp_path: Path) -> None:
    offline = tmp_path / "offline"
    offline.mkdir(mode=0o700)
    for f in kelisim.keys_dir.glob("root-*.pem"):
        shutil.move(str(f), offline / f.name)
    out = cli("root", "rotate", "--new", "root", ok=False).output
    assert "needs 1 of its root keys to sign; found 0" in out
    assert client.get("/v1/root/2.json").status_code == 404
    cli("root", "rotate", "--new", "root", "--root-key", str(offline))
    root1 = verified_root(client.get("/v1/root/1.json").data)
    root2 = verified_root(client.get("/v1/root/2.json").data, trusted=root1)
    assert root2["roles"]["root"]["keyids"] != root1["roles"]["root"]["keyids"]
    # Root 3 is signed with the key that root 2 introduced, found in KEYS_DIR.
    cli("root", "rotate")
    verified_root(client.get("/v1/root/3.json").data, trusted=root2)


def test_threshold_two_of_three(cli, client: FlaskClient, kelisim: Kelisim,
                                tmp_path: Path) -> None:
    cli("keys", "init", "--root-keys", "3", "--root-threshold", "2")
    keys = sorted(kelisim.keys_dir.glob("root-*.pem"))
    away = tmp_path / "away"
    away.mkdir(mode=0o700)
    for f in keys[:2]:
        shutil.move(str(f), away / f.name)
    out = cli("root", "rotate", ok=False).output
    assert "needs 2 of its root keys to sign; found 1" in out
    cli("root", "rotate", "--root-key", str(away / keys[0].name))
    root1 = verified_root(client.get("/v1/root/1.json").data)
    verified_root(client.get("/v1/root/2.json").data, trusted=root1)


def test_rotate_before_init_fails(cli) -> None:
    assert "no root yet" in cli("root", "rotate", ok=False).output
