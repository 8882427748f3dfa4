"""``kelisim node``: prepare another node from this one (server/nodefile.py)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from server.cli.common import kelisim, now, require_migrated
from server.config import load_settings
from server.errors import NotFound
from server.nodefile import check_shared_database, export_node, import_node
from server.trust.rootstore import current_root

__all__ = ["node"]


@click.group()
def node() -> None:
    """Prepare another node from this one (docs/operations.md, "Two nodes")."""


@node.command("export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def node_export(out: Path) -> None:
    """Write OUT (0600, never over a file): the receipt and manifest keys the root names,
    the secret keys and the shared configuration. OUT holds private keys: move it to the
    other node over a private channel, import it there, then delete it."""
    check_shared_database(kelisim().settings)
    k = require_migrated()
    with k.db.session(readonly=True) as s:
        root = current_root(s)
    if root is None:
        raise NotFound("no root yet: run `kelisim keys init` first")
    names = export_node(k.settings, root, out, now())
    click.echo(f"wrote {out} (0600): keys {', '.join(names)}, the secret keys and the "
               f"shared configuration. On the other node: kelisim node import {out.name}; "
               f"then delete both copies.")


# Runs without the app: building it would generate a secret key of this node's own, the
# one thing the node file is here to replace.
@node.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def node_import(source: Path) -> None:
    """Write SOURCE's keys (0600 in KEYS_DIR), secret keys (<instance>/secret_key, 0600)
    and configuration (<instance>/config.toml) for this node. Refuses, writing nothing,
    when any of those files exists with other content."""
    done = import_node(load_settings(), source)
    for path in done.written:
        click.echo(f"wrote     {path}")
    for path in done.unchanged:
        click.echo(f"unchanged {path}")
    click.echo(f"this node is ready: `kelisim serve`. Delete {source}: it holds private keys.")
