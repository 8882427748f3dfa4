"""``kelisim labels``: the store privacy label files of a signed version, and the CI check
that an app's repository still has what the current version says (docs/store-labels.md)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from server.cli.common import now, require_migrated
from server.errors import InvalidValue, LabelError
from server.files import write_atomic
from server.policy.labelfiles import check_files, read_play_csv
from server.policy.labelsource import version_labels

__all__ = ["labels"]


# No store label file comes near this; a larger one (or /dev/zero) is not read.
MAX_FILE_BYTES = 4 * 1024 * 1024


def _read(path: Path) -> bytes:
    """A label file or template, refused when it is a symlink (a checked folder may come
    from an untrusted branch: its files must not point elsewhere) or too large."""
    if path.is_symlink():
        raise InvalidValue(str(path), "is a symbolic link; label files must be plain files")
    if not path.is_file():
        raise InvalidValue(str(path), "is not a plain file")
    with path.open("rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InvalidValue(str(path), f"is over {MAX_FILE_BYTES} bytes")
    return data


def _template(path: Path | None) -> list[list[str]] | None:
    if path is None:
        return None
    return read_play_csv(_read(path), str(path))


@click.command("labels")
@click.argument("app_id")
@click.option("--version", "number", type=click.IntRange(1, 2**31 - 1), default=None,
              help="The version number (default: the version in effect).")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write the files into this folder.")
@click.option("--check", "check", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Compare the files in this folder with what the version "
                                 "says; a drift is an error.")
@click.option("--play-template", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Play Console's exported Data safety CSV to fill in.")
@click.option("--python-runtime", is_flag=True,
              help="Add the required-reason API entries CPython's OpenSSL, SQLite and clock "
                   "need to PrivacyInfo.xcprivacy (kivy-ios, Briefcase).")
@with_appcontext
def labels(app_id: str, number: int | None, out: Path | None, check: Path | None,
           play_template: Path | None, python_runtime: bool) -> None:
    """Write APP_ID's store label files (--out DIR), or check them (--check DIR)."""
    if (out is None) == (check is None):
        raise InvalidValue("--out", "give one of --out DIR and --check DIR")
    k = require_migrated()
    with k.db.session(readonly=True) as s:
        made = version_labels(s, app_id, number, now())
    if out is not None:
        files = made.files(_template(play_template), python_runtime=python_runtime)
        out.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            write_atomic(out.resolve() / name, data, 0o644)
        click.echo(f"wrote {len(files)} files to {out} from {made.source.line}")
        for name in sorted(files):
            click.echo(f"  {name}")
        return
    assert check is not None
    if not check.is_dir():
        raise InvalidValue("--check", f"{check} is not a folder")
    # The CSV is checked answer by answer (rows of a template included), not line by line.
    expected = made.files(python_runtime=python_runtime)
    found: dict[str, bytes | None] = {name: _read(check / name)
                                      if (check / name).exists() or (check / name).is_symlink()
                                      else None for name in expected}
    for extra in check.glob("labels.*.md"):
        found.setdefault(extra.name, _read(extra))
    problems = check_files(expected, found, made.labels)
    if problems:
        raise LabelError([f"{check}/{p}" for p in problems]
                         + [f"the files drifted from {made.source.line}; write them again "
                            f"with `kelisim labels {app_id} --out {check}`"])
    click.echo(f"{check}: the store label files say what {made.source.line} says")
