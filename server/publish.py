"""Registering apps and publishing versions, each in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from client_sdk.timeutil import format_time

from .bundle import AppBundle, BundleError, VersionBundle
from .guard import major_reasons
from .manifests import Timing, sign_manifest
from .models import App, Document, PolicyVersion

__all__ = ["GuardError", "PublishResult", "create_app_record", "publish_version"]


class GuardError(Exception):
    """A change that needs ``major`` was published as minor or patch."""

    def __init__(self, label: str, significance: str, reasons: list[str]) -> None:
        lines = "\n".join(f"  - {r}" for r in reasons)
        super().__init__(
            f"version {label} is marked {significance}, but these changes require major:\n"
            f"{lines}\nPublish it as major, or pass --override-reason TEXT to record why not.")
        self.reasons = reasons


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


def create_app_record(session: Session, bundle: AppBundle, now: datetime) -> App:
    """Register an app.

    Raises:
        BundleError: an app with this id exists.
    """
    if session.get(App, bundle.id) is not None:
        raise BundleError([f"app {bundle.id!r} exists already"])
    app = App(id=bundle.id, name=bundle.name, default_locale=bundle.default_locale,
              controller=bundle.controller, catalog=bundle.catalog, created_at=format_time(now))
    session.add(app)
    session.flush()
    return app


def _pick(catalog: list[dict[str, Any]], ids: set[str]) -> list[dict[str, Any]]:
    return [item for item in catalog if item["id"] in ids]


def build_version_body(app: App, bundle: VersionBundle, number: int, since: int,
                       effective: str, published: str, summaries_required: bool) -> dict[str, Any]:
    """The Version object for the manifest, checking references against the app's catalog.

    Raises:
        BundleError: a purpose names an unknown vendor, data category or permission, or a
            summary is missing.
    """
    spec = bundle.spec
    src = bundle.path / "version.toml"
    problems: list[str] = []
    catalog = app.catalog
    vendor_ids = {v["id"] for v in catalog["vendors"]}
    category_ids = {c["id"] for c in catalog["data_categories"]}
    permission_ids = {p["id"] for p in catalog["permissions"]}
    purpose_ids = {p["id"] for p in spec["purposes"]}
    for i, p in enumerate(spec["purposes"]):
        for v in p["vendors"]:
            if v not in vendor_ids:
                problems.append(f"{src}: purposes[{i}].vendors: unknown vendor {v!r}; "
                                f"known in app.toml: {sorted(vendor_ids)}")
        for d in p["data"]:
            if d not in category_ids:
                problems.append(f"{src}: purposes[{i}].data: unknown data category {d!r}; "
                                f"known in app.toml: {sorted(category_ids)}")
    if spec["permissions"] is None:
        wanted = {p["id"] for p in catalog["permissions"] if set(p["purposes"]) & purpose_ids}
    else:
        wanted = set(spec["permissions"])
        for pid in sorted(wanted - permission_ids):
            problems.append(f"{src}: permissions: unknown permission {pid!r}")
    default_locale = spec["default_locale"] or app.default_locale
    if default_locale not in bundle.documents:
        default_locale = sorted(bundle.documents)[0]
    if summaries_required:
        for tag in sorted(bundle.documents):
            if tag not in spec["summary"]:
                problems.append(f"{src}: summary.{tag}: missing; say what changed since the "
                                f"previous version in every language the policy has")
    for i, p in enumerate(spec["purposes"]):
        for key in ("title", "description"):
            if default_locale not in p[key]:
                problems.append(f"{src}: purposes[{i}].{key}.{default_locale}: missing text "
                                f"in the default locale")
    if problems:
        raise BundleError(problems)
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
            for tag, doc in sorted(bundle.documents.items())
        },
        "purposes": spec["purposes"],
        "vendors": _pick(catalog["vendors"], used_vendors),
        "data_categories": _pick(catalog["data_categories"], used_data),
        "permissions": [p for p in permissions if p["purposes"]],
        "third_party_transfer": spec["third_party_transfer"],
        "cross_border_transfer": spec["cross_border_transfer"],
        "public_disclosure": spec["public_disclosure"],
    }


def publish_version(
    session: Session,
    app_id: str,
    bundle: VersionBundle,
    keys_dir: Path,
    now: datetime,
    timing: Timing,
    *,
    override_reason: str | None = None,
    dry_run: bool = False,
) -> PublishResult:
    """Validate, guard, store and sign a new version of ``app_id``.

    The caller's transaction covers everything: on any error nothing is stored.

    Raises:
        BundleError: unknown app, duplicate label, bad dates or references.
        GuardError: the change needs ``major``.
        SigningError: the manifest cannot be signed.
    """
    app = session.get(App, app_id)
    if app is None:
        raise BundleError([f"unknown app {app_id!r}; register it with `kelisim apps create`"])
    src = bundle.path / "version.toml"
    spec = bundle.spec
    versions = list(session.scalars(
        select(PolicyVersion).where(PolicyVersion.app_id == app_id)
        .order_by(PolicyVersion.number)))
    latest = versions[-1] if versions else None
    stamp = format_time(now)
    effective = spec["effective"] or stamp
    if any(v.label == spec["label"] for v in versions):
        raise BundleError([f"{src}: label: version {spec['label']!r} of {app_id} is published "
                           f"already; give the new version a new label"])
    if latest is None and effective > stamp:
        raise BundleError([f"{src}: effective: the first version of an app takes effect when "
                           f"published; leave effective out or set it to a past time"])
    if latest is not None and effective < latest.effective:
        raise BundleError([f"{src}: effective: {effective} is before version {latest.label}'s "
                           f"{latest.effective}"])
    pending = [v for v in versions if v.effective > stamp]
    if effective > stamp and pending:
        raise BundleError([f"{src}: effective: version {pending[0].label} is already scheduled "
                           f"for {pending[0].effective}; publish the next one after it takes "
                           f"effect"])
    number = (session.scalar(select(func.max(PolicyVersion.number))
                             .where(PolicyVersion.app_id == app_id)) or 0) + 1
    previous_since = latest.body["reconsent_required_since"] if latest else number
    since = number if spec["significance"] == "major" or latest is None else previous_since
    body = build_version_body(app, bundle, number, since, effective, stamp,
                              summaries_required=latest is not None)
    reasons = major_reasons(latest.body if latest else None, body)
    if reasons and spec["significance"] != "major" and not override_reason:
        raise GuardError(spec["label"], spec["significance"], reasons)
    result = PublishResult(app_id, number, spec["label"], spec["significance"], effective,
                           effective > stamp, None, reasons,
                           override_reason if reasons else None)
    if dry_run:
        return result
    for doc in bundle.documents.values():
        if session.get(Document, doc.sha256) is None:
            session.add(Document(sha256=doc.sha256, length=len(doc.content), content=doc.content,
                                 created_at=stamp))
    session.add(PolicyVersion(app_id=app_id, number=number, label=spec["label"],
                              significance=spec["significance"], effective=effective,
                              published=stamp, body=body, override_reason=override_reason))
    session.flush()
    row = sign_manifest(session, app_id, keys_dir, now, timing)
    return PublishResult(**{**result.__dict__, "seq": row.seq if row else None})
