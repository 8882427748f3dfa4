"""server/serving/handoff.py in real granian worker processes: public reads answered in granian's
hand-off thread, before (and without) the event loop."""

from __future__ import annotations

import concurrent.futures
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from livesrv import answers, free_port, get, stop, until
from server.serving import handoff

pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parent


# granian has a scheduler class for each task implementation; handoff.py replaces both.
@pytest.fixture(params=["asyncio", "rust"])
def granian(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port = free_port()
    log_path = tmp_path / "granian.log"
    env = {**os.environ, "HANDOFF_DIR": str(tmp_path),
           "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent)])}
    with open(log_path, "wb") as log:
        # One worker: /block and the reads that follow must meet the same event loop.
        proc = subprocess.Popen(
            [sys.executable, "-m", "granian", "--interface", "rsgi", "--host", "127.0.0.1",
             "--port", str(port), "--workers", "1", "--no-ws", "--loop", "asyncio",
             "--task-impl", request.param, "handoff_app:app"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp_path)
        try:
            until(lambda: answers(proc, port, "/ready"), "granian to start")
            yield port, log_path
        finally:
            stop(proc)


def test_the_installed_granian_is_supported() -> None:
    # A granian upgrade that changes the internals handoff.py replaces fails here, not
    # silently in production (where public reads would only get slower).
    assert handoff.supported()


def test_answers_come_from_the_handoff_thread_and_the_rest_from_the_loop(
        granian: tuple[int, Path]) -> None:
    port, log_path = granian
    assert get(port, "/direct")[2] == b"handoff"
    assert get(port, "/other")[2] == b"loop installed=True"
    # An answer that raises is logged and the request goes on to the event loop.
    status, _, body = get(port, "/fails")
    assert (status, body) == (200, b"loop installed=True")
    assert "this answer fails on purpose" in log_path.read_text(errors="replace")


def test_public_reads_are_answered_while_the_event_loop_is_stuck(
        granian: tuple[int, Path], tmp_path: Path) -> None:
    port, _ = granian
    os.mkfifo(tmp_path / "blocked")
    os.mkfifo(tmp_path / "release")
    # Open for reading first (without blocking), so that the app's open for writing
    # finds a reader; then wait for its message, not for a time.
    said = os.open(tmp_path / "blocked", os.O_RDONLY | os.O_NONBLOCK)
    # Held open read-write (Linux never blocks on that), so the app's open for reading
    # returns at once and its read waits for our "go", whatever the order of events.
    go = os.open(tmp_path / "release", os.O_RDWR)
    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            blocked = pool.submit(get, port, "/block")
            ready, _, _ = select.select([said], [], [], 10)
            assert ready and os.read(said, 100) == b"blocked", "/block never reached the loop"
            try:
                # The loop is held: a request that needed it would wait until released.
                assert get(port, "/direct")[2] == b"handoff"
                assert not blocked.done()
            finally:
                os.write(go, b"go")
            assert blocked.result(timeout=10)[2] == b"loop installed=True"
    finally:
        os.close(said)
        os.close(go)
