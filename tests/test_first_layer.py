"""client_sdk.ui.layout, without a window: what the first layer and the minor-change notice
hold (the description the Kivy widgets and the console's preview are both made from), for
the demo's version 2.0 built as publishing builds it (no database, no signing)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from builders import DEMO
from client_sdk.decision import Kind
from client_sdk.protocol.model import SPEC_VERSIONS, Controller, HistoryEntry, Manifest, Version
from client_sdk.ui.layout import KINDS, as_seen_by, buttons, first_layer, notice
from client_sdk.ui.strings import STRINGS
from client_sdk.ui.texts import Words
from server.policy.publish import build_version_body
from server.policy.source import load_app_dir, load_version_dir

NOW = datetime(2030, 1, 15, tzinfo=UTC)


def _next(m: Manifest, significance: str, summary: str, **fields: Any) -> Manifest:
    """``m`` with a version 2 of ``significance`` in force, version 1 its history."""
    cur = m.current
    since = 2 if significance == "major" else cur.reconsent_required_since
    locales = {t: replace(d, summary=f"{summary} ({t})") for t, d in cur.locales.items()}
    v2 = replace(cur, version=2, label="2.0", significance=significance,
                 reconsent_required_since=since, effective=NOW - timedelta(days=1),
                 locales=locales, **fields)
    old = HistoryEntry(1, cur.label, cur.significance, cur.effective,
                       {t: d.summary for t, d in cur.locales.items()})
    return replace(m, current=v2, history=(old,))


def _words(m: Manifest, tag: str) -> Words:
    return Words(tag, m.current, m, UTC, [tag])


@pytest.fixture(scope="module")
def signed() -> Manifest:
    meta = load_app_dir(DEMO)
    body = build_version_body(meta, load_version_dir(DEMO / "2.0", 1 << 20), 1, 1,
                              "2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z",
                              summaries_required=False)
    c = meta.controller
    return Manifest(app=meta.id, seq=1, issued=NOW, expires=NOW + timedelta(days=7),
                    controller=Controller(c["name"], c["bin"], c["country"], c["email"],
                                          c["address"]),
                    current=Version.from_payload(json.loads(json.dumps(body)), "current",
                                                  max(SPEC_VERSIONS)),
                    upcoming=None, history=())


def test_first_launch_holds_the_art_8_elements_and_the_three_buttons(signed: Manifest
                                                                       ) -> None:
    d = as_seen_by(signed, None, {}, NOW, "en")
    assert d.kind is Kind.PROMPT and d.reasons == ("first_launch",)
    items = first_layer(_words(signed, "en"), d)
    assert {i.kind for i in items} <= set(KINDS)
    kinds = [i.kind for i in items]
    assert kinds[:2] == ["title", "meta"] and "change" not in kinds
    en = STRINGS["en"]
    headings = [i.text for i in items if i.kind == "heading"]
    assert headings == [en["who"], en["data_collected"], en["purposes"], en["permissions"]]
    purposes = [(i.text, i.detail) for i in items if i.kind == "purpose"]
    assert purposes == [("Making deliveries", "Required"), ("Notifications", ""),
                        ("Analytics", "")]
    assert any("Google LLC" in i.extra for i in items if i.kind == "purpose")
    assert len([i for i in items if i.kind == "fact"]) == 4
    permissions = [i for i in items if i.kind == "permission"]
    assert permissions and all(i.text and i.detail for i in permissions)
    # The age row is the only check box of the first layer (purposes are toggled on the
    # purposes layer), and the bar is Decline, Only required, Accept all.
    assert [(i.kind, i.action) for i in items if i.kind in ("check", "input")] == \
        [("check", "age_confirmed")]
    assert [(i.text, i.action, i.primary) for i in items if i.kind == "button"] == [
        (en["decline"], "decline", False), (en["only_required"], "accept_selected", False),
        (en["accept_all"], "accept_all", True)]
    assert [i.action for i in items if i.kind == "link"] == ["purposes", "full_text"]


def test_the_middle_button_follows_the_choices(signed: Manifest) -> None:
    w = _words(signed, "ru")
    assert buttons(w, {"analytics": False})[1].text == STRINGS["ru"]["only_required"]
    assert buttons(w, {"analytics": True})[1].text == STRINGS["ru"]["save_choices"]


def test_a_major_version_prompts_again_with_what_changed_first(signed: Manifest) -> None:
    m = _next(signed, "major", "Ratings become public")
    d = as_seen_by(m, 1, {"delivery": True}, NOW, "kk")
    assert d.kind is Kind.PROMPT and d.reasons == ("significant_change",)
    items = first_layer(_words(m, "kk"), d)
    assert [i.kind for i in items[2:4]] == ["heading", "change"]
    assert items[2].text == STRINGS["kk"]["what_changed"]
    assert (items[3].text, items[3].detail) == ("2.0", "Ratings become public (kk)")
    # A first launch of the same manifest: nothing "changed" for a new user.
    fresh = as_seen_by(m, None, {}, NOW, "kk")
    assert "change" not in [i.kind for i in first_layer(_words(m, "kk"), fresh)]


def test_a_minor_version_is_a_notice_and_a_patch_nothing(signed: Manifest) -> None:
    m = _next(signed, "minor", "Typos")
    d = as_seen_by(m, 1, {"delivery": True}, NOW, "ru")
    assert d.kind is Kind.NOTICE
    items = notice(_words(m, "ru"), d)
    ru = STRINGS["ru"]
    assert [(i.kind, i.text) for i in items] == [
        ("heading", ru["notice_minor"]), ("change", "2.0"), ("button", ru["read"]),
        ("button", ru["dismiss"])]
    assert items[1].detail == "Typos (ru)" and items[-1].primary
    patch = _next(signed, "patch", "Comma")
    assert as_seen_by(patch, 1, {"delivery": True}, NOW, "ru").kind is Kind.NONE


def test_a_guardian_row_and_its_name_follow_the_age(signed: Manifest) -> None:
    m = replace(signed, current=replace(signed.current, min_age=14, guardian_consent=True))
    items = first_layer(_words(m, "en"), as_seen_by(m, None, {}, NOW, "en"))
    assert [(i.kind, i.action) for i in items if i.kind in ("check", "input")] == [
        ("check", "age_confirmed"), ("check", "guardian_confirmed"),
        ("input", "guardian_name")]
    none = replace(signed, current=replace(signed.current, min_age=None, permissions=()))
    kinds = [i.kind for i in first_layer(_words(none, "en"), as_seen_by(none, None, {}, NOW,
                                                                          "en"))]
    assert "check" not in kinds and "permission" not in kinds


def test_texts_are_plain_not_markup(signed: Manifest) -> None:
    """A title or vendor with Kivy markup characters stays text (the widgets escape it)."""
    cur = signed.current
    vendors = tuple(replace(v, name=f"[b]{v.name}[/b] & co") for v in cur.vendors)
    docs = {t: replace(d, title="[i]Policy[/i]") for t, d in cur.locales.items()}
    m = replace(signed, current=replace(cur, vendors=vendors, locales=docs))
    items = first_layer(_words(m, "en"), as_seen_by(m, None, {}, NOW, "en"))
    assert items[0].text == "[i]Policy[/i]"
    assert any("[b]Google LLC" in i.text and "&amp;" not in i.text
               for i in items if i.kind == "fact")
