"""Creating console users (the console's users page, `kelisim users create`, demo-setup)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol.timeutil import format_time
from server.admin.forms import UserCreateForm
from server.admin.i18n_texts import TEXTS
from server.admin.models import ROLES, AdminUser
from server.admin.passwords import weakness
from server.admin.security import hash_password, new_password
from server.adminlog import record

__all__ = ["UserError", "create_user"]


class UserError(ValueError):
    """A user that cannot be created; ``code`` is the console's message key."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def create_user(s: Session, email: str, role: str, now: datetime, *, actor: str,
                password: str | None = None) -> str:
    """Create a user who must change the returned one-time password at first sign-in.

    Raises:
        UserError: a malformed e-mail, an unknown role, an e-mail already in use, or a
            ``password`` too weak (server/admin/passwords.py).
    """
    errors = UserCreateForm().validate({"email": email, "role": role})
    if errors:
        field = "email" if "email" in errors else "role"
        message = TEXTS["en"].get(errors[field][0], errors[field][0])
        raise UserError(f"bad_{field}", f"{field}: {message} (roles: {', '.join(ROLES)})")
    email = email.strip().lower()
    if s.scalars(select(AdminUser.id).where(AdminUser.email == email)).first() is not None:
        raise UserError("email_taken", f"a user {email} exists already")
    if password is not None:
        weak = weakness(password, email)
        if weak is not None:
            raise UserError(weak, f"password: {TEXTS['en'][weak]}")
    password = password or new_password()
    s.add(AdminUser(email=email, role=role, password_hash=hash_password(password),
                    must_change_password=True, disabled=False, session_generation=1,
                    created_at=format_time(now)))
    s.flush()
    record(s, actor, "user.create", f"user/{email}", {"role": role}, now)
    return password
