"""The acceptance dashboard of one app."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request
from marshmallow import ValidationError
from sqlalchemy import select

from client_sdk.protocol.records import RECORD_ACTIONS
from server.admin import acceptance, rollup
from server.admin.charts import daily_chart, rate_bars
from server.admin.forms import SearchForm, errors_of
from server.admin.i18n import gettext as _
from server.admin.i18n import purpose_titles
from server.admin.security import requires
from server.admin.views import kelisim, page
from server.models import App, PolicyVersion

__all__ = ["bp"]

bp = Blueprint("dashboard", __name__)


@bp.get("/apps/<app_id>/dashboard")
@requires("view")
def show(app_id: str) -> Any:
    errors: dict[str, list[str]] = {}
    try:
        args = SearchForm(only=("version", "date_from", "date_to")).load(request.args)
    except ValidationError as exc:
        errors, args = errors_of(exc), {}
    k = kelisim()
    with k.db.session(readonly=True) as s:
        if s.get(App, app_id) is None:
            abort(404)
        numbers = {str(label): int(n) for label, n in s.execute(select(
            PolicyVersion.label, PolicyVersion.number).where(PolicyVersion.app_id == app_id))}
    # The version is chosen by its label, as the officer reads it.
    label = (request.args.get("version") or "").strip()
    number = numbers.get(label)
    if label and number is None:
        errors = {**errors, "version": ["unknown_version"]}
    if errors:
        args, number = {}, None
    scope = acceptance.Scope(app_id, number, args.get("date_from"), args.get("date_to"))
    with k.db.session() as s:
        rollup.refresh(s, app_id)  # the records since the last view, added to the roll-ups
    with k.db.session(readonly=True) as s:
        app = s.get(App, app_id)
        versions = list(s.scalars(select(PolicyVersion).where(PolicyVersion.app_id == app_id)
                                  .order_by(PolicyVersion.number)))
        in_scope = [v for v in versions if scope.version in (None, v.number)]
        offers = {v.number: [p["id"] for p in v.body["purposes"]] for v in in_scope}
        total = rollup.summary(s, scope)
        locales = rollup.by_locale(s, scope)
        per_version = rollup.by_version(s, scope)
        days = rollup.daily(s, scope)
        purposes = rollup.by_purpose(s, scope, offers)
    labels = {v.number: v.label for v in versions}
    titles = {v.number: purpose_titles(v.body) for v in versions}
    required = {(v.number, p["id"]) for v in versions for p in v.body["purposes"]
                if p.get("required")}
    chart = daily_chart(days, RECORD_ACTIONS, _("Records per day"),
                        names={a: _(a) for a in RECORD_ACTIONS})
    purpose_chart = rate_bars(
        [(f"{titles[r.version].get(r.purpose) or r.purpose} · {labels[r.version]}",
          r.granted, r.offered) for r in purposes],
        _("Opt-in rate per purpose and version (accepts granting it / accepts)"))
    # Withdrawals (and changes in the app's settings) carry no language: their row is named
    # so, and kept, so that the rows add up to the totals above; it comes last.
    no_language = locales.pop("-", None)
    if no_language is not None:
        locales["-"] = no_language
    locale_names = {loc: loc for loc in locales}
    if no_language is not None:
        locale_names["-"] = _("withdrawal (no language)") \
            if set(no_language.counts) <= {"withdraw"} else _("no language")
    return page("dashboard.html", 422 if errors else 200, app=app, versions=versions,
                labels=labels, total=total, locales=locales, locale_names=locale_names,
                per_version=per_version,
                days=days, purposes=purposes, chart=chart, purpose_chart=purpose_chart,
                titles=titles, required=required, args=args, errors=errors)
