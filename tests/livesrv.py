"""Start and stop the real server (`kelisim serve`, granian) for tests."""

from __future__ import annotations

import collections
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dbtemplate
from builders import RATE_LIMITS_OFF, server_env

KELISIM = str(Path(sys.executable).with_name("kelisim"))


# Ports for test servers: below the kernel's ephemeral range (32768 and up on Linux), where
# no outgoing connection or bind to port 0 takes one, and a range of its own per
# pytest-xdist worker, so that two workers never pick the same port between choosing it
# and the server binding it.
_PORTS_PER_WORKER = 400
_FIRST_PORT = 20000
_given: collections.deque[int] = collections.deque(maxlen=64)  # the latest given out


def _worker_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")  # gw0, gw1, ... under xdist
    return int(worker[2:]) if worker[2:].isdigit() else 0


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on, from this worker's own range, not
    given out lately by this process (a test may take several before starting any
    server). Ports left in TIME_WAIT are passed over."""
    first = _FIRST_PORT + (_worker_index() % 30) * _PORTS_PER_WORKER
    # Each process starts at its own place: a run of the suite in another checkout at the
    # same time has the same ranges.
    start = (os.getpid() * 37 + (_given[-1] if _given else 0)) % _PORTS_PER_WORKER
    for i in range(_PORTS_PER_WORKER):
        port = first + (start + i) % _PORTS_PER_WORKER
        if port in _given:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given.append(port)
        return port
    raise AssertionError(f"no free port in {first}..{first + _PORTS_PER_WORKER - 1}")


def until(holds: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Wait until ``holds()``, for a state of another process that nothing announces (a
    port that answers, a socket that listens, a child that appeared): check it, let the
    other process run for a moment, check again, until the deadline."""
    deadline = time.monotonic() + timeout
    while not holds():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def answers(proc: subprocess.Popen[bytes], port: int, path: str = "/healthz") -> bool:
    """Whether the server ``proc`` answers ``path`` with 200 (it must still be running)."""
    assert proc.poll() is None, f"the server on port {port} exited"
    try:
        return get(port, path)[0] == 200
    except OSError:
        return False


def get(port: int, path: str, headers: dict[str, str] | None = None
        ) -> tuple[int, dict[str, str], bytes]:
    # A new connection each time: granian spreads connections over its workers.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def post_json(port: int, path: str, body: Any, token: str | None = None
              ) -> tuple[int, Any]:
    """POST ``body`` as JSON (with a bearer ``token``); the status and the parsed answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request("POST", path, body=json.dumps(body).encode(), headers=headers)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def kelisim(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([KELISIM, *args], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"kelisim {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def kelisim_here(env: dict[str, str], *args: str) -> str:
    """``kelisim(env, *args)`` run in this process: the same command on the same instance
    and database, without a new process's ~1 s of start-up (imports). For commands that
    prepare what a test needs (publish, bundle, api-keys, ...); a test of the command line
    itself, or of ``serve``, runs the real process with :func:`kelisim`. The app is built
    for the one command and disposed of after it."""
    from click.testing import CliRunner
    from flask import Flask
    from flask.cli import ScriptInfo

    from server import create_app
    from server.cli import main

    made: list[Flask] = []

    def app() -> Flask:  # built inside invoke: the KELISIM_* variables are env's then
        made.append(create_app())
        return made[-1]

    # The command's environment: env's KELISIM_* variables, and none of this process's.
    variables: dict[str, str | None] = {k: None for k in os.environ if k.startswith("KELISIM_")}
    variables.update({k: v for k, v in env.items() if k.startswith("KELISIM_")})
    try:
        result = CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=app),
                                    env=variables, catch_exceptions=False)
    finally:
        for a in made:
            a.extensions["kelisim"].db.dispose()
    if result.exit_code != 0:
        raise AssertionError(f"kelisim {' '.join(args)} failed:\n{result.output}")
    return result.stdout


# Instances `demo_setup` made, by their settings: the folder and what the command printed.
_demo_instances: dict[tuple[tuple[str, str], ...], tuple[Path, str]] = {}
# Where this process keeps them: the session's temporary folder (set by conftest.py).
DEMO_INSTANCES: Path | None = None


def demo_setup(env: dict[str, str]) -> str:
    """``kelisim demo-setup`` for the instance that ``env`` names; returns its output.

    On SQLite the command runs once per process and settings (the other ``KELISIM_*``
    variables): later instances are copies of that one, each with its own files (the same
    keys, root and first owner, a fresh copy of the database). On PostgreSQL it runs each
    time, on a copy of a migrated schema (tests/dbtemplate.py). A test that needs an
    instance of its own keys runs the command itself. The command runs in this process
    (:func:`kelisim_here`)."""
    url = env.get("KELISIM_DATABASE_URL", "")
    if url and not url.startswith("sqlite:///"):
        dbtemplate.prepare(url)  # a migrated schema copied in: its upgrade has no step
        return kelisim_here(env, "demo-setup")
    settings = tuple(sorted((k, v) for k, v in env.items() if k.startswith("KELISIM_")
                            and k not in ("KELISIM_INSTANCE_PATH", "KELISIM_DATABASE_URL")))
    if settings not in _demo_instances:
        assert DEMO_INSTANCES is not None, "conftest.py sets livesrv.DEMO_INSTANCES"
        made = DEMO_INSTANCES / f"demo-{len(_demo_instances)}" / "instance"
        out = kelisim_here({**server_env(made), **dict(settings)}, "demo-setup")
        _demo_instances[settings] = made, out
    made, out = _demo_instances[settings]
    instance = Path(env["KELISIM_INSTANCE_PATH"])
    database = Path(url.removeprefix("sqlite:///")) if url else instance / "kelisim.db"
    shutil.copytree(made, instance, ignore=shutil.ignore_patterns("kelisim.db*", "server-*"))
    for part in made.glob("kelisim.db*"):  # the database, and its WAL file if there is one
        shutil.copy2(part, database.with_name(database.name + part.name.removeprefix(
            "kelisim.db")))
    return out


def stop(proc: subprocess.Popen[bytes], *, kill: bool = False) -> None:
    """SIGTERM the server's process group (SIGKILL with ``kill`` or after 10 s)."""
    sig = signal.SIGKILL if kill else signal.SIGTERM
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    # Workers left behind by a killed master would hold the port.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def running(env: dict[str, str], port: int, workers: int = 2) -> Iterator[subprocess.Popen[bytes]]:
    # Output goes to a file: a pipe nobody reads fills up and blocks the server.
    log_path = Path(env.get("KELISIM_INSTANCE_PATH", ".")) / f"server-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen([KELISIM, "serve", "--port", str(port), "--workers", str(workers)],
                            env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        until(lambda: answers(proc, port), f"the server on port {port} to start")
        yield proc
    finally:
        stop(proc)
        log.close()
        out = log_path.read_text(errors="replace")
        if "Traceback" in out or proc.returncode not in (0, -signal.SIGTERM, 143, -9):
            print(f"server output ({log_path}):\n{out[-5000:]}")
        # A traceback means a request got a 500 or a worker died: never acceptable.
        assert "Traceback" not in out, f"the server logged an error, see {log_path}"


@contextlib.contextmanager
def demo_server(tmp: Path) -> Iterator[dict[str, Any]]:
    """``kelisim demo-setup`` in ``tmp/instance`` (SQLite, rate limits off), served: yields
    its ``url``, the owner's one-time ``password``, the pinned ``root`` and ``env``."""
    env = server_env(tmp / "instance", **RATE_LIMITS_OFF)
    out = demo_setup(env)
    found = re.search(r"owner@localhost, one-time password (\S+)", out)
    assert found, out
    root = kelisim_here(env, "root", "show", "--version", "1").strip().encode()
    port = free_port()
    with running(env, port):
        yield {"url": f"http://127.0.0.1:{port}", "password": found.group(1), "root": root,
               "env": env}
