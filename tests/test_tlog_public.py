"""The consent log's public files on a real server over 127.0.0.1 (C2SP tlog-tiles:
checkpoint and tiles, hashes only), concurrent sequencing across workers, and
``export-static`` writing the same bytes. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from test_tlog_server import check_proofs

from builders import APP, RATE_LIMITS_OFF, record, server_env
from client_sdk.protocol.tlog import (
    Tile,
    parse_vkey,
    tile_hash_reader,
    tiles_for_size,
    tree_hash,
    verify_checkpoint,
)
from helpers import payload_of, verified_root
from livesrv import free_port, get, post_json, running

pytestmark = pytest.mark.rate_limits_off
PREFIX = f"/v1/apps/{APP}/log"


def _install(port: int) -> tuple[str, str]:
    status, body = post_json(port, f"/v1/apps/{APP}/installs", {})
    assert status == 201, body
    return body["install_id"], body["token"]


def test_checkpoint_and_tiles_served_and_exported(config: dict[str, Any], cli: Any,
                                                  published: Path, tmp_path: Path) -> None:
    port = free_port()
    env = server_env(config["INSTANCE_PATH"], config["DATABASE_URL"], **RATE_LIMITS_OFF)
    with running(env, port, workers=2):
        root = verified_root(get(port, "/v1/root.json")[2])
        manifest = payload_of(get(port, f"/v1/apps/{APP}/manifest.json")[2])
        assert get(port, f"{PREFIX}/checkpoint")[0] == 404  # nothing logged yet
        # 260 records: one full tile at level 0 and a partial one of 4.
        install_id, token = _install(port)
        recs = [record(manifest) for _ in range(260)]
        status, body = post_json(port, f"/v1/apps/{APP}/consents", {"records": recs}, token)
        assert status == 200, body
        assert check_proofs(root, install_id, recs[:3], {
            "receipts": body["receipts"], "records": body["records"][:3]}) == [260] * 3

        # Twenty installs at once, one record each, over two workers: every proof holds.
        answers: list[tuple[str, dict[str, Any], tuple[int, Any]]] = []
        barrier = threading.Barrier(20)

        def one() -> None:
            iid, tok = _install(port)
            rec = record(manifest)
            barrier.wait(30)
            answers.append((iid, rec, post_json(port, f"/v1/apps/{APP}/consents",
                                            {"records": [rec]}, tok)))
        threads = [threading.Thread(target=one) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(answers) == 20
        for iid, rec, (status, answer) in answers:
            assert status == 200, answer
            check_proofs(root, iid, [rec], answer)

        status, headers, note = get(port, f"{PREFIX}/checkpoint")
        assert status == 200 and headers["cache-control"] == "public, max-age=5"
        verified = verify_checkpoint(note, origin=f"{root['log']['origin_prefix']}/{APP}",
                                     log_key=parse_vkey(root["log"]["keys"][0]))
        size = verified.checkpoint.size
        assert size == 280
        fetched: dict[str, bytes] = {}

        def read_tiles(tiles: list[Tile]) -> list[bytes]:
            out = []
            for tile in tiles:
                status, headers, data = get(port, f"{PREFIX}/{tile.path()}")
                assert status == 200, (tile.path(), data)
                assert headers["cache-control"] == (
                    "public, max-age=31536000, immutable" if tile.full else "public, max-age=5")
                assert headers["content-type"] == "application/octet-stream"
                fetched[tile.path()] = data
                out.append(data)
            return out
        # Anyone can recompute the signed root from the public tiles alone.
        assert tree_hash(size, tile_hash_reader(size, read_tiles)) == \
            verified.checkpoint.root_hash
        read_tiles(tiles_for_size(size))  # and every tile of the tree
        assert set(fetched) == {"tile/0/000", "tile/0/001.p/24", "tile/1/000.p/1"}
        # A full tile again comes from memory, the same bytes; ETag revalidation works.
        status, headers, again = get(port, f"{PREFIX}/tile/0/000")
        assert again == fetched["tile/0/000"]
        assert get(port, f"{PREFIX}/tile/0/000",
                   {"If-None-Match": headers["etag"]})[0] == 304
        # What the log does not hold, or no tile path at all: a JSON 404, never a 500.
        for bad in ["tile/0/001", "tile/0/001.p/25", "tile/1/000", "tile/entries/000",
                    "tile/0/0", "tile/0/x000/000", "tile/99/000", "tile/0/000.p/256",
                    "tile/0/x999/x999/x999/x999/x999/999", "tile/3/x999/999.p/1", "entries",
                    "checkpoint/"]:
            status, headers, data = get(port, f"{PREFIX}/{bad}")
            assert status == 404, (bad, status, data)
            assert json.loads(data)["error"]["code"] == "not_found"
        assert get(port, "/v1/apps/no-such-app/log/checkpoint")[0] == 404
        # The OpenAPI document names the prefix.
        doc = json.loads(get(port, "/v1/openapi.json")[2])
        assert doc["x-kelisim-log-prefix"] == "/v1/apps/{app_id}/log"
        assert "/v1/apps/{app_id}/log/checkpoint" in doc["paths"]

        # export-static writes the same files beside the manifests.
        out = tmp_path / "static"
        assert "consent log file(s)" in cli("export-static", str(out)).output
        base = out / "v1" / "apps" / APP / "log"
        assert (base / "checkpoint").read_bytes() == note
        for path, data in fetched.items():
            assert (base / path).read_bytes() == data
        files = {str(p.relative_to(base)) for p in base.rglob("*") if p.is_file()}
        assert files == {"checkpoint", *fetched}
        assert not any("entries" in f for f in files)
