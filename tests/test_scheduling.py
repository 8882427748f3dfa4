"""tests/scheduling.py: the order pytest-xdist hands out the suite, longest first."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduling import UNKNOWN, known_durations, longest_first

pytest_plugins = ["pytester"]


def test_units_go_out_longest_first_unknown_tests_counted_as_unknown() -> None:
    queue = {"a.py::t1": {"a.py::t1": False},
             "b.py": {"b.py::x": False, "b.py::y": False, "b.py::z": False},
             "c.py::slow": {"c.py::slow": False},
             "d.py::new": {"d.py::new": False}}
    known = {"a.py::t1": 0.2, "b.py::x": 4.0, "b.py::y": 1.0, "c.py::slow": 30.0}
    # b.py: 4 + 1 + an unknown test; d.py::new: unknown.
    assert UNKNOWN < 5.0 + UNKNOWN < 30.0
    assert longest_first(queue, known) == ["c.py::slow", "b.py", "d.py::new", "a.py::t1"]


def test_a_run_records_each_tests_phases_and_not_what_it_skipped(
        pytester: pytest.Pytester) -> None:
    pytester.makeconftest(f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
import scheduling
_r = scheduling.Recorder()
def pytest_runtest_logreport(report):
    _r.add(report)
def pytest_sessionfinish(session):
    _r.save(session.config)
""")
    pytester.makepyfile(test_x="""
import time, pytest
@pytest.fixture
def slow_setup():
    time.sleep(0.2)
def test_slow(slow_setup):
    time.sleep(0.1)
def test_skipped():
    pytest.skip("not here")
""")
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1, skipped=1)
    config = pytester.parseconfigure()
    seconds = known_durations(config)
    assert set(seconds) == {"test_x.py::test_slow"}
    assert 0.3 <= seconds["test_x.py::test_slow"] < 5  # set-up and call added up


def test_a_fresh_checkout_orders_by_the_checked_in_seed(pytester: pytest.Pytester,
                                                        tmp_path: Path) -> None:
    config = pytester.parseconfigure()
    seed = tmp_path / "durations.json"
    assert known_durations(config, seed) == {}  # no cache, no seed: xdist's own order
    seed.write_text('{"c.py::slow": 30.0}')
    assert known_durations(config, seed) == {"c.py::slow": 30.0}
    config.cache.set("kelisim/durations", {"a.py::t1": 2.0})
    assert known_durations(config, seed) == {"a.py::t1": 2.0}  # this checkout's own first
