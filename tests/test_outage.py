"""Issue 17 item 1: the database goes (PostgreSQL unreachable, SQLite's disk full) under a
real `kelisim serve`: sync answers 503 with Retry-After, what workers hold in memory keeps
being served, /healthz says not ready, the log gets one line per worker when the database
goes and one when it is back, and no traceback; when it is back, everything works again.

PostgreSQL: the server reaches it through a TCP proxy the test cuts (tests/outage.py), the
shared PostgreSQL is never stopped. SQLite: the database lives on a tmpfs of 8 MiB that the
test fills to the last byte (after truncating the WAL, so that the next write must grow it).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from outage import TcpProxy, checkpoint, fill, small_disk
from test_serving import a_record, request

from helpers import payload_of
from livesrv import demo_setup, free_port, get, running, until

pytestmark = pytest.mark.slow

APP = "jana-courier"
MANIFEST = f"/v1/apps/{APP}/manifest.json"


class Outage:
    """A server whose database the test can take away and give back."""

    def __init__(self, env: dict[str, str], cut: Callable[[], None],
                 restore: Callable[[], None], kind: str) -> None:
        self.env, self.cut, self.restore, self.kind = env, cut, restore, kind


@pytest.fixture
def outage(tmp_path: Path, database_url: str) -> Iterator[Outage]:
    # database_url gives the PostgreSQL run its own schema; the SQLite run uses a tmpfs.
    env = {**os.environ, "KELISIM_INSTANCE_PATH": str(tmp_path / "instance"),
           "KELISIM_RATE_LIMIT_IP": "off", "KELISIM_RATE_LIMIT_INSTALL": "off",
           # Checks during the outage, not once before it.
           "KELISIM_CACHE_CHECK_INTERVAL": "0.2", "KELISIM_LOCK_TIMEOUT": "2",
           "KELISIM_MIN_FREE_DISK_MB": "1", "KELISIM_ROOT_KEY_ONLINE_OK": "true"}
    if database_url.startswith("postgresql"):
        env["KELISIM_DATABASE_URL"] = database_url
        demo_setup(env)
        proxy = TcpProxy(("127.0.0.1", 5432))
        try:
            yield Outage({**env, "KELISIM_DATABASE_URL": proxy.url(database_url)},
                         proxy.cut, proxy.restore, "postgres")
        finally:
            proxy.close()
        return
    with small_disk(tmp_path / "disk") as disk:
        database = disk / "kelisim.db"
        env["KELISIM_DATABASE_URL"] = f"sqlite:///{database}"
        demo_setup(env)
        filler = disk / "filler"

        def cut() -> None:
            checkpoint(database)
            fill(filler)

        yield Outage(env, cut, lambda: filler.unlink(), "sqlite")


def register(port: int) -> tuple[str, dict[str, str]]:
    status, _, body = request(port, "POST", f"/v1/apps/{APP}/installs")
    assert status == 201, body
    answer = json.loads(body)
    return answer["install_id"], {"Authorization": f"Bearer {answer['token']}"}


def public_paths(port: int) -> list[str]:
    manifest = payload_of(get(port, MANIFEST)[2])
    docs = [loc["url"] for loc in manifest["current"]["locales"].values()]
    return [MANIFEST, "/v1/root.json", "/v1/root/1.json", *docs]


def assert_unavailable(answer: tuple[int, dict[str, str], bytes]) -> None:
    status, headers, body = answer
    assert status == 503, body
    error = json.loads(body)["error"]
    assert error["code"] == "unavailable"
    assert int(headers["retry-after"]) == error["details"]["retry_after"] >= 1
    for private in ("127.0.0.1", "5432", "postgres", "/tmp", "kelisim.db"):
        assert private not in error["message"], error


def test_database_outage_serves_what_is_held_and_answers_503(outage: Outage) -> None:
    port = free_port()
    log_path = Path(outage.env["KELISIM_INSTANCE_PATH"]) / f"server-{port}.log"
    with running(outage.env, port) as proc:
        install, auth = register(port)
        manifest = payload_of(get(port, MANIFEST)[2])
        status, _, body = request(port, "POST", f"/v1/apps/{APP}/consents",
                                  {"records": [a_record(manifest)]}, auth)
        assert status == 200, body
        paths = public_paths(port)
        # Both workers hold every public object (a new connection lands on either).
        for _ in range(20):
            for path in paths:
                assert get(port, path)[0] == 200

        outage.cut()
        # Sync is refused with 503 and Retry-After, never 500, and never waits long.
        started = time.monotonic()
        until(lambda: request(port, "POST", f"/v1/apps/{APP}/consents",
                              {"records": [a_record(manifest)]}, auth)[0] == 503,
              "sync to answer 503", 20)
        for _ in range(5):
            assert_unavailable(request(port, "POST", f"/v1/apps/{APP}/consents",
                                       {"records": [a_record(manifest)]}, auth))
            if outage.kind == "postgres":  # SQLite's full disk still lets it read
                assert_unavailable(request(port, "POST", f"/v1/apps/{APP}/installs"))
                assert_unavailable(request(
                    port, "GET", f"/v1/apps/{APP}/installs/{install}/consents",
                    headers=auth))
        assert time.monotonic() - started < 30
        # What the workers hold is served, over several publication checks (0.2 s).
        deadline = time.monotonic() + 2.0
        served = 0
        while time.monotonic() < deadline:
            for path in paths:
                status, _, body = get(port, path)
                assert status == 200, (path, body)
                served += 1
        assert served >= 2 * len(paths)
        until(lambda: get(port, "/healthz")[0] == 503, "/healthz to say not ready", 10)
        assert get(port, "/livez")[0] == 200

        outage.restore()
        until(lambda: request(port, "POST", f"/v1/apps/{APP}/consents",
                              {"records": [a_record(manifest)]}, auth)[0] == 200,
              "sync to work again", 30)
        until(lambda: get(port, "/healthz")[0] == 200, "/healthz to say ready", 30)
        # Every worker writes again (each logs its own "available again").
        for _ in range(20):
            status, _, body = request(port, "POST", f"/v1/apps/{APP}/consents",
                                      {"records": [a_record(manifest)]}, auth)
            assert status == 200, body
        assert proc.poll() is None
    log = log_path.read_text()
    went = [line for line in log.splitlines() if "answer 503 until it is back" in line]
    back = [line for line in log.splitlines() if "available again" in line]
    # One line per worker process (2) when it goes, at most one per worker when back.
    assert 1 <= len(went) <= 2, log
    assert 1 <= len(back) <= 2, log
    assert "Traceback" not in log and "internal_error" not in log

