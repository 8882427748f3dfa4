"""`kelisim users ...`: console users from the command line (the first owner comes from
here or from `kelisim demo-setup`)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from client_sdk.protocol.timeutil import utcnow
from server.admin.models import ROLES, AdminUser
from server.admin.users import UserError, create_user
from server.cli.common import require_migrated
from server.db import Database

__all__ = ["ensure_first_owner", "users"]


def _db() -> Database:
    return require_migrated().db


@click.group(cls=AppGroup)  # its commands run inside the app context
def users() -> None:
    """Operator console users (docs/console.md)."""


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
def users_create(email: str, role: str) -> None:
    """Create a console user and print a one-time password (changed at first sign-in)."""
    try:
        with _db().session() as s:
            password = create_user(s, email, role, utcnow(), actor="cli")
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {email.strip().lower()} ({role})\none-time password: {password}")


@users.command("list")
def users_list() -> None:
    """List console users."""
    with _db().session(readonly=True) as s:
        for u in s.scalars(select(AdminUser).order_by(AdminUser.email)):
            state = "disabled" if u.disabled else "active"
            click.echo(f"{u.email}\t{u.role}\t{state}\tlast sign-in {u.last_login_at or '-'}")


def ensure_first_owner(email: str = "owner@localhost") -> str | None:
    """Create an owner when the console has no user yet; return its one-time password."""
    with _db().session() as s:
        if s.scalars(select(AdminUser.id).limit(1)).first() is not None:
            return None
        return create_user(s, email, "owner", utcnow(), actor="cli")
