"""``kelisim apps``, ``publish`` and ``versions``: policies as code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from server.cli.common import CLI_ACTOR, now, require_migrated
from server.errors import InvalidValue, UnknownApp
from server.models import App, PolicyVersion
from server.policy.publish import publish_version, register_app
from server.policy.source import AppMetadata, load_app_dir, load_version_dir
from server.trust.manifests import latest_manifest

__all__ = ["apps", "publish", "versions"]


@click.group(cls=AppGroup)
def apps() -> None:
    """Apps whose policies this server publishes."""


@apps.command("create")
@click.argument("app_dir", type=click.Path(exists=True, path_type=Path))
def apps_create(app_dir: Path) -> None:
    """Register the app described by APP_DIR/app.toml."""
    k = require_migrated()
    meta = load_app_dir(app_dir)
    with k.db.session() as s:
        register_app(s, meta, now(), actor=CLI_ACTOR)
    click.echo(f"app {meta.id} registered; publish its first version with "
               f"`kelisim publish {app_dir}/<version-dir>`")


@apps.command("list")
def apps_list() -> None:
    """List apps with their newest version and manifest seq."""
    k = require_migrated()
    with k.db.session(readonly=True) as s:
        for app in s.scalars(select(App).order_by(App.id)):
            latest = s.scalars(select(PolicyVersion).where(PolicyVersion.app_id == app.id)
                               .order_by(PolicyVersion.number.desc()).limit(1)).first()
            signed = latest_manifest(s, app.id)
            click.echo(f"{app.id}\t{app.name}\tversion "
                       f"{latest.label if latest else '-'}\tseq {signed.seq if signed else '-'}")


def _app_meta_beside(version_dir: Path) -> AppMetadata | None:
    app_toml = version_dir.resolve().parent / "app.toml"
    return load_app_dir(app_toml) if app_toml.exists() else None


@click.command("publish")
@click.argument("version_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--app", "app_id", default=None, help="Default: the id in ../app.toml.")
@click.option("--override-reason", default=None,
              help="Publish a change the guard says needs major, recording why not.")
@click.option("--allow-missing-titles", is_flag=True,
              help="Publish although a language with a document lacks a purpose or data "
                   "category title (recorded in the audit log).")
@click.option("--dry-run", is_flag=True, help="Validate and guard only; store nothing.")
@with_appcontext
def publish(version_dir: Path, app_id: str | None, override_reason: str | None,
            allow_missing_titles: bool, dry_run: bool) -> None:
    """Validate, guard, store and sign the version in VERSION_DIR (with ../app.toml)."""
    k = require_migrated()
    meta = _app_meta_beside(version_dir)
    if app_id is None and meta is None:
        raise InvalidValue("--app", f"{version_dir.resolve().parent / 'app.toml'} not found "
                           f"to tell which app this is; pass --app")
    app = app_id or (meta.id if meta else "")
    version = load_version_dir(version_dir, k.settings.max_document_bytes)
    with k.db.session() as s:
        result = publish_version(s, app, version, k.keys_dir, now(), k.timing,
                                 actor=CLI_ACTOR, app_meta=meta,
                                 override_reason=override_reason,
                                 allow_missing_titles=allow_missing_titles, dry_run=dry_run)
    k.published.invalidate()
    when = f"upcoming, effective {result.effective}" if result.upcoming else "in effect"
    verb = "would publish" if dry_run else "published"
    click.echo(f"{verb} {result.app} version {result.label} (#{result.number}, "
               f"{result.significance}, {when})" + (f"; manifest seq {result.seq}"
                                                    if result.seq else ""))
    if result.reasons:
        click.echo("changes that make it major:\n" + "\n".join(f"  - {r}" for r in result.reasons))
    if result.metadata_changes:
        click.echo("app metadata changes:\n" + "\n".join(
            f"  - {c}" for c in result.metadata_changes))
    if result.override_reason:
        click.echo(f"override recorded: {result.override_reason}")
    if result.missing_titles:
        click.echo("published without these titles (recorded):\n" + "\n".join(
            f"  - {m}" for m in result.missing_titles))


@click.group(cls=AppGroup)
def versions() -> None:
    """Published versions."""


@versions.command("list")
@click.argument("app_id")
@click.option("--json", "as_json", is_flag=True)
def versions_list(app_id: str, as_json: bool) -> None:
    """List APP_ID's versions, oldest first."""
    k = require_migrated()
    with k.db.session(readonly=True) as s:
        if s.get(App, app_id) is None:
            raise UnknownApp(app_id)
        rows = list(s.scalars(select(PolicyVersion).where(PolicyVersion.app_id == app_id)
                              .order_by(PolicyVersion.number)))
    stamp = now().strftime("%Y-%m-%dT%H:%M:%SZ")
    items: list[dict[str, Any]] = [
        {"number": r.number, "label": r.label, "significance": r.significance,
         "effective": r.effective, "published": r.published,
         "locales": sorted(r.body["locales"]), "upcoming": r.effective > stamp,
         "override_reason": r.override_reason} for r in rows]
    if as_json:
        click.echo(json.dumps(items, indent=2, ensure_ascii=False))
        return
    for it in items:
        flag = " (upcoming)" if it["upcoming"] else ""
        click.echo(f"#{it['number']}\t{it['label']}\t{it['significance']}\t"
                   f"effective {it['effective']}{flag}\t{','.join(it['locales'])}"
                   + (f"\toverride: {it['override_reason']}" if it["override_reason"] else ""))
