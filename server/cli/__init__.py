"""The ``kelisim`` command line: a Flask CLI group, one command group per module.

Commands call the services (:mod:`server.publish`, :mod:`server.roots`, ...); every
:class:`~server.errors.KelisimError` is turned into a one-line ``Error: ...`` and exit
status 1 here, in :class:`KelisimGroup`, and nowhere else. Every command is in docs/cli.md.
To add a command from another module, register it below with one ``main.add_command``.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup

from client_sdk.errors import ConsentError

from .. import create_app
from ..admin import cli as admin_cli
from ..appbundle import bundle_command
from ..errors import ConfigError, KelisimError
from . import consent_log, database, demo, importing, keys, policy, serve, signing

__all__ = ["KelisimGroup", "main"]


class KelisimGroup(FlaskGroup):
    """FlaskGroup that translates the errors a user can act on into a clean message."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (KelisimError, ConsentError) as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            # A path the user named that cannot be read or written; services name theirs,
            # this catches the rest without a traceback.
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None


def _app_factory() -> Flask:
    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(cls=KelisimGroup, create_app=_app_factory, add_version_option=False)
def main() -> None:
    """Kelisim: publish signed privacy-policy manifests for mobile apps."""


main.add_command(database.db)
main.add_command(keys.keys)
main.add_command(keys.root)
main.add_command(policy.apps)
main.add_command(policy.publish)
main.add_command(policy.versions)
main.add_command(importing.import_cmd)
main.add_command(signing.resign)
main.add_command(signing.export_static_cmd)
main.add_command(consent_log.audit)
main.add_command(consent_log.consents)
main.add_command(consent_log.stats_cmd)
main.add_command(consent_log.deletions)
main.add_command(demo.demo_setup)
main.add_command(serve.serve)
main.add_command(admin_cli.users)  # console users (server/admin/cli.py)
main.add_command(bundle_command)  # the one-file app bundle (server/appbundle.py)
