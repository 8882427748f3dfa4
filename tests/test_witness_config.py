"""The witnesses the log submits to: `kelisim root rotate --add-witness/--remove-witness/
--witness-threshold` (server/trust/roots.py) and WITNESS_URLS (server/config.py). SQLite
and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from helpers import verified_root
from server.config import witness_urls
from server.errors import ConfigError
from server.witness.keys import create_key


def _root(client: FlaskClient) -> dict[str, Any]:
    return verified_root(client.get("/v1/root.json").data)


def _vkey(tmp_path: Any, name: str) -> str:
    return create_key(tmp_path / name.replace("/", "_"), name).verifier.vkey()


def test_root_rotate_adds_and_removes_witnesses(cli: Any, client: FlaskClient,
                                                tmp_path: Any) -> None:
    cli("keys", "init")
    v1, v2 = _vkey(tmp_path, "w.test/one"), _vkey(tmp_path, "w.test/two")
    out = cli("root", "rotate", "--add-witness", v1, "--add-witness", v2,
              "--witness-threshold", "2").output
    assert "witnesses: w.test/one, w.test/two (threshold 2)" in out
    root = _root(client)
    assert root["version"] == 2 and root["witness_threshold"] == 2
    assert root["witnesses"] == [{"name": "w.test/one", "vkey": v1},
                                 {"name": "w.test/two", "vkey": v2}]
    log = root["log"]
    # Refused, and no root signed: a threshold above n, a witness twice, an unknown
    # name, a key that is not a cosignature key (the log's own).
    for args, message in [
            (("--remove-witness", "w.test/two"), "between 0 and the number of witnesses (1)"),
            (("--add-witness", v1), "named 'w.test/one' already"),
            (("--remove-witness", "w.test/three"), "no witness named 'w.test/three'"),
            (("--add-witness", log["keys"][0]),
             "cosignature (0x04) key")]:
        result = cli("root", "rotate", *args, ok=False)
        assert message in result.output, result.output
        assert _root(client)["version"] == 2
    cli("root", "rotate", "--remove-witness", "w.test/two", "--witness-threshold", "1")
    root = _root(client)
    assert [w["name"] for w in root["witnesses"]] == ["w.test/one"]
    assert root["witness_threshold"] == 1 and root["log"] == log
    cli("root", "rotate")  # an extension keeps them
    assert _root(client)["witnesses"] == root["witnesses"]


def test_witness_urls_parse() -> None:
    assert witness_urls(" a/w1=http://127.0.0.1:1 , b=https://w.example/x?y=1,") == {
        "a/w1": "http://127.0.0.1:1", "b": "https://w.example/x?y=1"}
    assert witness_urls("") == {}
    for bad in ("a", "=http://x", "a=file:///etc/passwd", "a=http://x,a=http://y"):
        with pytest.raises(ConfigError, match="KELISIM_WITNESS_URLS"):
            witness_urls(bad)
