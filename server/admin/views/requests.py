"""Data-subject requests: the queue (overdue first, then by deadline) with each request's
kind, age and deadline; resolving or refusing one with a note the app shows its user; a
request's proof file (it is a leaf of its app's transparency log), for owners and
auditors."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, abort, g, redirect, request, url_for
from marshmallow import ValidationError
from sqlalchemy import func, select

from client_sdk.protocol.timeutil import parse_time
from server.admin.forms import ResolveForm, errors_of
from server.admin.security import now, requires
from server.admin.views import kelisim, page
from server.admin.views.log import proof_download
from server.consent.requests import count_requests, get_request, list_requests
from server.consent.requests import resolve as resolve_request
from server.errors import AlreadyResolved, InvalidValue, NotFound
from server.tlog_models import LogCheckpoint

__all__ = ["bp"]

# Rows the queue shows at most: the nearest deadlines first, so a flood of requests cannot
# make the page unbounded, and what is due soonest is always on it.
QUEUE_ROWS = 200

bp = Blueprint("requests", __name__)


def _queue(show_all: bool) -> list[dict[str, Any]]:
    """The queue in the domain's order (server.consent.requests.queue_order): each
    request's deadline was fixed when it was received and is signed in its receipt. Each
    request is a leaf of its app's transparency log: ``provable`` once a signed checkpoint
    covers it (its proof file can be downloaded)."""
    when = now()
    out: list[dict[str, Any]] = []
    with kelisim().db.session(readonly=True) as s:
        signed: dict[str, int] = {}
        for d in list_requests(s, None, when, include_resolved=show_all, limit=QUEUE_ROWS):
            if d.app_id not in signed:  # one probe of the key's end per app shown
                signed[d.app_id] = int(s.scalar(select(func.max(LogCheckpoint.size)).where(
                    LogCheckpoint.app_id == d.app_id)) or 0)
            received = parse_time(d.server_time)
            left = parse_time(d.deadline) - when
            # Whole days left, counted up (received a minute ago, due in 30 days: "30 d
            # left"); under a day, hours; overdue, the days past.
            seconds = left.total_seconds()
            days_left = math.ceil(seconds / 86400) if seconds >= 86400 else left.days
            out.append({"d": d, "kind": d.kind, "age_days": (when - received).days,
                        "deadline": d.deadline, "days_left": days_left,
                        "hours_left": int(left.total_seconds() // 3600),
                        "overdue": d.status == "open" and left.total_seconds() < 0,
                        "provable": d.seq <= signed.get(d.app_id, 0)})
    return out


def _total(show_all: bool) -> int:
    with kelisim().db.session(readonly=True) as s:
        return count_requests(s, include_resolved=show_all)


@bp.get("/requests")
@requires("requests")
def queue() -> Any:
    show_all = request.args.get("all") == "1"
    return page("requests.html", items=_queue(show_all), show_all=show_all, errors={},
                failed=None, total=_total(show_all), shown_max=QUEUE_ROWS)


@bp.post("/requests/<app_id>/<request_id>/resolve")
@requires("requests")
def resolve(app_id: str, request_id: str) -> Any:
    try:
        data = ResolveForm().load(request.form)
    except ValidationError as exc:
        errors = errors_of(exc)
        if "note" in errors and not (request.form.get("note") or "").strip():
            errors["note"] = ["Write what was done, or why the request is refused."]
        return page("requests.html", 422, items=_queue(False), show_all=False,
                    errors=errors, failed=request_id, total=_total(False),
                    shown_max=QUEUE_ROWS)
    try:
        with kelisim().db.session() as s:
            resolve_request(s, app_id, request_id, data["note"], now(), g.admin_user.email,
                            outcome="refused" if data["outcome"] == "refuse" else "resolved")
    except NotFound:
        abort(404)
    except AlreadyResolved:
        abort(409, "already_resolved")
    except InvalidValue:
        problem = "Write what was done, or why the request is refused." \
            if not data["note"].strip() else \
            "Only readable text: no control or direction-changing characters."
        return page("requests.html", 422, items=_queue(False), show_all=False,
                    errors={"note": [problem]}, failed=request_id, total=_total(False),
                    shown_max=QUEUE_ROWS)
    return redirect(url_for("admin.requests.queue"), 303)


@bp.post("/requests/<app_id>/<request_id>/proof")
@requires("audit")
def proof(app_id: str, request_id: str) -> Any:
    """The request's proof file (``kelisim.proof`` v1: the request's chained fields, salt,
    tlog-proof, root): owners and auditors only, as a record's, since it makes the request
    checkable by anyone it is given to; audited. (The queue shows its button to owners; an
    auditor asks for it by id on the app's log page.)"""
    try:
        with kelisim().db.session() as s:
            answer = proof_download(s, app_id, get_request(s, app_id, request_id))
            if answer is None:
                abort(409, "log_not_covered")
    except NotFound:
        abort(404)
    return answer
