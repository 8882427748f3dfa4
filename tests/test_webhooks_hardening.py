"""Webhooks against an attacker (review of turn 21): a receiver trickling its answer a byte
at a time holds only its own delivery, for at most WEBHOOK_TIMEOUT (a real slow receiver
process, a real server and worker, SQLite and PostgreSQL); ids and timestamps are ASCII
digits only ("²", "١"); IPv6 addresses carrying a non-public IPv4 one (NAT64, 6to4,
Teredo, IPv4-compatible) are refused at registration and at delivery; a refusal does not
say what a name resolves to."""

from __future__ import annotations

import hashlib
import hmac
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from webhook_support import (
    APP,
    Recorder,
    deliveries,
    docs_receiver,
    endpoint,
    instance,
    manifest,
    post_record,
    record,
    register,
    worker,
)

from livesrv import free_port, running, stop, until
from server.errors import InvalidValue
from server.webhooks.endpoints import check_url
from server.webhooks.sender import Limits, post
from server.webhooks.signing import sign, verify

TIMEOUT = 2.0  # WEBHOOK_TIMEOUT of webhook_support.WORKER_KEYS
SLOW_TIMEOUT = 4.0

SLOW = r'''
import socket, sys, threading, time
listener = socket.create_server(("127.0.0.1", int(sys.argv[1])), backlog=50)
print("listening", flush=True)
def handle(conn, k):
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    print("got", k, time.monotonic(), flush=True)
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Pad: " + b"a" * 100000
    try:
        for byte in answer:  # a byte every 0.05 s: each read is quick, the answer never ends
            conn.send(bytes([byte]))
            time.sleep(0.05)
    except OSError:
        pass
    print("closed", k, time.monotonic(), flush=True)
    conn.close()
k = 0
while True:
    conn, _ = listener.accept()
    k += 1
    threading.Thread(target=handle, args=(conn, k), daemon=True).start()
'''


@contextmanager
def slow_receiver(tmp: Path, port: int) -> Iterator[queue.Queue[list[str]]]:
    """The slow receiver as a process; yields a queue of its lines (``got K T``,
    ``closed K T``, T its monotonic clock, the same as this process's on Linux)."""
    script = tmp / "slow.py"
    script.write_text(SLOW)
    proc = subprocess.Popen([sys.executable, str(script), str(port)], stdout=subprocess.PIPE,
                            text=True, start_new_session=True)
    lines: queue.Queue[list[str]] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.split())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert lines.get(timeout=30) == ["listening"]
        yield lines
    finally:
        stop(proc)  # type: ignore[arg-type]
        reader.join(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()


def _next(lines: queue.Queue[list[str]], kind: str, k: str) -> float:
    while True:
        line = lines.get(timeout=30)
        if line[:2] == [kind, k]:
            return float(line[2])


def _arabic(n: int) -> str:
    return "".join(chr(0x660 + int(c)) for c in str(n))


def test_slow_receiver_holds_only_its_own_delivery(tmp_path: Path, database_url: str) -> None:
    srv = instance(tmp_path, database_url, WEBHOOK_TIMEOUT=str(SLOW_TIMEOUT))
    env, auth = srv["env"], srv["auth"]
    port, slow_port = free_port(), free_port()
    hooks = f"http://127.0.0.1:{port}/v1/apps/{APP}/operator/webhooks"
    fast = Recorder()
    with running(env, port, workers=1), slow_receiver(tmp_path, slow_port) as lines:
        slow = endpoint(port, auth, f"http://127.0.0.1:{slow_port}/hook", ["consent.accepted"])
        other = endpoint(port, auth, fast.url, ["consent.accepted"])
        # Delivery ids are ASCII digits: "²" and Arabic-Indic digits are no id (404, not 500,
        # and not a replay of the delivery they would read as).
        queued = requests.post(f"{hooks}/{other['endpoint_id']}/test", headers=auth,
                               timeout=10).json()
        for bad in ("%C2%B2", _arabic(queued["id"]), "1" * 19, "8802889018872", "+1"):
            r = requests.post(f"{hooks}/deliveries/{bad}/replay", headers=auth, timeout=10)
            assert r.status_code == 404, (bad, r.status_code, r.text)
            assert set(r.json()["error"]) == {"code", "message", "details"}
        m = manifest(port)
        installs = register(port, 4)
        with worker(env):
            assert post_record(port, installs[0], record(m, "accept"))
            began = _next(lines, "got", "1")
            # While the slow receiver trickles, every other delivery goes through.
            for install in installs[1:]:
                assert post_record(port, install, record(m, "accept"))
            fast.wait(lambda calls: sum(b"consent.accepted" in c["body"] for c in calls) == 4,
                      "the other endpoint's deliveries", timeout=SLOW_TIMEOUT * 5)
            others_done = time.monotonic()
            # The slow attempt is cut at WEBHOOK_TIMEOUT, not at the end of its answer.
            cut = _next(lines, "closed", "1")
            # The others went through while it was held (not just after it: the receiver
            # sees the cut up to 0.05 s late).
            assert others_done < cut - 1.0, ("the others waited for the slow one",
                                             others_done - began, cut - began)
            assert SLOW_TIMEOUT * 0.9 <= cut - began <= SLOW_TIMEOUT + 1.5, cut - began

            def failed() -> bool:
                return any(d["endpoint_id"] == slow["endpoint_id"] and d["last_error"]
                           for d in deliveries(port, auth))

            until(failed, "the slow delivery's failure to be recorded")
            errors = {d["last_error"] for d in deliveries(port, auth)
                      if d["endpoint_id"] == slow["endpoint_id"]} - {None}
            assert any(e.startswith("TimeoutError") and "WEBHOOK_TIMEOUT" in e
                       for e in errors), errors
    fast.close()


def test_timestamps_are_ascii_digits(tmp_path: Path) -> None:
    secret, body = "whsec_test", b'{"id":"e"}'
    now = int(time.time())
    good = f"v1={sign(secret, now, body)}"
    assert verify(secret, body, str(now), good, now)
    for bad in ("²", _arabic(now), f"{now}²", "", "-1", " 1", "1" * 13):
        assert not verify(secret, body, bad, good, now), bad
    # The receiver of docs/webhooks.md, as a process: 400, never a crash.
    port = free_port()
    with docs_receiver(tmp_path, secret, port) as rc:
        for headers in ({"Kelisim-Webhook-Timestamp": "²"},
                        {"Kelisim-Webhook-Timestamp": "²³¹"}):
            r = requests.post(rc["url"], data=body, timeout=10, headers={
                "Kelisim-Webhook-Id": "e", "Kelisim-Webhook-Timestamp": str(now),
                "Kelisim-Webhook-Signature": good, **headers})
            assert r.status_code == 400, (headers, r.status_code)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(b"POST /hook HTTP/1.1\r\nHost: r\r\nContent-Length: \xb2\r\n"
                        b"Connection: close\r\n\r\n" + body)
            assert raw.recv(100).split(b" ", 2)[1] == b"400", "Content-Length: \u00b2"
        sig = hmac.new(secret.encode(), f"{now}.".encode() + body, hashlib.sha256).hexdigest()
        r = requests.post(rc["url"], data=body, timeout=10, headers={
            "Kelisim-Webhook-Id": "e", "Kelisim-Webhook-Timestamp": str(now),
            "Kelisim-Webhook-Signature": f"v1={sig}"})
        assert r.status_code == 204


EMBEDDED = ["64:ff9b::7f00:1", "64:ff9b::a00:1", "64:ff9b::a9fe:a9fe",  # NAT64
            "64:ff9b:1::7f00:1", "64:ff9b:1:ffff::808:808",  # local-use NAT64: all refused
            "2002:7f00:1::", "2002:a9fe:a9fe::1",  # 6to4 of 127.0.0.1, 169.254.169.254
            "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::1",  # Teredo: all refused
            "::7f00:1", "::ffff:127.0.0.1"]  # IPv4-compatible, IPv4-mapped


@pytest.mark.parametrize("address", EMBEDDED)
def test_embedded_ipv4_refused_at_registration_and_delivery(address: str) -> None:
    url = f"http://[{address}]:8693/hook"
    with pytest.raises(InvalidValue) as raised:
        check_url(url, allow_private=False)
    assert raised.value.field == "url"
    assert check_url(url, allow_private=True) == url
    status, error = post(url, b"{}", {}, Limits(TIMEOUT, 1024, allow_private=False))
    assert status is None and error is not None
    assert error == f"{address} resolves to a non-public address (WEBHOOK_ALLOW_PRIVATE)"


def test_public_addresses_embedding_public_ipv4_pass() -> None:
    for address in ("64:ff9b::808:808", "2002:808:808::1", "2606:4700:4700::1111"):
        assert check_url(f"https://[{address}]/hook", allow_private=False)


def test_refusal_does_not_say_what_a_name_resolves_to() -> None:
    status, error = post("http://localhost:8693/hook", b"{}", {},
                         Limits(TIMEOUT, 1024, allow_private=False))
    assert status is None
    assert error == "localhost resolves to a non-public address (WEBHOOK_ALLOW_PRIVATE)"
    assert "127.0.0.1" not in error and "::1" not in error
