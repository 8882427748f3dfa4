"""What the consent screen's first layer and the minor-change notice hold, as a list of
items: one definition that the Kivy widgets build from (client_sdk/kivy/layers.py) and
the console's phone preview renders as HTML (server/admin/views/review.py), so the two
cannot drift. Kivy-free; texts are plain (no markup): a renderer styles them by ``kind``.

API::

    first_layer(words, decision, choices=None) -> list[Item]
    buttons(words, choices=None) -> list[Item]     the bar alone (its middle text follows choices)
    notice(words, decision) -> list[Item]
    as_seen_by(manifest, consented, grants, now, locale) -> Decision

``Item.kind`` is one of :data:`KINDS`:

``title``, ``meta``
    the policy's title; its version and effective date
``heading``
    a section heading
``change``
    one version's "what changed" (``text`` the label, ``detail`` the summary)
``text``, ``small``
    a paragraph; a muted small line (the operator's contact)
``purpose``
    a purpose (``text`` its title, ``detail`` "Required" or ""; ``extra`` who it is
    shared with) - no toggle: the per-purpose switches are on the purposes layer
``fact``
    an Art. 8(4) statement (third parties, transfer abroad, publication, term)
``permission``
    a device permission (``text`` its name, ``detail`` why)
``check``, ``input``
    the age and guardian rows (``action``: the screen property they set)
``link``
    a button to another layer (``action``: ``purposes`` or ``full_text``)
``button``
    the bar's buttons, in order (``action``: ``decline``, ``accept_selected``,
    ``accept_all``; ``read``, ``dismiss`` on a notice; ``primary`` the main one)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from client_sdk.decision import ConsentState, Decision, decide
from client_sdk.protocol.model import Manifest
from client_sdk.protocol.record import Record, record
from client_sdk.ui.texts import Words

__all__ = ["KINDS", "Item", "as_seen_by", "buttons", "first_layer", "notice"]

KINDS = ("title", "meta", "heading", "change", "text", "small", "purpose", "fact",
         "permission", "check", "input", "link", "button")
# A prompt whose reason is one of these shows no "what changed": the user never agreed.
_FRESH = ("first_launch", "declined")


@record
class Item(Record):
    """One thing the layer shows (see the module docstring for the kinds)."""

    kind: str
    text: str
    detail: str = ""
    extra: str = ""
    action: str = ""
    primary: bool = False


def first_layer(w: Words, decision: Decision,
                choices: Mapping[str, bool] | None = None) -> list[Item]:
    """The first layer of ``decision``'s version in ``w``'s language: "what changed"
    first on a re-prompt, then the Law 94-V Art. 8(4) elements, the age rows, the links to
    the other layers, and the bar's three buttons. ``choices`` (optional purpose id -> on)
    names the middle button: "Only required" while none is on, else "Save my choices"."""
    v = decision.version
    if v is None or w.version is None:
        raise ValueError("first_layer needs a decision with a version")
    doc = v.locales.get(w.tag)
    out = [Item("title", (doc.title if doc else "") or w("title")),
           Item("meta", f"{w('version', label=v.label)} · "
                        f"{w('effective', date=w.date(v.effective))}")]
    if decision.changes and decision.reasons[:1] not in [(r,) for r in _FRESH]:
        out.append(Item("heading", w("what_changed")))
        out += [Item("change", label, summary) for label, summary in w.changes(decision.changes)]
    if w.manifest is not None:
        c = w.manifest.controller
        out += [Item("heading", w("who")), Item("text", w.operator(c)),
                Item("small", w("contact", address=c.address, email=c.email))]
    data = w.data_titles()
    if data:
        out += [Item("heading", w("data_collected")), Item("text", ", ".join(data))]
    out.append(Item("heading", w("purposes")))
    if not v.purposes:
        out.append(Item("text", w("no_purposes")))
    for p in v.purposes:
        shared = w("shared_with", names=w.vendors(p.vendors)) if p.vendors else ""
        out.append(Item("purpose", w.purpose_title(p), w("required") if p.required else "",
                        shared))
    out += [Item("fact", fact) for fact in w.facts()]
    if v.permissions:
        out.append(Item("heading", w("permissions")))
        out += [Item("permission", w.permission(m.id), w.pick(m.rationale))
                for m in v.permissions]
    if v.min_age is not None:
        out.append(Item("check", w.age(v.min_age), action="age_confirmed"))
        if v.guardian_consent:
            out += [Item("check", w("guardian_confirm"), action="guardian_confirmed"),
                    Item("input", w("guardian_name"), action="guardian_name")]
    out += [Item("link", w("choose_purposes"), action="purposes"),
            Item("link", w("read_full"), action="full_text")]
    return out + buttons(w, choices)


def buttons(w: Words, choices: Mapping[str, bool] | None = None) -> list[Item]:
    """The first layer's bar, in order: Decline, Only required (Save my choices once an
    optional purpose is on), Accept all."""
    chosen = any((choices or {}).values())
    return [Item("button", w("decline"), action="decline"),
            Item("button", w("save_choices" if chosen else "only_required"),
                 action="accept_selected"),
            Item("button", w("accept_all"), action="accept_all", primary=True)]


def notice(w: Words, decision: Decision) -> list[Item]:
    """The banner a user who agreed before sees for a minor change (or an upcoming
    version): its heading, what changed, and Read / OK."""
    v = decision.version
    if v is None:
        raise ValueError("notice needs a decision with a version")
    heading = w("notice_upcoming", date=w.date(v.effective)) if "upcoming" in \
        decision.reasons else w("notice_minor")
    return [Item("heading", heading),
            *(Item("change", label, summary) for label, summary in w.changes(decision.changes)),
            Item("button", w("read"), action="read"),
            Item("button", w("dismiss"), action="dismiss", primary=True)]


def as_seen_by(manifest: Manifest, consented: int | None, grants: Mapping[str, bool],
               now: datetime, locale: str) -> Decision:
    """The decision (the SDK's own rules, client_sdk.decision) of a user reading
    ``locale`` who accepted version ``consented`` at ``now`` with ``grants`` (``None``:
    who never answered): what a preview shows for each kind of user."""
    state = ConsentState("none") if consented is None else \
        ConsentState("accepted", consented, now, dict(grants))
    return decide(manifest, state, now, [locale])

