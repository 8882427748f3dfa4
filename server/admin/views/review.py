"""A draft against the current version: text and field diffs, document and first-layer
previews as a phone shows them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request
from markdown_it import MarkdownIt
from markupsafe import Markup

from ..drafts import documents_of, field_diff, latest_version, text_diff
from ..security import requires
from . import kelisim, page
from .drafts import _get

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
    texts = {tag: text_diff(old_docs.get(tag, ""), d.documents.get(tag, ""))
             for tag in sorted(set(old_docs) | set(d.documents))}
    return page("diff.html", d=d, app=app, latest=latest, fields=fields, texts=texts)


def first_layer(app: Any, spec: dict[str, Any], app_meta: dict[str, Any] | None,
                locale: str) -> dict[str, Any]:
    """What the consent screen's first layer shows, from the fields the manifest signs."""
    meta = app_meta or {"name": app.name, "controller": app.controller, **app.catalog}
    vendors = {v["id"]: v for v in meta.get("vendors", [])}
    categories = {c["id"]: c for c in meta.get("data_categories", [])}
    fallback = spec.get("default_locale") or app.default_locale

    def text(values: dict[str, str] | None) -> str:
        values = values or {}
        return values.get(locale) or values.get(fallback) or next(iter(values.values()), "")

    purposes = [{"id": p.get("id"), "required": p.get("required"),
                 "title": text(p.get("title")), "description": text(p.get("description")),
                 "data": [text(categories[c]["title"]) if c in categories else c
                          for c in p.get("data", [])],
                 "vendors": [f"{vendors[v]['name']} ({vendors[v]['country']})"
                             if v in vendors else v for v in p.get("vendors", [])]}
                for p in spec.get("purposes") or []]
    return {"operator": meta["controller"].get("name"), "bin": meta["controller"].get("bin"),
            "app_name": meta.get("name"), "purposes": purposes,
            "data": sorted({d for p in purposes for d in p["data"]}),
            "third_party": spec.get("third_party_transfer"),
            "cross_border": spec.get("cross_border_transfer"),
            "public": spec.get("public_disclosure"), "term": spec.get("consent_term"),
            "min_age": spec.get("min_age"), "guardian": spec.get("guardian_consent"),
            "summary": (spec.get("summary") or {}).get(locale, "")}


@bp.get("/drafts/<int:draft_id>/preview")
@requires("publish")
def preview(draft_id: int) -> Any:
    with kelisim().db.session(readonly=True) as s:
        d, app = _get(s, draft_id)
    tags = sorted(d.documents)
    if not tags:
        abort(404)
    locale = request.args.get("locale") or (d.spec.get("default_locale") or tags[0])
    if locale not in d.documents:
        locale = tags[0]
    return page("preview.html", d=d, app=app, locale=locale, tags=tags,
                layer=first_layer(app, d.spec, d.app_meta, locale),
                html=render_markdown(d.documents[locale]))
