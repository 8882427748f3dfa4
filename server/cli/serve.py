"""``kelisim serve``: the production server (granian, several worker processes)."""

from __future__ import annotations

import os
import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..models import App
from .common import kelisim as _k
from .common import require_migrated

__all__ = ["serve"]


def _require_migrated() -> None:
    # The body below is kept as it was in the single-file CLI (the infra job changes it).
    require_migrated()


@click.command("serve")
@click.option("--host", default=None, help="Default: KELISIM_HOST (127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Default: KELISIM_PORT (8000).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Default: KELISIM_WORKERS (2).")
@with_appcontext
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve in the production configuration (granian, several worker processes)."""
    _require_migrated()
    cfg = _k().config
    host = host or cfg["HOST"]
    port = port or cfg["PORT"]
    workers = workers or cfg["WORKERS"]
    base = f"http://{host}:{port}"
    with _k().db.session() as s:
        app_ids = list(s.scalars(select(App.id).order_by(App.id)))
    click.echo(f"Kelisim on {base}\n  root:     {base}/v1/root.json")
    for app_id in app_ids:
        click.echo(f"  manifest: {base}/v1/apps/{app_id}/manifest.json")
        blob = _k().published.manifest(app_id)
        if blob is not None:
            from client_sdk.envelope import PAYLOAD_MANIFEST, parse_envelope

            doc = parse_envelope(blob.body, PAYLOAD_MANIFEST).payload_json()
            for tag, loc in sorted(doc["current"]["locales"].items()):
                click.echo(f"  document: {base}{loc['url']} ({tag})")
    click.echo(f"  health:   {base}/healthz\n  openapi:  {base}/v1/openapi.json")
    sys.stdout.flush()
    env = dict(os.environ)
    env["KELISIM_INSTANCE_PATH"] = cfg["INSTANCE_PATH"]
    env["KELISIM_DATABASE_URL"] = cfg["DATABASE_URL"]
    env["KELISIM_KEYS_DIR"] = cfg["KEYS_DIR"]
    # Replaces this process with granian; the arguments are ours, not user-supplied text.
    os.execvpe(sys.executable, [  # noqa: S606
        sys.executable, "-m", "granian", "--interface", "wsgi", "--host", host,
        "--port", str(port), "--workers", str(workers), "--blocking-threads", "1",
        "--no-ws", "--log-level", "warning", "--workers-kill-timeout", "5",
        "server.wsgi:app",
    ], env)
