"""The SQLite write lock of the group commit: an exclusive ``flock`` taken with a deadline.

The workers' groups queue for SQLite's one writer on a ``flock`` beside the database file:
the kernel wakes the next waiter the moment the holder releases (SQLite's own busy handler
polls with sleeps of up to 100 ms). ``flock`` has no timeout, and a worker frozen while it
holds the lock (SIGSTOP, a debugger, a stuck disk) would stop every other worker with no
limit. So a wait that does not succeed at once is handed to a helper thread that blocks in
``flock``, and the caller waits for it at most ``timeout`` seconds.

At most one such blocked call per process: a caller that times out leaves it waiting, and
the next caller waits on that same call (it keeps its place in the kernel's queue). When it
gets the lock with no caller left, it releases it at once, so a process never holds the
lock for nobody. The lock is released by closing the file, also when the process dies.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

__all__ = ["WriteLock"]


class WriteLock:
    """An exclusive ``flock`` on ``path`` for one thread of this process at a time (the
    group commit's leader)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cond = threading.Condition()
        self._fd: int | None = None  # an open file holding the lock, not yet handed over
        self._pending = False  # a helper thread is blocked in flock
        self._waiting = 0  # callers waiting for the helper

    def acquire(self, timeout: float) -> int | None:
        """The lock's file descriptor (pass it to :meth:`release`), or None when the lock
        was not obtained within ``timeout`` seconds."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd  # free: the common case, no thread
        except BlockingIOError:
            os.close(fd)
        except BaseException:
            os.close(fd)
            raise
        deadline = time.monotonic() + timeout
        with self._cond:
            if not self._pending and self._fd is None:
                self._pending = True
                threading.Thread(target=self._block, name="kelisim-writelock",
                                 daemon=True).start()
            self._waiting += 1
            try:
                while self._fd is None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return None
                    self._cond.wait(remaining)
                fd, self._fd = self._fd, None
                return fd
            finally:
                self._waiting -= 1

    def _block(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            with self._cond:
                self._pending = False
                self._cond.notify_all()
            raise
        with self._cond:
            self._pending = False
            if self._waiting:
                self._fd = fd
                self._cond.notify_all()
                return
        os.close(fd)  # everyone gave up meanwhile: never hold the lock for nobody

    @staticmethod
    def release(fd: int) -> None:
        os.close(fd)  # closing releases the lock
