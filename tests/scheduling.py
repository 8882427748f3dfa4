"""How pytest-xdist spreads the suite over its workers (conftest.py's hooks call this).

Longest first: each run records how long every test took (set-up, call and tear-down, on
the controller, in pytest's cache under ``kelisim/durations``), and the next run hands out
the work longest first, so a worker that takes a long test late is not the one that ends
the run while the others idle (the "longest processing time" rule). A test the cache does
not know counts as ``UNKNOWN`` seconds; a module of ``one_worker`` is one unit, its tests'
seconds added up. Skipped tests are not recorded (a PostgreSQL test skipped here must not
look instant to a run that has the database).

Without a cache (a fresh checkout, as CI's) the seconds come from ``tests/durations.json``,
the tests of one or more seconds in a full run, checked in: regenerate it after a full run
with ``python tests/scheduling.py`` (it reads ``.pytest_cache``). With neither (or
``-p no:cacheprovider`` and no file) the order is xdist's own: units with more tests first,
which puts the one-worker modules first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

CACHE_KEY = "kelisim/durations"
UNKNOWN = 1.0  # seconds for a test no earlier run measured
SEED = Path(__file__).with_name("durations.json")  # a full run's long tests, checked in
CACHE_FILE = Path(".pytest_cache/v") / CACHE_KEY  # where pytest's cache keeps them


def _cache(config: pytest.Config) -> Any:
    return getattr(config, "cache", None)


def is_controller(config: pytest.Config) -> bool:
    """True in the process that reports: the xdist controller, or pytest without -n."""
    return not hasattr(config, "workerinput")


class Recorder:
    """Adds up each test's phases as reports arrive; saves them at the session's end."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.skipped: set[str] = set()

    def add(self, report: pytest.TestReport) -> None:
        if report.skipped:
            self.skipped.add(report.nodeid)
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration

    def save(self, config: pytest.Config) -> None:
        cache = _cache(config)
        if cache is None or not self.seconds:
            return
        known: dict[str, float] = dict(cache.get(CACHE_KEY, {}))
        known.update({k: round(v, 3) for k, v in self.seconds.items()
                      if k not in self.skipped})
        cache.set(CACHE_KEY, known)


def known_durations(config: pytest.Config, seed: Path = SEED) -> dict[str, float]:
    """The seconds this checkout's earlier runs measured; else the checked-in seed's."""
    cache = _cache(config)
    known = dict(cache.get(CACHE_KEY, {})) if cache is not None else {}
    if not known and seed.is_file():
        known = {str(k): float(v) for k, v in json.loads(seed.read_text()).items()}
    return known


def write_seed(cache_file: Path = CACHE_FILE, seed: Path = SEED, floor: float = 1.0) -> int:
    """Write ``seed`` from a full run's cache: the tests of ``floor`` seconds or more (the
    rest count as :data:`UNKNOWN`), sorted; returns how many."""
    seconds = json.loads(cache_file.read_text())
    long = {k: round(v, 1) for k, v in sorted(seconds.items()) if v >= floor}
    seed.write_text(json.dumps(long, indent=0, ensure_ascii=False) + "\n")
    return len(long)


def longest_first(workqueue: Mapping[str, dict[str, bool]], known: Mapping[str, float]
                  ) -> list[str]:
    """The units of ``workqueue`` (scope -> its node ids) by their expected seconds,
    longest first; ties keep their order."""
    def cost(scope: str) -> float:
        return sum(known.get(nodeid, UNKNOWN) for nodeid in workqueue[scope])

    return sorted(workqueue, key=cost, reverse=True)


def make_scheduler(config: pytest.Config, log: Any, one_worker: Mapping[str, str]) -> Any:
    """xdist's scheduler of ``--dist load``: a module of ``one_worker`` is one unit, every
    other test a unit of its own; units go out longest first when earlier runs were
    measured."""
    from xdist.scheduler import LoadScopeScheduling

    known = known_durations(config)

    class Scheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in one_worker else nodeid

        def _assign_work_unit(self, node: Any) -> None:
            # The work queue is built inside schedule(); reorder it the first time a unit
            # is handed out, before anything has left it.
            if known and not getattr(self, "_ordered", False):
                self._ordered = True
                for scope in longest_first(self.workqueue, known):
                    self.workqueue.move_to_end(scope)
            super()._assign_work_unit(node)

    return Scheduling(config, log)


if __name__ == "__main__":  # python tests/scheduling.py: the seed from the last full run
    print(write_seed(), "tests written to", SEED)
