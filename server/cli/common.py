"""What every command shares: the app's services, the migration check, the clock, and
which commands may create a new instance folder."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

import click

from server.adminlog import CLI_ACTOR
from server.context import Kelisim, kelisim

__all__ = ["CLI_ACTOR", "INSTANCE_CREATORS", "creates_instance", "kelisim", "now",
           "require_migrated"]

C = TypeVar("C", bound=click.Command)

# The commands that may run without an instance folder and create it (db upgrade,
# demo-setup). Every other command refuses to run without one (server/cli/__init__.py):
# run elsewhere, it would otherwise make a new instance there, with new keys and a new root.
INSTANCE_CREATORS: set[click.Command] = set()


def creates_instance(command: C) -> C:
    """Mark ``command`` as one that creates the instance folder when it is missing."""
    INSTANCE_CREATORS.add(command)
    return command


def require_migrated() -> Kelisim:
    """The app, after checking that its database is at the newest migration."""
    k = kelisim()
    if not k.db.is_current():
        raise click.ClickException("the database is not migrated; run `kelisim db upgrade`")
    return k


def now() -> datetime:
    """The time a command acts at, read once per command: the app's clock (the wall clock
    unless a test set :attr:`Kelisim.clock`)."""
    return kelisim().now()
