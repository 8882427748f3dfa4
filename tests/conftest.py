"""Fixtures shared by the test modules (pytest finds them here: a module asks for one by its
name, never imports it).

- ``database_url``, ``config``, ``app``, ``client``, ``cli``, ``kelisim``: an app per test
  on its own SQLite file or its own PostgreSQL schema. Database-backed tests run twice, on
  SQLite and on the PostgreSQL that KELISIM_TEST_POSTGRES_URL names (set by .ci/run).
  Without that variable the PostgreSQL runs are skipped locally; in CI (CI=true) a missing
  variable is an error, so they can never be skipped silently. A module (or test) marked
  ``rate_limits_off`` gets its app with the rate limits off.
- ``demo_dir``, ``published``, ``manifest``: the demo policy, published, and its manifest.
- ``users``, ``clock``: console users of every role, and the console's settable clock;
  ``quick_argon2``: the console's Argon2 at test-sized cost, for tests hashing dozens.
- ``display``: an X display of the module's own (Xvfb) for real Kivy windows.

Everything a test writes goes under its own ``tmp_path``; ports come from
``livesrv.free_port``, which gives each pytest-xdist worker its own range.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from jinja2.bccache import Bucket, BytecodeCache

import dbtemplate
import livesrv
import routecache
import scheduling
from admin_support import PASSWORD, password_hash
from builders import APP, DEMO, POLICIES, RATE_LIMITS_OFF, Clock
from helpers import payload_of
from server import Kelisim, create_app
from server.admin.models import ROLES, AdminUser
from server.cli import main
from simulator import Simulator

__all__ = ["POLICIES"]  # tests/test_import.py imports it from here (builders.POLICIES)

PG_URL = os.environ.get("KELISIM_TEST_POSTGRES_URL", "")

# Modules whose tests share module fixtures that are worth setting up once: under
# pytest-xdist each of these runs whole on one worker; every other test is scheduled alone,
# wherever a worker is free; longest first (tests/scheduling.py). (xdist's own
# `xdist_group` mark with --dist loadgroup does nothing on pytest 9.2, pytest-xdist issue
# 1386; a scheduler is a documented xdist hook.)
ONE_WORKER = {
    "tests/test_kivy_ui.py": "one server, one display, five window runs at once",
    "tests/test_console_languages.py": "one real server with records, users and a draft",
    "tests/test_appbundle.py": "one instance and its bundle",
    "tests/test_dist.py": "the wheels built and installed once",
    "tests/test_demo_launch.py": "one server and its bundle",
    "tests/test_gate.py": "one server, one display, one window run",
    "tests/test_kivy_widgets.py": "one instance, one display, one window run",
    "tests/test_preview_drift.py": "one instance, its console copy, one window run",
}

# Hypothesis's own timing checks measure the machine, not the code: under a loaded machine
# and parallel workers an example may take longer than 200 ms. Tests keep their own
# settings; this only drops the default deadline and the too-slow health check. (Its
# example database in .hypothesis/ is safe to share between workers: one file per example,
# written to a temporary file and renamed.)
# Werkzeug's URL builders compiled once per rule, not per test's app (tests/routecache.py).
routecache.install()

settings.register_profile("kelisim", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("kelisim")


def _pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session", autouse=True)
def _demo_instances(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The folder where livesrv.demo_setup keeps the instances it copies."""
    livesrv.DEMO_INSTANCES = tmp_path_factory.mktemp("demo-instances")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kelisim.db'}"
        return
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("KELISIM_TEST_POSTGRES_URL is not set in CI")
        pytest.skip("KELISIM_TEST_POSTGRES_URL not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(schema)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def config(request: pytest.FixtureRequest, tmp_path: Path, database_url: str
           ) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "TESTING": True,
        "CACHE_CHECK_INTERVAL": 0.0,
    }
    if request.node.get_closest_marker("rate_limits_off"):
        cfg.update(RATE_LIMITS_OFF)
    return cfg


class _Compiled(BytecodeCache):
    """The templates' compiled code, kept for this worker's later apps: each test's app
    would otherwise compile every template it renders again (about a quarter of a console
    test's CPU). Jinja keys each entry by the template's name and checks its source."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _Compiled()


@pytest.fixture
def app(request: pytest.FixtureRequest, config: dict[str, Any]) -> Iterator[Flask]:
    # A copy of a database this worker migrated once (tests/dbtemplate.py), else migrated.
    copied = (not request.node.get_closest_marker("real_migrations")
              and dbtemplate.prepare(config["DATABASE_URL"]))
    app = create_app(config)
    app.jinja_env.bytecode_cache = _TEMPLATES
    k: Kelisim = app.extensions["kelisim"]
    if not copied:
        k.db.upgrade()
    yield app
    k.db.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Cli:
    """Runs `kelisim` commands in the app's context and checks their exit status."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.runner = CliRunner()

    def __call__(self, *args: str, ok: bool = True) -> Result:
        result = self.runner.invoke(main, list(args), obj=_ScriptInfo(self.app),
                                    catch_exceptions=False)
        if ok and result.exit_code != 0:
            raise AssertionError(f"kelisim {' '.join(args)} failed:\n{result.output}")
        if not ok and result.exit_code == 0:
            raise AssertionError(f"kelisim {' '.join(args)} succeeded:\n{result.output}")
        return result


def _ScriptInfo(app: Flask) -> Any:
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


@pytest.fixture
def cli(app: Flask) -> Cli:
    return Cli(app)


@pytest.fixture
def kelisim(app: Flask) -> Kelisim:
    k: Kelisim = app.extensions["kelisim"]
    return k


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    """A writable copy of the demo policy that tests may change."""
    target = tmp_path / "policy" / "jana-courier"
    shutil.copytree(DEMO, target)
    return target


@pytest.fixture
def published(cli: Cli, demo_dir: Path) -> Path:
    """Keys, the demo app, and its version 1.0 published."""
    cli("keys", "init")
    cli("apps", "create", str(demo_dir))
    cli("publish", str(demo_dir / "1.0"))
    return demo_dir


@pytest.fixture
def manifest(client: FlaskClient, published: Path) -> dict[str, Any]:
    """The published demo app's manifest payload, as served."""
    return payload_of(client.get(f"/v1/apps/{APP}/manifest.json").data)


@pytest.fixture
def sim() -> Simulator:
    """An in-memory repository (tests/simulator.py) with its own keys, signed and served."""
    return Simulator()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """The scheduler of ``--dist load`` (the default with ``-n``) and ``loadgroup``, except
    that the modules of ONE_WORKER go to one worker each, and that the work goes out
    longest first by the seconds the last runs measured (tests/scheduling.py)."""
    if config.getvalue("dist") not in ("load", "loadgroup"):
        return None
    return scheduling.make_scheduler(config, log, ONE_WORKER)


_durations = scheduling.Recorder()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Every test's seconds, for the next run's order (tests/scheduling.py)."""
    _durations.add(report)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if scheduling.is_controller(session.config):
        _durations.save(session.config)


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """A display of its own: Xvfb picks a free display number and writes it to a pipe
    once it accepts clients (-displayfd), so parallel runs never take the same one."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail("Xvfb is not installed: run `bash scripts/system-deps.sh test`")
    read, write = os.pipe()
    proc = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "1280x1024x24",
                             "-nolisten", "tcp"], pass_fds=(write,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    number = b""
    try:
        with os.fdopen(read, "rb") as announced:
            number = announced.readline().strip()  # or b"" when Xvfb exits
        assert number.isdigit(), f"Xvfb did not start (exit status {proc.poll()})"
        yield f":{number.decode()}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# -- the console -----------------------------------------------------------------------------
@pytest.fixture
def clock(app: Flask) -> Clock:
    """The console's clock, set to now (to the second); a test moves ``clock.now``."""
    c = Clock(datetime.now(UTC).replace(microsecond=0))
    app.extensions["kelisim"].clock = c
    return c


@pytest.fixture
def quick_argon2(app: Flask) -> PasswordHasher:
    """The app's console hashes and checks passwords with Argon2id at test-sized cost (one
    pass over 8 MiB) instead of argon2-cffi's production profile (three passes over 64 MiB,
    ~0.2 s of CPU each): for tests that hash dozens of passwords (the password history).
    Hashes made with the production parameters still verify (Argon2 reads them from the
    hash). Tests that do not ask for it keep the production parameters, and at least one
    test of each password path must not ask for it."""
    hasher = PasswordHasher(**QUICK_ARGON2)
    app.extensions["kelisim.admin"].checks.hasher = hasher
    return hasher


QUICK_ARGON2: dict[str, int] = {"time_cost": 1, "memory_cost": 8 * 1024, "parallelism": 1}


@functools.cache
def _quick_hash(password: str) -> str:
    return PasswordHasher(**QUICK_ARGON2).hash(password)


@pytest.fixture
def users(request: pytest.FixtureRequest, app: Flask, kelisim: Kelisim) -> dict[str, int]:
    """One ready user per role (password admin_support.PASSWORD, no forced change):
    role -> id. Their hashes have the production parameters, or quick_argon2's when the
    test asks for it (a hash's own parameters set what checking it costs)."""
    quick = "quick_argon2" in request.fixturenames
    stored = _quick_hash(PASSWORD) if quick else password_hash(PASSWORD)
    out: dict[str, int] = {}
    with kelisim.db.session() as s:
        for role in ROLES:
            s.add(AdminUser(email=f"{role}@example.com", role=role,
                            password_hash=stored,
                            must_change_password=False, disabled=False, session_generation=1,
                            created_at="2030-01-01T00:00:00Z"))
        s.flush()
        for u in s.scalars(sa.select(AdminUser)):
            out[u.role] = u.id
    return out
