"""Drafts: building one, checking it (guard, bundle rules, translations), diffing, publishing.

A draft holds what a policy-as-code folder holds (version.toml's fields, one Markdown text
per locale, and app.toml's fields when app metadata changes); publishing hands it to the
same publish service as ``kelisim publish``.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol.model import LOCALES
from client_sdk.protocol.timeutil import format_time
from server.admin.i18n import gettext as _
from server.admin.i18n import language
from server.admin.messages import say
from server.errors import GuardError, MissingTitlesError, PolicySourceError
from server.messages import Message
from server.models import App, Document, PolicyVersion
from server.policy.guard import label_reasons, major_reasons, metadata_changes
from server.policy.publish import PublishResult, app_metadata, build_version_body, publish_version
from server.policy.source import AppMetadata, VersionSource, version_from_data
from server.policy.storelabels import label_lines, labels_of
from server.trust.manifests import Timing

__all__ = ["Verdict", "check", "field_diff", "in_force_version", "latest_version",
           "missing_translations", "normalize_document", "publish", "spec_from_version",
           "text_diff", "to_source"]

# version.toml keys a draft keeps, in the order the edit form shows them.
SPEC_KEYS = ("label", "significance", "effective", "min_age", "guardian_consent",
             "consent_term", "default_locale", "third_party_transfer",
             "cross_border_transfer", "public_disclosure", "summary", "title", "purposes",
             "permissions", "consent_mode", "store")


def latest_version(s: Session, app_id: str) -> PolicyVersion | None:
    return s.scalars(select(PolicyVersion).where(PolicyVersion.app_id == app_id)
                     .order_by(PolicyVersion.number.desc()).limit(1)).first()


def in_force_version(s: Session, app_id: str, now: datetime) -> PolicyVersion | None:
    """The version users are asked to accept at ``now`` (the newest that took effect); a
    version published with a later effective time is upcoming until then."""
    return s.scalars(select(PolicyVersion).where(
        PolicyVersion.app_id == app_id, PolicyVersion.effective <= format_time(now))
        .order_by(PolicyVersion.number.desc()).limit(1)).first()


def spec_from_version(body: dict[str, Any]) -> dict[str, Any]:
    """version.toml's fields for a new draft that starts as a copy of ``body``."""
    return {
        "label": "", "significance": "minor",
        "min_age": body.get("min_age"), "guardian_consent": body.get("guardian_consent", False),
        "consent_term": body.get("consent_term"), "default_locale": body["default_locale"],
        "third_party_transfer": body["third_party_transfer"],
        "cross_border_transfer": body["cross_border_transfer"],
        "public_disclosure": body["public_disclosure"],
        "summary": {}, "title": {tag: loc["title"] for tag, loc in body["locales"].items()},
        "purposes": body["purposes"],
        "permissions": [p["id"] for p in body.get("permissions", [])],
        "consent_mode": body.get("consent_mode", {}),
    }


def documents_of(s: Session, body: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for tag, loc in body["locales"].items():
        doc = s.get(Document, loc["sha256"])
        if doc is not None:
            out[tag] = doc.content.decode("utf-8")
    return out


def normalize_document(text: str) -> str:
    """A document as publishing stores it: NFC, lines ended by "\n" (a browser's textarea
    sends "\r\n", which counted one character more per line and was not what was stored)."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def to_source(draft_id: int, spec: dict[str, Any], documents: dict[str, str],
              max_bytes: int) -> VersionSource:
    """The draft as the publish service takes it (the same checks as a folder).

    Raises:
        PolicySourceError: every problem, each naming its field.
    """
    raw = {k: v for k, v in spec.items() if v is not None and k in SPEC_KEYS}
    docs = {tag: normalize_document(text) for tag, text in documents.items()}
    return version_from_data(raw, docs, max_document_bytes=max_bytes,
                             source=f"draft-{draft_id}")


def app_meta_of(app_meta: dict[str, Any] | None) -> AppMetadata | None:
    """Raises: PolicySourceError."""
    return AppMetadata.from_dict(app_meta, "app metadata") if app_meta is not None else None


@dataclass
class Verdict:
    """What publishing the draft now would do."""

    ok: bool
    significance: str = ""
    reasons: list[str] = field(default_factory=list)  # changes that make it major
    problems: list[str] = field(default_factory=list)  # why it cannot be published
    guard_refused: bool = False
    upcoming: bool = False
    # Titles a language lacks (``tag: purposes.ID.title``): publishing refuses them unless
    # the publisher ticks "publish anyway" (recorded in the audit log).
    missing_titles: list[str] = field(default_factory=list)
    # What the refused changes need: "major", or "minor" for store label changes only.
    needs: str = "major"


def check(s: Session, app_id: str, draft_id: int, spec: dict[str, Any],
          documents: dict[str, str], app_meta: dict[str, Any] | None, keys_dir: Path,
          now: datetime, timing: Timing, max_bytes: int, actor: str, *,
          allow_missing_titles: bool = False) -> Verdict:
    """Run the publish service without storing anything (its dry run).

    When other problems stop the dry run before the guard, the guard still judges the
    fields (a publisher sees both at once)."""
    significance = str(spec.get("significance"))
    try:
        source = to_source(draft_id, spec, documents, max_bytes)
        meta = app_meta_of(app_meta)
    except PolicySourceError as exc:
        return Verdict(False, significance, [], exc.problems)
    try:
        result = publish_version(s, app_id, source, keys_dir, now, timing, actor=actor,
                                 app_meta=meta, allow_missing_titles=allow_missing_titles,
                                 dry_run=True)
    except GuardError as exc:
        return Verdict(False, significance, exc.reasons, [], guard_refused=True,
                       needs=exc.needs)
    except MissingTitlesError as exc:
        # What else publishing would say, with the titles allowed: the publisher decides
        # on the titles alone.
        rest = check(s, app_id, draft_id, spec, documents, app_meta, keys_dir, now, timing,
                     max_bytes, actor, allow_missing_titles=True)
        return Verdict(False, significance, rest.reasons, exc.problems + rest.problems,
                       rest.guard_refused, rest.upcoming, exc.missing, rest.needs)
    except PolicySourceError as exc:
        reasons = _guard_only(s, app_id, source, meta)
        if not reasons and significance == "patch":
            labels = _guard_only(s, app_id, source, meta, labels=True)
            return Verdict(False, significance, labels, exc.problems,
                           guard_refused=bool(labels), needs="minor")
        return Verdict(False, significance, reasons, exc.problems,
                       guard_refused=bool(reasons) and significance != "major")
    return Verdict(True, result.significance, result.reasons, [], upcoming=result.upcoming)


def _guard_only(s: Session, app_id: str, source: VersionSource,
                meta: AppMetadata | None, *, labels: bool = False) -> list[str]:
    """The guard's reasons (``labels``: its store label reasons) for a draft that cannot be
    published yet for other reasons."""
    app = s.get(App, app_id)
    latest = latest_version(s, app_id)
    if app is None or latest is None:
        return []
    old = app_metadata(app)
    try:
        body = build_version_body(meta or old, source, latest.number + 1, latest.number, "",
                                  "", summaries_required=False)
    except PolicySourceError:
        return []
    if labels:
        return label_reasons(latest.body, body)
    changes = metadata_changes(old.to_dict(), (meta or old).to_dict())
    reasons: list[str] = [*major_reasons(latest.body, body),
                          *(c.sentence for c in changes if c.major)]
    return reasons


def label_changes(s: Session, app_id: str, draft_id: int, spec: dict[str, Any],
                  documents: dict[str, str], app_meta: dict[str, Any] | None,
                  max_bytes: int) -> dict[str, list[tuple[str, str]]]:
    """What the draft changes in the store labels, by store (``Apple``, ``Play``): each
    label line it adds (``+``) or removes (``-``), against the newest published version.
    Empty when the draft cannot be built yet (its problems are shown elsewhere)."""
    app = s.get(App, app_id)
    latest = latest_version(s, app_id)
    if app is None or latest is None:
        return {}
    try:
        meta = app_meta_of(app_meta) or app_metadata(app)
        body = build_version_body(meta, to_source(draft_id, spec, documents, max_bytes),
                                  latest.number + 1, latest.number, "", "",
                                  summaries_required=False)
    except PolicySourceError:
        return {}
    lang = language()  # the console's: the guard compares the English lines
    before, after = label_lines(labels_of(latest.body), lang), label_lines(labels_of(body), lang)
    out: dict[str, list[tuple[str, str]]] = {}
    for sign, lines, other in (("-", before, after), ("+", after, before)):
        for line in lines:
            if line not in other:
                store, _, text = line.partition(": ")
                out.setdefault(store, []).append((sign, text))
    return out


def publish(s: Session, app_id: str, draft_id: int, spec: dict[str, Any],
            documents: dict[str, str], app_meta: dict[str, Any] | None, keys_dir: Path,
            now: datetime, timing: Timing, max_bytes: int, actor: str,
            override_reason: str | None = None, seen_number: int | None = None,
            allow_missing_titles: bool = False) -> PublishResult:
    """Publish in the caller's transaction (the service writes the admin audit log).

    Raises:
        KelisimError: PolicySourceError, GuardError, SigningError...; nothing was stored.
    """
    source = to_source(draft_id, spec, documents, max_bytes)
    return publish_version(s, app_id, source, keys_dir, now, timing, actor=actor,
                           app_meta=app_meta_of(app_meta), override_reason=override_reason,
                           seen_number=seen_number, allow_missing_titles=allow_missing_titles)


def missing_translations(app: App, spec: dict[str, Any], documents: dict[str, str],
                         previous: dict[str, Any] | None) -> list[str]:
    """Texts a language lacks: documents the previous version had, summaries, purpose
    titles and descriptions, in every language the draft has a document for."""
    out: list[str] = []
    tags = sorted(documents)
    if previous is not None:
        for tag in sorted(set(previous["locales"]) - set(tags)):
            out.append(_("{tag}: document (the current version has one)", tag=tag))
        for tag in tags:
            if not (spec.get("summary") or {}).get(tag):
                out.append(_("{tag}: summary of what changed", tag=tag))
    for p in spec.get("purposes") or []:
        for key in ("title", "description"):
            for tag in tags:
                if tag not in (p.get(key) or {}):
                    out.append(say(Message(f"{tag}: purposes.{p.get('id')}.{key}",
                                           "text_missing_in", field=f"purposes.{p.get('id')}"
                                           f".{key}", tag=tag)))
    for tag in sorted(set(LOCALES) - set(tags) - {t[:2] for t in tags}):
        if tag == app.default_locale:
            out.append(_("{tag}: document in the app's default language", tag=tag))
    return out


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Unified diff lines as (kind, text): kind is ``add``, ``del``, ``hunk`` or ``same``."""
    out: list[tuple[str, str]] = []
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), "current", "draft",
                                 lineterm="", n=2)
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        out.append((kind, line))
    return out


def _by_id(items: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    return {str(i.get("id")): i for i in items or []}


def field_diff(old: dict[str, Any] | None, spec: dict[str, Any],
               app_meta: dict[str, Any] | None, app: App) -> list[tuple[str, str, str]]:
    """(field, current, draft) for every field that differs."""
    out: list[tuple[str, str, str]] = []
    base = old or {}
    for key in ("min_age", "guardian_consent", "consent_term", "third_party_transfer",
                "cross_border_transfer", "public_disclosure", "default_locale"):
        a, b = base.get(key), spec.get(key)
        if a != b:
            out.append((key, _show(a), _show(b)))
    if (base.get("consent_mode") or {}) != (spec.get("consent_mode") or {}):
        out.append(("consent_mode", _show(base.get("consent_mode") or {}),
                    _show(spec.get("consent_mode") or {})))
    old_p, new_p = _by_id(base.get("purposes")), _by_id(spec.get("purposes"))
    for pid in sorted(set(old_p) | set(new_p)):
        a, b = old_p.get(pid), new_p.get(pid)
        if a is None or b is None:
            out.append((f"purposes.{pid}", "-" if a is None else _("present"),
                        "-" if b is None else _("present")))
            continue
        for key in ("required", "data", "vendors", "title", "description"):
            if a.get(key) != b.get(key):
                out.append((f"purposes.{pid}.{key}", _show(a.get(key)), _show(b.get(key))))
    if app_meta is not None:
        current = {"name": app.name, "controller": app.controller, **app.catalog}
        for key in ("name", "controller", "vendors", "data_categories", "permissions"):
            if key == "controller":
                for ck in sorted(set(current["controller"]) | set(app_meta.get(key) or {})):
                    a, b = current["controller"].get(ck), (app_meta.get(key) or {}).get(ck)
                    if a != b:
                        out.append((f"controller.{ck}", _show(a), _show(b)))
            elif key == "name":
                if app_meta.get("name") != current["name"]:
                    out.append(("name", _show(current["name"]), _show(app_meta.get("name"))))
            else:
                a_ids, b_ids = _by_id(current[key]), _by_id(app_meta.get(key))
                for iid in sorted(set(a_ids) | set(b_ids)):
                    if a_ids.get(iid) != b_ids.get(iid):
                        out.append((f"{key}.{iid}", _show(a_ids.get(iid)),
                                    _show(b_ids.get(iid))))
    return out


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) or "[]"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_show(v)}" for k, v in value.items())
    return str(value)


_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def parse_toml(text: str, what: str, field_key: str = "") -> dict[str, Any]:
    """Raises: PolicySourceError naming the line (and ``field_key``, the form field)."""
    try:
        return tomllib.loads(text)
    except RecursionError:  # tables nested thousands deep: not a policy
        raise PolicySourceError([Message(f"{what}: nested too deeply", "toml_invalid_somewhere",
                                         field=field_key, line="", column="")]) from None
    except tomllib.TOMLDecodeError as exc:
        at = _AT.search(str(exc))
        raise PolicySourceError([Message(
            f"{what}: {exc}", "toml_invalid" if at else "toml_invalid_somewhere",
            field=field_key, line=at.group(1) if at else "",
            column=at.group(2) if at else "")]) from None
