"""An app's webhook endpoints (docs/webhooks.md): the list with each endpoint's events,
state and failures in a row; adding one (its signing secret shown once, on the answer to
the form, never cached), pausing, resuming, deleting, sending a test event; the recent
deliveries with their attempts and errors, each replayable. Owner only; every change in
the admin audit log through server/webhooks/endpoints.py."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, request, url_for

from server.admin.security import now, requires
from server.admin.views import kelisim, page
from server.errors import InvalidValue, NotFound
from server.models import App
from server.webhooks import endpoints as service
from server.webhooks.events import EVENTS
from server.webhooks.secrets import webhook_key

__all__ = ["bp"]

bp = Blueprint("webhooks", __name__)

# What the form says for a field the domain refused (the console's words, translated).
_PROBLEMS = {"url": ("Give the receiver's address: https://... (or http://), without a user "
                     "name or password, not a private or loopback address."),
             "events": "Choose at least one event."}


def _page(app_id: str, status: int = 200, *, secret: tuple[str, str] | None = None,
          errors: dict[str, list[str]] | None = None,
          form: dict[str, Any] | None = None, done: str = "",
          done_endpoint: str = "") -> Any:
    with kelisim().db.session(readonly=True) as s:
        app = s.get(App, app_id)
        if app is None:
            abort(404)
        endpoints = service.list_endpoints(s, app_id)
        urls = {p.endpoint_id: p.url for p in endpoints}
        body, code = page("webhooks.html", status, app=app, endpoints=endpoints, urls=urls,
                          done=done, done_url=urls.get(done_endpoint, ""),
                          deliveries=service.list_deliveries(s, app_id, limit=50),
                          events=EVENTS, secret=secret, errors=errors or {},
                          retention=kelisim().settings.webhook_retention_days,
                          form=form or {})
    # A page that shows a secret must not stay in any cache.
    return body, code, {"Cache-Control": "no-store"}


@bp.get("/apps/<app_id>/webhooks")
@requires("owner")
def index(app_id: str) -> Any:
    done = request.args.get("done", "")
    return _page(app_id, done=done if done in ("test", "replay") else "",
                 done_endpoint=request.args.get("to", ""))


@bp.post("/apps/<app_id>/webhooks")
@requires("owner")
def create(app_id: str) -> Any:
    url, events = request.form.get("url", ""), request.form.getlist("event")
    form = {"url": url, "events": events}
    k = kelisim()
    try:
        with k.db.session() as s:
            row, secret = service.create_endpoint(
                s, app_id, url, events, g.admin_user.email, now(),
                key=webhook_key(k.settings), allow_private=k.settings.webhook_allow_private)
            endpoint_id = row.endpoint_id
    except NotFound:
        abort(404)
    except InvalidValue as exc:
        return _page(app_id, 422, errors={exc.field: [_PROBLEMS[exc.field]]}, form=form)
    return _page(app_id, 201, secret=(endpoint_id, secret))


def _back(app_id: str, **done: str) -> Any:
    """To the page (303), saying what was just done when it is not visible at once."""
    values: dict[str, Any] = {"app_id": app_id, **done}
    return redirect(url_for("admin.webhooks.index", **values), 303)


@bp.post("/apps/<app_id>/webhooks/<endpoint_id>/<action>")
@requires("owner")
def change(app_id: str, endpoint_id: str, action: str) -> Any:
    if action not in ("pause", "resume", "delete", "test"):
        abort(404)
    if action == "delete" and request.form.get("confirm") != "yes":
        return _page(app_id, 422, errors={"confirm": ["confirm_webhook_delete"]})
    actor, at = g.admin_user.email, now()
    try:
        with kelisim().db.session() as s:
            if action == "delete":
                service.delete_endpoint(s, app_id, endpoint_id, actor, at)
            elif action == "test":
                service.send_test(s, app_id, endpoint_id, actor, at)
            else:
                service.set_paused(s, app_id, endpoint_id, action == "pause", actor, at)
    except NotFound:
        abort(404)
    if action == "test":
        return _back(app_id, done="test", to=endpoint_id)
    return _back(app_id)


@bp.post("/apps/<app_id>/webhooks/deliveries/<int:delivery_id>/replay")
@requires("owner")
def replay(app_id: str, delivery_id: int) -> Any:
    try:
        with kelisim().db.session() as s:
            service.replay(s, app_id, delivery_id, g.admin_user.email, now())
    except NotFound:
        # Pruned (or deleted with its endpoint): the page says so, the 404 stays.
        return _page(app_id, 404, done="gone")
    return _back(app_id, done="replay")
