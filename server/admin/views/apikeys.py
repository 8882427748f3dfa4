"""An app's API keys for the operator API (docs/operator-api.md): the list with each key's
scopes and last use; creating, rotating and revoking one (owner only; each in the admin
audit log through server/consent/apikeys.py). A new key is shown once, on the answer to
the form that made it, never stored and never cached."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, request, url_for

from server.admin.security import now, requires
from server.admin.views import kelisim, page
from server.consent.apikeys import (
    KEY_PREFIX,
    SCOPES,
    create_key,
    list_keys,
    revoke_key,
    rotate_key,
)
from server.errors import ApiKeyRevoked, InvalidValue, NotFound
from server.models import App

__all__ = ["bp"]

bp = Blueprint("apikeys", __name__)

# What the form says for a field the domain refused (the console's words, translated).
_PROBLEMS = {"name": "Name the key: one line of readable text, at most 100 characters.",
             "scopes": "Choose at least one scope."}


def _page(app_id: str, status: int = 200, *, new_key: tuple[str, str] | None = None,
          errors: dict[str, list[str]] | None = None,
          form: dict[str, Any] | None = None) -> Any:
    with kelisim().db.session(readonly=True) as s:
        app = s.get(App, app_id)
        if app is None:
            abort(404)
        keys = list_keys(s, app_id)
        body, code = page("api_keys.html", status, app=app, keys=keys, scopes=SCOPES,
                          prefix=KEY_PREFIX, new_key=new_key, errors=errors or {},
                          form=form or {})
    # A page that shows a key must not stay in any cache.
    return body, code, {"Cache-Control": "no-store"}


@bp.get("/apps/<app_id>/api-keys")
@requires("owner")
def index(app_id: str) -> Any:
    return _page(app_id)


@bp.post("/apps/<app_id>/api-keys")
@requires("owner")
def create(app_id: str) -> Any:
    name, scopes = request.form.get("name", ""), request.form.getlist("scope")
    form = {"name": name, "scopes": scopes}
    try:
        with kelisim().db.session() as s:
            row, key = create_key(s, app_id, name, scopes, g.admin_user.email, now())
            key_id = row.key_id
    except NotFound:
        abort(404)
    except InvalidValue as exc:
        return _page(app_id, 422, errors={exc.field: [_PROBLEMS[exc.field]]}, form=form)
    return _page(app_id, 201, new_key=(key_id, key))


def _unconfirmed(app_id: str) -> Any | None:
    """Rotate and revoke cannot be undone (the old key is refused at once): the form's box
    must be ticked; the page again with the reason, and nothing changed, when it is not."""
    if request.form.get("confirm") == "yes":
        return None
    return _page(app_id, 422, errors={"confirm": ["confirm_key_change"]})


@bp.post("/apps/<app_id>/api-keys/<key_id>/rotate")
@requires("owner")
def rotate(app_id: str, key_id: str) -> Any:
    if (refused := _unconfirmed(app_id)) is not None:
        return refused
    try:
        with kelisim().db.session() as s:
            row, key = rotate_key(s, app_id, key_id, g.admin_user.email, now())
            new_id = row.key_id
    except NotFound:
        abort(404)
    except ApiKeyRevoked:
        abort(409, "key_revoked")
    return _page(app_id, new_key=(new_id, key))


@bp.post("/apps/<app_id>/api-keys/<key_id>/revoke")
@requires("owner")
def revoke(app_id: str, key_id: str) -> Any:
    if (refused := _unconfirmed(app_id)) is not None:
        return refused
    try:
        with kelisim().db.session() as s:
            revoke_key(s, app_id, key_id, g.admin_user.email, now())
    except NotFound:
        abort(404)
    except ApiKeyRevoked:
        abort(409, "key_revoked")
    return redirect(url_for("admin.apikeys.index", app_id=app_id), 303)
