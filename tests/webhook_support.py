"""What the webhook tests share: an instance with an API key, the receiver of
docs/webhooks.md run as its own process, a recording receiver in the test process, the
delivery worker as a process, and plain-HTTP load (installs recording one record per
request)."""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from builders import server_env
from livesrv import KELISIM, answers, demo_setup, kelisim_here, stop, until

APP = "jana-courier"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "webhooks.md"
# Fast retries and pausing, so that the tests need no long waits.
WORKER_KEYS = {"WEBHOOK_ALLOW_PRIVATE": "true", "WEBHOOK_POLL_INTERVAL": "0.05",
               "WEBHOOK_BACKOFF_BASE": "0.05", "WEBHOOK_BACKOFF_CAP": "0.2",
               "WEBHOOK_PAUSE_AFTER": "3", "WEBHOOK_TIMEOUT": "2",
               "RATE_LIMIT_IP": "off", "RATE_LIMIT_INSTALL": "off",
               "RATE_LIMIT_API_KEY": "off"}


def instance(tmp_path: Path, database_url: str, **keys: str) -> dict[str, Any]:
    """A demo instance; its env, an API key's headers (webhooks and requests scopes) and
    the operator API's base path."""
    env = server_env(tmp_path / "instance", database_url, **{**WORKER_KEYS, **keys})
    demo_setup(env)
    key = kelisim_here(env, "api-keys", "create", APP, "--name", "hooks", "--scope",
                  "webhooks:read", "--scope", "webhooks:write", "--scope",
                  "requests:write").strip()
    return {"env": env, "auth": {"Authorization": f"Bearer {key}"}}


def receiver_source() -> str:
    """The receiver example of docs/webhooks.md, as written there."""
    text = DOCS.read_text()
    section = text.split("### A receiver in Python", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def docs_receiver(tmp: Path, secret: str, port: int) -> Iterator[dict[str, Any]]:
    """The docs' receiver as a process on ``port``: yields its ``url`` and ``events``
    file."""
    script = tmp / "receiver.py"
    script.write_text(receiver_source())
    events = tmp / "events.jsonl"
    events.touch()
    proc = subprocess.Popen([sys.executable, str(script)], env={
        **os.environ, "KELISIM_WEBHOOK_SECRET": secret, "PORT": str(port),
        "EVENTS_FILE": str(events)}, start_new_session=True)
    try:
        until(lambda: proc.poll() is None and _listening(port), "the receiver")
        yield {"url": f"http://127.0.0.1:{port}/hook", "events": events, "port": port}
    finally:
        stop(proc)


def received(events: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in events.read_text().splitlines() if line]


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 drops connections the worker opens at once

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a worker killed mid-answer
            super().handle_error(request, client_address)


class Recorder:
    """A receiver in the test process that records every request: when it began and
    ended, its headers and body. ``fail`` makes it answer 500; ``hold`` seconds it keeps
    each request (to catch two workers sending one event at once)."""

    def __init__(self, hold: float = 0.0) -> None:
        self.hold = hold
        self.fail = False
        self.calls: list[dict[str, Any]] = []
        self.lock = threading.Condition()
        self.in_flight: dict[str, int] = {}
        self.overlaps: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps connections open: the worker reuses them

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) != length:  # the sender died mid-request (the kill test)
                    self.close_connection = True
                    return
                event_id = self.headers.get("Kelisim-Webhook-Id", "")
                with recorder.lock:
                    if recorder.in_flight.get(event_id):
                        recorder.overlaps.append(event_id)
                    recorder.in_flight[event_id] = recorder.in_flight.get(event_id, 0) + 1
                    recorder.lock.notify_all()
                time.sleep(recorder.hold)  # a slow receiver, not a wait for another process
                status = 500 if recorder.fail else 204
                with recorder.lock:
                    recorder.in_flight[event_id] -= 1
                    recorder.calls.append({"id": event_id, "headers": dict(self.headers),
                                           "body": body, "status": status})
                    recorder.lock.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, holds: Any, what: str, timeout: float = 60.0) -> None:
        """Wait, woken by each request, until ``holds(calls)``."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while not holds(self.calls):
                left = deadline - time.monotonic()
                assert left > 0, f"timed out waiting for {what}: {len(self.calls)} calls"
                self.lock.wait(left)

    def wait_busy(self, timeout: float = 60.0) -> None:
        """Wait until a delivery is in flight (its request read, not yet answered)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while not any(self.in_flight.values()):
                left = deadline - time.monotonic()
                assert left > 0, "no delivery in flight"
                self.lock.wait(left)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def spawn(env: dict[str, str], name: str, *args: str) -> subprocess.Popen[bytes]:
    """``kelisim ARGS`` as a process of its own session, its output in
    ``<instance>/<name>.log``."""
    with open(Path(env["KELISIM_INSTANCE_PATH"]) / f"{name}.log", "ab") as log:
        return subprocess.Popen([KELISIM, *args], env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """``kelisim serve`` (one worker process), once it answers."""
    proc = spawn(env, f"server-{port}", "serve", "--port", str(port), "--workers", "1")
    until(lambda: answers(proc, port), "the server")
    return proc


@contextlib.contextmanager
def worker(env: dict[str, str], name: str = "worker") -> Iterator[subprocess.Popen[bytes]]:
    """``kelisim worker`` as a process (its output in the instance folder); stopped with
    SIGTERM at the end unless already gone. It must have logged no traceback."""
    log_path = Path(env["KELISIM_INSTANCE_PATH"]) / f"{name}.log"
    proc = spawn(env, name, "worker")
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        out = log_path.read_text(errors="replace")
        assert "Traceback" not in out, out[-3000:]


def manifest(port: int) -> dict[str, Any]:
    body = requests.get(f"http://127.0.0.1:{port}/v1/apps/{APP}/manifest.json", timeout=10)
    return dict(json.loads(base64.b64decode(body.json()["payload"])))


def register(port: int, n: int) -> list[dict[str, str]]:
    out = []
    for _ in range(n):
        r = requests.post(f"http://127.0.0.1:{port}/v1/apps/{APP}/installs", json={},
                          timeout=10)
        assert r.status_code in (200, 201), r.text
        out.append({"install_id": r.json()["install_id"], "token": r.json()["token"]})
    return out


def record(m: dict[str, Any], action: str, purposes: dict[str, bool] | None = None
           ) -> dict[str, Any]:
    cur = m["current"]
    return {"id": str(uuid.uuid4()), "action": action, "version": cur["version"],
            "document_sha256": cur["locales"]["kk"]["sha256"], "locale": "kk",
            "purposes": purposes if purposes is not None
            else {p["id"]: action == "accept" for p in cur["purposes"]},
            "evidence": {"seconds_on_screen": 4}, "age_confirmed": True, "guardian": None,
            "client_time": m["issued"], "manifest_seq": m["seq"]}


def post_record(port: int, install: dict[str, str], rec: dict[str, Any]) -> bool:
    """POST one record; True when stored (200), False when the server could not be
    reached or answered 5xx (to be sent again)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", f"/v1/apps/{APP}/consents",
                     body=json.dumps({"records": [rec]}),
                     headers={"Content-Type": "application/json",
                              "Authorization": f"Bearer {install['token']}"})
        resp = conn.getresponse()
        answer = resp.read()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()
    assert resp.status < 400 or resp.status >= 500, (resp.status, answer[:500])
    return resp.status == 200


def stored_records(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Every record in the consent log, by id (``kelisim consents export``)."""
    out = {}
    for line in kelisim_here(env, "consents", "export", APP).splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        out[row["record_id"]] = row
    return out


def endpoint(port: int, auth: dict[str, str], url: str, events: list[str]) -> dict[str, Any]:
    r = requests.post(f"http://127.0.0.1:{port}/v1/apps/{APP}/operator/webhooks",
                      json={"url": url, "events": events}, headers=auth, timeout=10)
    assert r.status_code == 201, r.text
    return dict(r.json())


def deliveries(port: int, auth: dict[str, str]) -> list[dict[str, Any]]:
    r = requests.get(f"http://127.0.0.1:{port}/v1/apps/{APP}/operator/webhooks/deliveries",
                     params={"limit": "500"}, headers=auth, timeout=10)
    assert r.status_code == 200, r.text
    return list(r.json()["deliveries"])

