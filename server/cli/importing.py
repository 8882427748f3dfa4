"""``kelisim import``: an existing policy file becomes a version folder to review."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from client_sdk.protocol.grammar import is_app_id
from server.cli.common import CLI_ACTOR, kelisim, now, require_migrated
from server.errors import AppExists, InvalidValue, PolicyImportError, PolicySourceError
from server.messages import human_bytes
from server.models import App, PolicyVersion
from server.policy.importing.controller import app_toml_for
from server.policy.importing.formats import ImportLimits
from server.policy.importing.importer import ImportedPolicy, import_document, write_version_dir
from server.policy.publish import register_app
from server.policy.source import load_app_dir

__all__ = ["import_cmd"]


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--app", "app_id", required=True)
@click.option("--locale", default=None, help="Default: detected from the text.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Version directory to write (default: ./<app>/<label>).")
@click.option("--label", default=None, help="Version label (default: the version or date "
              "the policy states, else 1.0).")
@click.option("--new-app", is_flag=True,
              help="The app is not registered yet: also write app.toml beside the version "
              "directory (what the policy says of its controller, marked REVIEW) and "
              "register the app once app.toml is complete.")
@with_appcontext
def import_cmd(file: Path, app_id: str, locale: str | None, out_dir: Path | None,
               label: str | None, new_app: bool) -> None:
    """Turn an existing policy (Markdown, text, .docx, PDF) into a version directory."""
    if new_app:
        _check_new(app_id)
    settings = kelisim().settings
    limit = settings.import_max_file_bytes
    try:
        with file.open("rb") as f:
            data = f.read(limit + 1)  # never more than the limit, whatever the file says
    except OSError as exc:
        raise PolicyImportError(f"{file}: cannot read ({exc.strerror})", file.name) from None
    if len(data) > limit:
        raise PolicyImportError(f"{file}: larger than the {human_bytes(limit)} of "
                                f"IMPORT_MAX_FILE_BYTES; a policy file is far smaller",
                                file.name)
    result = import_document(data, file.name, locale=locale, label=label,
                             previous=_version_in_effect(app_id),
                             limits=ImportLimits.from_settings(settings),
                             max_document_bytes=settings.max_document_bytes)
    target = out_dir or Path(app_id) / result.label
    write_version_dir(result, target)
    click.echo(f"wrote {target}: " + ", ".join(
        f"{tag}.md ({len(md)} chars)" for tag, md in result.documents.items()))
    for note in result.notes:
        click.echo(f"  note: {note}")
    for warning in result.warnings:
        click.echo(f"  warning: {warning}")
    if new_app:
        _new_app(app_id, result, file.name, target)
    click.echo("Review the lines marked REVIEW in version.toml (purposes, flags"
               + (", what changed" if "[summary]" in result.version_toml else "")
               + f"), then `kelisim publish {target} --app {app_id}`")


def _check_new(app_id: str) -> None:
    """Before anything is written: the id is one an app may have, and not registered."""
    if not is_app_id(app_id):
        raise InvalidValue("--app", f"{app_id!r} must be a lowercase id (letters, digits, "
                                    f"'-', '_', '.'; at most 64)")
    with require_migrated().db.session(readonly=True) as s:
        if s.get(App, app_id) is not None:
            raise AppExists(app_id)


def _new_app(app_id: str, result: ImportedPolicy, filename: str, target: Path) -> None:
    """Write app.toml beside the version folder (unless one is there: the officer's own,
    or one written by an earlier import) and register the app when it is complete."""
    app_dir = target.parent
    path = app_dir / "app.toml"
    if not path.exists():
        path.write_text(app_toml_for(app_id, result.documents, filename), encoding="utf-8")
        click.echo(f"wrote {path}: the app's controller, as far as the policy says")
    try:
        meta = load_app_dir(path)
        if meta.id != app_id:
            raise PolicySourceError([f"{path}: id: {meta.id!r} is not --app {app_id!r}"])
    except PolicySourceError as exc:
        click.echo(f"The app {app_id} is not registered yet: {path} needs these lines "
                   f"filled in or checked:")
        for problem in exc.problems:
            click.echo(f"  {problem}")
        click.echo(f"then `kelisim apps create {app_dir}` registers it.")
        return
    k = require_migrated()
    with k.db.session() as s:
        register_app(s, meta, now(), actor=CLI_ACTOR)
    click.echo(f"registered app {app_id} from {path}")


def _version_in_effect(app_id: str) -> str | None:
    """The label of the app's newest version when this server knows the app (an import
    is then an update, which needs a "what changed" summary)."""
    k = kelisim()
    if not k.db.is_current():
        return None
    with k.db.session(readonly=True) as s:
        return s.scalar(select(PolicyVersion.label).where(PolicyVersion.app_id == app_id)
                        .order_by(PolicyVersion.number.desc()).limit(1))
