"""``kelisim keys`` and ``kelisim root``: the signing keys and the root apps pin."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from client_sdk.protocol.envelope import PAYLOAD_ROOT, parse_envelope
from client_sdk.protocol.timeutil import format_time
from server.cli.common import CLI_ACTOR, now, require_migrated
from server.consent.tlog import sign_missing_checkpoints
from server.errors import NotFound
from server.trust.log_keys import log_signer
from server.trust.roots import NEW_KEYS, LoadedRoot, WitnessChange, init_root, rotate

__all__ = ["keys", "root"]


def _echo_roles(root: LoadedRoot) -> None:
    for name, role in root.root.roles.items():
        click.echo(f"  {name}: {', '.join(role.keyids)} (threshold {role.threshold})")
    if root.root.witnesses:
        click.echo(f"  witnesses: {', '.join(w.name for w in root.root.witnesses)} "
                   f"(threshold {root.root.witness_threshold})")


@click.group(cls=AppGroup)
def keys() -> None:
    """Signing keys."""


@keys.command("init")
@click.option("--root-keys", default=1, show_default=True, help="How many root keys.")
@click.option("--root-threshold", default=1, show_default=True,
              help="How many root keys must sign a new root.")
def keys_init(root_keys: int, root_threshold: int) -> None:
    """Create root, manifest, receipt and log keys (files 0600) and sign root version 1."""
    k = require_migrated()
    with k.db.session() as s:
        root = init_root(s, k.keys_dir, now(), k.root_ttl, root_keys, root_threshold,
                         actor=CLI_ACTOR, deployment=k.settings.deployment_name)
    k.published.invalidate()
    click.echo(f"root v{root.version} signed; keys in {k.keys_dir}")
    _echo_roles(root)
    click.echo("Ship root v1 inside your app: kelisim root show --version 1 > root.json")


@click.group(cls=AppGroup)
def root() -> None:
    """The root of trust that apps pin."""


@root.command("show")
@click.option("--version", "version", type=int, default=None, help="Default: the newest.")
@click.option("--payload", is_flag=True, help="Print the decoded payload, not the envelope.")
def root_show(version: int | None, payload: bool) -> None:
    """Print a signed root (the envelope an app ships pinned)."""
    k = require_migrated()
    blob = k.published.root(version)
    if blob is None:
        raise NotFound("no such root; run `kelisim keys init` first" if version is None
                       else f"no root version {version}")
    if payload:
        doc = parse_envelope(blob.body, PAYLOAD_ROOT).payload_json()
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        click.echo(blob.body.decode())


@root.command("rotate")
@click.option("--new", "new_roles", multiple=True,
              type=click.Choice(list(NEW_KEYS)),
              help="Replace this role's keys, or the log key (repeatable; `log` in a "
                   "root without a log adds one).")
@click.option("--root-key", "root_key_files", multiple=True,
              type=click.Path(exists=True, dir_okay=True, path_type=Path),
              help="An offline root key file or folder (repeatable).")
@click.option("--root-threshold", type=int, default=None)
@click.option("--add-witness", "add_witnesses", multiple=True, metavar="VKEY",
              help="List a witness by its verifier key (`kelisim witness init` prints it; "
                   "repeatable).")
@click.option("--remove-witness", "remove_witnesses", multiple=True, metavar="NAME",
              help="Stop listing the witness NAME (repeatable).")
@click.option("--witness-threshold", type=int, default=None,
              help="How many of the witnesses must cosign a checkpoint (k of n).")
@click.option("--require-policy-inclusion/--no-require-policy-inclusion", default=None,
              help="Devices refuse a manifest not proved in the policy log (or stop).")
def root_rotate(new_roles: tuple[str, ...], root_key_files: tuple[Path, ...],
                root_threshold: int | None, add_witnesses: tuple[str, ...],
                remove_witnesses: tuple[str, ...], witness_threshold: int | None,
                require_policy_inclusion: bool | None) -> None:
    """Sign root N+1 (by N's keys and its own) and re-sign every published manifest."""
    k = require_migrated()
    change = None
    if add_witnesses or remove_witnesses or witness_threshold is not None:
        change = WitnessChange(add_witnesses, remove_witnesses, witness_threshold)
    with k.db.session() as s:
        done = rotate(s, k.keys_dir, now(), k.root_ttl, k.timing, actor=CLI_ACTOR,
                      new_roles=new_roles, root_key_files=root_key_files,
                      root_threshold=root_threshold,
                      deployment=k.settings.deployment_name, witnesses=change,
                      policy_inclusion=require_policy_inclusion)
        signer = log_signer(done.root, k.keys_dir, s)
        signed = {}
        if signer is not None:  # logs sequenced before the root named a log key
            signed = sign_missing_checkpoints(s, signer, format_time(now()))
    k.published.invalidate()
    click.echo(f"root v{done.root.version} signed; re-signed {len(done.resigned)} "
               f"manifest(s)")
    if signed:
        click.echo(f"  signed the first checkpoint of {len(signed)} app log(s)")
    if done.skipped:
        click.echo(f"  not re-signed (no version in effect): {', '.join(done.skipped)}")
    _echo_roles(done.root)
