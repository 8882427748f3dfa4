"""Data-subject requests: the queue (overdue first, then by deadline) with each request's
kind, age and deadline; resolving or refusing one with a note the app shows its user."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, abort, g, redirect, request, url_for
from marshmallow import ValidationError

from client_sdk.protocol.timeutil import parse_time
from server.admin.forms import ResolveForm, errors_of
from server.admin.security import now, requires
from server.admin.views import kelisim, page
from server.consent.requests import list_requests
from server.consent.requests import resolve as resolve_request
from server.errors import AlreadyResolved, InvalidValue, NotFound

__all__ = ["bp"]

bp = Blueprint("requests", __name__)


def _queue(show_all: bool) -> list[dict[str, Any]]:
    """The queue in the domain's order (server.consent.requests.queue_order): each
    request's deadline was fixed when it was received and is signed in its receipt."""
    when = now()
    out: list[dict[str, Any]] = []
    with kelisim().db.session(readonly=True) as s:
        for d in list_requests(s, None, when, include_resolved=show_all):
            received = parse_time(d.server_time)
            left = parse_time(d.deadline) - when
            # Whole days left, counted up (received a minute ago, due in 30 days: "30 d
            # left"); under a day, hours; overdue, the days past.
            seconds = left.total_seconds()
            days_left = math.ceil(seconds / 86400) if seconds >= 86400 else left.days
            out.append({"d": d, "kind": d.kind, "age_days": (when - received).days,
                        "deadline": d.deadline, "days_left": days_left,
                        "hours_left": int(left.total_seconds() // 3600),
                        "overdue": d.status == "open" and left.total_seconds() < 0})
    return out


@bp.get("/requests")
@requires("requests")
def queue() -> Any:
    show_all = request.args.get("all") == "1"
    return page("requests.html", items=_queue(show_all), show_all=show_all, errors={},
                failed=None)


@bp.post("/requests/<app_id>/<request_id>/resolve")
@requires("requests")
def resolve(app_id: str, request_id: str) -> Any:
    try:
        data = ResolveForm().load(request.form)
    except ValidationError as exc:
        return page("requests.html", 422, items=_queue(False), show_all=False,
                    errors=errors_of(exc), failed=request_id)
    try:
        with kelisim().db.session() as s:
            resolve_request(s, app_id, request_id, data["note"], now(), g.admin_user.email,
                            outcome="refused" if data["outcome"] == "refuse" else "resolved")
    except NotFound:
        abort(404)
    except AlreadyResolved:
        abort(409, "already_resolved")
    except InvalidValue:
        return page("requests.html", 422, items=_queue(False), show_all=False,
                    errors={"note": ["Missing data for required field."]}, failed=request_id)
    return redirect(url_for("admin.requests.queue"), 303)
