"""Running the production server: granian, its options, and why each is set.

`kelisim serve` calls :func:`serve`, which prints where things are and replaces the
process with granian (``granian_command`` is the whole command line, also for systemd
units: docs/operations.md).
"""

from __future__ import annotations

import os
import sys

import click
from sqlalchemy import select

from server.config import Settings
from server.context import Kelisim
from server.models import App

__all__ = ["ENTRY_POINT", "granian_command", "serve"]

ENTRY_POINT = "server.wsgi:rsgi"


def granian_command(cfg: Settings, host: str, port: int, workers: int) -> list[str]:
    """The granian command line for this configuration."""
    # granian reads headers in Rust; the same deadline as for bodies bounds a client that
    # opens connections and never finishes its headers (granian's own limit is 60 s).
    header_ms = max(1, min(60_000, int(cfg.body_read_timeout * 1000)))
    return [
        sys.executable, "-m", "granian", "--interface", "rsgi",
        "--host", host, "--port", str(port), "--workers", str(workers),
        "--no-ws", "--log-level", "warning",
        # Named, not "auto": auto takes rloop or uvloop whenever one happens to be
        # installed. Public reads no longer reach the loop (server/serving/handoff.py); when they
        # did, neither was faster than asyncio beyond the noise (docs/operations.md).
        "--loop", "asyncio",
        # A worker that dies (SIGKILL, OOM killer) is replaced; without this granian's
        # main process exits and takes the other workers with it. granian still exits
        # when a worker dies again within 5.5 s of being respawned (a crash loop).
        "--respawn-failed-workers",
        "--workers-kill-timeout", "5",
        "--http1-header-read-timeout", str(header_ms),
        ENTRY_POINT,
    ]


def serve(k: Kelisim, host: str | None, port: int | None, workers: int | None) -> None:
    """Print the server's URLs, then exec granian (never returns).

    Raises:
        click.ClickException: the database is not migrated.
    """
    if not k.db.is_current():
        raise click.ClickException("the database is not migrated; run `kelisim db upgrade`")
    cfg = k.settings
    host = host or cfg.host
    port = port or cfg.port
    workers = workers or cfg.workers
    base = f"http://{host}:{port}"
    with k.db.session(readonly=True) as s:
        app_ids = list(s.scalars(select(App.id).order_by(App.id)))
    click.echo(f"Kelisim on {base}\n  root:     {base}/v1/root.json")
    for app_id in app_ids:
        click.echo(f"  manifest: {base}/v1/apps/{app_id}/manifest.json")
        blob = k.published.manifest(app_id)
        if blob is not None:
            from client_sdk.protocol.envelope import PAYLOAD_MANIFEST, parse_envelope

            doc = parse_envelope(blob.body, PAYLOAD_MANIFEST).payload_json()
            for tag, loc in sorted(doc["current"]["locales"].items()):
                click.echo(f"  document: {base}{loc['url']} ({tag})")
    click.echo(f"  health:   {base}/healthz\n  openapi:  {base}/v1/openapi.json")
    sys.stdout.flush()
    env = dict(os.environ)
    env["KELISIM_INSTANCE_PATH"] = cfg.instance_path
    env["KELISIM_DATABASE_URL"] = cfg.database_url
    env["KELISIM_KEYS_DIR"] = cfg.keys_dir
    command = granian_command(cfg, host, port, workers)
    # Replaces this process with granian; the arguments are ours, not user-supplied text.
    os.execvpe(command[0], command, env)  # noqa: S606
