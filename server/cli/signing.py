"""``kelisim resign``, ``export-static`` and ``bundle``: signed files over time and as files."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from server.cli.common import CLI_ACTOR, now, require_migrated
from server.trust.manifests import resign as resign_manifests

__all__ = ["bundle_command", "export_static_cmd", "resign"]


@click.command("resign")
@click.argument("app_ids", nargs=-1)
@click.option("--force", is_flag=True, help="Re-sign even when not due.")
@with_appcontext
def resign(app_ids: tuple[str, ...], force: bool) -> None:
    """Re-sign manifests that expire soon or whose upcoming version took effect (for cron)."""
    k = require_migrated()
    with k.db.session() as s:
        outcomes = resign_manifests(s, list(app_ids) or None, k.keys_dir, now(), k.timing,
                                    actor=CLI_ACTOR, force=force)
    k.published.invalidate()
    for o in outcomes:
        if o.status == "unpublished":
            click.echo(f"{o.app_id}: nothing published yet")
        elif o.status == "fresh":
            click.echo(f"{o.app_id}: seq {o.seq} good until {o.refresh_at}")
        else:
            click.echo(f"{o.app_id}: seq {o.seq} signed, expires {o.expires}")


@click.command("export-static")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--app", "app_id", default=None, help="Only this app's manifest and documents.")
@with_appcontext
def export_static_cmd(out_dir: Path, app_id: str | None) -> None:
    """Write root, manifests, documents and the consent logs' checkpoints and tiles as
    files in the URL layout (for nginx/CDN)."""
    from server.policy.export import export_static

    k = require_migrated()
    counts = export_static(k.db, k.signed_manifest, out_dir, app_id=app_id)
    click.echo(f"exported to {out_dir}: {counts['roots']} root(s), {counts['manifests']} "
               f"manifest(s), {counts['documents']} document(s), {counts['log_files']} "
               f"consent log file(s)")


@click.command("bundle")
@click.argument("app_id")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def bundle_command(app_id: str, out: Path) -> None:
    """Write APP_ID's one-file bundle (pinned root, manifest, documents) to OUT."""
    from server.policy.bundle import BundleWriteError, write_bundle

    k = require_migrated()
    try:
        count = write_bundle(k.db, k.signed_manifest, app_id, out)
    except BundleWriteError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {out}: root, manifest and {count} document(s) of {app_id}")
