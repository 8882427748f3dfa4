"""Start real witness processes (`kelisim witness serve`) for tests."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.livesrv import KELISIM, stop


def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([KELISIM, *args], capture_output=True, text=True,
                          env={**os.environ, "KELISIM_INSTANCE_PATH": "/nonexistent-kelisim"})
    if ok and proc.returncode != 0:
        raise AssertionError(f"kelisim {' '.join(args)}: {proc.stdout}{proc.stderr}")
    return proc


def init(directory: Path, name: str = "witness.test/w1") -> str:
    """A new witness in ``directory``; returns its verifier key."""
    return run("witness", "init", "--name", name, "--dir", str(directory)).stdout.strip()


@contextmanager
def serving(directory: Path, port: int = 0) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`kelisim witness serve --port PORT` (0: any) on ``directory``: yields its URL (read
    from the line it prints once listening) and the process (its own process group)."""
    log = directory / "serve.log"
    with log.open("a") as err:
        proc = subprocess.Popen([KELISIM, "witness", "serve", "--dir", str(directory),
                                 "--port", str(port)], stdout=subprocess.PIPE, stderr=err,
                                text=True, start_new_session=True)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        line = proc.stdout.readline() if ready else ""
        assert " at http://" in line, f"the witness did not start: {line}{log.read_text()}"
        yield line.strip().rsplit(" ", 1)[1], proc
    finally:
        if proc.poll() is None:
            stop(proc)  # type: ignore[arg-type]
        if proc.stdout is not None:
            proc.stdout.close()
        print(log.read_text()[-2000:], file=sys.stderr)


@contextmanager
def http_server(handler: Callable[..., BaseHTTPRequestHandler]) -> Iterator[str]:
    """A threaded HTTP server on 127.0.0.1 with ``handler``; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def witness_fixture(name: str) -> Callable[[pytest.TempPathFactory],
                                           Iterator[tuple[str, Path, str]]]:
    """A module-scoped fixture: one witness process for the module's tests; yields its URL,
    folder and verifier key."""

    @pytest.fixture(scope="module")
    def witness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
        directory = tmp_path_factory.mktemp(name) / "w"
        vkey = init(directory)
        with serving(directory) as (url, _):
            yield url, directory, vkey

    return witness  # type: ignore[no-any-return]
