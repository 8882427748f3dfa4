"""Data-subject requests: the queue with age and deadline, resolving with a note."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, g, redirect, request, url_for
from marshmallow import ValidationError
from sqlalchemy import select

from client_sdk.protocol.timeutil import format_time, parse_time
from server.admin.forms import ResolveForm, errors_of
from server.admin.security import now, requires
from server.admin.views import kelisim, page
from server.admin.views.apps import deadline_days
from server.consent.requests import resolve as resolve_request
from server.errors import AlreadyResolved, InvalidValue, NotFound
from server.models import App, DeletionRequest

__all__ = ["bp"]

bp = Blueprint("requests", __name__)


def _queue(show_all: bool) -> list[dict[str, Any]]:
    when = now()
    out: list[dict[str, Any]] = []
    with kelisim().db.session(readonly=True) as s:
        days = {a: deadline_days(s, a) for a in s.scalars(select(App.id))}
        q = select(DeletionRequest)
        if not show_all:
            q = q.where(DeletionRequest.status == "open")
        for d in s.scalars(q.order_by(DeletionRequest.server_time, DeletionRequest.row_id)):
            received = parse_time(d.server_time)
            deadline = received + timedelta(days=days[d.app_id])
            left = deadline - when
            out.append({"d": d, "kind": "deletion", "age_days": (when - received).days,
                        "deadline": format_time(deadline), "days_left": left.days,
                        "hours_left": int(left.total_seconds() // 3600),
                        "overdue": d.status == "open" and left.total_seconds() < 0})
    # Overdue first, then the nearest deadline.
    out.sort(key=lambda x: (x["d"].status != "open", not x["overdue"], x["deadline"]))
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
            resolve_request(s, app_id, request_id, data["note"], now(), g.admin_user.email)
    except NotFound:
        abort(404)
    except AlreadyResolved:
        abort(409, "already_resolved")
    except InvalidValue:
        return page("requests.html", 422, items=_queue(False), show_all=False,
                    errors={"note": ["Missing data for required field."]}, failed=request_id)
    return redirect(url_for("admin.requests.queue"), 303)
