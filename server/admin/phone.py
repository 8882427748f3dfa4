"""The phone preview of a draft: the draft built into the manifest Version it would publish
(the publish service's own builder), then laid out by the SDK's description of the first
layer and the minor-change notice (client_sdk.ui.layout), so the preview is what the
Kivy widgets show, item for item.

Two kinds of user: one who opens the app for the first time once the draft is published
(``first``), and one who accepted the version published last (``update``): a major draft
prompts them again with "what changed" first, a minor one shows the notice, a patch
nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol.model import SPEC_VERSIONS, Controller, HistoryEntry, Manifest, Version
from client_sdk.protocol.timeutil import format_time, parse_time
from client_sdk.ui.layout import Item, as_seen_by, first_layer, notice
from client_sdk.ui.texts import Words
from server.admin.drafts import app_meta_of, to_source
from server.errors import PolicySourceError
from server.models import App, PolicyVersion
from server.policy.publish import app_metadata, build_version_body

__all__ = ["CASES", "Phone", "phone"]

CASES = ("first", "update")


@dataclass
class Phone:
    """What the phone shows one kind of user: ``screen`` is ``first_layer``, ``notice``
    or ``none``; ``items`` its description; ``problems`` why the draft cannot be laid out
    yet (then no items)."""

    screen: str
    items: list[Item] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    reasons: tuple[str, ...] = ()


def _manifest(s: Session, app: App, draft: Any, now: datetime, max_bytes: int) -> Manifest:
    """The manifest the draft would be the current version of, the published versions its
    history. Raises: PolicySourceError (what the draft still lacks)."""
    # An unlabelled draft (a new one) is still previewed: the label shows as "—".
    spec = {**draft.spec, "label": draft.spec.get("label") or "—"}
    source = to_source(draft.id, spec, draft.documents, max_bytes)
    meta = app_meta_of(draft.app_meta) or app_metadata(app)
    versions = list(s.scalars(select(PolicyVersion).where(PolicyVersion.app_id == app.id)
                              .order_by(PolicyVersion.number)))
    latest = versions[-1] if versions else None
    number = latest.number + 1 if latest else 1
    since = number if latest is None or source.spec["significance"] == "major" \
        else latest.body["reconsent_required_since"]
    stamp = format_time(now)
    body = build_version_body(meta, source, number, since, source.spec["effective"] or stamp,
                              stamp, summaries_required=False)
    # The newest spec reads every version (store labels are optional in it).
    version = Version.from_payload(json.loads(json.dumps(body)), "draft", max(SPEC_VERSIONS))
    history = tuple(HistoryEntry(v.number, v.label, v.significance, parse_time(v.effective),
                                 {t: loc.get("summary", "") for t, loc in
                                  v.body["locales"].items() if loc.get("summary")})
                    for v in versions)
    c = meta.controller
    controller = Controller(c.get("name", ""), c.get("bin", ""), c.get("country", ""),
                            c.get("email", ""), c.get("address", ""))
    return Manifest(app=app.id, seq=1, issued=now, expires=now, controller=controller,
                    current=version, upcoming=None, history=history)


def phone(s: Session, app: App, draft: Any, locale: str, case: str, max_bytes: int,
          now: datetime | None = None) -> Phone:
    """What a phone in ``locale`` shows the ``case`` user (see the module docstring)
    once the draft is published."""
    now = now or datetime.now(UTC)
    try:
        manifest = _manifest(s, app, draft, now, max_bytes)
    except PolicySourceError as exc:
        return Phone("none", problems=exc.problems)
    previous = manifest.history[-1].version if manifest.history else None
    if case == "first" or previous is None:
        decision = as_seen_by(manifest, None, {}, now, locale)
    else:
        latest = s.scalars(select(PolicyVersion).where(PolicyVersion.app_id == app.id,
                                                       PolicyVersion.number == previous)).one()
        grants = {p["id"]: True for p in latest.body["purposes"] if p["required"]}
        decision = as_seen_by(manifest, previous, grants, now, locale)
    words = Words(locale, manifest.current, manifest, UTC, [locale])
    if decision.kind.value == "prompt":
        return Phone("first_layer", first_layer(words, decision), reasons=decision.reasons)
    if decision.kind.value == "notice":
        return Phone("notice", notice(words, decision), reasons=decision.reasons)
    return Phone("none", reasons=decision.reasons)
