"""``kelisim serve``: the production server (granian, several worker processes)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from server.cli.common import kelisim as _k
from server.serving import runner as serving

__all__ = ["serve"]


@click.command("serve")
@click.option("--host", default=None, help="Default: KELISIM_HOST (127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Default: KELISIM_PORT (8000).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Default: KELISIM_WORKERS (2).")
@with_appcontext
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve in the production configuration (granian, several worker processes)."""
    serving.serve(_k(), host, port, workers)
