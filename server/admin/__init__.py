"""The operator console at ``/admin``: server-rendered pages over the server's services.

``init_admin(app)`` sets up the session cookie, CSRF protection and the blueprints (one per
area). Pages need no JavaScript; charts are SVG drawn on the server. Every view checks the
signed-in user's role on the server (``security.ACCESS``). docs/console.md is the operator's
guide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

from server.admin.security import PasswordChecks

__all__ = ["HSTS", "SECURITY_HEADERS", "AdminState", "init_admin"]


@dataclass
class AdminState:
    """What the console shares across requests (its clock is :attr:`Kelisim.clock`)."""

    csrf: CSRFProtect
    # The process's password checks (Argon2), ADMIN_PASSWORD_CHECKS at once.
    checks: PasswordChecks


# The console's security headers: on every response under /admin, its errors too (a 404 of
# an unrouted path or a 405 never reaches the blueprint, so they are set app-wide).
# Console pages show personal data: never cached, never framed, no scripts.
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    "Referrer-Policy": "same-origin",
}
# Over TLS (directly, or through TRUSTED_PROXIES' X-Forwarded-Proto): browsers keep to
# https for a year.
HSTS = "max-age=31536000"


def _security_headers(resp: Response) -> Response:
    if request.path == "/admin" or request.path.startswith("/admin/"):
        resp.headers.setdefault("Cache-Control", "no-store")
        resp.headers.update(SECURITY_HEADERS)
        if request.is_secure:
            resp.headers["Strict-Transport-Security"] = HSTS
    return resp


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, ``Secure`` when the request came over TLS ("auto").

    A request without the cookie (every API request: the cookie's path is ``/admin``) gets
    a new empty session without the signing serializer being made, which is what Flask's
    own ``open_session`` returns then, at about 3 % of a one-record ingest's CPU less."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        mode = app.config["KELISIM_ADMIN_COOKIE_SECURE"]
        if mode == "auto":
            return bool(request) and request.is_secure
        return bool(mode == "always")


def init_admin(app: Flask) -> None:
    """Register the console on ``app`` (called by ``create_app``)."""
    from server.admin import i18n, messages, views
    from server.admin.models import AdminUser  # noqa: F401 - the tables join the shared metadata

    cfg = app.extensions["kelisim"].settings
    app.config.update(
        SESSION_COOKIE_NAME="kelisim_admin",
        SESSION_COOKIE_PATH="/admin",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=cfg.admin_session_hours),
        # The cookie is written only when the session changes. A refresh on every response
        # would let a request still in flight (a favicon, a stylesheet) write back the
        # session it was sent with over a newer one, such as a language just chosen. The
        # sign-in's end is the server's (admin_sessions.expires_at, fixed at sign-in), so
        # a sliding cookie expiry would not extend anything.
        SESSION_REFRESH_EACH_REQUEST=False,
        KELISIM_ADMIN_COOKIE_SECURE=cfg.admin_cookie_secure,
        # Only the console's forms are checked (the sync API uses install tokens, not
        # cookies); the console's blueprint calls protect() on every state-changing request.
        WTF_CSRF_CHECK_DEFAULT=False,
        # The token lives as long as the sign-in: a long edit must not lose its form.
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.session_interface = _SessionInterface()
    csrf = CSRFProtect(app)
    app.extensions["kelisim.admin"] = AdminState(
        csrf=csrf, checks=PasswordChecks(cfg.admin_password_checks,
                                         cfg.admin_password_check_wait))
    i18n.init_app(app)
    app.jinja_env.globals.update(say=messages.say)
    app.register_blueprint(views.bp)
    app.after_request(_security_headers)
