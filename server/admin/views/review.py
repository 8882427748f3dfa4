"""A draft against the current version: text and field diffs, document and first-layer
previews as a phone shows them (the layout is the SDK's: server/admin/phone.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request
from markdown_it import MarkdownIt
from markupsafe import Markup

from server.admin.drafts import (
    documents_of,
    field_diff,
    label_changes,
    latest_version,
    text_diff,
)
from server.admin.phone import CASES, phone
from server.admin.security import requires
from server.admin.views import kelisim, page
from server.admin.views.drafts import _get

__all__ = ["bp"]

bp = Blueprint("review", __name__)

# CommonMark with raw HTML escaped: a policy text cannot inject markup into the console.
_md = MarkdownIt("commonmark", {"html": False})


def render_markdown(text: str) -> Markup:
    return Markup(_md.render(text))  # noqa: S704 - markdown-it escapes raw HTML


@bp.get("/drafts/<int:draft_id>/diff")
@requires("publish")
def diff(draft_id: int) -> Any:
    with kelisim().db.session(readonly=True) as s:
        d, app = _get(s, draft_id)
        latest = latest_version(s, app.id)
        old_docs = documents_of(s, latest.body) if latest else {}
        fields = field_diff(latest.body if latest else None, d.spec, d.app_meta, app)
        labels = label_changes(s, app.id, d.id, d.spec, d.documents, d.app_meta,
                               kelisim().settings.max_document_bytes)
    texts = {tag: text_diff(old_docs.get(tag, ""), d.documents.get(tag, ""))
             for tag in sorted(set(old_docs) | set(d.documents))}
    return page("diff.html", d=d, app=app, latest=latest, fields=fields, texts=texts,
                labels=labels)


@bp.get("/drafts/<int:draft_id>/preview")
@requires("publish")
def preview(draft_id: int) -> Any:
    """The draft as a phone shows it, in one of its languages, to a user opening the app
    for the first time or to one who accepted the version published last (server/admin/
    phone.py: the SDK's own description of the first layer and the notice)."""
    k = kelisim()
    with k.db.session(readonly=True) as s:
        d, app = _get(s, draft_id)
        tags = sorted(d.documents)
        if not tags:
            abort(404)
        locale = request.args.get("locale") or (d.spec.get("default_locale") or tags[0])
        if locale not in d.documents:
            locale = tags[0]
        latest = latest_version(s, app.id)
        case = request.args.get("case") or ("update" if latest else "first")
        if case not in CASES or latest is None:
            case = "first"
        shown = phone(s, app, d, locale, case, k.settings.max_document_bytes, k.now())
    return page("preview.html", d=d, app=app, locale=locale, tags=tags, case=case,
                latest=latest, phone=shown, html=render_markdown(d.documents[locale]))
