"""The draft's structure form (purposes, vendors, data categories, permissions as rows;
server/admin/structure.py describes them): add, move and remove rows without storing,
then save them through the same schemas as the TOML path."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, url_for

from client_sdk.protocol.timeutil import format_time
from server.admin import storeform
from server.admin.security import now, requires
from server.admin.structure import SECTIONS, State, apply_op, read
from server.admin.structure import validate as validate_structure
from server.admin.views import audit, kelisim, page
from server.admin.views.drafts import _context, _get, _set_meta, app_toml
from server.errors import PolicySourceError

__all__ = ["bp"]

bp = Blueprint("structure", __name__)


def _version_permissions(spec: dict[str, Any], old: dict[str, Any],
                         new: dict[str, Any]) -> list[str] | None:
    """A version that lists its permissions keeps listing those still in the app's
    permissions, and lists those the form added (absent from ``old``), so that a permission
    added in the form is used and one removed is not named."""
    listed = spec.get("permissions")
    if listed is None:
        return None
    before = {str(p.get("id")) for p in old.get("permissions") or []}
    now_ids = [str(p.get("id")) for p in new.get("permissions") or []]
    return [p for p in listed if p in now_ids] + [
        p for p in now_ids if p not in listed and p not in before]


@bp.post("/drafts/<int:draft_id>/structure")
@requires("publish")
def structure(draft_id: int) -> Any:
    """The structure form: an add/move/remove button shows the rows changed (nothing is
    stored until Save); Save checks them with the TOML path's schemas and stores the
    purposes in the draft and vendors, data categories and permissions in its app
    metadata (with the app's store values, server/admin/storeform.py), or stores nothing
    and shows every problem next to its field."""
    k = kelisim()
    state: State = read(request.form)
    store_values = storeform.read(request.form)
    op = str(request.form.get("op") or "save")
    errors: dict[str, list[str]] = {}
    if op == "save":
        with k.db.session() as s:
            d, app = _get(s, draft_id)
            old_meta = d.app_meta or app_toml(app)
            purposes, meta, errors = validate_structure(state, d.spec, old_meta)
            meta, store_errors = storeform.apply(meta, store_values)
            errors.update(store_errors)
            if not errors:
                spec = {**d.spec, "purposes": purposes}
                if spec.get("permissions") is not None:
                    spec["permissions"] = _version_permissions(spec, old_meta, meta)
                try:
                    _set_meta(d, app, meta)  # raises before it changes anything
                except PolicySourceError as exc:
                    errors = {"structure": exc.problems}
            if not errors:
                d.spec, d.updated_at = spec, format_time(now())
                audit(s, "draft.edit_structure", f"{app.id}/draft-{d.id}", {
                    sec.name: [str(i.get("id")) for i in (
                        purposes if sec.home == "version" else meta.get(sec.name) or [])]
                    for sec in SECTIONS} | {"store": store_values})
                return redirect(url_for("admin.drafts.edit", draft_id=draft_id)
                                + "#structure", 303)
    with k.db.session(readonly=True) as s:
        d, app = _get(s, draft_id)
        if op != "save":
            errors = apply_op(state, op, d.spec)
        return page("draft.html", 422 if errors else 200, **_context(
            s, d, app, structure=state, structure_errors=errors, unsaved=True,
            store=storeform.for_template(store_values)))
