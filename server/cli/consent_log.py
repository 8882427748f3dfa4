"""``kelisim audit``, ``consents``, ``stats`` and ``deletions``: the consent log
(``kelisim requests``, every kind of request: server/cli/requests.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from client_sdk.protocol.records import RECORD_ACTIONS
from client_sdk.protocol.timeutil import parse_time
from server.cli.common import CLI_ACTOR, now, require_migrated
from server.consent.requests import list_requests, resolve
from server.errors import InvalidValue, UnknownApp
from server.models import App, DeletionRequest

__all__ = ["audit", "consents", "deletions", "stats_cmd"]


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


@click.group(cls=AppGroup)
def consents() -> None:
    """Consent records."""


@consents.command("export")
@click.argument("app_id")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="jsonl",
              show_default=True)
@click.option("--since", default=None, help="Only records received at or after this "
              "RFC 3339 time.")
def consents_export(app_id: str, fmt: str, since: str | None) -> None:
    """Stream APP_ID's records with the Law 94-V elements of their version (recorded in
    the admin audit log, as the console's export is)."""
    from server.adminlog import record
    from server.consent.export import csv_header, export_rows, to_csv_line

    k = require_migrated()
    if since is not None:
        try:
            parse_time(since)
        except ValueError as exc:
            raise InvalidValue("--since", str(exc)) from None
    with k.db.session() as s:
        if s.get(App, app_id) is None:
            raise UnknownApp(app_id)
        record(s, CLI_ACTOR, "consents.export", app_id,
               {"format": fmt, "filters": {"since": since} if since else {}}, now())
    with k.db.session(readonly=True) as s:
        if fmt == "csv":
            click.echo(csv_header(), nl=False)
        for row in export_rows(s, app_id, since):
            if fmt == "csv":
                click.echo(to_csv_line(row), nl=False)
            else:
                click.echo(json.dumps(row, ensure_ascii=False, sort_keys=True))


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
    if folder.exists() and any(folder.iterdir()):
        raise InvalidValue("FOLDER", f"{folder} is not empty")
    counts = LogExport()
    with k.db.session() as s:
        if s.get(App, app_id) is None:
            raise UnknownApp(app_id)
        record(s, CLI_ACTOR, "log.export", app_id, {"folder": str(folder)}, now())
    with k.db.session(readonly=True) as s:
        files = 0
        for path, data in export_files(s, app_id, counts):
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            files += 1
    if not files:
        raise click.ClickException(f"{app_id}'s log has no signed checkpoint yet: nothing "
                                   f"to export")
    click.echo(f"{app_id}: log of {counts.size} leaves ({counts.records} record(s), "
               f"{counts.requests} request(s)) in {folder}: checkpoint, {files - 1} tile and "
               f"entry-bundle file(s); the entries are personal data")


@click.command("stats")
@click.argument("app_id")
@with_appcontext
def stats_cmd(app_id: str) -> None:
    """Accept / decline / withdraw counts per version and locale."""
    from server.consent.statistics import stats

    k = require_migrated()
    with k.db.session(readonly=True) as s:
        if s.get(App, app_id) is None:
            raise UnknownApp(app_id)
        table = stats(s, app_id)
    actions = RECORD_ACTIONS
    click.echo("version\tlocale\t" + "\t".join(actions))
    for (label, locale), counts in sorted(table.items(), key=lambda kv: (kv[0][0],
                                                                         kv[0][1] or "")):
        click.echo(f"{label}\t{locale or '-'}\t" + "\t".join(str(counts[a]) for a in actions))


@click.group(cls=AppGroup)
def deletions() -> None:
    """Deletion requests from apps."""


@deletions.command("list")
@click.argument("app_id")
@click.option("--all", "show_all", is_flag=True, help="Resolved ones too.")
def deletions_list(app_id: str, show_all: bool) -> None:
    """Open deletion requests of APP_ID (overdue first, then by deadline; ``kelisim
    requests list`` shows every kind)."""
    k = require_migrated()
    with k.db.session(readonly=True) as s:
        for d in list_requests(s, app_id, now(), include_resolved=show_all, kind="deletion"):
            click.echo(f"{d.request_id}\t{d.install_id}\t{d.server_time}\t{d.status}"
                       + (f"\t{d.resolved_at}\t{d.resolution}" if d.resolved_at else ""))


@deletions.command("resolve")
@click.argument("app_id")
@click.argument("request_id")
@click.option("--note", required=True, help="What was done (kept with the request).")
def deletions_resolve(app_id: str, request_id: str, note: str) -> None:
    """Mark a deletion request resolved, recording what was done."""
    k = require_migrated()
    with k.db.session() as s:
        resolve(s, app_id, request_id, note, now(), CLI_ACTOR)
    click.echo(f"{request_id} resolved")
