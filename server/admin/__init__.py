"""The operator console at ``/admin``: server-rendered pages over the server's services.

``init_admin(app)`` sets up the session cookie, CSRF protection and the blueprints (one per
area). Pages need no JavaScript; charts are SVG drawn on the server. Every view checks the
signed-in user's role on the server (``security.ACCESS``). docs/console.md is the operator's
guide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

__all__ = ["AdminState", "init_admin"]


@dataclass
class AdminState:
    """What the console shares across requests (its clock is :attr:`Kelisim.clock`)."""

    csrf: CSRFProtect


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, ``Secure`` when the request came over TLS ("auto")."""

    def get_cookie_secure(self, app: Flask) -> bool:
        mode = app.config["KELISIM_ADMIN_COOKIE_SECURE"]
        if mode == "auto":
            return bool(request) and request.is_secure
        return bool(mode == "always")


def init_admin(app: Flask) -> None:
    """Register the console on ``app`` (called by ``create_app``)."""
    from server.admin import i18n, views
    from server.admin.models import AdminUser  # noqa: F401 - the tables join the shared metadata

    cfg = app.extensions["kelisim"].settings
    app.config.update(
        SESSION_COOKIE_NAME="kelisim_admin",
        SESSION_COOKIE_PATH="/admin",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=cfg.admin_session_hours),
        KELISIM_ADMIN_COOKIE_SECURE=cfg.admin_cookie_secure,
        # Only the console's forms are checked (the sync API uses install tokens, not
        # cookies); the console's blueprint calls protect() on every state-changing request.
        WTF_CSRF_CHECK_DEFAULT=False,
        # The token lives as long as the sign-in: a long edit must not lose its form.
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.session_interface = _SessionInterface()
    csrf = CSRFProtect(app)
    app.extensions["kelisim.admin"] = AdminState(csrf=csrf)
    i18n.init_app(app)
    app.register_blueprint(views.bp)
