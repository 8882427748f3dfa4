"""The significance guard: which changes a policy may not publish as minor or patch.

Pure: :func:`major_reasons` compares two Version objects (as the manifest carries them),
:func:`label_reasons` what their store labels say (a change there may not be a patch),
:func:`metadata_changes` two sets of app metadata (app.toml as data), and all return
what changed: each reason a :class:`~server.messages.Message` (the English sentence the CLI
prints, with a code and parameters the console says in its language).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from client_sdk.protocol.timeutil import parse_duration
from server.messages import Message
from server.policy.storelabels import has_store_fields, label_lines, labels_of

__all__ = ["MetadataChange", "label_reasons", "major_reasons", "metadata_changes"]


def _ids(version: dict[str, Any], key: str) -> set[str]:
    return {item["id"] for item in version.get(key, [])}


def major_reasons(old: dict[str, Any] | None, new: dict[str, Any]) -> list[Message]:
    """Every reason the change from ``old`` to ``new`` must be published as ``major``.

    An empty list means the change may be minor or patch. The first version of an app
    (``old`` is None) has nothing to compare with.
    """
    if old is None:
        return []
    reasons: list[Message] = []
    for key, what in (("purposes", "purpose"), ("vendors", "vendor"),
                      ("data_categories", "data category"), ("permissions", "permission")):
        for added in sorted(_ids(new, key) - _ids(old, key)):
            reasons.append(Message(f"new {what} '{added}'", "g_new", kind=what, id=added))
    old_vendors = {v["id"]: v for v in old.get("vendors", [])}
    for v in new.get("vendors", []):
        before = old_vendors.get(v["id"])
        if before is not None and before["country"] != v["country"]:
            reasons.append(Message(f"vendor '{v['id']}' moves data from {before['country']} "
                                   f"to {v['country']}", "g_vendor_moves", id=v["id"],
                                   old=before["country"], new=v["country"]))
    old_purposes = {p["id"]: p for p in old.get("purposes", [])}
    for p in new.get("purposes", []):
        before = old_purposes.get(p["id"])
        if before is None:
            continue
        if p["required"] and not before["required"]:
            reasons.append(Message(f"purpose '{p['id']}' becomes required", "g_required",
                                   id=p["id"]))
        for d in sorted(set(p["data"]) - set(before["data"])):
            reasons.append(Message(f"purpose '{p['id']}' now uses data category '{d}'",
                                   "g_purpose_data", id=p["id"], data=d))
        for v in sorted(set(p["vendors"]) - set(before["vendors"])):
            reasons.append(Message(f"purpose '{p['id']}' now shares data with vendor '{v}'",
                                   "g_purpose_vendor", id=p["id"], vendor=v))
    old_age, new_age = old.get("min_age"), new.get("min_age")
    if old_age is not None and (new_age is None or new_age < old_age):
        shown = new_age if new_age is not None else "none"
        reasons.append(Message(f"min_age lowered from {old_age} to {shown}",
                               "g_min_age" if new_age is not None else "g_min_age_none",
                               old=old_age, new=new_age))
    if old.get("guardian_consent") and not new.get("guardian_consent"):
        reasons.append(Message("guardian consent no longer required", "g_guardian"))
    for flag, what in (("third_party_transfer", "transfer to third parties"),
                       ("cross_border_transfer", "cross-border transfer"),
                       ("public_disclosure", "public disclosure")):
        if new.get(flag) and not old.get(flag):
            reasons.append(Message(f"{what} turned on ({flag})", f"g_{flag}"))
    # Google Consent Mode: a signal is granted when all its purposes are. A signal newly
    # mapped, or mapped to purposes that are not a superset of the old ones, turns on for
    # users who consented under the old mapping to less: data flows to Google on consent
    # they never gave for it. A signal dropped or asking for more purposes narrows.
    old_mode, new_mode = old.get("consent_mode") or {}, new.get("consent_mode") or {}
    for signal in sorted(new_mode):
        if not new_mode[signal]:
            continue
        before = old_mode.get(signal) or []
        if not before:
            reasons.append(Message(f"Consent Mode signal '{signal}' now granted by "
                                   f"{', '.join(sorted(new_mode[signal]))}", "g_mode_new",
                                   signal=signal, purposes=", ".join(sorted(new_mode[signal]))))
        elif not set(new_mode[signal]) >= set(before):
            reasons.append(Message(f"Consent Mode signal '{signal}' granted by "
                                   f"{', '.join(sorted(new_mode[signal]))} instead of "
                                   f"{', '.join(sorted(before))}", "g_mode_changed",
                                   signal=signal, purposes=", ".join(sorted(new_mode[signal])),
                                   before=", ".join(sorted(before))))
    old_term, new_term = old.get("consent_term"), new.get("consent_term")
    if old_term is not None and (
        new_term is None or parse_duration(new_term) > parse_duration(old_term)
    ):
        reasons.append(Message(f"consent term longer: {old_term} -> {new_term or 'indefinite'}",
                               "g_term" if new_term else "g_term_indefinite", old=old_term,
                               new=new_term))
    return reasons


def label_reasons(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Every store label line (:func:`~server.policy.storelabels.label_lines`) that the change
    from ``old`` to ``new`` adds or removes: such a version may not be a ``patch`` (users see
    the store page change: a new shared data type, tracking). An app's first version, or the
    first that maps anything for the stores, has nothing to compare with."""
    if old is None or not has_store_fields(old):
        return []
    before, after = label_lines(labels_of(old)), label_lines(labels_of(new))
    gone: list[str] = [Message(f"store label no longer says: {line}", "g_store_gone", line=line)
                       for line in before if line not in after]
    added: list[str] = [Message(f"store label now says: {line}", "g_store_added", line=line)
                        for line in after if line not in before]
    return added + gone


@dataclass(frozen=True)
class MetadataChange:
    sentence: Message
    major: bool


# Who the controller is (Law 94-V: the operator's name and BIN are part of the consent):
# a change of these needs major; contact details do not.
_CONTROLLER_IDENTITY = ("name", "bin", "country")


def metadata_changes(old: dict[str, Any], new: dict[str, Any]) -> list[MetadataChange]:
    """What changed between two app metadata dicts (``AppMetadata.to_dict()``).

    A new controller identity is major. Catalog entries (vendors, data categories,
    permissions) added or removed are listed but not major here: the version built against
    the new catalog carries the ones its purposes use, and :func:`major_reasons` judges those.
    """
    out: list[MetadataChange] = []
    for key in ("name", "default_locale"):
        if old.get(key) != new.get(key):
            out.append(MetadataChange(Message(
                f"app {key}: {old.get(key)!r} -> {new.get(key)!r}", "g_app_field",
                field=key, old=old.get(key), new=new.get(key)), False))
    before, after = old.get("controller", {}), new.get("controller", {})
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            out.append(MetadataChange(Message(
                f"controller {key}: {before.get(key)!r} -> {after.get(key)!r}",
                "g_controller_field", field=f"controller.{key}", old=before.get(key),
                new=after.get(key)), key in _CONTROLLER_IDENTITY))
    if (old.get("store") or {}) != (new.get("store") or {}):
        out.append(MetadataChange(Message("app.toml: [store] changed", "g_store_table"),
                                  False))
    for key, what in (("vendors", "vendor"), ("data_categories", "data category"),
                      ("permissions", "permission")):
        old_items = {i["id"]: i for i in old.get(key, [])}
        new_items = {i["id"]: i for i in new.get(key, [])}
        for item_id in sorted(set(new_items) - set(old_items)):
            out.append(MetadataChange(Message(f"app.toml: new {what} '{item_id}'",
                                              "g_catalog_new", kind=what, id=item_id), False))
        for item_id in sorted(set(old_items) - set(new_items)):
            out.append(MetadataChange(Message(f"app.toml: {what} '{item_id}' removed",
                                              "g_catalog_removed", kind=what, id=item_id),
                                      False))
        for item_id in sorted(set(old_items) & set(new_items)):
            if old_items[item_id] != new_items[item_id]:
                out.append(MetadataChange(Message(f"app.toml: {what} '{item_id}' changed",
                                                  "g_catalog_changed", kind=what, id=item_id),
                                          False))
    return out
