"""Engine, sessions and migrations; database failures as domain errors.

Every way into the database (:meth:`Database.session`, :meth:`Database.guard` around a raw
connection, :meth:`Database.ping`) turns the driver's "cannot now" errors into the
:class:`~server.errors.Unavailable` tree, so that no caller sees a driver exception for an
outage: :class:`~server.errors.DatabaseUnavailable` (stopped, unreachable, disk full,
read-only) and :class:`~server.errors.DatabaseBusy` (a lock not obtained within
LOCK_TIMEOUT). The HTTP layer answers both ``503`` with ``Retry-After``. Each process logs
one line when the database becomes unavailable and one when it is back, never one per
request.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, partial
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from server.config import make_instance_folder
from server.errors import DatabaseBusy, DatabaseUnavailable, Unavailable

__all__ = ["Database", "unavailable_error"]

log = logging.getLogger(__name__)

_MIGRATIONS = str(Path(__file__).parent / "migrations")


def _alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", _MIGRATIONS)
    return cfg


@cache
def _head_revision() -> str | None:
    """The migrations' head revision, read once per process: the scripts ship with the
    code and do not change under it, and reading them loads (and compiles, where no
    bytecode was written) every one of them. Each app start and each CLI command asks."""
    head: str | None = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    return head


# SQLite's primary result codes (the low byte of sqlite3.Error.sqlite_errorcode) that mean
# "not now": busy and locked (a lock not obtained within busy_timeout), and those of a
# database that cannot be written or opened (no memory, read-only, I/O error, disk full,
# cannot open, lock protocol). Corruption and misuse are bugs: they stay 500.
_SQLITE_BUSY = {5, 6}
_SQLITE_DOWN = {7: False, 8: True, 10: True, 13: True, 14: False, 15: True}  # -> writes_only


def _first_line(exc: BaseException) -> str:
    text_ = str(exc).strip()
    return (text_.splitlines() or [type(exc).__name__])[0][:300]


def unavailable_error(exc: BaseException, lock_timeout: float) -> Unavailable | None:
    """The :class:`Unavailable` error ``exc`` stands for, or None when it is not an
    outage (a constraint violation, a bug). ``exc`` may be SQLAlchemy's wrapper or the
    driver's own exception (server/consent/rawsql.py uses the driver's cursor)."""
    if isinstance(exc, Unavailable):
        return exc
    if isinstance(exc, sa_exc.TimeoutError):  # no free connection in the pool
        return DatabaseBusy("a database connection", lock_timeout)
    orig = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    if isinstance(orig, sqlite3.Error):
        code = (getattr(orig, "sqlite_errorcode", None) or 0) & 0xFF
        if code in _SQLITE_BUSY:
            return DatabaseBusy("the database's write lock", lock_timeout)
        if code in _SQLITE_DOWN:
            return DatabaseUnavailable(_first_line(orig), writes_only=_SQLITE_DOWN[code])
        return None
    if type(orig).__module__.startswith("psycopg"):
        import psycopg

        errors = psycopg.errors
        if isinstance(orig, errors.LockNotAvailable):  # lock_timeout
            return DatabaseBusy("a row lock", lock_timeout)
        if isinstance(orig, errors.TransactionRollback):
            return None  # a deadlock or serialisation failure: the caller may retry
        if isinstance(orig, errors.DiskFull | errors.ReadOnlySqlTransaction):
            return DatabaseUnavailable(_first_line(orig), writes_only=True)
        if isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError):
            return DatabaseUnavailable(_first_line(orig))
        return None
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return DatabaseUnavailable(_first_line(exc))
    return None


def _sqlite_pragmas(busy_ms: int, synchronous: str, dbapi_conn: Any, _record: Any) -> None:
    # SQLAlchemy's recipe for real SQLite transactions: the driver stops issuing BEGIN
    # itself and _sqlite_begin does it, IMMEDIATE when the session asked for the write lock
    # up front (appending to a hash chain must not read a head another worker changes).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # WAL lets readers on other workers go on while one worker publishes; busy_timeout
    # makes a concurrent writer wait instead of failing, LOCK_TIMEOUT at most.
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk when it returns. NORMAL (WAL): it survives a crash of the
    # process, and a power loss may undo the last commits (never half of one).
    cur.execute(f"PRAGMA synchronous={synchronous}")
    cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
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


def _postgres_timeouts(lock_ms: int, dbapi_conn: Any, _record: Any) -> None:
    # For the connection's life: a row or table lock (FOR UPDATE on a chain head held by
    # a frozen worker) is waited for LOCK_TIMEOUT at most, then LockNotAvailable.
    autocommit = dbapi_conn.autocommit
    dbapi_conn.autocommit = True
    try:
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET lock_timeout = {int(lock_ms)}")
    finally:
        dbapi_conn.autocommit = autocommit


class Database:
    """One engine per process, created lazily so that forked workers get their own."""

    def __init__(self, url: str, lock_timeout: float = 5.0, *, durable: bool = True) -> None:
        """``durable`` False (SQLite only): commits are not flushed to the disk
        (``synchronous=NORMAL``), for writers whose last commits may be undone by a power
        loss and done again (the webhook worker's bookkeeping, server/webhooks/worker.py);
        never for consent records."""
        self.url = url
        self.lock_timeout = lock_timeout
        self.durable = durable
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self._state_lock = threading.Lock()
        # While the database is unavailable: the error that said so, and since when.
        self._down: Unavailable | None = None
        self._down_since = 0.0

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            kwargs: dict[str, Any] = {}
            timeout_ms = max(1, int(self.lock_timeout * 1000))
            if self.url.startswith("sqlite"):
                path = make_url(self.url).database
                if path and path != ":memory:" and not path.startswith("file:"):
                    _private_sqlite_file(Path(path))
            else:
                # A host that does not answer is given LOCK_TIMEOUT (libpq: 2 s at least),
                # as is a request waiting for a free connection of the pool.
                kwargs.update(pool_pre_ping=True, pool_timeout=self.lock_timeout)
                if "connect_timeout" not in make_url(self.url).query:  # the URL's wins
                    kwargs["connect_args"] = {
                        "connect_timeout": max(2, math.ceil(self.lock_timeout))}
            self._engine = create_engine(self.url, **kwargs)
            if self.url.startswith("sqlite"):
                event.listen(self._engine, "connect", partial(
                    _sqlite_pragmas, timeout_ms, "FULL" if self.durable else "NORMAL"))
                event.listen(self._engine, "begin", _sqlite_begin)
            elif self.url.startswith("postgresql"):
                event.listen(self._engine, "connect", partial(_postgres_timeouts, timeout_ms))
            self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        return self._engine

    # -- availability ------------------------------------------------------------------
    @property
    def unavailable(self) -> Unavailable | None:
        """The error that last showed the database unavailable, until it is back."""
        return self._down

    @contextmanager
    def guard(self, *, writes: bool = True) -> Iterator[None]:
        """Turn the driver's outage errors raised inside into :class:`Unavailable` (the
        state is logged once per change); ``writes``: the block writes, so its success
        shows a database that could not be written is back.

        Raises:
            DatabaseUnavailable, DatabaseBusy: for what the driver raised.
        """
        try:
            yield
        except Exception as exc:
            error = unavailable_error(exc, self.lock_timeout)
            if error is None:
                raise
            self.note_unavailable(error)
            if error is exc:
                raise
            raise error from None
        self._back(writes)

    def note_unavailable(self, error: Unavailable) -> None:
        """Record that ``error`` showed the database unavailable (logged once, until a
        success shows it is back); :meth:`guard` calls it, so does code that times out
        waiting for the database by itself (the group commit's write lock)."""
        if self._down is not None:
            return
        with self._state_lock:
            if self._down is not None:
                return
            self._down, self._down_since = error, time.monotonic()
        detail = f": {error.reason}" if isinstance(error, DatabaseUnavailable) else ""
        log.warning("%s%s; requests that need it answer 503 until it is back",
                    error.message.removesuffix("; retry later"), detail)

    def _back(self, writes: bool) -> None:
        down = self._down
        if down is None or (not writes and (isinstance(down, DatabaseBusy) or (
                isinstance(down, DatabaseUnavailable) and down.writes_only))):
            return
        with self._state_lock:
            if self._down is None:
                return
            self._down, since = None, self._down_since
        log.warning("the database is available again (after %.1f s)", time.monotonic() - since)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def one_snapshot(self, session: Session) -> None:
        """Make every read of ``session``'s transaction see one snapshot of the database,
        as a whole-log check or export needs (the chain's records and requests, its
        leaves, hashes and checkpoints read by separate statements while the server
        appends): on PostgreSQL REPEATABLE READ, set before the transaction's first
        statement; SQLite's reading transaction (WAL) is a snapshot already."""
        if not self.is_sqlite:
            session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error.

        On SQLite a transaction that may write takes the write lock when it begins (BEGIN
        IMMEDIATE): a deferred one that reads and then writes fails at once, without
        waiting, when another process wrote in between. ``readonly`` sessions begin
        deferred and never block writers (WAL). On PostgreSQL, code that must not race
        uses row locks (SELECT ... FOR UPDATE).
        """
        with self.guard(writes=not readonly):
            engine = self.engine
            if readonly or not self.is_sqlite:
                assert self._sessions is not None
                with self._sessions() as session, session.begin():
                    yield session
                return
            with engine.connect() as conn:
                conn.info["immediate"] = True
                try:
                    with Session(bind=conn, expire_on_commit=False) as session, \
                            session.begin():
                        yield session
                finally:
                    conn.info.pop("immediate", None)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


    def upgrade(self, revision: str = "head") -> None:
        """Apply migrations up to ``revision``."""
        cfg = _alembic_config()
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

    def downgrade(self, revision: str) -> None:
        cfg = _alembic_config()
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)

    def current_revision(self) -> str | None:
        with self.guard(writes=False), self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def head_revision(self) -> str | None:
        return _head_revision()

    def is_current(self) -> bool:
        return self.current_revision() == self.head_revision()

    def ping(self) -> None:
        """Raises: DatabaseUnavailable: the database does not answer."""
        with self.guard(writes=False), self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
