"""Plain DB-API statements for the consent ingest's hot path.

SQLAlchemy's ORM and Core build, cache-key and compile each statement and process each
row: on a one-record request that was most of the time spent under the chain-head lock
(profile in docs/operations.md, "Ingest"). The ingest path runs its few fixed statements
on the driver's own cursor, inside the session's transaction, with values converted by
the same SQLAlchemy column types as every other write (so a row written here is
byte-for-byte the row the ORM would have written: JSON text, booleans, NULLs).

Statements are written with ``?`` placeholders and rewritten to ``%s`` for psycopg.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

__all__ = ["Raw", "raw", "reader"]

_Processor = Callable[[Any], Any]
# Per dialect, table and column list: the column types' bind processors (None: as is).
_CONVERTERS: dict[tuple[str, str, tuple[str, ...]], list[_Processor | None]] = {}
_LOADERS: dict[tuple[str, str, str], _Processor | None] = {}


class Raw:
    """A cursor of one DB-API connection, with the dialect's parameter style and the
    column types' value conversions."""

    def __init__(self, dbapi_connection: Any, dialect: Dialect) -> None:
        self.connection = dbapi_connection
        self.cursor = dbapi_connection.cursor()
        self.dialect = dialect
        self.is_postgres = dialect.name == "postgresql"

    def sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.is_postgres else statement

    def all(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.cursor.execute(self.sql(statement), tuple(params))
        rows: list[tuple[Any, ...]] = self.cursor.fetchall()
        return rows

    @staticmethod
    def marks(n: int) -> str:
        """``(?, ?, ...)``: ``n`` placeholders, for an IN list."""
        return "(" + ", ".join("?" * n) + ")"

    def all_in(self, statement: str, params: Sequence[Any], values: Sequence[Any]
               ) -> list[tuple[Any, ...]]:
        """:meth:`all` with ``(IN)`` in ``statement`` standing for one placeholder per
        value of ``values`` (bound after ``params``)."""
        return self.all(statement.replace("(IN)", self.marks(len(values))), (*params, *values))

    def all_of(self, statements: Sequence[tuple[str, Sequence[Any]]]
               ) -> list[list[tuple[Any, ...]]]:
        """The rows of each of ``statements`` (statement, params): on PostgreSQL sent in
        one pipeline, one round trip for all."""
        if not self.is_postgres:
            return [self.all(q, p) for q, p in statements]
        cursors = [self.connection.cursor() for _ in statements]
        sending: Exception | None = None
        try:
            try:
                with self.connection.pipeline():
                    try:
                        for cur, (q, p) in zip(cursors, statements, strict=True):
                            cur.execute(self.sql(q), tuple(p))
                    except Exception as exc:  # an earlier statement failed meanwhile
                        # Kept, so that leaving the pipeline (which fails too: it was
                        # aborted) raises rather than logs "error ignored terminating".
                        sending = exc
            except Exception as leaving:
                raise sending or leaving from None
            if sending is not None:
                raise sending
            return [cur.fetchall() if cur.description is not None else []
                    for cur in cursors]
        finally:
            for cur in cursors:
                cur.close()

    def values(self, table: Table, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
               tail: str = "", *, converted: bool = False) -> list[tuple[str, tuple[Any, ...]]]:
        """Multi-row ``INSERT INTO table (columns) VALUES (...), (...)`` statements for
        :meth:`all_of` (one statement of many rows is much cheaper than many of one: one
        PostgreSQL execution, one SQLite step and one release of the GIL), values
        converted by their column types (unless ``converted``: the caller did it, with
        :meth:`converters`, e.g. before a lock), split to stay
        under the bound on parameters (PostgreSQL's protocol: 65,535; SQLite: 32,766)."""
        convert = [] if converted else [(i, f) for i, f in enumerate(
            self.converters(table, columns)) if f is not None]
        per = max(1, (60000 if self.is_postgres else 32000) // len(columns))
        one = self.marks(len(columns))
        out = []
        for i in range(0, len(rows), per):
            chunk = rows[i:i + per]
            for row in chunk:
                if len(row) != len(columns):
                    raise ValueError(f"a row of {len(row)} values for {len(columns)} columns")
            if convert:  # only the columns whose type converts (JSON, booleans)
                lists = [list(row) for row in chunk]
                for values in lists:
                    for at, f in convert:
                        values[at] = f(values[at])
                chunk = lists
            params = tuple(chain.from_iterable(chunk))
            # Table and column names come from the model, never from input.
            out.append(("INSERT INTO {t} ({c}) VALUES {v}{tail}".format(  # noqa: S608
                t=table.name, c=", ".join(columns), v=", ".join([one] * len(chunk)),
                tail=tail), params))
        return out

    def run(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(self.sql(statement), tuple(params))

    def converters(self, table: Table, columns: tuple[str, ...]) -> list[_Processor | None]:
        key = (self.dialect.name, table.name, columns)
        found = _CONVERTERS.get(key)
        if found is None:
            found = [table.c[name].type.dialect_impl(self.dialect).bind_processor(self.dialect)
                     for name in columns]
            _CONVERTERS[key] = found
        return found

    def loaded(self, table: Table, column: str, value: Any) -> Any:
        """A value read from ``table.column`` as the ORM would return it."""
        key = (self.dialect.name, table.name, column)
        if key not in _LOADERS:
            impl = table.c[column].type.dialect_impl(self.dialect)
            _LOADERS[key] = impl.result_processor(self.dialect, None)
        load = _LOADERS[key]
        return value if load is None else load(value)

    def close(self) -> None:
        self.cursor.close()


def raw(session: Session) -> Raw:
    """A :class:`Raw` on the session's own connection (inside its transaction)."""
    conn = session.connection()
    return Raw(conn.connection.driver_connection, conn.dialect)


@contextmanager
def reader(engine: Engine) -> Iterator[Raw]:
    """A :class:`Raw` on a pooled connection of its own, for reads outside any write
    transaction (SQLite: autocommit reads of the WAL's last commit, never blocking a
    writer). Anything left open is rolled back when the connection goes back to the pool."""
    conn = engine.raw_connection()
    try:
        r = Raw(conn.driver_connection, engine.dialect)
        try:
            yield r
        finally:
            r.close()
    finally:
        conn.close()
