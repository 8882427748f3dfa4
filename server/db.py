"""Engine, sessions and migrations."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from server.config import make_instance_folder

__all__ = ["Database"]

_MIGRATIONS = str(Path(__file__).parent / "migrations")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # SQLAlchemy's recipe for real SQLite transactions: the driver stops issuing BEGIN
    # itself and _sqlite_begin does it, IMMEDIATE when the session asked for the write lock
    # up front (appending to a hash chain must not read a head another worker changes).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # WAL lets readers on other workers go on while one worker publishes; busy_timeout
    # makes a concurrent writer wait instead of failing.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _private_sqlite_file(path: Path) -> None:
    """Create the database file 0600 (in a 0700 folder when the folder is new) before
    SQLite opens it, and take group and other bits off existing ones: the file holds
    consent records. SQLite gives its -wal, -shm and -journal files the database
    file's mode."""
    make_instance_folder(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for name in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        with contextlib.suppress(FileNotFoundError):
            mode = name.stat().st_mode & 0o777
            if mode & 0o077:
                os.chmod(name, mode & 0o700)


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("immediate") else "BEGIN")


class Database:
    """One engine per process, created lazily so that forked workers get their own."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            kwargs: dict[str, Any] = {}
            if self.url.startswith("sqlite"):
                path = make_url(self.url).database
                if path and path != ":memory:" and not path.startswith("file:"):
                    _private_sqlite_file(Path(path))
            else:
                kwargs["pool_pre_ping"] = True
            self._engine = create_engine(self.url, **kwargs)
            if self.url.startswith("sqlite"):
                event.listen(self._engine, "connect", _sqlite_pragmas)
                event.listen(self._engine, "begin", _sqlite_begin)
            self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        return self._engine

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error.

        On SQLite a transaction that may write takes the write lock when it begins (BEGIN
        IMMEDIATE): a deferred one that reads and then writes fails at once, without
        waiting, when another process wrote in between. ``readonly`` sessions begin
        deferred and never block writers (WAL). On PostgreSQL, code that must not race
        uses row locks (SELECT ... FOR UPDATE).
        """
        engine = self.engine
        if readonly or not self.is_sqlite:
            assert self._sessions is not None
            with self._sessions() as session, session.begin():
                yield session
            return
        with engine.connect() as conn:
            conn.info["immediate"] = True
            try:
                with Session(bind=conn, expire_on_commit=False) as session, session.begin():
                    yield session
            finally:
                conn.info.pop("immediate", None)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _alembic(self) -> AlembicConfig:
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", _MIGRATIONS)
        return cfg

    def upgrade(self, revision: str = "head") -> None:
        """Apply migrations up to ``revision``."""
        cfg = self._alembic()
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

    def downgrade(self, revision: str) -> None:
        cfg = self._alembic()
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(self._alembic()).get_current_head()

    def is_current(self) -> bool:
        return self.current_revision() == self.head_revision()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
