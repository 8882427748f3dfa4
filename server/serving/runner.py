"""Running the production server: `kelisim serve` checks the node, prints where things
are, and becomes the main process (server/serving/master.py: granian with the watchdog),
in the same process: what the workers import is imported already. :func:`granian_command`
is the main process's command line when started by hand, e.g. by a systemd unit
(docs/operations.md).
"""

from __future__ import annotations

import contextvars
import os
import sys

import click
from sqlalchemy import select

from server.config import Settings
from server.context import Kelisim
from server.errors import Unavailable
from server.models import App
from server.serving import master
from server.serving.master import CHECKED_ENV, ENTRY_POINT, start_checks

__all__ = ["ENTRY_POINT", "granian_command", "serve"]


def granian_command(cfg: Settings, host: str, port: int, workers: int) -> list[str]:
    """The main process's command line for this configuration (its granian options come
    from the configuration: server.serving.master.granian_options)."""
    return [sys.executable, "-m", "server.serving.master", "--host", host,
            "--port", str(port), "--workers", str(workers), ENTRY_POINT]


def serve(k: Kelisim, host: str | None, port: int | None, workers: int | None) -> None:
    """Check the node, print the server's URLs, then run the main process here (returns
    when the server has stopped).

    Raises:
        click.ClickException: the node lacks what it needs to accept records (the
            message names each thing and what to do).
    """
    cfg = k.settings
    problems, warning = start_checks(cfg)
    if problems:
        raise click.ClickException("this node cannot start:\n" + "\n".join(
            f"  - {p}" for p in problems))
    host = host or cfg.host
    port = port or cfg.port
    workers = workers or cfg.workers
    base = f"http://{host}:{port}"
    try:
        with k.db.session(readonly=True) as s:
            app_ids = list(s.scalars(select(App.id).order_by(App.id)))
    except Unavailable as exc:  # the workers start anyway and answer 503 until it is back
        click.echo(f"kelisim: {exc.message}: starting anyway", err=True)
        app_ids = []
    click.echo(f"Kelisim on {base}\n  root:     {base}/v1/root.json")
    for app_id in app_ids:
        click.echo(f"  manifest: {base}/v1/apps/{app_id}/manifest.json")
        blob = k.published.manifest(app_id)
        if blob is not None:
            from client_sdk.protocol.envelope import PAYLOAD_MANIFEST, parse_envelope

            doc = parse_envelope(blob.body, PAYLOAD_MANIFEST).payload_json()
            for tag, loc in sorted(doc["current"]["locales"].items()):
                click.echo(f"  document: {base}{loc['url']} ({tag})")
    click.echo(f"  health:   {base}/healthz (ready)  {base}/livez (alive)\n"
               f"  openapi:  {base}/v1/openapi.json")
    if warning:
        click.echo(warning, err=True)
    sys.stdout.flush()
    k.db.dispose()  # before granian forks the workers: no connection is shared
    # The workers read their configuration from the environment, as when the main process
    # is started by hand (granian_command): the same settings, the checks done.
    os.environ["KELISIM_INSTANCE_PATH"] = cfg.instance_path
    os.environ["KELISIM_DATABASE_URL"] = cfg.database_url
    os.environ["KELISIM_KEYS_DIR"] = cfg.keys_dir
    os.environ[CHECKED_ENV] = "1"
    # Formerly an exec of granian_command's line: a new interpreter that imported the app
    # again (about 1 s of CPU per start) before its workers did. In an empty context: the
    # workers forked from here must not see this command's app context as theirs.
    contextvars.Context().run(master.main, granian_command(cfg, host, port, workers)[3:])
