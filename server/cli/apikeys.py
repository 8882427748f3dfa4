"""``kelisim api-keys``: the keys of the operator's backend for the operator API
(docs/operator-api.md): create, list, rotate, revoke. Each change is in the admin audit
log with the actor ``cli``; a new key is printed once and never stored."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from server.cli.common import CLI_ACTOR, now, require_migrated
from server.consent.apikeys import (
    KEY_PREFIX,
    SCOPES,
    create_key,
    list_keys,
    revoke_key,
    rotate_key,
)

__all__ = ["api_keys"]

HEADER = "key_id\tprefix\tname\tscopes\tcreated\tcreated_by\tlast_used\tstatus"
_SHOWN_ONCE = ("the key is shown once: keep it in the backend's secret store; "
               "only its hash is stored")


@click.group("api-keys", cls=AppGroup)
def api_keys() -> None:
    """API keys of an app's backend (owner's work; every change is audited)."""


@api_keys.command("create")
@click.argument("app_id")
@click.option("--name", required=True, help="What the key is for (shown in lists).")
@click.option("--scope", "scopes", multiple=True, required=True,
              type=click.Choice(SCOPES), help="What it may do; repeat for more.")
def create(app_id: str, name: str, scopes: tuple[str, ...]) -> None:
    """A new key of APP_ID: the key alone on standard output (shown once)."""
    k = require_migrated()
    with k.db.session() as s:
        row, key = create_key(s, app_id, name, scopes, CLI_ACTOR, now())
        key_id = row.key_id
    click.echo(key)
    click.echo(f"created {key_id}; {_SHOWN_ONCE}", err=True)


@api_keys.command("list")
@click.argument("app_id")
def list_cmd(app_id: str) -> None:
    """APP_ID's keys, tab-separated under a header (the ones in use first); status is
    active, revoked or rotated (replaced by another key)."""
    k = require_migrated()
    click.echo(HEADER)
    with k.db.session(readonly=True) as s:
        for r in list_keys(s, app_id):
            status = "active" if r.revoked_at is None else (
                f"rotated:{r.replaced_by}" if r.replaced_by else "revoked")
            click.echo(f"{r.key_id}\t{KEY_PREFIX}{r.key_id}\t{r.name}\t{','.join(r.scopes)}\t"
                       f"{r.created_at}\t{r.created_by}\t{r.last_used_at or ''}\t{status}")


@api_keys.command("rotate")
@click.argument("app_id")
@click.argument("key_id")
def rotate(app_id: str, key_id: str) -> None:
    """Replace KEY_ID by a new key of the same name and scopes; the old one is refused at
    once. The new key alone on standard output (shown once)."""
    k = require_migrated()
    with k.db.session() as s:
        row, key = rotate_key(s, app_id, key_id, CLI_ACTOR, now())
        new_id = row.key_id
    click.echo(key)
    click.echo(f"{key_id} replaced by {new_id}; {_SHOWN_ONCE}", err=True)


@api_keys.command("revoke")
@click.argument("app_id")
@click.argument("key_id")
def revoke(app_id: str, key_id: str) -> None:
    """Refuse KEY_ID from now on."""
    k = require_migrated()
    with k.db.session() as s:
        revoke_key(s, app_id, key_id, CLI_ACTOR, now())
    click.echo(f"{key_id} revoked")
