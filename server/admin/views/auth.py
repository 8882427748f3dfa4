"""Sign-in, sign-out, changing one's password, the console's language."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, request, session, url_for
from marshmallow import ValidationError

from server.admin.forms import LoginForm, PasswordForm, errors_of
from server.admin.i18n import LANGUAGES
from server.admin.models import AdminUser
from server.admin.security import (
    Throttled,
    authenticate,
    hash_password,
    now,
    requires,
    verify_password,
)
from server.admin.views import audit, kelisim, page

__all__ = ["bp"]

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only a path on this console: never an open redirect to another site.
    # Printable ASCII only: a CR or LF would split the Location header (a 500 before).
    if target and target.startswith("/admin") and not urlsplit(target).netloc \
            and not target.startswith("//") and target.isascii() and target.isprintable():
        return target
    return url_for("admin.apps.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return page("login.html", next=request.args.get("next", ""), errors={}, email="")
    email = request.form.get("email", "").strip().lower()
    try:
        data = LoginForm().load(request.form)
    except ValidationError as exc:
        return page("login.html", 422, next=request.form.get("next", ""),
                    errors=errors_of(exc), email=email)
    k = kelisim()
    ip = request.remote_addr or "-"
    try:
        with k.db.session() as s:
            user = authenticate(s, data["email"], data["password"], ip, now(), k.settings)
            if user is not None:
                audit(s, "console.sign_in", f"user/{user.email}", {"ip": ip}, actor=user.email)
                uid, gen = user.id, user.session_generation
    except Throttled as exc:
        resp = page("login.html", 429, next=request.form.get("next", ""),
                    errors={"form": ["throttled"]}, email=email)
        return (resp[0], resp[1], {"Retry-After": str(exc.retry_after)})
    if user is None:
        return page("login.html", 401, next=request.form.get("next", ""),
                    errors={"form": ["bad_login"]}, email=email)
    session.clear()  # a new session id for the signed-in user (no session fixation)
    session.permanent = True
    session["uid"], session["gen"] = uid, gen
    return redirect(_safe_next(request.form.get("next")), 303)


@bp.post("/logout")
def logout() -> Any:
    user = g.get("admin_user")
    if user is not None:
        with kelisim().db.session() as s:
            audit(s, "console.sign_out", f"user/{user.email}")
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("admin.auth.login"), 303)


@bp.route("/password", methods=["GET", "POST"])
@requires("view")
def password() -> Any:
    user: AdminUser = g.admin_user
    if request.method == "GET":
        return page("password.html", errors={})
    try:
        data = PasswordForm().load(request.form)
    except ValidationError as exc:
        return page("password.html", 422, errors=errors_of(exc))
    with kelisim().db.session() as s:
        row = s.get(AdminUser, user.id)
        assert row is not None
        if not verify_password(row.password_hash, data["current"]):
            return page("password.html", 422, errors={"current": ["wrong_password"]})
        row.password_hash = hash_password(data["new"])
        row.must_change_password = False
        row.session_generation += 1
        audit(s, "user.password_changed", f"user/{row.email}")
        gen = row.session_generation
    session["gen"] = gen
    return redirect(url_for("admin.apps.index"), 303)


@bp.get("/lang/<code>")
def language(code: str) -> Any:
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")), 303)
