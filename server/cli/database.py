"""``kelisim db``: migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from alembic.util import CommandError
from flask.cli import AppGroup

from server.cli.common import creates_instance, kelisim
from server.errors import InvalidValue


@contextmanager
def _revision(name: str) -> Iterator[None]:
    try:
        yield
    except CommandError as exc:
        raise InvalidValue(name, str(exc)) from None

__all__ = ["db"]


@click.group(cls=AppGroup)
def db() -> None:
    """Database migrations."""


@creates_instance
@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations (creates the database when missing)."""
    with _revision("--revision"):
        kelisim().db.upgrade(revision)
    click.echo(f"database at revision {kelisim().db.current_revision()}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION ('base' empties the database)."""
    with _revision("REVISION"):
        kelisim().db.downgrade(revision)
    click.echo(f"database at revision {kelisim().db.current_revision()}")


@db.command("current")
def db_current() -> None:
    """Print the applied and the newest revision."""
    k = kelisim()
    click.echo(f"applied: {k.db.current_revision()}  head: {k.db.head_revision()}")
