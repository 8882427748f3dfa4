"""``kelisim import``: an existing policy file becomes a version folder to review."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from server.cli.common import kelisim
from server.errors import PolicyImportError
from server.messages import human_bytes
from server.models import PolicyVersion
from server.policy.importing.formats import ImportLimits
from server.policy.importing.importer import import_document, write_version_dir

__all__ = ["import_cmd"]


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--app", "app_id", required=True)
@click.option("--locale", default=None, help="Default: detected from the text.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Version directory to write (default: ./<app>/<label>).")
@click.option("--label", default=None, help="Version label (default: the version or date "
              "the policy states, else 1.0).")
@with_appcontext
def import_cmd(file: Path, app_id: str, locale: str | None, out_dir: Path | None,
               label: str | None) -> None:
    """Turn an existing policy (Markdown, text, .docx, PDF) into a version directory."""
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
    click.echo("Review the lines marked REVIEW in version.toml (purposes, flags"
               + (", what changed" if "[summary]" in result.version_toml else "")
               + f"), then `kelisim publish {target} --app {app_id}`")


def _version_in_effect(app_id: str) -> str | None:
    """The label of the app's newest version when this server knows the app (an import
    is then an update, which needs a "what changed" summary)."""
    k = kelisim()
    if not k.db.is_current():
        return None
    with k.db.session(readonly=True) as s:
        return s.scalar(select(PolicyVersion.label).where(PolicyVersion.app_id == app_id)
                        .order_by(PolicyVersion.number.desc()).limit(1))
