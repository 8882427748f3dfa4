"""``kelisim consents``, ``stats`` and ``deletions``: the consent log (``kelisim
requests``, every kind of request: server/cli/requests.py; ``audit verify`` and
``consents export-log``: server/cli/consent_audit.py)."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup, with_appcontext

from client_sdk.protocol.records import RECORD_ACTIONS
from client_sdk.protocol.timeutil import parse_time
from server.cli.common import CLI_ACTOR, now, require_migrated
from server.consent.requests import list_requests, resolve
from server.errors import InvalidValue, UnknownApp
from server.models import App

__all__ = ["consents", "deletions", "stats_cmd"]


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
