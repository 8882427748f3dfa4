"""A frozen worker is killed, so that granian starts another and the port stops routing to it.

granian restarts a worker that exits (``--respawn-failed-workers``) but not one that stops
answering: a worker stopped by SIGSTOP or a debugger, or whose event loop stalls, keeps its
listening socket (each worker has its own, SO_REUSEPORT), so the kernel keeps handing it
new connections, which wait for ever; and on SQLite it may hold the write lock.

Each worker's event loop sends a heartbeat (its pid, one datagram) every
:data:`BEAT_INTERVAL` seconds to a socket of the main process (:func:`start_heartbeat`,
called from the worker's ``__rsgi_init__``). The main process's :class:`Watchdog` thread
SIGKILLs a worker of its own whose last heartbeat is older than WORKER_TIMEOUT; granian
sees a worker that exited and starts another; the killed worker's socket closes (the
kernel routes new connections to the others), its database connections close (PostgreSQL
rolls back its transaction and frees its row locks) and its ``flock`` goes with it. As
gunicorn's arbiter does with its workers' heartbeat files, the beat comes from the worker
itself, so it stops when the worker stops, whatever stopped it.

What a heartbeat does not show: a request thread stuck in the kernel (a disk that does
not answer) while the event loop runs. The waits such a thread causes elsewhere are
bounded by LOCK_TIMEOUT (503), and /healthz's write probe stops answering, which takes the
node out of a load balancer (docs/operations.md, "A frozen worker").

A worker is killed only after :data:`GRACE` seconds since its first heartbeat, more than
the 5.5 s within which granian takes a second death of a respawned worker for a crash loop
and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path

__all__ = ["BEAT_INTERVAL", "ENV", "GRACE", "Watchdog", "start_heartbeat"]

log = logging.getLogger(__name__)

# The main process's heartbeat socket, for the workers (set before they start).
ENV = "KELISIM_WATCHDOG_SOCKET"
BEAT_INTERVAL = 1.0
GRACE = 6.0


def start_heartbeat(loop: asyncio.AbstractEventLoop) -> bool:
    """Send this worker's heartbeat from ``loop`` every BEAT_INTERVAL seconds, when a
    watchdog listens (:data:`ENV`); False when none does."""
    path = os.environ.get(ENV)
    if not path:
        return False
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setblocking(False)
    message = str(os.getpid()).encode()

    def beat() -> None:
        # A main process that is busy or gone is nothing the worker can help.
        with contextlib.suppress(OSError):
            sock.sendto(message, path)
        loop.call_later(BEAT_INTERVAL, beat)

    loop.call_soon(beat)
    return True


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after it.
    return int(stat.rsplit(")", 1)[1].split()[1])


class Watchdog:
    """The main process's side: receives heartbeats, kills the workers that stopped."""

    def __init__(self, timeout: float, *, grace: float = GRACE) -> None:
        self.timeout = timeout
        self.grace = grace
        self.killed: list[int] = []
        self._folder: str | None = None
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        # pid -> (first heartbeat, last heartbeat), monotonic
        self._beats: dict[int, tuple[float, float]] = {}

    def start(self) -> None:
        """Listen and watch (granian's ``on_startup``: before the workers start, which
        inherit :data:`ENV`)."""
        self._folder = tempfile.mkdtemp(prefix="kelisim-watchdog-")  # 0700
        path = os.path.join(self._folder, "beats")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(path)
        self._sock.settimeout(BEAT_INTERVAL)
        os.environ[ENV] = path
        threading.Thread(target=self._run, name="kelisim-watchdog", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        os.environ.pop(ENV, None)
        if self._sock is not None:
            self._sock.close()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    def _run(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                data = self._sock.recv(64)
            except TimeoutError:
                data = b""
            except OSError:
                return  # closed by stop()
            now = time.monotonic()
            if data.isdigit():
                pid = int(data)
                first = self._beats.get(pid, (now, now))[0]
                self._beats[pid] = (first, now)
            self._sweep(now)

    def _sweep(self, now: float) -> None:
        me = os.getpid()
        for pid, (first, last) in list(self._beats.items()):
            if _parent_of(pid) != me:  # exited (or never ours): forget it
                del self._beats[pid]
                continue
            if now - last > self.timeout and now - first >= self.grace:
                log.warning("kelisim: worker %d sent no heartbeat for %.1f s (frozen): "
                            "killed; granian starts another", pid, now - last)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                self.killed.append(pid)
                del self._beats[pid]
