"""The production server (granian, two worker processes) on 127.0.0.1."""

from __future__ import annotations

import http.client
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from builders import DEMO, server_env
from helpers import MANIFEST_TYPE, payload_of, verified_root, verify
from livesrv import demo_setup, free_port, get, kelisim_here, running, stop, until
from server import create_app

pytestmark = pytest.mark.slow



@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[dict[str, Any]]:
    env = server_env(tmp_path / "instance", database_url)
    demo_setup(env)
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
    kelisim_here(server["env"], "publish", str(v3), "--app", "jana-courier")
    published_at = time.monotonic()
    seen_new = 0
    while time.monotonic() - published_at < 2.0:
        seq = payload_of(get(port, "/v1/apps/jana-courier/manifest.json")[2])["seq"]
        seen_new = seen_new + 1 if seq == 3 else 0
        if seen_new >= 20:  # twenty fresh connections in a row, spread over both workers
            break
        time.sleep(0.02)
    assert seen_new >= 20, "a worker still served the old manifest 2 s after publishing"


def _fetch(port: int, method: str, path: str, headers: dict[str, str]
           ) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_public_reads_answer_exactly_as_the_wsgi_app(server: dict[str, Any]) -> None:
    """granian's hand-off thread (server/serving/handoff.py), the event loop and Flask's fast path
    give the same status, headers and body to every public read."""
    port, env = server["port"], server["env"]
    app = create_app({"INSTANCE_PATH": env["KELISIM_INSTANCE_PATH"],
                      "DATABASE_URL": env["KELISIM_DATABASE_URL"]})
    try:
        client = app.test_client()
        manifest = payload_of(get(port, "/v1/apps/jana-courier/manifest.json")[2])
        paths = ["/v1/root.json", "/v1/root/1.json", "/v1/root/9.json",
                 "/v1/apps/jana-courier/manifest.json", "/v1/apps/nobody/manifest.json",
                 manifest["current"]["locales"]["kk"]["url"], "/v1/documents/" + "0" * 64]
        compared = 0
        for path in paths:
            etag = client.get(path).headers.get("ETag", '"none"')
            for inm in (None, etag, f"W/{etag}", f'"x", W/{etag}', "*", '"other"'):
                headers = {} if inm is None else {"If-None-Match": inm}
                for method in ("GET", "HEAD"):
                    want = client.open(path, method=method, headers=headers)
                    # Twice: the first may fill a worker's cache, the second is answered
                    # from it; spread over both workers by new connections.
                    for _ in range(2):
                        status, got, body = _fetch(port, method, path, headers)
                        got.pop("date", None)
                        got.pop("server", None)
                        assert (status, got, body) == (
                            want.status_code, {k.lower(): v for k, v in want.headers.items()},
                            want.data), (method, path, inm)
                        compared += 1
    finally:
        app.extensions["kelisim"].db.dispose()  # no pooled connection left to the GC
    assert compared == len(paths) * 6 * 2 * 2


@pytest.mark.slow
def test_a_worker_told_to_stop_while_loading_its_app_stops_at_once(tmp_path: Path) -> None:
    """A worker still loading its app had the main process's signal handlers: it ignored
    the SIGTERM of a stop, and granian killed it only after workers_kill_timeout (5 s)."""
    loading = tmp_path / "loading"
    env = {**server_env(tmp_path / "instance"), "KELISIM_NODE_CHECKED": "1",
           "KELISIM_TEST_LOADING": str(loading),
           "PYTHONPATH": str(Path(__file__).parent)}
    proc = subprocess.Popen([sys.executable, "-m", "server.serving.master", "--port",
                             str(free_port()), "--workers", "1", "loading_target:rsgi"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        until(lambda: loading.exists() and loading.read_text() != "", "the worker to load")
        worker = int(loading.read_text())
        began = time.monotonic()
        proc.send_signal(signal.SIGTERM)  # the main process only, as `kill PID` does
        proc.wait(timeout=30)
        assert time.monotonic() - began < 5.0  # granian's workers_kill_timeout
        assert not Path(f"/proc/{worker}").exists()
    finally:
        stop(proc, kill=True)


@pytest.mark.slow
def test_the_main_process_imports_all_the_app_imports(tmp_path: Path) -> None:
    """PRELOAD (what the main process imports before granian forks the workers) holds every
    module of ours that making the app imports: a worker imports none of them again."""
    code = ("import importlib, sys\n"
            "from server.serving.master import PRELOAD\n"
            "for m in PRELOAD: importlib.import_module(m)\n"
            "before = set(sys.modules)\n"
            "from server.app import create_app\n"
            "create_app()\n"
            "print(sorted(m for m in set(sys.modules) - before if m.startswith('server')))\n")
    done = subprocess.run([sys.executable, "-c", code], env=server_env(tmp_path / "instance"),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
