"""The production server (granian, two worker processes) on 127.0.0.1."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import DEMO
from helpers import MANIFEST_TYPE, payload_of, verified_root, verify
from livesrv import free_port, get, kelisim, running

pytestmark = pytest.mark.slow



@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[dict[str, Any]]:
    env = {**os.environ, "KELISIM_INSTANCE_PATH": str(tmp_path / "instance"),
           "KELISIM_DATABASE_URL": database_url}
    kelisim(env, "demo-setup")
    port = free_port()
    with running(env, port) as proc:
        yield {"port": port, "env": env, "proc": proc}


def test_serves_verifiable_manifest_and_documents(server: dict[str, Any]) -> None:
    port = server["port"]
    status, _, root_env = get(port, "/v1/root/1.json")
    assert status == 200
    root = verified_root(root_env)
    status, headers, env = get(port, "/v1/apps/jana-courier/manifest.json")
    assert status == 200 and headers["cache-control"] == "public, max-age=60"
    manifest = verify(env, root, "manifest", MANIFEST_TYPE)
    assert manifest["current"]["label"] == "2.0"
    for tag, doc in manifest["current"]["locales"].items():
        status, headers, body = get(port, doc["url"])
        assert status == 200 and len(body) == doc["length"]
        assert body == (DEMO / "2.0" / f"{tag}.md").read_bytes()
    status, headers, body = get(port, "/v1/apps/jana-courier/manifest.json",
                                 {"If-None-Match": headers_etag(port)})
    assert status == 304 and body == b""
    status, _, body = get(port, "/v1/apps/unknown/manifest.json")
    assert status == 404 and b'"not_found"' in body


def headers_etag(port: int) -> str:
    return get(port, "/v1/apps/jana-courier/manifest.json")[1]["etag"]


def test_publish_is_visible_on_every_worker_within_two_seconds(
        server: dict[str, Any], tmp_path: Path) -> None:
    port = server["port"]
    # Warm every worker's cache with the current manifest.
    for _ in range(20):
        assert payload_of(get(port, "/v1/apps/jana-courier/manifest.json")[2])["seq"] == 2
    v3 = tmp_path / "jana-courier" / "2.1"
    v3.mkdir(parents=True)
    for f in (p.name for p in (DEMO / "2.0").glob("*.md")):
        (v3 / f).write_text((DEMO / "2.0" / f).read_text() + "\n\n2.1\n")
    toml = (DEMO / "2.0" / "version.toml").read_text()
    (v3 / "version.toml").write_text(toml.replace('label = "2.0"', 'label = "2.1"')
                                     .replace('significance = "major"', 'significance = "patch"'))
    kelisim(server["env"], "publish", str(v3), "--app", "jana-courier")
    published_at = time.monotonic()
    seen_new = 0
    while time.monotonic() - published_at < 2.0:
        seq = payload_of(get(port, "/v1/apps/jana-courier/manifest.json")[2])["seq"]
        seen_new = seen_new + 1 if seq == 3 else 0
        if seen_new >= 20:  # twenty fresh connections in a row, spread over both workers
            break
        time.sleep(0.02)
    assert seen_new >= 20, "a worker still served the old manifest 2 s after publishing"
