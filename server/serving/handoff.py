"""Public reads answered in granian's hand-off thread, before the event loop.

Under granian's RSGI interface a request crosses three threads: granian's Rust I/O thread
reads and parses it and queues it to one Python thread per worker, which builds the scope
and protocol objects and schedules the app's coroutine on the worker's event loop
(``loop.call_soon_threadsafe``); the event loop thread wakes up, makes a task, runs the
coroutine, and the answer goes back to the I/O thread. For a manifest that memory alone can
answer, the third thread and the task were most of the cost of the request
(docs/operations.md, "Manifest serving: where the time goes").

:func:`install` makes the hand-off thread call ``answer(scope, proto)`` first: it returns
True when it has answered (from memory: no I/O, no lock held for long, nothing that can
block), False to send the request on its usual way to the event loop. It replaces the two
scheduler classes of ``granian._futures`` (granian builds its scheduler from them after
the app's ``__rsgi_init__``), so it depends on granian internals: it checks that they have
the shape it was written for (granian 2.8, pinned in pyproject.toml) and otherwise leaves
granian alone and logs a warning; then every request goes through the event loop, with the
same answers, only slower. tests/test_handoff.py runs it in real granian workers.

Requests answered here are not in granian's access log (``--access-log``, off in
`kelisim serve`).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

__all__ = ["Answer", "install", "supported"]

log = logging.getLogger(__name__)

# (scope, proto) -> answered?
Answer = Callable[[Any, Any], bool]

# The granian internals this module relies on, with the parameters it calls them with.
_NEEDS = {"_cbsched_schedule": ["loop", "ctx", "run", "cb"],
          "_cbsched_aioschedule": ["loop", "ctx", "cb"],
          "_new_cbscheduler": ["loop", "cb", "impl_asyncio"]}


def _futures() -> Any:
    try:
        from granian import _futures
    except ImportError:
        return None
    return _futures


def supported() -> bool:
    """Whether the installed granian has the internals :func:`install` replaces."""
    futures = _futures()
    if futures is None:
        return False
    for cls in ("_BaseCBScheduler", "_CBScheduler", "_CBSchedulerAIO"):
        if not isinstance(getattr(futures, cls, None), type):
            return False
    for name, params in _NEEDS.items():
        fn = getattr(futures, name, None)
        if not callable(fn) or list(inspect.signature(fn).parameters) != params:
            return False
    return True


def install(answer: Answer) -> bool:
    """Make granian's hand-off thread of this process try ``answer`` first. Call it from
    ``__rsgi_init__`` (in the worker process, before granian builds its scheduler).
    Returns False, and changes nothing, when granian is not the version this was written
    for."""
    if not supported():
        log.warning("granian's internals are not those server/serving/handoff.py knows: "
                    "public reads go through the event loop (correct, but slower)")
        return False
    futures = _futures()
    original_rust, original_aio = futures._CBScheduler, futures._CBSchedulerAIO
    # Installing twice must not wrap our own classes.
    original_rust = getattr(original_rust, "_kelisim_original", original_rust)
    original_aio = getattr(original_aio, "_kelisim_original", original_aio)

    class Scheduler(original_rust):  # type: ignore[misc,valid-type]
        """granian's scheduler for its Rust task implementation (--task-impl rust)."""

        _kelisim_original = original_rust

        def __init__(self, loop: Any, cb: Any, *_: Any) -> None:
            # Not super().__init__: granian's sets _schedule_fn, which can be set only once.
            self._schedule_fn = _direct(answer, futures._cbsched_schedule(
                loop, self._ctx, self._run, cb))

    class SchedulerAIO(original_aio):  # type: ignore[misc,valid-type]
        """granian's scheduler for asyncio tasks (its default)."""

        _kelisim_original = original_aio

        def __init__(self, loop: Any, cb: Any, *_: Any) -> None:
            self._schedule_fn = _direct(answer, futures._cbsched_aioschedule(
                loop, self._ctx, cb))

    futures._CBScheduler = Scheduler
    futures._CBSchedulerAIO = SchedulerAIO
    return True


def _direct(answer: Answer, to_loop: Callable[[Any], None]) -> Callable[[Any], None]:
    def schedule(watcher: Any) -> None:
        try:
            if answer(watcher.scope, watcher.proto):
                return
        except Exception:
            # granian ignores what this function raises and would leave the error set.
            log.exception("public read failed in the hand-off thread; trying the event loop")
        to_loop(watcher)

    return schedule
