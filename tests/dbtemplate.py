"""Migrated databases for the tests, made by copying one this worker migrated once.

Every test that asks for ``app`` gets a database at the head revision. Running Alembic's
seventeen migrations for each of them took about 0.3 s on SQLite and 0.6 to 0.9 s on
PostgreSQL, most of a simple test's time; the same migrations now run once per worker and
backend, into a template, and each test gets a copy of it:

- SQLite: the template's file, copied to the test's path before the app opens it;
- PostgreSQL: the template schema as ``pg_dump`` writes it (schema, seed rows, sequence
  values), replayed into the test's own empty schema.

The copy is what the migrations made, so a test cannot tell the two apart; the migrations
themselves are tested on their own (tests/test_migrations.py runs them step by step).
``KELISIM_TEST_NO_TEMPLATE=1`` runs the migrations for every test again. Where the copy is
not possible (no ``pg_dump``, a database URL of another shape, a database not empty), the
test's database is migrated as before.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

from server.db import Database

_SQLITE = "sqlite:///"
_SCHEMA_OPTION = "options=-csearch_path%3D"
_made: dict[str, object] = {}  # "sqlite" -> template file; "postgres" -> SQL or None


def prepare(url: str) -> bool:
    """Put a copy of the migrated template at ``url`` if it is empty there: True when done
    (the app then needs no ``upgrade``), False when the caller must migrate it itself."""
    if os.environ.get("KELISIM_TEST_NO_TEMPLATE"):
        return False
    if url.startswith(_SQLITE):
        target = Path(url.removeprefix(_SQLITE))
        if target.exists():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_sqlite_template(), target)
        return True
    if _SCHEMA_OPTION in url and url.startswith("postgresql"):
        base, schema = url.rsplit(_SCHEMA_OPTION, 1)
        base = base.rstrip("?&")
        sql = _pg_template(base)
        if sql is None:
            return False
        engine = sa.create_engine(base)
        try:
            with engine.begin() as conn:
                tables = conn.execute(sa.text(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = :s"), {"s": schema})
                if tables.scalar_one():
                    return False
                conn.exec_driver_sql(sql.replace(_PLACEHOLDER, f'"{schema}"'))
        finally:
            engine.dispose()
        return True
    return False


def _sqlite_template() -> Path:
    path = _made.get("sqlite")
    if isinstance(path, Path):
        return path
    folder = Path(tempfile.mkdtemp(prefix="kelisim-template-"))
    path = folder / "kelisim.db"
    db = Database(f"{_SQLITE}{path}")
    try:
        db.upgrade()
    finally:
        db.dispose()
    _made["sqlite"] = path
    return path


_PLACEHOLDER = "\x00schema\x00"


def _pg_template(base: str) -> str | None:
    """The template schema's SQL, its schema name replaced by a placeholder; None when
    ``pg_dump`` is missing or fails (each test then runs the migrations)."""
    if "postgres" in _made:
        known = _made["postgres"]
        return known if isinstance(known, str) else None
    pg_dump = shutil.which("pg_dump")
    schema = f"tmpl_{uuid.uuid4().hex[:16]}"
    engine = sa.create_engine(base)
    sql: str | None = None
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in base else "?"
        db = Database(f"{base}{sep}{_SCHEMA_OPTION}{schema}")
        try:
            db.upgrade()
        finally:
            db.dispose()
        if pg_dump:
            libpq = sa.engine.make_url(base).set(drivername="postgresql")
            dump = subprocess.run(
                [pg_dump, f"--schema={schema}", "--no-owner", "--no-privileges", "--inserts",
                 libpq.render_as_string(hide_password=False)],
                capture_output=True, text=True, timeout=120)
            if dump.returncode == 0:
                lines = [line for line in dump.stdout.splitlines()
                         if not line.startswith("\\")  # psql's \restrict (pg_dump >= 15.14)
                         and not line.startswith(("CREATE SCHEMA", "ALTER SCHEMA"))]
                sql = "\n".join(lines).replace(f'"{schema}"', _PLACEHOLDER).replace(
                    schema, _PLACEHOLDER)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()
    _made["postgres"] = sql
    return sql
