"""Console users (owners only): create with a one-time password, change role, disable,
reset a password."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, request
from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.admin import sessions
from server.admin.forms import UserCreateForm, UserUpdateForm, errors_of
from server.admin.models import ROLES, AdminUser
from server.admin.security import hash_password, new_password, now, requires, retire_password
from server.admin.users import UserError, create_user
from server.admin.views import audit, kelisim, page

__all__ = ["bp"]

bp = Blueprint("users", __name__)


def _list(s: Session) -> list[AdminUser]:
    return list(s.scalars(select(AdminUser).order_by(AdminUser.email)))


def _render(status: int = 200, **extra: Any) -> Any:
    with kelisim().db.session(readonly=True) as s:
        users = _list(s)
    # Every role (models.ROLES, the form's choices); the new user's list starts with the
    # role that may least.
    ctx: dict[str, Any] = {"users": users, "errors": {}, "created": None, "form": {},
                           "roles": ROLES}
    ctx.update(extra)
    return page("users.html", status, **ctx)


@bp.get("/users")
@requires("owner")
def index() -> Any:
    return _render()


@bp.post("/users")
@requires("owner")
def create() -> Any:
    try:
        data = UserCreateForm().load(request.form)
    except ValidationError as exc:
        return _render(422, errors=errors_of(exc), form=request.form)
    try:
        with kelisim().db.session() as s:
            password = create_user(s, data["email"], data["role"], now(),
                                   actor=g.admin_user.email)
    except UserError as exc:
        return _render(422, errors={"email": [exc.code]}, form=request.form)
    return _render(created=(data["email"], password))


def _owners_left(s: Session, without: int) -> int:
    return int(s.scalar(select(func.count()).select_from(AdminUser).where(
        AdminUser.role == "owner", AdminUser.disabled.is_(False), AdminUser.id != without))
        or 0)


@bp.post("/users/<int:user_id>")
@requires("owner")
def update(user_id: int) -> Any:
    try:
        data = UserUpdateForm().load(request.form)
        if data["action"] == "role" and "role" not in data:
            raise ValidationError({"role": ["Missing data for required field."]})
    except ValidationError as exc:
        return _render(422, errors=errors_of(exc))
    created = None
    try:
        created = _apply(user_id, data)
    except _LastOwner:
        return _render(422, errors={"form": ["last_owner"]})
    return _render(created=created)


class _LastOwner(Exception):
    pass


def _apply(user_id: int, data: dict[str, Any]) -> tuple[str, str] | None:
    created = None
    password = new_password_hash = None
    if data["action"] == "reset":  # Argon2 before the transaction: no lock held meanwhile
        password = new_password()
        new_password_hash = hash_password(password)
    with kelisim().db.session() as s:
        # Two owners demoting each other at once would each count the other: the owners'
        # rows stay locked until this commits, so the second counts after the first.
        s.execute(select(AdminUser.id).where(AdminUser.role == "owner").with_for_update())
        user = s.get(AdminUser, user_id)
        if user is None:
            abort(404)
        action = data["action"]
        demotes = action == "disable" or (action == "role" and data["role"] != "owner")
        if user.role == "owner" and demotes and _owners_left(s, user.id) == 0:
            raise _LastOwner  # the console must always keep someone who can manage it
        details: dict[str, Any] = {}
        if action == "role":
            details = {"role": [user.role, data["role"]]}
            user.role = data["role"]
        elif action == "disable":
            user.disabled = True
        elif action == "enable":
            user.disabled = False
        else:
            assert password is not None and new_password_hash is not None
            retire_password(s, user, new_password_hash, now())
            user.must_change_password = True
            created = (user.email, password)
        user.session_generation += 1
        sessions.revoke_all(s, user.id, now())  # whatever changed, its sign-ins end
        audit(s, f"user.{action}", f"user/{user.email}", details)
    return created
