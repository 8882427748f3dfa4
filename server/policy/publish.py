"""Registering apps and publishing versions: services, each in the caller's transaction.

Both take ``now`` and the ``actor`` (``"cli"`` or a console user's e-mail) and write the
admin log in the same transaction, so an action and its record are stored together or not
at all. App metadata (controller, vendors, data categories, permissions) changes only by
publishing: the version is built against the metadata given with it, the guard compares
both with what is in effect, and the metadata is stored with the version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from client_sdk.protocol.timeutil import format_time
from server import adminlog
from server.errors import (
    AppExists,
    GuardError,
    InvalidValue,
    MissingTitlesError,
    PolicySourceError,
    UnknownApp,
    VersionPublished,
)
from server.messages import Message
from server.models import AdminEvent, App, Document, PolicyVersion
from server.policy.guard import label_reasons, major_reasons, metadata_changes
from server.policy.source import AppMetadata, VersionSource
from server.trust.manifests import Timing, sign_manifest

__all__ = ["Checked", "GuardError", "PublishResult", "app_metadata", "build_version_body",
           "check_version", "lock_publishing", "missing_titles", "publish_version",
           "published_by", "register_app"]


@dataclass(frozen=True)
class PublishResult:
    app: str
    number: int
    label: str
    significance: str
    effective: str
    upcoming: bool
    seq: int | None
    reasons: list[str]
    override_reason: str | None
    # App metadata changes published with this version (controller, catalog), as sentences.
    metadata_changes: list[str] = field(default_factory=list)
    # Titles a locale lacks, published anyway (allow_missing_titles): ``tag: field``.
    missing_titles: list[str] = field(default_factory=list)


def register_app(session: Session, meta: AppMetadata, now: datetime, *, actor: str) -> App:
    """Register an app from its metadata; its first version is then published.

    Raises:
        AppExists: an app with this id exists (change metadata by publishing instead).
    """
    if session.get(App, meta.id) is not None:
        raise AppExists(meta.id)
    app = App(id=meta.id, name=meta.name, default_locale=meta.default_locale,
              controller=meta.controller, catalog=meta.catalog, created_at=format_time(now))
    session.add(app)
    session.flush()
    adminlog.record(session, actor, "app.create", meta.id, {"name": meta.name}, now)
    return app


def lock_publishing(session: Session, app_id: str) -> None:
    """Take the app's publish lock for the rest of the caller's transaction.

    The next version's number (``max + 1``), its label's uniqueness and the schedule rules
    are read and then written: two publishes of one app must run one after the other, the
    second seeing what the first stored. On PostgreSQL the lock is the app's row (``FOR
    UPDATE``, waited for ``LOCK_TIMEOUT`` at most: then DatabaseBusy); on SQLite a
    transaction that may write holds the database's write lock from its start (BEGIN
    IMMEDIATE, server/db.py), so the statement only reads.
    """
    session.execute(select(App.id).where(App.id == app_id).with_for_update())


def published_by(session: Session, app_id: str, number: int) -> tuple[str, str]:
    """Who published version ``number`` of ``app_id`` and when (from the admin log)."""
    for event in session.scalars(select(AdminEvent).where(
            AdminEvent.action == "version.publish", AdminEvent.target == app_id)
            .order_by(AdminEvent.id.desc()).limit(50)):
        if event.details.get("number") == number:
            return event.actor, event.at
    version = session.scalars(select(PolicyVersion).where(
        PolicyVersion.app_id == app_id, PolicyVersion.number == number)).first()
    return "another publisher", version.published if version else "?"


def app_metadata(app: App) -> AppMetadata:
    """The metadata in effect for ``app`` (what its newest published version carried)."""
    return AppMetadata(id=app.id, name=app.name, default_locale=app.default_locale,
                       controller=app.controller, **app.catalog)


def _pick(catalog: list[dict[str, Any]], ids: set[str]) -> list[dict[str, Any]]:
    return [item for item in catalog if item["id"] in ids]


def build_version_body(meta: AppMetadata, version: VersionSource, number: int, since: int,
                       effective: str, published: str, summaries_required: bool) -> dict[str, Any]:
    """The Version object for the manifest, checking references against the app's catalog.

    Raises:
        PolicySourceError: a purpose names an unknown vendor, data category or permission,
            or a summary is missing.
    """
    spec = version.spec
    src = version.spec_file
    problems: list[str] = []
    catalog = meta.catalog
    vendor_ids = {v["id"] for v in catalog["vendors"]}
    category_ids = {c["id"] for c in catalog["data_categories"]}
    permission_ids = {p["id"] for p in catalog["permissions"]}
    purpose_ids = {p["id"] for p in spec["purposes"]}
    for i, p in enumerate(spec["purposes"]):
        for v in p["vendors"]:
            if v not in vendor_ids:
                problems.append(Message(f"{src}: purposes[{i}].vendors: unknown vendor {v!r}; "
                                        f"known in app.toml: {sorted(vendor_ids)}",
                                        "unknown_vendor", field=f"purposes[{i}].vendors",
                                        id=v))
        for d in p["data"]:
            if d not in category_ids:
                problems.append(Message(f"{src}: purposes[{i}].data: unknown data category "
                                        f"{d!r}; known in app.toml: {sorted(category_ids)}",
                                        "unknown_category", field=f"purposes[{i}].data",
                                        id=d))
    # The first layer says "shared with <vendors>" and, from these flags, whether data goes
    # to third parties and abroad: one signed version must not say both.
    named = sorted({v for p in spec["purposes"] for v in p["vendors"] if v in vendor_ids})
    if named and spec.get("third_party_transfer") is not True:
        problems.append(Message(f"{src}: third_party_transfer: false, but purposes share data "
                                f"with vendors {named}: the notice would say both",
                                "third_party_contradiction", field="third_party_transfer",
                                vendors=", ".join(named)))
    home = str(meta.controller.get("country") or "")
    abroad = sorted(v["id"] for v in catalog["vendors"]
                    if v["id"] in named and home and v.get("country") not in (None, "", home))
    if abroad and spec.get("cross_border_transfer") is not True:
        problems.append(Message(f"{src}: cross_border_transfer: false, but vendors {abroad} "
                                f"are outside {home}: the notice would say both",
                                "cross_border_contradiction", field="cross_border_transfer",
                                vendors=", ".join(abroad), country=home))
    if spec["permissions"] is None:
        wanted = {p["id"] for p in catalog["permissions"] if set(p["purposes"]) & purpose_ids}
    else:
        wanted = set(spec["permissions"])
        for pid in sorted(wanted - permission_ids):
            problems.append(Message(f"{src}: permissions: unknown permission {pid!r}",
                                    "unknown_permission", field="permissions", id=pid))
    default_locale = spec["default_locale"] or meta.default_locale
    if default_locale not in version.documents:
        default_locale = sorted(version.documents)[0]
    if summaries_required:
        for tag in sorted(version.documents):
            if tag not in spec["summary"]:
                problems.append(Message(f"{src}: summary.{tag}: missing; say what changed "
                                        f"since the previous version in every language the "
                                        f"policy has", "summary_missing",
                                        field=f"summary.{tag}"))
    for i, p in enumerate(spec["purposes"]):
        for key in ("title", "description"):
            if default_locale not in p[key]:
                problems.append(Message(f"{src}: purposes[{i}].{key}.{default_locale}: "
                                        f"missing text in the default locale",
                                        "default_text_missing",
                                        field=f"purposes[{i}].{key}.{default_locale}"))
    if problems:
        raise PolicySourceError(problems)
    used_vendors = {v for p in spec["purposes"] for v in p["vendors"]}
    used_data = {d for p in spec["purposes"] for d in p["data"]}
    permissions = [
        {**perm, "purposes": [x for x in perm["purposes"] if x in purpose_ids]}
        for perm in _pick(catalog["permissions"], wanted)
    ]
    return {
        "version": number,
        "label": spec["label"],
        "significance": spec["significance"],
        "reconsent_required_since": since,
        "effective": effective,
        "published": published,
        "min_age": spec["min_age"],
        "guardian_consent": spec["guardian_consent"],
        "consent_term": spec["consent_term"],
        "default_locale": default_locale,
        "locales": {
            tag: {
                "title": doc.title,
                "url": f"/v1/documents/{doc.sha256}",
                "sha256": doc.sha256,
                "length": len(doc.content),
                "summary": spec["summary"].get(tag, ""),
            }
            for tag, doc in sorted(version.documents.items())
        },
        "purposes": spec["purposes"],
        "vendors": _pick(catalog["vendors"], used_vendors),
        "data_categories": _pick(catalog["data_categories"], used_data),
        "permissions": [p for p in permissions if p["purposes"]],
        "third_party_transfer": spec["third_party_transfer"],
        "cross_border_transfer": spec["cross_border_transfer"],
        "public_disclosure": spec["public_disclosure"],
        # Only when mapped: a manifest without it reads the same in every SDK.
        **({"consent_mode": spec["consent_mode"]} if spec.get("consent_mode") else {}),
        **_version_store(meta, spec),
    }


def _version_store(meta: AppMetadata, spec: dict[str, Any]) -> dict[str, Any]:
    """The version's ``store`` (manifest spec 2, docs/store-labels.md): app.toml's [store]
    with the version's tracking domains added; nothing when neither says anything, so a
    policy without store labels signs the manifest it always did."""
    app_store, version_store = meta.store or {}, spec.get("store") or {}
    if not app_store and not version_store.get("tracking_domains"):
        return {}
    domains = list(app_store.get("tracking_domains", []))
    domains += [d for d in version_store.get("tracking_domains", []) if d not in domains]
    return {"store": {
        "encrypted_in_transit": bool(app_store.get("encrypted_in_transit")),
        "account_deletion_url": app_store.get("account_deletion_url"),
        "data_deletion_url": app_store.get("data_deletion_url"),
        "tracking_domains": domains,
    }}


def missing_titles(body: dict[str, Any]) -> list[str]:
    """``tag: purposes.ID.title`` and ``tag: data_categories.ID.title`` for every locale
    the version has a document in and a purpose or data category has no title in (blank
    counts as none; ``uz-Cyrl`` may use ``uz``'s, as the SDK does): the texts a user
    reading that language would otherwise see in another one."""
    out: list[str] = []
    for tag in sorted(body["locales"]):
        parts = tag.split("-")
        tags = ["-".join(parts[:i]) for i in range(len(parts), 0, -1)]
        for key in ("purposes", "data_categories"):
            for item in body[key]:
                titles = item.get("title") or {}
                if not any(str(titles.get(t) or "").strip() for t in tags):
                    out.append(f"{tag}: {key}.{item['id']}.title")
    return out


@dataclass(frozen=True)
class Checked:
    """A version checked against the app as it is, before anything is stored: its number,
    the Version object the manifest would carry, why it needs ``major`` (empty: it may be
    minor or patch), and the app metadata changes it publishes."""

    number: int
    effective: str
    upcoming: bool
    body: dict[str, Any]
    reasons: list[str]
    metadata_changes: list[str]
    meta: AppMetadata
    # Store label lines this version changes: it may not be a patch (guard.label_reasons).
    label_reasons: list[str] = field(default_factory=list)


def check_version(session: Session, app_id: str, version: VersionSource, now: datetime, *,
                  app_meta: AppMetadata | None = None) -> Checked:
    """Everything publishing checks except the guard's verdict, which it returns instead of
    raising: the console shows it live while a draft is edited. Stores nothing.

    Raises:
        UnknownApp: no such app.
        PolicySourceError: metadata of another app, duplicate label, bad dates or references.
    """
    app = session.get(App, app_id)
    if app is None:
        raise UnknownApp(app_id, "register it with `kelisim apps create`")
    old_meta = app_metadata(app)
    meta = app_meta or old_meta
    src = version.spec_file
    if meta.id != app_id:
        raise PolicySourceError([Message(f"app.toml: id: {meta.id!r} is not the app being "
                                         f"published ({app_id!r})", "other_app", field="id",
                                         id=meta.id, app=app_id)])
    spec = version.spec
    versions = list(session.scalars(
        select(PolicyVersion).where(PolicyVersion.app_id == app_id)
        .order_by(PolicyVersion.number)))
    latest = versions[-1] if versions else None
    stamp = format_time(now)
    effective = spec["effective"] or stamp
    if spec["effective"] is not None and effective < stamp:
        # A version that took effect before it was published would be served as current
        # for a time in which nobody could have seen it.
        raise PolicySourceError([Message(f"{src}: effective: {effective} is in the past (now "
                                         f"{stamp}); leave effective out to take effect when "
                                         f"published, or set a later time", "effective_past",
                                         field="effective", at=effective, now=stamp)])
    if any(v.label == spec["label"] for v in versions):
        raise PolicySourceError([Message(f"{src}: label: version {spec['label']!r} of {app_id} "
                                         f"is published already; give the new version a new "
                                         f"label", "label_taken", field="label",
                                         label=spec["label"])])
    if latest is None and effective > stamp:
        raise PolicySourceError([Message(f"{src}: effective: the first version of an app "
                                         f"takes effect when published; leave effective out",
                                         "effective_first", field="effective")])
    if latest is not None and effective < latest.effective:
        raise PolicySourceError([Message(f"{src}: effective: {effective} is before version "
                                         f"{latest.label}'s {latest.effective}",
                                         "effective_before", field="effective", at=effective,
                                         label=latest.label, before=latest.effective)])
    pending = [v for v in versions if v.effective > stamp]
    if effective > stamp and pending:
        raise PolicySourceError([Message(f"{src}: effective: version {pending[0].label} is "
                                         f"already scheduled for {pending[0].effective}; "
                                         f"publish the next one after it takes effect",
                                         "effective_pending", field="effective",
                                         label=pending[0].label, at=pending[0].effective)])
    number = (session.scalar(select(func.max(PolicyVersion.number))
                             .where(PolicyVersion.app_id == app_id)) or 0) + 1
    previous_since = latest.body["reconsent_required_since"] if latest else number
    since = number if spec["significance"] == "major" or latest is None else previous_since
    body = build_version_body(meta, version, number, since, effective, stamp,
                              summaries_required=latest is not None)
    reasons: list[str] = list(major_reasons(latest.body if latest else None, body))
    changes = metadata_changes(old_meta.to_dict(), meta.to_dict()) if latest else []
    reasons += [c.sentence for c in changes if c.major]
    return Checked(number, effective, effective > stamp, body, reasons,
                   [c.sentence for c in changes], meta,
                   label_reasons(latest.body if latest else None, body))


def publish_version(
    session: Session,
    app_id: str,
    version: VersionSource,
    keys_dir: Path,
    now: datetime,
    timing: Timing,
    *,
    actor: str,
    app_meta: AppMetadata | None = None,
    override_reason: str | None = None,
    allow_missing_titles: bool = False,
    dry_run: bool = False,
    seen_number: int | None = None,
) -> PublishResult:
    """Validate, guard, store and sign a new version of ``app_id``.

    ``version`` comes from a folder (:func:`~server.policy.source.load_version_dir`) or from
    memory (:func:`~server.policy.source.version_from_data`). ``app_meta`` is the app
    metadata to publish with it (app.toml beside the folder, or a console draft); None keeps
    the metadata in effect. The caller's transaction covers everything: on any error
    nothing is stored, and ``dry_run`` stores nothing either. Unless ``dry_run``, the app's
    publish lock is taken first (:func:`lock_publishing`). ``seen_number``: the newest
    version number the publisher last saw (0: none); when another version was published
    since, nothing is stored.

    Raises:
        UnknownApp: no such app.
        InvalidValue: an empty override reason.
        PolicySourceError: metadata of another app, duplicate label, bad dates or references.
        MissingTitlesError: a locale with a document lacks a purpose or data category
            title, and ``allow_missing_titles`` is False (it is recorded in the audit log
            when True).
        GuardError: the change needs ``major``.
        VersionPublished: a version was published after ``seen_number``.
        SigningError: the manifest cannot be signed.
        DatabaseBusy: the publish lock was not free within LOCK_TIMEOUT.
    """
    if override_reason is not None and not override_reason.strip():
        raise InvalidValue("override_reason", "must say why the change is not major")
    override_reason = override_reason.strip() if override_reason else None
    if not dry_run:
        lock_publishing(session, app_id)
    if seen_number is not None:
        newest = session.scalar(select(func.max(PolicyVersion.number))
                                .where(PolicyVersion.app_id == app_id)) or 0
        if newest != seen_number:
            label = session.scalars(select(PolicyVersion.label).where(
                PolicyVersion.app_id == app_id, PolicyVersion.number == newest)).first()
            actor_, at = published_by(session, app_id, newest)
            raise VersionPublished(app_id, newest, label or "?", actor_, at,
                                   "check the draft against it and publish again")
    checked = check_version(session, app_id, version, now, app_meta=app_meta)
    spec, reasons, effective, number = (version.spec, checked.reasons, checked.effective,
                                        checked.number)
    missing = missing_titles(checked.body)
    if missing and not allow_missing_titles:
        raise MissingTitlesError(version.spec_file, missing)
    if reasons and spec["significance"] != "major" and not override_reason:
        # A patch is told the store label lines it changes too.
        raise GuardError(spec["label"], spec["significance"], reasons + (
            checked.label_reasons if spec["significance"] == "patch" else []))
    if spec["significance"] == "patch" and checked.label_reasons:
        if not override_reason:
            raise GuardError(spec["label"], "patch", checked.label_reasons, needs="minor")
        reasons = reasons + checked.label_reasons
    result = PublishResult(app_id, number, spec["label"], spec["significance"], effective,
                           checked.upcoming, None, reasons,
                           override_reason if reasons else None, checked.metadata_changes,
                           missing)
    if dry_run:
        return result
    for doc in version.documents.values():
        if session.get(Document, doc.sha256) is None:
            session.add(Document(sha256=doc.sha256, length=len(doc.content), content=doc.content,
                                 created_at=format_time(now)))
    session.add(PolicyVersion(app_id=app_id, number=number, label=spec["label"],
                              significance=spec["significance"], effective=effective,
                              published=format_time(now), body=checked.body,
                              override_reason=result.override_reason,
                              app_meta=checked.meta.to_dict()))
    app = session.get(App, app_id)
    meta = checked.meta
    if app is not None and app_meta is not None:
        app.name, app.default_locale = meta.name, meta.default_locale
        app.controller, app.catalog = meta.controller, meta.catalog
    session.flush()
    row = sign_manifest(session, app_id, keys_dir, now, timing)
    result = PublishResult(**{**result.__dict__, "seq": row.seq if row else None})
    adminlog.record(session, actor, "version.publish", app_id, {
        "number": number, "label": result.label, "significance": result.significance,
        "effective": effective, "upcoming": result.upcoming, "seq": result.seq,
        "reasons": reasons, "override_reason": result.override_reason,
        "metadata_changes": result.metadata_changes, "source": version.source,
        **({"missing_titles_allowed": missing} if missing else {})}, now)
    return result
