"""Sign-in, sign-out, changing one's password, the console's language."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, request, session, url_for
from marshmallow import ValidationError

from server.admin import sessions
from server.admin.forms import LoginForm, PasswordForm, TimeZoneForm, errors_of
from server.admin.i18n import LANGUAGES
from server.admin.models import AdminUser
from server.admin.passwords import weakness
from server.admin.security import (
    PasswordChecksBusy,
    Throttled,
    authenticate,
    hash_password,
    now,
    previous_hashes,
    requires,
    retire_password,
    reuses,
    verify_password,
)
from server.admin.timezones import ZONES
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


def _throttled(template: str, retry_after: int, status: int, code: str,
               **context: Any) -> Any:
    body, status = page(template, status, errors={"form": [code]}, **context)
    return body, status, {"Retry-After": str(retry_after)}


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return page("login.html", next=request.args.get("next", ""), errors={}, email="")
    email = request.form.get("email", "").strip().lower()
    again = {"next": request.form.get("next", ""), "email": email}
    try:
        data = LoginForm().load(request.form)
    except ValidationError as exc:
        return page("login.html", 422, errors=errors_of(exc), **again)
    k = kelisim()
    ip = request.remote_addr or "-"
    try:
        user = authenticate(k.db, current_app.extensions["kelisim.admin"].checks,
                            data["email"], data["password"], ip, now, k.settings,
                            device=sessions.device(data["email"]))
    except Throttled as exc:
        return _throttled("login.html", exc.retry_after, 429, "throttled", **again)
    except PasswordChecksBusy as exc:
        return _throttled("login.html", exc.retry_after, 503, "busy", **again)
    if user is None:
        return page("login.html", 401, errors={"form": ["bad_login"]}, **again)
    with k.db.session() as s:
        sid = sessions.start(s, user, now(), k.settings.admin_session_hours, ip)
    lang = session.get("lang")
    session.clear()  # a new session for the signed-in user (no session fixation)
    session.permanent = True
    session["sid"] = sid
    if lang:
        session["lang"] = lang
    resp = redirect(_safe_next(request.form.get("next")), 303)
    sessions.remember_device(resp, user.email, user.session_generation,
                             current_app.session_interface.get_cookie_secure(current_app))
    return resp


@bp.post("/logout")
def logout() -> Any:
    user = g.get("admin_user")
    with kelisim().db.session() as s:
        # The session ends on the server: a copy of the cookie is refused from now on.
        sessions.revoke(s, sessions.current_sid(), now())
        if user is not None:
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
        return page("password.html", errors={}, zones=ZONES)
    try:
        data = PasswordForm().load(request.form)
    except ValidationError as exc:
        return page("password.html", 422, errors=errors_of(exc), zones=ZONES)
    # The site's own name is as guessable as the product's ("consoleconsole1").
    host = request.host.rsplit(":", 1)[0] if not request.host.startswith("[") else ""
    weak = weakness(data["new"], user.email, host.split("."))
    if weak is not None:
        return page("password.html", 422, errors={"new": [weak]}, zones=ZONES)
    k = kelisim()
    try:
        # Both Argon2 runs happen outside any transaction (no lock held meanwhile).
        with k.db.session(readonly=True) as s:
            row = s.get(AdminUser, user.id)
            assert row is not None
            stored = row.password_hash
            previous = previous_hashes(s, row.id)
        if not verify_password(stored, data["current"]):
            return page("password.html", 422, errors={"current": ["wrong_password"]},
                        zones=ZONES)
        # Not the current one, nor one of the last (the one-time password among them).
        if reuses([stored, *previous], data["new"]):
            return page("password.html", 422, errors={"new": ["password_reused"]},
                        zones=ZONES)
        new_hash = hash_password(data["new"])
    except PasswordChecksBusy as exc:
        return _throttled("password.html", exc.retry_after, 503, "busy", zones=ZONES)
    when = now()
    with k.db.session() as s:
        row = s.get(AdminUser, user.id)
        assert row is not None
        if row.password_hash != stored:  # changed meanwhile: check against the new one
            return page("password.html", 422, errors={"current": ["wrong_password"]},
                        zones=ZONES)
        retire_password(s, row, new_hash, when)
        row.must_change_password = False
        row.session_generation += 1
        # Every session of the user ends (a stolen cookie too); this browser gets a new one.
        sessions.revoke_all(s, row.id, when)
        sid = sessions.start(s, row, when, k.settings.admin_session_hours,
                             request.remote_addr or "-")
        audit(s, "user.password_changed", f"user/{row.email}")
        email, generation = row.email, row.session_generation
    session["sid"] = sid
    resp = redirect(url_for("admin.apps.index"), 303)
    # The change ended the account's device trust everywhere; this browser keeps it.
    sessions.remember_device(resp, email, generation,
                             current_app.session_interface.get_cookie_secure(current_app))
    return resp


@bp.post("/account/time-zone")
@requires("view")
def time_zone() -> Any:
    """The user's time zone for the console's times (empty: the app's country's)."""
    try:
        data = TimeZoneForm().load(request.form)
    except ValidationError as exc:
        return page("password.html", 422, errors=errors_of(exc), zones=ZONES)
    with kelisim().db.session() as s:
        row = s.get(AdminUser, g.admin_user.id)
        assert row is not None
        before = row.time_zone
        if before != data["time_zone"]:
            row.time_zone = data["time_zone"]
            audit(s, "user.time_zone", f"user/{row.email}",
                  {"time_zone": [before, data["time_zone"]]})
    return redirect(url_for("admin.auth.password"), 303)


@bp.get("/lang/<code>")
def language(code: str) -> Any:
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")), 303)
