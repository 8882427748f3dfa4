"""Fixtures: an app per test on its own SQLite file or its own PostgreSQL schema.

Database-backed tests run twice, on SQLite and on the PostgreSQL that
KELISIM_TEST_POSTGRES_URL names (set by .ci/run). Without that variable the PostgreSQL
runs are skipped locally; in CI (CI=true) a missing variable is an error, so they can
never be skipped silently.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient

from server import Kelisim, create_app
from server.cli import main

REPO = Path(__file__).resolve().parent.parent
POLICIES = REPO.parent / "shared" / "policies"
DEMO = REPO / "demo_app" / "policy" / "jana-courier"

PG_URL = os.environ.get("KELISIM_TEST_POSTGRES_URL", "")


def _pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


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
def config(tmp_path: Path, database_url: str) -> dict[str, Any]:
    return {
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "TESTING": True,
        "CACHE_CHECK_INTERVAL": 0.0,
    }


@pytest.fixture
def app(config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(config)
    k: Kelisim = app.extensions["kelisim"]
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
