"""Apps: the list, one app's details and version history, its console settings."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, request, url_for
from marshmallow import ValidationError
from sqlalchemy import func, select

from client_sdk.protocol.model import LOCALES
from client_sdk.protocol.timeutil import format_time
from server.admin.drafts import in_force_version, latest_version
from server.admin.forms import NEW_APP_FIELDS, SettingsForm, errors_of, new_app_data
from server.admin.i18n import purpose_titles
from server.admin.models import AppSettings, Draft, app_deadline_days
from server.admin.security import now, requires
from server.admin.views import audit, kelisim, page
from server.adminlog import AdminEvent
from server.errors import AppExists, PolicySourceError
from server.models import App, ConsentRecord, DeletionRequest, PolicyVersion
from server.policy.publish import register_app
from server.policy.schema import COMPANY_NUMBERS
from server.policy.source import AppMetadata
from server.policy.storelabels import has_store_fields
from server.trust.manifests import latest_manifest

__all__ = ["bp"]

bp = Blueprint("apps", __name__)


def deadline_days(s: Any, app_id: str) -> int:
    return app_deadline_days(s, app_id, kelisim().settings.request_deadline_days)


@bp.get("/")
@requires("view")
def index() -> Any:
    rows = []
    with kelisim().db.session(readonly=True) as s:
        for app in s.scalars(select(App).order_by(App.id)):
            latest = latest_version(s, app.id)
            signed = latest_manifest(s, app.id)
            records = s.scalar(select(func.count()).select_from(ConsentRecord)
                               .where(ConsentRecord.app_id == app.id))
            open_requests = s.scalar(select(func.count()).select_from(DeletionRequest).where(
                DeletionRequest.app_id == app.id, DeletionRequest.status == "open"))
            rows.append({"app": app, "latest": latest, "signed": signed, "records": records,
                         "open_requests": open_requests})
    return page("apps.html", rows=rows)


def _history(s: Any, app_id: str) -> list[dict[str, Any]]:
    """Versions newest first, with who published them (the admin audit log, console and CLI
    alike) and the notes of the console draft they came from."""
    drafts = {d.published_number: d for d in s.scalars(select(Draft).where(
        Draft.app_id == app_id, Draft.published_number.is_not(None)))}
    publishers: dict[int, str] = {}
    for e in s.scalars(select(AdminEvent).where(AdminEvent.action == "version.publish",
                                                AdminEvent.target == app_id)):
        if isinstance(e.details.get("number"), int):
            publishers[e.details["number"]] = e.actor
    stamp = format_time(now())
    out = []
    for v in s.scalars(select(PolicyVersion).where(PolicyVersion.app_id == app_id)
                       .order_by(PolicyVersion.number.desc())):
        d = drafts.get(v.number)
        out.append({"v": v, "upcoming": v.effective > stamp,
                    "labels": has_store_fields(v.body),
                    "publisher": publishers.get(v.number, "-"),
                    "notes": d.notes if d else "", "draft": d})
    return out


def _titles(history: list[dict[str, Any]]) -> dict[str, str]:
    """The purposes' titles of the newest version (the one the catalog goes with)."""
    return purpose_titles(history[0]["v"].body) if history else {}


def _number_name(app: App) -> str:
    """What the controller's registration number is called in its country (KZ: BIN)."""
    return COMPANY_NUMBERS.get(app.controller.get("country", ""), ("Company number", 0))[0]


def _new_form(form: dict[str, str], errors: dict[str, list[str]], status: int = 200) -> Any:
    return page("app_new.html", status, form=form, errors=errors, locales=LOCALES,
                countries=COMPANY_NUMBERS)


@bp.get("/new-app")
@requires("owner")
def new() -> Any:
    return _new_form({"country": "KZ", "default_locale": "kk",
                      "request_deadline_days": str(kelisim().settings.request_deadline_days)},
                     {})


@bp.post("/new-app")
@requires("owner")
def create() -> Any:
    """Register an app from the form: the same service and the same app.toml rules as
    ``kelisim apps create``; every problem is shown next to its field and nothing is
    stored."""
    form = {name: request.form.get(name, "") for name in NEW_APP_FIELDS.values()}
    errors: dict[str, list[str]] = {}
    days = None
    try:
        days = SettingsForm().load(request.form)["request_deadline_days"]
    except ValidationError as exc:
        errors = errors_of(exc)
    meta = None
    try:
        meta = AppMetadata.from_dict(new_app_data(form), "console")
    except PolicySourceError as exc:
        for path, messages in exc.fields.items():
            errors.setdefault(NEW_APP_FIELDS.get(path, "form"), []).extend(messages)
    if meta is not None and days is not None:
        try:
            with kelisim().db.session() as s:
                register_app(s, meta, now(), actor=g.admin_user.email)
                s.add(AppSettings(app_id=meta.id, request_deadline_days=days))
                audit(s, "app.settings", meta.id, {"request_deadline_days": [None, days]})
            return redirect(url_for("admin.apps.detail", app_id=meta.id, created=1), 303)
        except AppExists:
            errors["id"] = ["app_exists"]
    return _new_form(form, errors, 422)


@bp.get("/apps/<app_id>")
@requires("view")
def detail(app_id: str) -> Any:
    with kelisim().db.session(readonly=True) as s:
        app = s.get(App, app_id)
        if app is None:
            abort(404)
        history = _history(s, app_id)
        drafts = list(s.scalars(select(Draft).where(Draft.app_id == app_id,
                                                    Draft.status == "open")
                                .order_by(Draft.id.desc())))
        days = deadline_days(s, app_id)
        current = in_force_version(s, app_id, now())
    # After a publish from the console (``?published=N``): say which version it was and
    # whether it is in force or scheduled (only a version this app has is named).
    just = request.args.get("published", "")
    published = next((h for h in history if just.isdigit() and len(just) < 10
                      and h["v"].number == int(just)), None)
    # ... reached from an old link to the draft that became it (``&draft=ID``).
    draft = request.args.get("draft", "")
    from_draft = int(draft) if published and draft.isdigit() and len(draft) < 10 else None
    return page("app.html", app=app, history=history, drafts=drafts, deadline_days=days,
                titles=_titles(history), errors={}, published=published, current=current,
                from_draft=from_draft,
                labels={h["v"].number: h["v"].label for h in history},
                number_name=_number_name(app),
                created=request.args.get("created") == "1" and not history)


@bp.post("/apps/<app_id>/settings")
@requires("owner")
def settings(app_id: str) -> Any:
    try:
        data = SettingsForm().load(request.form)
    except ValidationError as exc:
        with kelisim().db.session(readonly=True) as s:
            app = s.get(App, app_id)
            if app is None:
                abort(404)
            history = _history(s, app_id)
            return page("app.html", 422, app=app, history=history, drafts=[],
                        deadline_days=deadline_days(s, app_id), titles=_titles(history),
                        errors=errors_of(exc), published=None,
                        current=in_force_version(s, app_id, now()), labels={}, created=False,
                        number_name=_number_name(app))
    with kelisim().db.session() as s:
        if s.get(App, app_id) is None:
            abort(404)
        row = s.get(AppSettings, app_id)
        before = row.request_deadline_days if row else None
        if row is None:
            row = AppSettings(app_id=app_id, request_deadline_days=data["request_deadline_days"])
            s.add(row)
        row.request_deadline_days = data["request_deadline_days"]
        audit(s, "app.settings", app_id,
              {"request_deadline_days": [before, data["request_deadline_days"]]})
    return redirect(url_for("admin.apps.detail", app_id=app_id), 303)
