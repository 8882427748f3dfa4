"""An app's API keys for the operator API (docs/operator-api.md): the list with each key's
scopes and last use; creating, rotating and revoking one (owner only; each in the admin
audit log through server/consent/apikeys.py). A new key is shown once, on the answer to
the form that made it, never stored and never cached."""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask import Blueprint, abort, g, redirect, request, url_for
from sqlalchemy.exc import IntegrityError

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
from server.errors import ApiKeyRevoked, InvalidValue, KeyAlreadyCreated, NotFound
from server.models import App

__all__ = ["bp"]

bp = Blueprint("apikeys", __name__)

# What the form says for a field the domain refused (the console's words, translated).
_PROBLEMS = {"name": "Name the key: one line of readable text, at most 100 characters.",
             "scopes": "Choose at least one scope."}


_NONCE = re.compile(r"[A-Za-z0-9_-]{22,43}")


def _page(app_id: str, status: int = 200, *, new_key: tuple[str, str] | None = None,
          errors: dict[str, list[str]] | None = None,
          form: dict[str, Any] | None = None, already: str | None = None) -> Any:
    with kelisim().db.session(readonly=True) as s:
        app = s.get(App, app_id)
        if app is None:
            abort(404)
        keys = list_keys(s, app_id)
        body, code = page("api_keys.html", status, app=app, keys=keys, scopes=SCOPES,
                          prefix=KEY_PREFIX, new_key=new_key, errors=errors or {},
                          form=form or {}, already=already,
                          # Each form a new nonce: the same form sent twice (a reload of
                          # the answer) makes one key (KeyAlreadyCreated).
                          nonce=secrets.token_urlsafe(16))
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
    nonce = request.form.get("nonce") or None
    if nonce is not None and not _NONCE.fullmatch(nonce):
        abort(400)
    form = {"name": name, "scopes": scopes}
    try:
        for attempt in (1, 2):
            try:
                with kelisim().db.session() as s:
                    row, key = create_key(s, app_id, name, scopes, g.admin_user.email, now(),
                                          nonce=nonce)
                    key_id = row.key_id
                break
            except IntegrityError:  # the same form, sent twice at once: the other won
                if attempt == 2 or nonce is None:
                    raise
    except KeyAlreadyCreated as exc:
        return _page(app_id, 200, already=str(exc.details["key_id"]))
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
