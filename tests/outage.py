"""Losing a dependency for real, without touching what other tests share.

- :class:`TcpProxy`: a server reaches PostgreSQL through a TCP proxy the test controls.
  ``cut()`` closes every connection through it and stops listening (new connections are
  refused, as from a stopped PostgreSQL); ``restore()`` listens again on the same port.
  The shared PostgreSQL itself is never stopped.
- :func:`small_disk`: a tmpfs of a few MiB (root only, else the test is skipped) for a
  SQLite database; :func:`fill` writes a file until the disk is full (ENOSPC).
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url

from livesrv import until

__all__ = ["TcpProxy", "checkpoint", "fill", "small_disk"]


class TcpProxy:
    """127.0.0.1:<port> -> ``upstream``, one pair of pump threads per connection."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self._listener: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.listen()

    def listen(self) -> None:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(64)
        self.port = s.getsockname()[1]
        self._listener = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by cut()
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._conns.update((client, server))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def url(self, database_url: str) -> str:
        """``database_url`` (PostgreSQL) with this proxy as its host and port."""
        url = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return url.render_as_string(hide_password=False)

    def cut(self) -> None:
        if self._listener is not None:
            # shutdown wakes the thread blocked in accept(); close alone would leave the
            # kernel's socket listening until that accept returned.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            conns, self._conns = self._conns, set()
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def restore(self) -> None:
        self.listen()

    def close(self) -> None:
        self.cut()


@contextlib.contextmanager
def small_disk(folder: Path, mib: int = 8) -> Iterator[Path]:
    """A tmpfs of ``mib`` MiB mounted on ``folder`` (skips the test where mounting is not
    allowed: not root, or no CAP_SYS_ADMIN)."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={mib}m,mode=0700", "tmpfs",
                           str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill a disk: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        # A server may still hold files open for a moment after it stopped.
        until(lambda: subprocess.run(["umount", str(folder)],
                                     capture_output=True).returncode == 0,
              f"{folder} to unmount")


def fill(path: Path) -> None:
    """Write ``path`` until the disk it is on is full."""
    chunk = b"\0" * 65536
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        while True:
            try:
                os.write(fd, chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                if len(chunk) == 1:
                    return
                chunk = chunk[: len(chunk) // 2]
    finally:
        os.close(fd)


def checkpoint(database: Path, timeout: float = 30) -> None:
    """Move the WAL into the database file and truncate it to 0 bytes: the next write
    must grow it again (a WAL with room left would take writes on a full disk)."""
    conn = sqlite3.connect(database)

    def truncated() -> bool:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy and os.path.getsize(f"{database}-wal") == 0

    try:
        until(truncated, "the WAL to be checkpointed", timeout)
    finally:
        conn.close()
