"""Migrations from empty, on SQLite and PostgreSQL, match the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from server import Kelisim
from server.models import Base

# Every other test's database is a copy of a migrated one (tests/dbtemplate.py); these
# migrate from empty.
pytestmark = pytest.mark.real_migrations


def test_upgrade_from_empty_matches_models(kelisim: Kelisim) -> None:
    assert kelisim.db.is_current()
    with kelisim.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_up_again(kelisim: Kelisim, cli) -> None:
    kelisim.db.downgrade("base")
    tables = set(inspect(kelisim.db.engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    assert "not migrated" in cli("apps", "list", ok=False).output
    cli("db", "upgrade")
    head = kelisim.db.head_revision()
    assert f"applied: {head}  head: {head}" in cli("db", "current").output
    cli("keys", "init")
