"""The admin audit log (owners only): every state change, console and CLI alike."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from sqlalchemy import select

from server.admin.auditview import detail_rows
from server.admin.security import requires
from server.admin.views import kelisim, localtime, page
from server.adminlog import AdminEvent

__all__ = ["bp"]

bp = Blueprint("events", __name__)
PAGE = 100


@bp.get("/audit")
@requires("owner")
def index() -> Any:
    before = request.args.get("before", "")
    actor = request.args.get("actor", "").strip()[:254]
    with kelisim().db.session(readonly=True) as s:
        q = select(AdminEvent)
        if before.isdigit() and len(before) < 10:
            q = q.where(AdminEvent.id < int(before))
        if actor:
            q = q.where(AdminEvent.actor == actor)
        rows = list(s.scalars(q.order_by(AdminEvent.id.desc()).limit(PAGE + 1)))
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    details = {e.id: detail_rows(e.details, lambda t: localtime(t, "second"))
               for e in rows}
    return page("events.html", rows=rows, actor=actor, details=details,
                next_before=rows[-1].id if more and rows else None)
