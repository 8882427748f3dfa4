"""``kelisim requests``: the data subjects' requests of every kind (access, rectification,
blocking, deletion): the queue, and answering one with a note the app shows its user."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import AppGroup

from client_sdk.protocol.records import REQUEST_KINDS
from server.cli.common import CLI_ACTOR, now, require_migrated
from server.consent.requests import Outcome, list_requests, resolve

__all__ = ["requests_cmd"]


HEADER = "id\tkind\tinstall\treceived\tdeadline\tstatus\tnote\tanswered\tanswer"


def _cell(text: str | None) -> str:
    """A note as one tab-separated cell: backslash, tab and line breaks escaped."""
    if text is None:
        return ""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r") \
        .replace("\n", "\\n")


def _line(d: Any) -> str:
    return (f"{d.request_id}\t{d.kind}\t{d.install_id}\t{d.server_time}\t{d.deadline}\t"
            f"{d.status}\t{_cell(d.note)}\t{d.resolved_at or ''}\t{_cell(d.resolution)}")


@click.group("requests", cls=AppGroup)
def requests_cmd() -> None:
    """Requests of data subjects (access, rectification, blocking, deletion)."""


@requests_cmd.command("list")
@click.argument("app_id")
@click.option("--all", "show_all", is_flag=True, help="Answered ones too.")
@click.option("--kind", type=click.Choice(REQUEST_KINDS), help="Only this kind.")
def requests_list(app_id: str, show_all: bool, kind: str | None) -> None:
    """APP_ID's open requests, overdue first, then by deadline, tab-separated under a
    header: id, kind, install, received, deadline, status, the user's note, and when
    answered, the time and the answer (tabs and line breaks in notes escaped)."""
    k = require_migrated()
    click.echo(HEADER)
    with k.db.session(readonly=True) as s:
        for d in list_requests(s, app_id, now(), include_resolved=show_all, kind=kind):
            click.echo(_line(d))


def _answer(app_id: str, request_id: str, note: str, outcome: Outcome) -> None:
    k = require_migrated()
    with k.db.session() as s:
        resolve(s, app_id, request_id, note, now(), CLI_ACTOR, outcome=outcome)
    click.echo(f"{request_id} {outcome}")


@requests_cmd.command("resolve")
@click.argument("app_id")
@click.argument("request_id")
@click.option("--note", required=True, help="What was done (the app shows it to the user).")
def requests_resolve(app_id: str, request_id: str, note: str) -> None:
    """Mark a request resolved, with what was done."""
    _answer(app_id, request_id, note, "resolved")


@requests_cmd.command("refuse")
@click.argument("app_id")
@click.argument("request_id")
@click.option("--note", required=True, help="Why (the legal reason; the app shows it).")
def requests_refuse(app_id: str, request_id: str, note: str) -> None:
    """Refuse a request, with the reason."""
    _answer(app_id, request_id, note, "refused")


