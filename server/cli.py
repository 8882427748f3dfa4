"""The ``kelisim`` command line (a Flask CLI group). Every command is in docs/cli.md."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup
from sqlalchemy import select

from client_sdk.errors import ConsentError
from client_sdk.timeutil import utcnow

from . import Kelisim, create_app
from .bundle import BundleError, load_app_dir, load_version_dir
from .config import ConfigError
from .keys import KeyError_
from .manifests import SigningError, latest_manifest, sign_manifest
from .models import App, PolicyVersion
from .publish import GuardError, create_app_record, publish_version
from .roots import RootError, current_root, init_root, rotate_root

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])

_USER_ERRORS = (BundleError, GuardError, RootError, SigningError, KeyError_, ConfigError,
                ConsentError)


def _k() -> Kelisim:
    k: Kelisim = current_app.extensions["kelisim"]
    return k


def friendly(fn: F) -> F:
    """Turn the errors a user can act on into a clean message and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except _USER_ERRORS as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def _require_migrated() -> None:
    if not _k().db.is_current():
        raise click.ClickException("the database is not migrated; run `kelisim db upgrade`")


def _app_factory() -> Flask:
    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(cls=FlaskGroup, create_app=_app_factory, add_version_option=False)
def main() -> None:
    """Kelisim: publish signed privacy-policy manifests for mobile apps."""


# -- database ------------------------------------------------------------------------------
@main.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations (creates the database when missing)."""
    _k().db.upgrade(revision)
    click.echo(f"database at revision {_k().db.current_revision()}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION ('base' empties the database)."""
    _k().db.downgrade(revision)
    click.echo(f"database at revision {_k().db.current_revision()}")


@db.command("current")
def db_current() -> None:
    """Print the applied and the newest revision."""
    click.echo(f"applied: {_k().db.current_revision()}  head: {_k().db.head_revision()}")


# -- keys and root -------------------------------------------------------------------------
@main.group()
def keys() -> None:
    """Signing keys."""


@keys.command("init")
@click.option("--root-keys", default=1, show_default=True, help="How many root keys.")
@click.option("--root-threshold", default=1, show_default=True,
              help="How many root keys must sign a new root.")
@friendly
def keys_init(root_keys: int, root_threshold: int) -> None:
    """Create root, manifest and receipt keys (files 0600) and sign root version 1."""
    _require_migrated()
    k = _k()
    with k.db.session() as s:
        root = init_root(s, k.keys_dir, utcnow(), k.root_ttl, root_keys, root_threshold)
    k.published.invalidate()
    click.echo(f"root v{root.version} signed; keys in {k.keys_dir}")
    for name, role in root.root.roles.items():
        click.echo(f"  {name}: {', '.join(role.keyids)} (threshold {role.threshold})")
    click.echo("Ship root v1 inside your app: kelisim root show --version 1 > root.json")


@main.group()
def root() -> None:
    """The root of trust that apps pin."""


@root.command("show")
@click.option("--version", "version", type=int, default=None, help="Default: the newest.")
@click.option("--payload", is_flag=True, help="Print the decoded payload, not the envelope.")
@friendly
def root_show(version: int | None, payload: bool) -> None:
    """Print a signed root (the envelope an app ships pinned)."""
    _require_migrated()
    blob = _k().published.root(version)
    if blob is None:
        raise click.ClickException("no such root; run `kelisim keys init` first"
                                   if version is None else f"no root version {version}")
    if payload:
        from client_sdk.envelope import PAYLOAD_ROOT, parse_envelope

        doc = parse_envelope(blob.body, PAYLOAD_ROOT).payload_json()
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        click.echo(blob.body.decode())


@root.command("rotate")
@click.option("--new", "new_roles", multiple=True,
              type=click.Choice(["root", "manifest", "receipt"]),
              help="Replace this role's keys (repeatable).")
@click.option("--root-key", "root_key_files", multiple=True,
              type=click.Path(exists=True, dir_okay=True, path_type=Path),
              help="An offline root key file or folder (repeatable).")
@click.option("--root-threshold", type=int, default=None)
@friendly
def root_rotate(new_roles: tuple[str, ...], root_key_files: tuple[Path, ...],
                root_threshold: int | None) -> None:
    """Sign root N+1 (by N's keys and its own) and re-sign every manifest with it."""
    _require_migrated()
    k = _k()
    now = utcnow()
    with k.db.session() as s:
        new = rotate_root(s, k.keys_dir, now, k.root_ttl, new_roles=new_roles,
                          root_key_files=root_key_files, root_threshold=root_threshold)
        apps = list(s.scalars(select(App.id)))
        for app_id in apps:
            sign_manifest(s, app_id, k.keys_dir, now, k.timing)
    k.published.invalidate()
    click.echo(f"root v{new.version} signed; re-signed {len(apps)} manifest(s)")
    for name, role in new.root.roles.items():
        click.echo(f"  {name}: {', '.join(role.keyids)} (threshold {role.threshold})")


# -- apps and versions ---------------------------------------------------------------------
@main.group()
def apps() -> None:
    """Apps whose policies this server publishes."""


@apps.command("create")
@click.argument("app_dir", type=click.Path(exists=True, path_type=Path))
@friendly
def apps_create(app_dir: Path) -> None:
    """Register the app described by APP_DIR/app.toml."""
    _require_migrated()
    bundle = load_app_dir(app_dir)
    k = _k()
    with k.db.session() as s:
        create_app_record(s, bundle, utcnow())
    click.echo(f"app {bundle.id} registered; publish its first version with "
               f"`kelisim publish {app_dir}/<version-dir>`")


@apps.command("list")
def apps_list() -> None:
    """List apps with their newest version and manifest seq."""
    _require_migrated()
    with _k().db.session() as s:
        for app in s.scalars(select(App).order_by(App.id)):
            latest = s.scalars(select(PolicyVersion).where(PolicyVersion.app_id == app.id)
                               .order_by(PolicyVersion.number.desc()).limit(1)).first()
            signed = latest_manifest(s, app.id)
            click.echo(f"{app.id}\t{app.name}\tversion "
                       f"{latest.label if latest else '-'}\tseq {signed.seq if signed else '-'}")


def _app_for(version_dir: Path, app_id: str | None) -> str:
    if app_id:
        return app_id
    parent = version_dir.resolve().parent / "app.toml"
    if parent.exists():
        return load_app_dir(parent).id
    raise click.ClickException(f"pass --app: {parent} not found to tell which app this is")


@main.command("publish")
@click.argument("version_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--app", "app_id", default=None, help="Default: the id in ../app.toml.")
@click.option("--override-reason", default=None,
              help="Publish a change the guard says needs major, recording why not.")
@click.option("--dry-run", is_flag=True, help="Validate and guard only; store nothing.")
@friendly
def publish(version_dir: Path, app_id: str | None, override_reason: str | None,
            dry_run: bool) -> None:
    """Validate, guard, store and sign the version in VERSION_DIR."""
    _require_migrated()
    k = _k()
    app = _app_for(version_dir, app_id)
    bundle = load_version_dir(version_dir, k.config["MAX_DOCUMENT_BYTES"])
    if override_reason is not None and not override_reason.strip():
        raise click.ClickException("--override-reason must say why")
    with k.db.session() as s:
        result = publish_version(s, app, bundle, k.keys_dir, utcnow(), k.timing,
                                 override_reason=override_reason, dry_run=dry_run)
    k.published.invalidate()
    when = f"upcoming, effective {result.effective}" if result.upcoming else "in effect"
    verb = "would publish" if dry_run else "published"
    click.echo(f"{verb} {result.app} version {result.label} (#{result.number}, "
               f"{result.significance}, {when})" + (f"; manifest seq {result.seq}"
                                                    if result.seq else ""))
    if result.reasons:
        click.echo("changes that make it major:\n" + "\n".join(f"  - {r}" for r in result.reasons))
    if result.override_reason:
        click.echo(f"override recorded: {result.override_reason}")


@main.group()
def versions() -> None:
    """Published versions."""


@versions.command("list")
@click.argument("app_id")
@click.option("--json", "as_json", is_flag=True)
def versions_list(app_id: str, as_json: bool) -> None:
    """List APP_ID's versions, oldest first."""
    _require_migrated()
    with _k().db.session() as s:
        if s.get(App, app_id) is None:
            raise click.ClickException(f"unknown app {app_id!r}")
        rows = list(s.scalars(select(PolicyVersion).where(PolicyVersion.app_id == app_id)
                              .order_by(PolicyVersion.number)))
    now = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    items: list[dict[str, Any]] = [
        {"number": r.number, "label": r.label, "significance": r.significance,
              "effective": r.effective, "published": r.published,
              "locales": sorted(r.body["locales"]), "upcoming": r.effective > now,
              "override_reason": r.override_reason} for r in rows]
    if as_json:
        click.echo(json.dumps(items, indent=2, ensure_ascii=False))
        return
    for it in items:
        flag = " (upcoming)" if it["upcoming"] else ""
        click.echo(f"#{it['number']}\t{it['label']}\t{it['significance']}\t"
                   f"effective {it['effective']}{flag}\t{','.join(it['locales'])}"
                   + (f"\toverride: {it['override_reason']}" if it["override_reason"] else ""))


@main.command("resign")
@click.argument("app_ids", nargs=-1)
@click.option("--force", is_flag=True, help="Re-sign even when not due.")
@friendly
def resign(app_ids: tuple[str, ...], force: bool) -> None:
    """Re-sign manifests that expire soon or whose upcoming version took effect (for cron)."""
    _require_migrated()
    k = _k()
    now = utcnow()
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    with k.db.session() as s:
        ids = list(app_ids) or list(s.scalars(select(App.id).order_by(App.id)))
        for app_id in ids:
            if s.get(App, app_id) is None:
                raise click.ClickException(f"unknown app {app_id!r}")
            row = latest_manifest(s, app_id)
            if row is None:
                click.echo(f"{app_id}: nothing published yet")
                continue
            if not force and row.refresh_at > stamp:
                click.echo(f"{app_id}: seq {row.seq} good until {row.refresh_at}")
                continue
            new = sign_manifest(s, app_id, k.keys_dir, now, k.timing, expect_seq=row.seq)
            click.echo(f"{app_id}: seq {new.seq if new else row.seq + 1} signed, "
                       f"expires {new.expires if new else '?'}")
    k.published.invalidate()


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--app", "app_id", required=True)
@click.option("--locale", default=None, help="Default: detected from the text.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Version directory to write (default: ./<app>/<label>).")
@click.option("--label", default=None, help="Version label (default: the policy's date or 1.0).")
@friendly
def import_cmd(file: Path, app_id: str, locale: str | None, out_dir: Path | None,
               label: str | None) -> None:
    """Turn an existing policy (Markdown or plain text) into a version directory."""
    from .importer import ImportError_, import_policy

    try:
        result = import_policy(file, app_id=app_id, locale=locale, out_dir=out_dir,
                               label=label)
    except ImportError_ as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {result.directory}: " + ", ".join(
        f"{tag}.md ({n} chars)" for tag, n in result.locales.items()))
    for note in result.notes:
        click.echo(f"  note: {note}")
    click.echo("Review version.toml (purposes, flags, summaries), then "
               f"`kelisim publish {result.directory} --app {app_id}`")


@main.command("export-static")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--app", "app_id", default=None, help="Only this app's manifest and documents.")
@friendly
def export_static_cmd(out_dir: Path, app_id: str | None) -> None:
    """Write root, manifests and documents as files in the URL layout (for nginx/CDN)."""
    from .export import ExportError, export_static

    _require_migrated()
    try:
        counts = export_static(_k(), out_dir, app_id=app_id)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"exported to {out_dir}: {counts['roots']} root(s), {counts['manifests']} "
               f"manifest(s), {counts['documents']} document(s)")


@main.command("demo-setup")
@click.option("--policy-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="Default: the Jana Courier policy shipped in demo_app.")
@friendly
def demo_setup(policy_dir: Path | None) -> None:
    """Migrate, create keys, register the demo app and publish its versions (idempotent)."""
    k = _k()
    k.db.upgrade()
    now = utcnow()
    changed = False
    with k.db.session() as s:
        if current_root(s) is None:
            init_root(s, k.keys_dir, now, k.root_ttl)
            click.echo(f"created keys in {k.keys_dir} and signed root v1")
            changed = True
    base = policy_dir or Path(__file__).resolve().parent.parent / "demo_app" / "policy" / \
        "jana-courier"
    bundle = load_app_dir(base)
    with k.db.session() as s:
        if s.get(App, bundle.id) is None:
            create_app_record(s, bundle, now)
            click.echo(f"registered app {bundle.id}")
            changed = True
    for version_dir in sorted(p for p in base.iterdir() if (p / "version.toml").exists()):
        vb = load_version_dir(version_dir, k.config["MAX_DOCUMENT_BYTES"])
        with k.db.session() as s:
            exists = s.scalar(select(PolicyVersion.id).where(
                PolicyVersion.app_id == bundle.id, PolicyVersion.label == vb.spec["label"]))
            if exists is None:
                r = publish_version(s, bundle.id, vb, k.keys_dir, utcnow(), k.timing)
                click.echo(f"published {bundle.id} {r.label} ({r.significance})")
                changed = True
    if not changed:
        click.echo("demo already set up: nothing to do")
    k.published.invalidate()


# -- consent log ----------------------------------------------------------------------------
@main.group()
def audit() -> None:
    """Checks of the consent log."""


@audit.command("verify")
@click.argument("app_id")
def audit_verify(app_id: str) -> None:
    """Check APP_ID's hash chain; name the first broken link (exit 1)."""
    from .consents import verify_chain

    _require_migrated()
    with _k().db.session() as s:
        if s.get(App, app_id) is None:
            raise click.ClickException(f"unknown app {app_id!r}")
        count, problem = verify_chain(s, app_id)
    if problem is not None:
        raise click.ClickException(
            f"chain of {app_id} broken at seq {problem.seq} (record {problem.record_id}): "
            f"{problem.message}")
    click.echo(f"{app_id}: {count} record(s), chain intact")


@main.group()
def consents() -> None:
    """Consent records."""


@consents.command("export")
@click.argument("app_id")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="jsonl",
              show_default=True)
@click.option("--since", default=None, help="Only records received at or after this "
              "RFC 3339 time.")
def consents_export(app_id: str, fmt: str, since: str | None) -> None:
    """Stream APP_ID's records with the Law 94-V elements of their version."""
    from client_sdk.timeutil import parse_time

    from .audit import csv_header, export_rows, to_csv_line

    _require_migrated()
    if since is not None:
        try:
            parse_time(since)
        except ValueError as exc:
            raise click.ClickException(f"--since: {exc}") from None
    with _k().db.session() as s:
        if s.get(App, app_id) is None:
            raise click.ClickException(f"unknown app {app_id!r}")
        if fmt == "csv":
            click.echo(csv_header(), nl=False)
        for row in export_rows(s, app_id, since):
            if fmt == "csv":
                click.echo(to_csv_line(row), nl=False)
            else:
                click.echo(json.dumps(row, ensure_ascii=False, sort_keys=True))


@main.command("stats")
@click.argument("app_id")
def stats_cmd(app_id: str) -> None:
    """Accept / decline / withdraw counts per version and locale."""
    from .audit import stats

    _require_migrated()
    with _k().db.session() as s:
        if s.get(App, app_id) is None:
            raise click.ClickException(f"unknown app {app_id!r}")
        table = stats(s, app_id)
    actions = ("accept", "decline", "withdraw", "update", "acknowledge")
    click.echo("version\tlocale\t" + "\t".join(actions))
    for (label, locale), counts in sorted(table.items(), key=lambda kv: (kv[0][0],
                                                                         kv[0][1] or "")):
        click.echo(f"{label}\t{locale or '-'}\t" + "\t".join(str(counts[a]) for a in actions))


@main.group()
def deletions() -> None:
    """Deletion requests from apps."""


@deletions.command("list")
@click.argument("app_id")
@click.option("--all", "show_all", is_flag=True, help="Resolved ones too.")
def deletions_list(app_id: str, show_all: bool) -> None:
    """Open deletion requests of APP_ID (oldest first)."""
    from .models import DeletionRequest

    _require_migrated()
    with _k().db.session() as s:
        q = select(DeletionRequest).where(DeletionRequest.app_id == app_id)
        if not show_all:
            q = q.where(DeletionRequest.status == "open")
        for d in s.scalars(q.order_by(DeletionRequest.row_id)):
            click.echo(f"{d.request_id}\t{d.install_id}\t{d.server_time}\t{d.status}"
                       + (f"\t{d.resolved_at}\t{d.resolution}" if d.resolved_at else ""))


@deletions.command("resolve")
@click.argument("app_id")
@click.argument("request_id")
@click.option("--note", required=True, help="What was done (kept with the request).")
def deletions_resolve(app_id: str, request_id: str, note: str) -> None:
    """Mark a deletion request resolved, recording what was done."""
    from .models import DeletionRequest

    _require_migrated()
    if not note.strip():
        raise click.ClickException("--note must say what was done")
    with _k().db.session() as s:
        d = s.scalars(select(DeletionRequest).where(
            DeletionRequest.app_id == app_id, DeletionRequest.request_id == request_id)).first()
        if d is None:
            raise click.ClickException(f"no deletion request {request_id!r} for {app_id}")
        if d.status == "resolved":
            raise click.ClickException(f"{request_id} was resolved at {d.resolved_at}")
        d.status = "resolved"
        d.resolved_at = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
        d.resolution = note.strip()
    click.echo(f"{request_id} resolved")


@main.command("serve")
@click.option("--host", default=None, help="Default: KELISIM_HOST (127.0.0.1).")
@click.option("--port", type=int, default=None, help="Default: KELISIM_PORT (8000).")
@click.option("--workers", type=int, default=None, help="Default: KELISIM_WORKERS (2).")
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


from .appbundle import bundle_command  # noqa: E402 - issue 11: `kelisim bundle`

main.add_command(bundle_command)
