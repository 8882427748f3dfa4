"""What every command shares: the app's services, the migration check, the clock."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app

from client_sdk.timeutil import utcnow

from .. import Kelisim
from ..adminlog import CLI_ACTOR

__all__ = ["CLI_ACTOR", "kelisim", "now", "require_migrated"]


def kelisim() -> Kelisim:
    """The running app's configuration, database and published-files cache."""
    k: Kelisim = current_app.extensions["kelisim"]
    return k


def require_migrated() -> Kelisim:
    """The app, after checking that its database is at the newest migration."""
    k = kelisim()
    if not k.db.is_current():
        raise click.ClickException("the database is not migrated; run `kelisim db upgrade`")
    return k


def now() -> datetime:
    """The time a command acts at, read once per command."""
    return utcnow()
