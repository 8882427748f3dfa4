"""The ``kelisim`` command line: a Flask CLI group, one command group per module.

Commands call the services (:mod:`server.policy.publish`, :mod:`server.trust.roots`, ...); every
:class:`~server.errors.KelisimError` is turned into a one-line ``Error: ...`` and exit
status 1 here, in :class:`KelisimGroup`, and nowhere else. Every command is in docs/cli.md.
To add a command from another module, register it below with one ``main.add_command``.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup

from client_sdk.protocol import ConsentError
from server.app import create_app
from server.cli import (
    apikeys,
    consent_audit,
    consent_log,
    database,
    demo,
    importing,
    keys,
    labels,
    node,
    policy,
    requests,
    serve,
    signing,
    tlog,
    witness,
    worker,
)
from server.cli import users as admin_cli
from server.cli.common import INSTANCE_CREATORS
from server.config import instance_path
from server.errors import ConfigError, KelisimError

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

    # Listing or looking up commands never builds the app: building it would create the
    # instance folder (Flask's group loads the app to find commands an app registers; ours
    # registers none).
    def list_commands(self, ctx: click.Context) -> list[str]:
        return click.Group.list_commands(self, ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return click.Group.get_command(self, ctx, name)


def _app_factory() -> Flask:
    """The app for the command being run. Only a command that creates an instance
    (``db upgrade``, ``demo-setup``) runs without the instance folder; it says where it made
    one. Any other refuses, naming the folder it looked for: run from another folder it
    would otherwise create a new instance there, with a new root and new keys."""
    ctx = click.get_current_context(silent=True)
    try:
        path = instance_path()
        if path.exists() and not path.is_dir():
            raise click.ClickException(f"the instance folder {path} is not a folder "
                                       f"(KELISIM_INSTANCE_PATH)")
        created = not path.exists()
        if created and (ctx is None or ctx.command not in INSTANCE_CREATORS):
            raise click.ClickException(
                f"no Kelisim instance at {path}: run kelisim in the folder that holds "
                f"instance/ (the project's folder after `make run`), or set "
                f"KELISIM_INSTANCE_PATH to the instance folder. `kelisim demo-setup` or "
                f"`kelisim db upgrade` creates a new instance (a new database, new keys and "
                f"a new root).")
        app = create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if created:
        click.echo(f"created the instance folder {path}", err=True)
    return app


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
main.add_command(consent_audit.audit)  # and `consents export-log`
main.add_command(consent_log.consents)
main.add_command(consent_log.stats_cmd)
main.add_command(consent_log.deletions)
main.add_command(requests.requests_cmd)
main.add_command(demo.demo_setup)
main.add_command(serve.serve)
main.add_command(node.node)  # prepare another node from this one (server/nodefile.py)
main.add_command(admin_cli.users)  # console users (server/cli/users.py)
main.add_command(signing.bundle_command)  # the one-file app bundle (server/policy/bundle.py)
main.add_command(labels.labels)  # store privacy labels (server/policy/labelfiles.py)
main.add_command(apikeys.api_keys)  # the operator API's keys (server/consent/apikeys.py)
main.add_command(witness.witness)  # a tlog-witness of other logs (server/witness/)
main.add_command(tlog.proof)  # proof files, checked offline (client_sdk/protocol/prooffile.py)
main.add_command(tlog.log)  # the auditor (server/witness/audit.py)
main.add_command(worker.worker)  # webhook deliveries (server/webhooks/worker.py)
