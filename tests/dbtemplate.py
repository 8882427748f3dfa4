"""Migrated databases for the tests, made by copying one this worker migrated once.

Every test that asks for ``app`` gets a database at the head revision. Running Alembic's
seventeen migrations for each of them took about 0.3 s on SQLite and 0.6 to 0.9 s on
PostgreSQL, most of a simple test's time; the same migrations now run once per worker and
backend, into a template, and each test gets a copy of it:

- SQLite: the template's file, copied to the test's path before the app opens it;
- PostgreSQL: the template schema as ``pg_dump`` writes it (schema, seed rows, sequence
  values), replayed into the test's own empty schema.

The copy is what the migrations made, so a test cannot tell the two apart. The tests of
the migrations themselves (tests/test_migrations.py, marked ``real_migrations``) get a
database migrated from empty, as does every test with ``KELISIM_TEST_NO_TEMPLATE=1``.
Where the copy is not possible (no ``pg_dump``, a dump that does not replay, a database
URL of another shape, a database not empty) the test's database is migrated as before,
and the first such fallback is said once as a warning.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from server.config import make_instance_folder
from server.db import Database

_SCHEMA_OPTION = "options=-csearch_path%3D"
_PLACEHOLDER = "\x00schema\x00"
# psql meta-commands pg_dump writes around the dump since 15.14 (\restrict, \unrestrict).
_META = re.compile(r"\\(un)?restrict \S+")
_made: dict[str, object] = {}  # "sqlite" -> template file; "postgres" -> SQL or None


def prepare(url: str) -> bool:
    """Put a copy of the migrated template at ``url`` if it is empty there: True when done
    (the app then needs no ``upgrade``), False when the caller must migrate it itself."""
    if os.environ.get("KELISIM_TEST_NO_TEMPLATE"):
        return False
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:" or parsed.query or "?" in url:
            return False
        target = Path(database)
        if target.exists():
            return False
        make_instance_folder(target.parent)  # 0700, as the server makes it
        shutil.copyfile(_sqlite_template(), target)
        return True
    if parsed.get_backend_name() == "postgresql" and _SCHEMA_OPTION in url:
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
                _replay(conn, sql, schema)
        finally:
            engine.dispose()
        return True
    return False


def _replay(conn: sa.Connection, sql: str, schema: str) -> None:
    # No parameters: a % in the dump is a %, not a placeholder.
    conn.exec_driver_sql(sql.replace(_PLACEHOLDER, f'"{schema}"'),
                         execution_options={"no_parameters": True})


def _sqlite_template() -> Path:
    path = _made.get("sqlite")
    if isinstance(path, Path):
        return path
    folder = Path(tempfile.mkdtemp(prefix="kelisim-template-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "kelisim.db"
    db = Database(f"sqlite:///{path}")
    try:
        db.upgrade()
    finally:
        db.dispose()
    _made["sqlite"] = path
    return path


def _pg_template(base: str) -> str | None:
    """The template schema's SQL, its schema name replaced by a placeholder, checked by
    replaying it once; None when ``pg_dump`` is missing, fails or its output does not
    replay (each test then runs the migrations)."""
    if "postgres" in _made:
        known = _made["postgres"]
        return known if isinstance(known, str) else None
    schema = f"tmpl_{uuid.uuid4().hex[:16]}"
    scratch = f"tmpl_{uuid.uuid4().hex[:16]}"
    engine = sa.create_engine(base)
    sql: str | None = None
    why = "pg_dump is not installed"
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in base else "?"
        db = Database(f"{base}{sep}{_SCHEMA_OPTION}{schema}")
        try:
            db.upgrade()
        finally:
            db.dispose()
        pg_dump = shutil.which("pg_dump")
        if pg_dump:
            sql, why = _dump(pg_dump, base, schema)
        if sql is not None:
            try:
                with engine.begin() as conn:
                    conn.execute(sa.text(f'CREATE SCHEMA "{scratch}"'))
                    _replay(conn, sql, scratch)
            except sa.exc.SQLAlchemyError as exc:
                sql, why = None, f"its output does not replay ({exc.__class__.__name__})"
    finally:
        with engine.begin() as conn:
            for name in (schema, scratch):
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        engine.dispose()
    if sql is None:
        print(f"tests/dbtemplate.py: each PostgreSQL test runs the migrations: {why}",
              file=sys.stderr)
    _made["postgres"] = sql
    return sql


def _dump(pg_dump: str, base: str, schema: str) -> tuple[str | None, str]:
    """(the dump of ``schema`` with its name as the placeholder, or None; why not)."""
    libpq = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        dump = subprocess.run(
            [pg_dump, f"--schema={schema}", "--no-owner", "--no-privileges", "--inserts",
             libpq], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return None, "pg_dump took over 120 s"
    if dump.returncode != 0:
        return None, f"pg_dump failed: {dump.stderr.strip()[:200]}"
    own = {f"CREATE SCHEMA {schema};", f'CREATE SCHEMA "{schema}";'}
    lines = [line for line in dump.stdout.splitlines()
             if not _META.fullmatch(line) and line not in own]
    text = "\n".join(lines).replace(f'"{schema}"', _PLACEHOLDER).replace(schema, _PLACEHOLDER)
    return text, ""
