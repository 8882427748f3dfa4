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
    except RuntimeError as exc:
        # A migration that refuses (a chain it cannot move, a downgrade that would undo
        # what was given out): its sentence, not a traceback.
        raise click.ClickException(str(exc)) from None

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
    if revision == "head":
        signed = _sign_logs()
        if signed:
            click.echo(f"  signed a checkpoint of {len(signed)} app log(s) that had leaves "
                       f"no checkpoint covered (appended by a migration)")


def _sign_logs() -> dict[str, int]:
    """Sign a checkpoint of each app log whose newest leaves none covers (a migration
    appends without a key, e.g. 0018's requests), when the root lists a log key this
    server holds (``sign_missing_checkpoints``: locks only the heads of those apps)."""

    from client_sdk.protocol.timeutil import format_time
    from server.cli.common import now
    from server.consent.tlog import sign_missing_checkpoints
    from server.errors import LogKeyUnavailable
    from server.trust.log_keys import log_signer
    from server.trust.rootstore import current_root

    k = kelisim()
    with k.db.session() as s:
        root = current_root(s)
        if root is None:
            return {}
        try:
            signer = log_signer(root, k.keys_dir, s)
        except LogKeyUnavailable as exc:
            click.echo(f"  transparency log: {exc}; its new leaves are signed by the next "
                       f"append", err=True)
            return {}
        if signer is None:
            return {}
        return sign_missing_checkpoints(s, signer, format_time(now()))


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
