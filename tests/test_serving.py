"""The production server under hostile clients and crashes: slow bodies, bodies over the
cap, a worker killed, clients behind a proxy.

Each test runs `kelisim serve` (granian, real worker processes) on 127.0.0.1 and talks to
it over real sockets.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from builders import RATE_LIMITS_OFF, record, server_env
from helpers import payload_of
from livesrv import demo_setup, free_port, get, running, until

pytestmark = pytest.mark.slow

APP = "jana-courier"
MANIFEST = f"/v1/apps/{APP}/manifest.json"


def _env(tmp_path: Path, database_url: str, **keys: str) -> dict[str, str]:
    env = server_env(tmp_path / "instance", database_url, **keys)
    demo_setup(env)
    return env


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[dict[str, Any]]:
    env = _env(tmp_path, database_url, BODY_READ_TIMEOUT="3", MAX_BODY_BYTES="65536",
               **RATE_LIMITS_OFF)
    port = free_port()
    with running(env, port) as proc:
        yield {"port": port, "env": env, "proc": proc, "url": database_url}


def request(port: int, method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None, *, timeout: float = 10
            ) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def register(port: int) -> dict[str, str]:
    status, _, body = request(port, "POST", f"/v1/apps/{APP}/installs")
    assert status == 201, body
    return {"Authorization": f"Bearer {json.loads(body)['token']}"}


def a_record(manifest: dict[str, Any]) -> dict[str, Any]:
    return record(manifest, purposes={p["id"]: True for p in manifest["current"]["purposes"]})


def stored_records(database_url: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM consent_records")).scalar_one())
    finally:
        engine.dispose()


# -- slow bodies: public reads go on, the slow ones time out -------------------------------
def test_slow_bodies_do_not_stop_public_reads_and_time_out(server: dict[str, Any]) -> None:
    port = server["port"]
    assert get(port, MANIFEST)[0] == 200
    slow = []
    for _ in range(16):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(f"POST /v1/apps/{APP}/installs HTTP/1.1\r\nHost: x\r\n"
                  "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\": ".encode())
        slow.append(s)
    try:
        started = time.monotonic()
        latencies = []
        # Public reads go on while all sixteen hold their half-sent bodies.
        while time.monotonic() - started < 2.5:
            t0 = time.monotonic()
            status, _, body = get(port, MANIFEST)
            latencies.append(time.monotonic() - t0)
            assert status == 200 and payload_of(body)["app"] == APP
            assert get(port, "/v1/root.json")[0] == 200
        assert len(latencies) >= 10 and max(latencies) < 2.0, latencies
        # Each slow body gets 408 once BODY_READ_TIMEOUT (3 s) has passed, and its
        # connection is closed.
        for s in slow:
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
            assert b'"body_timeout"' in answer
        assert time.monotonic() - started < 25
    finally:
        for s in slow:
            s.close()
    assert get(port, MANIFEST)[0] == 200


# -- bodies over the cap, chunked or not ---------------------------------------------------
def _chunked_post(port: int, path: str, headers: dict[str, str], parts: list[bytes]
                  ) -> tuple[int, bytes]:
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  f"Connection: close\r\nTransfer-Encoding: chunked\r\n{head}\r\n".encode())
        try:
            for part in parts:
                s.sendall(b"%x\r\n%s\r\n" % (len(part), part))
            s.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the whole body was sent
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
        status = int(answer.split(b" ", 2)[1])
        return status, answer.split(b"\r\n\r\n", 1)[1]
    finally:
        s.close()


def test_chunked_body_over_the_cap_is_413_and_stores_nothing(server: dict[str, Any]) -> None:
    port = server["port"]
    manifest = payload_of(get(port, MANIFEST)[2])
    auth = register(port)
    path = f"/v1/apps/{APP}/consents"
    body = json.dumps({"records": [a_record(manifest)]}).encode()
    # Valid JSON followed by 3 MiB of spaces: still valid JSON, but 48 times the cap.
    padded = [body] + [b" " * 65536] * 48
    status, answer = _chunked_post(port, path, auth, padded)
    assert status == 413 and b'"too_large"' in answer
    assert stored_records(server["url"]) == 0
    # The same with a Content-Length over the cap: refused before the body is read.
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    with s:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  f"Authorization: {auth['Authorization']}\r\nContent-Length: 3000000\r\n\r\n"
                  .encode() + body)
        assert s.recv(65536).startswith(b"HTTP/1.1 413")
    assert stored_records(server["url"]) == 0
    # Under the cap, chunked is fine and stored.
    status, answer = _chunked_post(port, path, auth, [body[:10], body[10:]])
    assert status == 200, answer
    assert stored_records(server["url"]) == 1


# -- a worker killed is respawned ----------------------------------------------------------
def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name is in parentheses and may hold spaces: split after it.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def listeners(port: int) -> int:
    """Sockets listening on ``port``: each granian worker listens on its own
    (SO_REUSEPORT), from the end of its start until it dies."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                count += state == "0A" and int(local.rsplit(":", 1)[1], 16) == port
    return count


def wait_for_listeners(port: int, count: int) -> None:
    until(lambda: listeners(port) >= count, f"{count} workers to listen", 60)


def test_killed_worker_is_respawned(server: dict[str, Any]) -> None:
    port, main = server["port"], server["proc"].pid
    # /healthz answered: one worker is up; the other may still be starting.
    wait_for_listeners(port, 2)
    workers = children(main)
    assert len(workers) >= 2, workers
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)

    def replaced() -> bool:
        # The other worker keeps answering while the killed one is replaced. Connections
        # the killed worker had accepted die with it (reset), as with any SIGKILL.
        with contextlib.suppress(ConnectionError):
            assert get(port, MANIFEST)[0] == 200
        assert server["proc"].poll() is None, "granian's main process exited"
        now = children(main)
        return victim not in now and len(now) >= len(workers) and listeners(port) >= 2

    until(replaced, "a new worker in place of the killed one", 60)
    now = children(main)
    new = now - workers
    assert new, now
    for _ in range(20):
        assert get(port, MANIFEST)[0] == 200
    assert server["proc"].poll() is None


# -- behind a proxy, each client is limited by its own address -----------------------------
@pytest.mark.parametrize("trusted", [1, 0])
def test_trusted_proxies_limit_each_client(tmp_path: Path, database_url: str,
                                            trusted: int) -> None:
    env = _env(tmp_path, database_url, TRUSTED_PROXIES=str(trusted), RATE_LIMIT_IP="3/minute")
    port = free_port()
    with running(env, port, workers=1):
        path = f"/v1/apps/{APP}/installs"
        a = {"X-Forwarded-For": "203.0.113.7"}
        statuses = [request(port, "POST", path, headers=a)[0] for _ in range(3)]
        assert statuses == [201, 201, 201]
        status, headers, body = request(port, "POST", path, headers=a)
        assert status == 429
        retry = json.loads(body)["error"]["details"]["retry_after"]
        assert headers["retry-after"] == str(retry) and 1 <= retry <= 60
        # Another client behind the same proxy is counted on its own only when the proxy
        # is trusted; otherwise the header is ignored (a client could set it itself).
        status = request(port, "POST", path, headers={"X-Forwarded-For": "198.51.100.9"})[0]
        assert status == (201 if trusted else 429)
