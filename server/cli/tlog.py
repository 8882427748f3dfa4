"""``kelisim proof verify`` and ``kelisim log audit``: what anyone outside the operator runs to
check a Kelisim transparency log (docs/transparency.md). Neither needs a Kelisim instance."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from client_sdk.protocol import ConsentError, FormatError, ProofError, SignatureError
from client_sdk.protocol.prooffile import MAX_PROOF_FILE_BYTES, verify_proof_file
from client_sdk.protocol.tlog.note import parse_vkey
from server.witness.audit import audit as run_audit
from server.witness.audit import fetcher
from server.witness.errors import AuditFailure

__all__ = ["log", "proof"]

ROOT_FILE_MAX = 1024 * 1024  # a signed root is a few KiB; the SDK reads at most 1 MiB


def _read(path: Path, limit: int, what: str) -> bytes:
    """At most ``limit`` bytes of ``path``; a clear error for a missing, unreadable or
    larger file (never reads /dev/zero to the end)."""
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise click.ClickException(f"{what} {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise click.ClickException(f"{what} {path}: larger than {limit} bytes")
    return data


def _utc(timestamp: int) -> str:
    """A cosignature's time (seconds since the epoch) as RFC 3339 UTC."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
    """Check proof files (one consent record's or request's proof of inclusion in its app's
    log)."""


@proof.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--root", "root_file", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="The signed root you trust (root.json, as apps pin it).")
def verify(file: Path, root_file: Path) -> None:
    """Verify FILE offline against the trusted root; print what it proves."""
    try:
        proven = verify_proof_file(_read(file, MAX_PROOF_FILE_BYTES, "proof file"),
                                   _read(root_file, ROOT_FILE_MAX, "--root"))
    except ConsentError as exc:
        raise click.ClickException(f"{file} does not verify: {_step(exc)}: {exc}") from None
    click.echo(f"proven: {proven.entry} {proven.record_id} of app {proven.app} is entry "
               f"{proven.index} of the log {proven.origin}")
    click.echo(f"checkpoint: tree size {proven.size}, signed by a log key of root "
               f"v{proven.root_version}")
    if not proven.witnesses:
        click.echo("witnesses: none cosigned (the root requires none)")
    for name, timestamp in proven.witnesses:
        click.echo(f"witness: {name}, cosigned at {_utc(timestamp)}")


@click.group("log")
def log() -> None:
    """Audit transparency logs from any mirror of their checkpoint and tiles."""


@log.command("audit")
@click.argument("source")
@click.option("--origin", required=True, help="The log's origin line.")
@click.option("--key", "vkey", required=True, help="The log's note verifier key.")
@click.option("--witness", "witness_keys", multiple=True,
              help="A witness's cosignature verifier key; repeat for several.")
@click.option("--threshold", type=click.IntRange(min=0), default=None,
              help="Cosignatures required of the --witness keys (default: all of them).")
@click.option("--state", "state", type=click.Path(dir_okay=False, path_type=Path),
              help="Where the checkpoints seen before are kept (JSON); created if missing.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True)
@click.option("--entries", is_flag=True,
              help="SOURCE holds the entry bundles too (tile/entries/..., the operator's "
                   "private export): check each entry against its leaf.")
def audit_cmd(source: str, origin: str, vkey: str, witness_keys: tuple[str, ...],
              threshold: int | None, state: Path | None, timeout: float,
              entries: bool) -> None:
    """Check the log at SOURCE (an http(s):// or file:// prefix, or a folder holding its
    checkpoint and tile/): signatures, cosignatures, the tree from its tiles, and
    consistency with every checkpoint seen before; with --entries, every entry against
    its leaf. Exit 1 names what failed."""
    try:
        log_key = parse_vkey(vkey)
        witnesses = [parse_vkey(w) for w in witness_keys]
    except ConsentError as exc:
        raise click.ClickException(f"--key/--witness: {exc}") from None
    k = len(witnesses) if threshold is None else threshold
    if k > len(witnesses):
        raise click.ClickException(f"--threshold {k} with {len(witnesses)} --witness keys")
    try:
        report = run_audit(fetcher(source, timeout=timeout), origin=origin, log_key=log_key,
                           witnesses=witnesses, threshold=k, state_path=state,
                           entries=entries)
    except ValueError as exc:  # urllib's word for a URL it cannot parse ("http://[::1")
        raise click.ClickException(f"{source}: not a usable URL: {exc}") from None
    except AuditFailure as failure:
        for note in failure.details.get("evidence", []):
            click.echo(f"evidence, a signed checkpoint:\n{note}", err=True)
        raise click.ClickException(f"audit of {origin} FAILED at {failure.step}: "
                                   f"{failure.message}") from None
    click.echo(f"ok checkpoint: {origin}, size {report.size}, signed by {log_key.name}")
    for name, timestamp in report.cosigners:
        click.echo(f"ok cosignature: {name} at {_utc(timestamp)}")
    click.echo(f"ok tiles: {report.tiles} tiles make the checkpoint's root")
    if report.entries is not None:
        kinds = report.entries
        words = [f"{n} {kind}(s)" for kind, n in kinds.items() if n and kind != "other"] + \
            ([f"{kinds['other']} of another kind"] if kinds["other"] else [])
        click.echo(f"ok entries: each of the {report.size} hashes to its leaf "
                   f"({', '.join(words)})")
    seen = ", ".join(str(s) for s in report.consistent_with) or "none seen before"
    click.echo(f"ok consistency: extends every earlier checkpoint ({seen})")
    if state is not None:
        click.echo(f"state: {state} ({'new checkpoint kept' if report.new else 'no change'})")
