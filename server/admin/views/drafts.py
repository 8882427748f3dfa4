"""Drafts: create (from the current version or an uploaded policy), edit, publish."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, request, url_for
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename

from client_sdk.protocol.model import LOCALES
from client_sdk.protocol.timeutil import format_time
from server.admin import storeform
from server.admin.drafts import (
    check,
    documents_of,
    in_force_version,
    latest_version,
    missing_translations,
    normalize_document,
    parse_toml,
    publish,
    spec_from_version,
)
from server.admin.forms import DocumentForm, DraftForm, UploadForm, errors_of
from server.admin.i18n import gettext as _
from server.admin.i18n import language
from server.admin.importnotes import console_note, importer_notes
from server.admin.models import Draft
from server.admin.security import now, requires
from server.admin.structure import SECTIONS, State, choices, locales_of, state_of
from server.admin.tomltext import dumps
from server.admin.views import audit, kelisim, page
from server.errors import (
    DatabaseBusy,
    GuardError,
    KelisimError,
    MissingTitlesError,
    PolicyImportError,
    PolicySourceError,
    VersionPublished,
)
from server.messages import Message, human_bytes
from server.models import App, PolicyVersion
from server.policy.importing.formats import ImportLimits
from server.policy.importing.importer import import_document
from server.policy.publish import lock_publishing
from server.policy.source import AppMetadata

__all__ = ["bp"]

bp = Blueprint("drafts", __name__)
# version.toml's fields the Version form edits.
_VERSION_FIELDS = ("label", "significance", "effective", "min_age", "guardian_consent",
                   "consent_term", "default_locale", "third_party_transfer",
                   "cross_border_transfer", "public_disclosure")


def app_toml(app: App) -> dict[str, Any]:
    return {"id": app.id, "name": app.name, "default_locale": app.default_locale,
            "controller": app.controller, **app.catalog}


def _get(s: Session, draft_id: int, *, open_only: bool = True) -> tuple[Draft, App]:
    d = s.get(Draft, draft_id)
    if d is not None and open_only and d.status == "published" and request.method == "GET":
        # An old link to a published draft: its version's page says it was published.
        abort(redirect(url_for("admin.apps.detail", app_id=d.app_id, draft=d.id,
                               published=d.published_number) + "#published", 303))
    if d is None or (open_only and d.status != "open"):
        abort(404)
    app = s.get(App, d.app_id)
    assert app is not None
    return d, app


def _new(s: Session, app: App, spec: dict[str, Any], docs: dict[str, str], base: int | None,
         how: dict[str, Any], importer_notes: list[str] | None = None) -> int:
    stamp = format_time(now())
    d = Draft(app_id=app.id, base_number=base, spec=spec, documents=docs, app_meta=None,
              notes="", status="open", created_by=g.admin_user.email, created_at=stamp,
              updated_at=stamp)
    s.add(d)
    s.flush()
    # The importer's working notes are kept with the draft's creation in the audit log and
    # shown on the draft page; they never become the published version's history note
    # (the Notes field, which the officer writes).
    audit(s, "draft.create", f"{app.id}/draft-{d.id}",
          {"from": how, **({"importer_notes": importer_notes} if importer_notes else {})})
    return d.id


def first_spec(app: App) -> dict[str, Any]:
    """version.toml's fields of an app's first version, to be written in the console: the
    flags off until the officer says otherwise, no purposes yet."""
    return {"label": "1.0", "significance": "major", "default_locale": app.default_locale,
            "third_party_transfer": False, "cross_border_transfer": False,
            "public_disclosure": False, "summary": {}, "title": {}, "purposes": []}


@bp.post("/apps/<app_id>/drafts")
@requires("publish")
def create(app_id: str) -> Any:
    """A new draft: a copy of the version the officer chose as its base (``base``: the
    number of the version in force or of the upcoming one; the version in force when
    none is given), or, for an app without versions, its first version to write."""
    chosen = request.form.get("base", "")
    with kelisim().db.session() as s:
        app = s.get(App, app_id)
        if app is None:
            abort(404)
        latest = latest_version(s, app_id)
        if latest is None:
            draft_id = _new(s, app, first_spec(app), {}, None, {"first": True})
            return redirect(url_for("admin.drafts.edit", draft_id=draft_id), 303)
        current = in_force_version(s, app_id, now()) or latest
        bases = {str(v.number): v for v in (current, latest)}
        if chosen and chosen not in bases:
            abort(409, "base_not_offered")
        base = bases[chosen] if chosen else current
        draft_id = _new(s, app, spec_from_version(base.body), documents_of(s, base.body),
                        base.number, {"version": base.label, "number": base.number})
    return redirect(url_for("admin.drafts.edit", draft_id=draft_id), 303)


@bp.post("/apps/<app_id>/drafts/upload")
@requires("publish")
def upload(app_id: str) -> Any:
    errors: dict[str, list[str]] = {}
    try:
        form = UploadForm().load(request.form)
    except ValidationError as exc:
        errors = errors_of(exc)
        form = {}
    file = request.files.get("file")
    if file is None or not file.filename:
        errors["file"] = ["file_required"]
    k = kelisim()
    if not errors:
        assert file is not None
        data = file.read(k.settings.max_document_bytes + 1)
        if len(data) > k.settings.max_document_bytes:
            limit = k.settings.max_document_bytes
            errors["file"] = [Message(f"the file is larger than MAX_DOCUMENT_BYTES "
                                      f"({human_bytes(limit)}), the most a policy document "
                                      f"may have", "upload_too_large", limit=limit)]
        else:
            try:
                with k.db.session(readonly=True) as s:
                    latest = latest_version(s, app_id)
                imported = import_document(
                    data, file.filename or "policy.txt", locale=form.get("locale"),
                    previous=latest.label if latest else None,
                    limits=ImportLimits.from_settings(k.settings),
                    max_document_bytes=k.settings.max_document_bytes)
                spec, docs = imported.spec, dict(imported.documents)
                notes = imported.notes + imported.warnings
            except PolicyImportError as exc:
                errors["file"] = [exc.message]
    with k.db.session() as s:
        app = s.get(App, app_id)
        if app is None:
            abort(404)
        if errors:
            return page("upload_error.html", 422, app=app, errors=errors)
        assert file is not None
        latest = latest_version(s, app_id)
        if latest is not None:
            # An updated policy text: keep the purposes and flags the current version
            # states, take the documents (and their titles and label) from the file.
            base = spec_from_version(latest.body)
            base["title"] = {**base["title"], **spec.get("title", {})}
            base["label"] = spec.get("label", "")
            docs = {**documents_of(s, latest.body), **docs}
            spec = base
        elif docs:  # a first version: in the language publishing would take as default
            spec.setdefault("default_locale", app.default_locale if app.default_locale in docs
                            else sorted(docs)[0])
        draft_id = _new(s, app, spec, docs, latest.number if latest else None,
                        {"file": secure_filename(file.filename or "")}, notes)
    return redirect(url_for("admin.drafts.edit", draft_id=draft_id), 303)


def _context(s: Session, d: Draft, app: App, **extra: Any) -> dict[str, Any]:
    k = kelisim()
    latest = latest_version(s, app.id)
    verdict = check(s, app.id, d.id, d.spec, d.documents, d.app_meta, k.keys_dir, now(),
                    k.timing, k.settings.max_document_bytes, g.admin_user.email)
    purposes = {"purposes": d.spec.get("purposes") or []}
    form = {**{key: d.spec.get(key) for key in _VERSION_FIELDS},
            "notes": d.notes, "purposes_toml": dumps(purposes),
            "app_toml": dumps(d.app_meta or app_toml(app))}
    base = s.scalars(select(PolicyVersion).where(
        PolicyVersion.app_id == app.id, PolicyVersion.number == d.base_number)).first() \
        if d.base_number is not None else None
    ctx: dict[str, Any] = {
        "d": d, "app": app, "latest": latest, "verdict": verdict, "form": form,
        "base": base, "base_upcoming": base is not None and base.effective > format_time(now()),
        "importer_notes": [console_note(n) for n in importer_notes(s, d)],
        "missing": missing_translations(app, d.spec, d.documents,
                                        latest.body if latest else None),
        "locales": LOCALES, "errors": {}, "structure_errors": {}, "unsaved": False,
        "store": storeform.for_template(storeform.values_of(d.app_meta or app_toml(app)),
                                        language()),
        # Characters, as the officer reads a text's length (the text as published).
        "doc_chars": {tag: len(normalize_document(text)) for tag, text in d.documents.items()}}
    ctx.update(extra)
    state: State = ctx.get("structure") or state_of(d.spec, d.app_meta or app_toml(app))
    default = d.spec.get("default_locale") or app.default_locale
    ctx.update(structure=state, sections=SECTIONS, choices=choices(state, default),
               struct_locales=locales_of(d.documents, state, LOCALES, default))
    return ctx


@bp.get("/drafts/<int:draft_id>")
@requires("publish")
def edit(draft_id: int) -> Any:
    with kelisim().db.session(readonly=True) as s:
        d, app = _get(s, draft_id)
        return page("draft.html", **_context(s, d, app))


def _set_meta(d: Draft, app: App, meta: dict[str, Any] | None) -> None:
    """Store app metadata as checked by AppSchema; none when it is the app's own.

    Raises:
        PolicySourceError: ``meta`` is not valid app metadata or changes the app's id.
    """
    if meta is not None:
        checked = AppMetadata.from_dict(meta, "app metadata")
        if checked.id != app.id:
            raise PolicySourceError([Message(f"app metadata: id: must stay {app.id!r}",
                                             "app_id_stays", field="app_toml", id=app.id)])
        meta = checked.to_dict()
        if meta == app_toml(app):
            meta = None
    d.app_meta = meta


def _apply(d: Draft, app: App, data: dict[str, Any]) -> None:
    """Put the form's values into the draft.

    Raises:
        PolicySourceError: the purposes or app metadata TOML is not valid.
    """
    purposes = parse_toml(data["purposes_toml"], "purposes", "purposes_toml")
    if set(purposes) - {"purposes"}:
        extra = sorted(set(purposes) - {"purposes"})
        raise PolicySourceError([Message(f"purposes: unexpected key(s) {extra}; only "
                                         f"[[purposes]] tables belong here", "purposes_extra",
                                         field="purposes_toml", keys=", ".join(extra))])
    meta = parse_toml(data["app_toml"], "app metadata", "app_toml") \
        if data.get("app_toml") else None
    _set_meta(d, app, meta)
    spec = dict(d.spec)
    for key in _VERSION_FIELDS:
        spec[key] = data.get(key)
    spec["purposes"] = purposes.get("purposes", [])
    d.spec, d.notes = spec, data.get("notes", "")
    d.updated_at = format_time(now())


@bp.post("/drafts/<int:draft_id>")
@requires("publish")
def save(draft_id: int) -> Any:
    k = kelisim()
    errors: dict[str, list[str]] = {}
    try:
        data = DraftForm().load(request.form)
    except ValidationError as exc:
        errors = errors_of(exc)
    if not errors:
        try:
            with k.db.session() as s:
                d, app = _get(s, draft_id)
                _apply(d, app, data)
                audit(s, "draft.edit", f"{app.id}/draft-{d.id}",
                      {"label": d.spec.get("label"), "significance": d.spec.get("significance")})
            return redirect(url_for("admin.drafts.edit", draft_id=draft_id), 303)
        except PolicySourceError as exc:
            errors = {"form": exc.problems}
    with k.db.session(readonly=True) as s:
        d, app = _get(s, draft_id)
        ctx = _context(s, d, app, errors=errors)
        ctx["form"] = {**ctx["form"], **{key: request.form.get(key) for key in request.form}}
        return page("draft.html", 422, **ctx)


def _size(text: str, limit: int) -> dict[str, int]:
    """The text's length in characters (as the draft page counts it) and in UTF-8 bytes,
    what MAX_DOCUMENT_BYTES limits."""
    stored = normalize_document(text)
    return {"chars": len(stored), "bytes": len(stored.encode("utf-8", "surrogatepass")),
            "limit": limit}


@bp.route("/drafts/<int:draft_id>/doc/<locale>", methods=["GET", "POST"])
@requires("publish")
def document(draft_id: int, locale: str) -> Any:
    if locale not in LOCALES:
        abort(404)
    k = kelisim()
    if request.method == "POST":
        try:
            data = DocumentForm(max_bytes=k.settings.max_document_bytes).load(request.form)
        except ValidationError as exc:
            with k.db.session(readonly=True) as s:
                d, app = _get(s, draft_id)
                return page("document.html", 422, d=d, app=app, locale=locale,
                            text=request.form.get("text", ""), errors=errors_of(exc),
                            size=_size(request.form.get("text", ""),
                                       k.settings.max_document_bytes),
                            summary=request.form.get("summary", ""),
                            title=request.form.get("title", ""))
        with k.db.session() as s:
            d, app = _get(s, draft_id)
            d.documents = {**d.documents, locale: data["text"]}
            spec = dict(d.spec)
            for key in ("summary", "title"):
                values = dict(spec.get(key) or {})
                if data.get(key):
                    values[locale] = data[key]
                else:
                    values.pop(locale, None)
                spec[key] = values
            d.spec = spec
            d.updated_at = format_time(now())
            audit(s, "draft.edit_document", f"{app.id}/draft-{d.id}",
                  {"locale": locale, "chars": len(data["text"])})
        return redirect(url_for("admin.drafts.edit", draft_id=draft_id), 303)
    with k.db.session(readonly=True) as s:
        d, app = _get(s, draft_id)
        return page("document.html", d=d, app=app, locale=locale,
                    text=d.documents.get(locale, ""), errors={},
                    size=_size(d.documents.get(locale, ""), k.settings.max_document_bytes),
                    summary=(d.spec.get("summary") or {}).get(locale, ""),
                    title=(d.spec.get("title") or {}).get(locale, ""))


@bp.post("/drafts/<int:draft_id>/doc/<locale>/delete")
@requires("publish")
def delete_document(draft_id: int, locale: str) -> Any:
    with kelisim().db.session() as s:
        d, app = _get(s, draft_id)
        if locale not in d.documents:
            abort(404)
        d.documents = {t: v for t, v in d.documents.items() if t != locale}
        spec = dict(d.spec)
        for key in ("summary", "title"):
            spec[key] = {t: v for t, v in (spec.get(key) or {}).items() if t != locale}
        d.spec = spec
        audit(s, "draft.remove_document", f"{app.id}/draft-{d.id}", {"locale": locale})
    return redirect(url_for("admin.drafts.edit", draft_id=draft_id), 303)


def _drop_importer_notes(s: Session, d: Draft, app: App) -> None:
    """A draft made before importer notes were kept apart holds them as its notes: they are
    the importer's, not the officer's, and must not become the version's history note.
    Dropped from the draft on publish, with an audit entry keeping them."""
    notes = importer_notes(s, d)
    legacy = [n for n in d.notes.splitlines() if n.strip()]
    if legacy and notes and legacy == notes:
        d.notes = ""
        audit(s, "draft.drop_importer_notes", f"{app.id}/draft-{d.id}", {"notes": notes})


def _seen_number() -> int | None:
    """The newest version number the draft page showed when Publish was pressed."""
    value = request.form.get("seen", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


@bp.post("/drafts/<int:draft_id>/publish")
@requires("publish")
def publish_draft(draft_id: int) -> Any:
    k = kelisim()
    reason = (request.form.get("override_reason") or "").strip()[:2000] or None
    allow_missing = request.form.get("allow_missing_titles") == "yes"
    problem: list[str] = []
    status = 422
    if request.form.get("confirm") != "yes":
        # Publishing cannot be undone: the box that names what will happen must be ticked
        # (checked here: the browser's "required" is only a courtesy).
        with k.db.session(readonly=True) as s:
            d, app = _get(s, draft_id)
            return page("draft.html", 422, **_context(s, d, app,
                                                      errors={"publish": ["confirm_publish"]}))
    try:
        with k.db.session() as s:
            d, app = _get(s, draft_id, open_only=False)
            # A double click or a second publisher: wait for the publish in progress, then
            # look at the draft and the app as it left them.
            lock_publishing(s, app.id)
            s.refresh(d)
            if d.status == "published" and d.published_number is not None:
                raise VersionPublished(app.id, d.published_number,
                                       str(d.spec.get("label") or "?"),
                                       d.published_by or "?", d.published_at or "?",
                                       "this draft is published; nothing more was done")
            if d.status != "open":
                abort(404)
            when = now()
            result = publish(s, app.id, d.id, d.spec, d.documents, d.app_meta, k.keys_dir,
                             when, k.timing, k.settings.max_document_bytes,
                             g.admin_user.email, override_reason=reason,
                             seen_number=_seen_number(), allow_missing_titles=allow_missing)
            d.status, d.published_number = "published", result.number
            _drop_importer_notes(s, d, app)
            d.published_by, d.published_at = g.admin_user.email, format_time(when)
    except GuardError as exc:
        problem = ["guard_refused", *exc.reasons]
    except MissingTitlesError:
        # The titles are listed on the page already (the draft's check): say what to do.
        problem = ["Some languages lack titles (listed above). Tick \u201cPublish anyway "
                   "without these titles\u201d to publish without them."]
    except VersionPublished as exc:
        code = "published_this" if "this draft is published" in str(exc) else "published_other"
        problem, status = [Message(str(exc), code, number=exc.number, label=exc.label,
                                   app=exc.app_id, actor=exc.actor, at=exc.at)], 409
    except DatabaseBusy as exc:
        # The lock is held by a publish that takes longer than LOCK_TIMEOUT: say so on the
        # console's page rather than the 503 of an outage.
        problem, status = ["publish_busy", exc.message], 409
    except KelisimError as exc:
        problem = getattr(exc, "problems", None) or [str(exc)]
    if problem:
        with k.db.session(readonly=True) as s:
            d, app = _get(s, draft_id, open_only=False)
            if problem[0] == "publish_busy":
                problem = [_("publish_busy", app=app.id, why=problem[1])]
            return page("draft.html", status, **_context(s, d, app, errors={"publish": problem}))
    k.published.invalidate()
    return redirect(url_for("admin.apps.detail", app_id=app.id, published=result.number), 303)


@bp.post("/drafts/<int:draft_id>/discard")
@requires("publish")
def discard(draft_id: int) -> Any:
    if request.form.get("confirm") != "yes":
        with kelisim().db.session(readonly=True) as s:
            d, app = _get(s, draft_id)
            return page("draft.html", 422, **_context(s, d, app,
                                                      errors={"discard": ["confirm_discard"]}))
    with kelisim().db.session() as s:
        d, app = _get(s, draft_id)
        d.status = "discarded"
        audit(s, "draft.discard", f"{app.id}/draft-{d.id}")
    return redirect(url_for("admin.apps.detail", app_id=app.id), 303)
