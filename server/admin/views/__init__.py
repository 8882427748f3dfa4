"""The console's blueprint ``admin`` at /admin and what every page shares."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from client_sdk.protocol.timeutil import format_time
from server.admin import sessions, timezones
from server.admin.i18n import gettext
from server.admin.models import Draft
from server.admin.security import PasswordChecksBusy, allowed, now
from server.adminlog import record
from server.context import TOO_LARGE_KEY, kelisim
from server.messages import Message
from server.models import App

__all__ = ["audit", "bp", "console_zone", "kelisim", "localtime", "page"]

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="../templates",
               static_folder="../static")


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(f"admin/{template}", **context), status


def console_zone() -> str:
    """The zone this page shows times in (server.admin.timezones): the user's setting,
    else the zone of the page's app's controller country, else of every app's country."""
    if "console_zone" in g:
        return str(g.console_zone)
    user = g.get("admin_user")
    name = user.time_zone if user is not None and user.time_zone else None
    if name is None:
        args = request.view_args or {}
        with kelisim().db.session(readonly=True) as s:
            app_id = args.get("app_id")
            if app_id is None and isinstance(args.get("draft_id"), int):
                draft = s.get(Draft, args["draft_id"])
                app_id = draft.app_id if draft is not None else None
            countries = {str(c.get("country", "")) for c in s.scalars(
                select(App.controller).where(App.id == app_id))} if app_id else set()
            if not countries:
                countries = {str(c.get("country", "")) for c in s.scalars(
                    select(App.controller))}
        name = timezones.country_zone(countries) if countries else "UTC"
    g.console_zone = name
    return name


@bp.app_template_filter("localtime")
def localtime(value: str | None, precision: str = "minute") -> Markup:
    """A stored UTC time in the page's zone (``<time>`` with UTC on hover)."""
    return timezones.local_time(value, timezones.zone(console_zone()), precision)


@bp.app_template_global("_html")
def _html(text: str, **values: Any) -> Markup:
    """A catalogue text in the page's language with ``values`` put in, escaped unless they
    are markup already (a ``localtime``)."""
    return escape(gettext(text)).format(**values)


bp.add_app_template_global(console_zone, "console_zone")
# Whether the signed-in user's role may use an area (security.ACCESS): what a page offers.
bp.add_app_template_global(allowed, "allowed")


def audit(s: Session, action: str, target: str, details: dict[str, Any] | None = None,
          actor: str | None = None) -> None:
    """Append to the admin audit log in the caller's transaction."""
    who = actor or (g.admin_user.email if g.get("admin_user") else "anonymous")
    record(s, who, action, target, details or {}, now())


_INT32_MAX = 2**31 - 1


@bp.before_request
def _console_body_limit() -> None:
    # First of the console's hooks, before anything reads the form: the console's own
    # limit (ADMIN_MAX_BODY_BYTES, room for a document URL-encoded or uploaded) in place
    # of the API's, for the body and each form field, and an over-limit body answered
    # with the console's page naming the limit (the front or BodyLimit marked it).
    limit = kelisim().settings.admin_body_limit
    if request.environ.get(TOO_LARGE_KEY) or (request.content_length or 0) > limit:
        most = kelisim().settings.max_document_bytes
        abort(413, Message(f"the form is larger than {limit:,} bytes (ADMIN_MAX_BODY_BYTES); "
                           f"a document may have {most:,} bytes (MAX_DOCUMENT_BYTES)",
                           "form_too_large", limit=limit, doc_limit=most))
    request.max_content_length = limit
    request.max_form_memory_size = limit


@bp.before_request
def _refuse_what_no_database_stores() -> None:
    # NUL cannot be stored in PostgreSQL text (and is no part of any e-mail, id or text an
    # operator types); ids in the URL must fit the database's integer. Refused here, once,
    # for every page and form, before any query: 400 and 404, never a 500.
    values = [request.path, *request.args.values(), *request.form.values(),
              *(f.filename or "" for f in request.files.values())]
    if any("\x00" in v for v in values):
        abort(400, "a NUL character is not allowed in any field")
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and not 0 <= value <= _INT32_MAX:
            abort(404)


@bp.before_request
def _load_user_and_check_csrf() -> None:
    k = kelisim()
    when = now()
    g.admin_user = None
    sid = sessions.current_sid()
    if sid is not None:
        with k.db.session(readonly=True) as s:
            found = sessions.load(s, sid, when)
        if found is not None:
            g.admin_user, row = found
            if row.last_seen_at <= format_time(when - sessions.LAST_SEEN_EVERY):
                with k.db.session() as s:
                    sessions.touch(s, row.id, when)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        current_app.extensions["kelisim.admin"].csrf.protect()


@bp.errorhandler(CSRFError)
def _csrf(exc: CSRFError) -> tuple[str, int]:
    return page("error.html", 400, code=400, message="csrf")


@bp.errorhandler(PasswordChecksBusy)
def _busy(exc: PasswordChecksBusy) -> Any:
    # A password reset or any other Argon2 run that found no free slot in time.
    body, status = page("error.html", 503, code=503, message="busy")
    return body, status, {"Retry-After": str(exc.retry_after)}


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> Any:
    if exc.code in (301, 302, 303, 307, 308):
        return exc
    return page("error.html", exc.code or 500, code=exc.code, message=exc.description)


from server.admin.views import (  # noqa: E402 - the areas register on bp
    apikeys,
    apps,
    auth,
    consents,
    dashboard,
    drafts,
    events,
    keys,
    labels,
    log,
    requests,
    review,
    structure,
    users,
    webhooks,
)

for _area in (auth, apps, drafts, review, dashboard, consents, requests, keys, users,
              events, labels, apikeys, structure, webhooks, log):
    bp.register_blueprint(_area.bp)
