"""``kelisim audit verify`` and ``kelisim consents export-log``: checking an app's consent
log (its hash chain of records and requests, its transparency log and the policy log) and
exporting the log with its private entries for the operator's auditors
(docs/transparency.md). ``consents export-log`` joins the ``consents`` group of
server/cli/consent_log.py."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from server.cli.common import CLI_ACTOR, now, require_migrated
from server.cli.consent_log import consents
from server.errors import InvalidValue, UnknownApp
from server.files import write_private_file
from server.models import App, DeletionRequest
from server.tlog_models import LogCheckpoint

__all__ = ["audit", "consents_export_log"]


@click.group(cls=AppGroup)
def audit() -> None:
    """Checks of the consent log."""


@audit.command("verify")
@click.argument("app_id")
def audit_verify(app_id: str) -> None:
    """Check APP_ID's hash chain and transparency log, and that every stored root and
    manifest is in the policy log; name the first problem (exit 1)."""
    from server.consent.chain import verify_chain
    from server.consent.tlogaudit import verify_log
    from server.trust.policyaudit import verify_policy_log

    k = require_migrated()
    with k.db.session(readonly=True) as s:
        # One snapshot: a server appending meanwhile must not look like a broken chain.
        k.db.one_snapshot(s)
        if s.get(App, app_id) is None:
            raise UnknownApp(app_id)
        count, problem = verify_chain(s, app_id)
        requests = s.scalar(select(func.count()).select_from(DeletionRequest)
                            .where(DeletionRequest.app_id == app_id)) or 0
        log = verify_log(s, app_id) if problem is None else None
        policies = verify_policy_log(s)
    if problem is not None:
        raise click.ClickException(
            f"chain of {app_id} broken at seq {problem.seq} ({problem.entry} "
            f"{problem.record_id}): "
            f"{problem.message}")
    assert log is not None
    if log.problem is not None:
        raise click.ClickException(f"log of {app_id}: {log.problem}")
    if policies.problem is not None:
        raise click.ClickException(f"policy log: {policies.problem}")
    rows = f"{count - requests} record(s)" + (f" and {requests} request(s)" if requests
                                               else "")
    click.echo(f"{app_id}: {rows}, chain intact; log: {log.leaves} leaves, "
               f"{log.checkpoints} checkpoint(s) verified; policy log: {policies.entries} "
               f"entries, every root and manifest in it, {policies.checkpoints} "
               f"checkpoint(s) verified")


@consents.command("export-log")
@click.argument("app_id")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def consents_export_log(app_id: str, folder: Path) -> None:
    """Write APP_ID's transparency log with its entries into FOLDER (new or empty): the
    checkpoint, the hash tiles and the entry bundles (tile/entries/...) of the newest
    checkpoint, for an auditor's `kelisim log audit FOLDER --entries`. The entries are
    personal data: the files are the owner's only (0600), and the export is in the admin
    audit log."""
    from server.adminlog import record
    from server.consent.tlogexport import LogExport, export_files

    k = require_migrated()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InvalidValue("FOLDER", f"{folder} is not an empty folder")
    with k.db.session(readonly=True) as s:
        if s.get(App, app_id) is None:
            raise UnknownApp(app_id)
        size = s.scalar(select(func.max(LogCheckpoint.size))
                        .where(LogCheckpoint.app_id == app_id))
    if size is None:
        raise click.ClickException(f"{app_id}'s log has no signed checkpoint yet: nothing "
                                   f"to export")
    created = not folder.exists()
    if created:
        _private_dir(folder)
    elif folder.stat().st_uid != os.getuid():
        # Only its owner may write beside the entries (nobody swaps a folder in midway).
        raise InvalidValue("FOLDER", f"{folder} belongs to another user")
    else:
        folder.chmod(0o700)
    with k.db.session() as s:  # before any entry is written
        record(s, CLI_ACTOR, "log.export", app_id,
               {"folder": str(folder.resolve()), "size": int(size)}, now())
    counts = LogExport()
    files = 0
    try:
        with k.db.session(readonly=True) as s:
            k.db.one_snapshot(s)
            for path, data in export_files(s, app_id, counts, int(size)):
                target = folder / path
                _private_dir(target.parent)
                write_private_file(target, data)
                files += 1
    except BaseException:
        # No half an export (personal data) left behind.
        if created:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            for child in folder.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        raise
    click.echo(f"{app_id}: log of {counts.size} leaves ({counts.records} record(s), "
               f"{counts.requests} request(s)) in {folder}: checkpoint, {files - 1} tile and "
               f"entry-bundle file(s); the entries are personal data")


def _private_dir(path: Path) -> None:
    """``path`` and every folder above it that does not exist yet, made 0700 (the
    entries' names alone say how large the log is)."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700)
