"""``kelisim witness``: a tlog-witness witness of other parties' logs (server/witness/).

It needs no Kelisim instance: its folder (``--dir``) holds its key (witness.key, 0600), its
verifier key (witness.vkey) and its state (witness.db: the logs it witnesses and the latest
checkpoint it cosigned for each)."""

from __future__ import annotations

from pathlib import Path

import click

from server.witness.core import Witness
from server.witness.keys import create_key, load_signer
from server.witness.state import STATE_FILE, WitnessState
from server.witness.wsgi import serve as serve_witness

__all__ = ["witness"]

_DIR = click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
                    required=True, help="The witness's folder.")


def _state(directory: Path) -> WitnessState:
    state = WitnessState(directory / STATE_FILE)
    state.check()
    return state


@click.group("witness")
def witness() -> None:
    """Witness other logs: check consistency, cosign (C2SP tlog-witness)."""


@witness.command("init")
@click.option("--name", required=True, help="The witness's key name, e.g. witness.example/w1.")
@_DIR
def init(name: str, directory: Path) -> None:
    """Make a new witness in DIR: its key and an empty state; prints its verifier key."""
    signer = create_key(directory, name)
    WitnessState(directory / STATE_FILE).create()
    click.echo(signer.verifier.vkey())


@witness.command("add-log")
@click.option("--origin", required=True, help="The log's origin line.")
@click.option("--key", "keys", multiple=True, required=True,
              help="The log's verifier key (name+hexid+base64); repeat for several.")
@_DIR
def add_log(origin: str, keys: tuple[str, ...], directory: Path) -> None:
    """Witness the log ORIGIN, whose checkpoints its KEY signs (replaces its keys)."""
    _state(directory).add_log(origin, list(keys))
    click.echo(f"witnessing {origin}")


@witness.command("logs")
@_DIR
def logs(directory: Path) -> None:
    """List the witnessed logs: origin, latest cosigned size, refused (inconsistent)
    checkpoints kept as evidence, keys."""
    state = _state(directory)
    for origin, keys in state.logs().items():
        refused = len(state.refusals(origin))
        click.echo(f"{origin}\t{state.latest(origin).size}\t{refused}\t{' '.join(keys)}")


@witness.command("evidence")
@click.option("--origin", required=True)
@_DIR
def evidence(origin: str, directory: Path) -> None:
    """Print the checkpoints of ORIGIN the witness refused as inconsistent (signed by the
    log's key: evidence of a fork or a rewritten history), then the one it last cosigned."""
    state = _state(directory)
    for size, note, reason in state.refusals(origin):
        click.echo(f"refused, size {size}: {reason}\n{note.decode()}")
    latest = state.latest(origin).note
    if latest is not None:
        click.echo(f"last cosigned:\n{latest.decode()}")


@witness.command("serve")
@_DIR
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8680, show_default=True,
              help="0: any free port (the URL is printed).")
def serve(directory: Path, host: str, port: int) -> None:
    """Serve POST /add-checkpoint and GET /<origin hash>/checkpoint until stopped."""
    w = Witness(_state(directory), load_signer(directory))

    def ready(url: str) -> None:
        click.echo(f"witness {w.signer.name} at {url}")  # echo flushes: tests wait for it

    serve_witness(w, host, port, ready)
