"""``kelisim proof verify`` and ``kelisim log audit``: what anyone outside the operator runs to
check a Kelisim transparency log (docs/transparency.md). Neither needs a Kelisim instance."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from client_sdk.protocol import ConsentError, FormatError, ProofError, SignatureError
from client_sdk.protocol.prooffile import verify_proof_file

__all__ = ["proof"]


def _step(exc: ConsentError) -> str:
    if isinstance(exc, ProofError):
        return f"{exc.kind} proof"
    if isinstance(exc, SignatureError):
        return f"signature ({exc.role})"
    if isinstance(exc, FormatError):
        return "format"
    return "root"


@click.group("proof")
def proof() -> None:
    """Check proof files (one consent record's proof of inclusion in its app's log)."""


@proof.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--root", "root_file", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="The signed root you trust (root.json, as apps pin it).")
def verify(file: Path, root_file: Path) -> None:
    """Verify FILE offline against the trusted root; print what it proves."""
    try:
        proven = verify_proof_file(file.read_bytes(), root_file.read_bytes())
    except ConsentError as exc:
        raise click.ClickException(f"{file} does not verify: {_step(exc)}: {exc}") from None
    click.echo(f"proven: record {proven.record_id} of app {proven.app} is entry "
               f"{proven.index} of the log {proven.origin}")
    click.echo(f"checkpoint: tree size {proven.size}, signed by a log key of root "
               f"v{proven.root_version}")
    if not proven.witnesses:
        click.echo("witnesses: none cosigned (the root requires none)")
    for name, timestamp in proven.witnesses:
        when = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        click.echo(f"witness: {name}, cosigned at {when}")
