"""Who hears changes of what is granted (``ConsentClient.add_listener``), and the set they
last heard. Pure bookkeeping: the client passes the decision in.

Listeners run in the thread that made the change, one change at a time, in the order the
changes happened (a re-entrant lock is held around the comparison and the calls: each
change follows the set the one before left). An exception in a listener is logged to the
``kelisim`` logger and never reaches the SDK or the other listeners.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from client_sdk.decision import Decision, GrantChange

__all__ = ["Listener", "Listeners"]

log = logging.getLogger("kelisim")

Listener = Callable[[GrantChange], None]


class Listeners:
    def __init__(self, granted: frozenset[str]) -> None:
        self._lock = threading.RLock()
        self._callbacks: list[Listener] = []
        self.granted = granted  # what the listeners last heard (or the launch's set)

    def add(self, callback: Listener) -> None:
        with self._lock:
            if callback not in self._callbacks:
                self._callbacks.append(callback)

    def remove(self, callback: Listener) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def notify(self, decide: Callable[[], Decision], cause: str) -> GrantChange | None:
        """Decide now; when what is granted differs from what the listeners last heard,
        tell each of them and return the change."""
        with self._lock:
            decision = decide()
            before, after = self.granted, decision.granted
            if after == before:
                return None
            self.granted = after
            change = GrantChange(granted=after - before, revoked=before - after,
                                 purposes=after, cause=cause, decision=decision)
            for callback in list(self._callbacks):
                try:
                    callback(change)
                except Exception:
                    log.exception("a consent listener (%r) failed; the SDK goes on",
                                  callback)
            return change
