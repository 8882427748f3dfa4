"""A draft against the current version: text and field diffs, document and first-layer
previews as a phone shows them."""

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
    used = [vendors[v] for p in spec.get("purposes") or [] for v in p.get("vendors", [])
            if v in vendors]
    return {"operator": meta["controller"].get("name"), "bin": meta["controller"].get("bin"),
            "country": meta["controller"].get("country", ""),
            "app_name": meta.get("name"), "purposes": purposes,
            "vendor_names": sorted({v["name"] for v in used}),
            "countries": sorted({v["country"] for v in used if v.get("country")}),
            "data": sorted({d for p in purposes for d in p["data"]}),
            "third_party": spec.get("third_party_transfer"),
            "cross_border": spec.get("cross_border_transfer"),
            "public": spec.get("public_disclosure"), "term": spec.get("consent_term"),
            "min_age": spec.get("min_age"), "guardian": spec.get("guardian_consent"),
            "summary": (spec.get("summary") or {}).get(locale, "")}


def phone_words(layer: dict[str, Any], locale: str) -> dict[str, str]:
    """The first layer's words as the SDK's consent screen says them in ``locale``: the
    same strings (client_sdk.ui.strings) and the same CLDR plurals, durations and country
    names (client_sdk.ui.fmt, no Kivy), so the preview is what a phone shows."""
    from client_sdk.ui import fmt
    from client_sdk.ui.strings import operator, text

    def ui(key: str, **values: object) -> str:
        return text(key, locale, **values)

    countries = ", ".join(fmt.country(c, locale) for c in layer["countries"])
    term = layer["term"]
    words = {
        "who": ui("who"),
        "operator": operator(layer["operator"], layer["bin"], layer["country"], locale),
        "data": ui("data_collected"), "purposes": ui("purposes"),
        "always_active": ui("always_active"),
        "third_party": ui("third_party_yes", names=", ".join(layer["vendor_names"]))
        if layer["third_party"] else ui("third_party_no"),
        "cross_border": ui("cross_border_yes", countries=countries)
        if layer["cross_border"] else ui("cross_border_no"),
        "public": ui("public_yes") if layer["public"] else ui("public_no"),
        "term": ui("term", term=fmt.duration(term, locale)) if term else ui("term_none"),
        "read_full": ui("read_full"), "decline": ui("decline"), "accept": ui("accept"),
    }
    if layer["min_age"] is not None:
        words["age"] = fmt.plural("age_confirm", locale, layer["min_age"])
    return words


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
    layer = first_layer(app, d.spec, d.app_meta, locale)
    return page("preview.html", d=d, app=app, locale=locale, tags=tags, layer=layer,
                phone=phone_words(layer, locale),
                html=render_markdown(d.documents[locale]))
