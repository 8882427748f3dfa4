"""The tests' databases are copies of one migrated per worker (tests/dbtemplate.py): a copy
must be what the migrations make, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

import dbtemplate
from server import Kelisim
from server.models import Base


def test_a_copied_database_is_what_the_migrations_make(kelisim: Kelisim) -> None:
    assert kelisim.db.is_current()
    with kelisim.db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        # The first migration's seed row came along.
        assert conn.execute(text("SELECT id, value FROM generation")).all() == [(1, 0)]
        # The append-only triggers of the console's audit log (migration 0006) too.
        assert inspect(conn).has_table("admin_events")
        if conn.dialect.name == "sqlite":
            triggers = conn.execute(text(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'admin_events'")).scalar_one()
        else:
            triggers = conn.execute(text(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'admin_events'::regclass "
                "AND NOT tgisinternal")).scalar_one()
        assert triggers >= 2


def test_each_copy_is_its_own(database_url: str) -> None:
    # Two empty databases of the backend get a copy each; a write to one is not in the other.
    urls = [database_url, _another(database_url)]
    try:
        assert all(dbtemplate.prepare(url) for url in urls)
        engines = [sa.create_engine(url) for url in urls]
        with engines[0].begin() as conn:
            conn.execute(text("INSERT INTO generation (id, value) VALUES (2, 0)"))
        counts = []
        for engine in engines:
            with engine.connect() as conn:
                counts.append(conn.execute(text("SELECT count(*) FROM generation")).scalar_one())
            engine.dispose()
        assert counts == [2, 1]
        # A database that is not empty is left to the migrations.
        assert not dbtemplate.prepare(urls[0])
    finally:
        _drop(urls[1])


def _another(url: str) -> str:
    if url.startswith("sqlite:///"):
        return url.replace("kelisim.db", "second.db")
    base, schema = url.rsplit("search_path%3D", 1)
    other = f"{schema}_b"
    engine = sa.create_engine(make_url(url).set(query={}))
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{other}"'))
    engine.dispose()
    return f"{base}search_path%3D{other}"


def _drop(url: str) -> None:
    if url.startswith("sqlite:///"):
        return
    schema = url.rsplit("search_path%3D", 1)[1]
    engine = sa.create_engine(make_url(url).set(query={}))
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()
