"""The significance guard: which changes a policy may not publish as minor or patch.

Pure: it compares two Version objects (as the manifest carries them) and returns reasons.
"""

from __future__ import annotations

from typing import Any

from client_sdk.timeutil import parse_duration

__all__ = ["major_reasons"]


def _ids(version: dict[str, Any], key: str) -> set[str]:
    return {item["id"] for item in version.get(key, [])}


def major_reasons(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Every reason the change from ``old`` to ``new`` must be published as ``major``.

    An empty list means the change may be minor or patch. The first version of an app
    (``old`` is None) has nothing to compare with.
    """
    if old is None:
        return []
    reasons: list[str] = []
    for key, what in (("purposes", "purpose"), ("vendors", "vendor"),
                      ("data_categories", "data category"), ("permissions", "permission")):
        for added in sorted(_ids(new, key) - _ids(old, key)):
            reasons.append(f"new {what} '{added}'")
    old_purposes = {p["id"]: p for p in old.get("purposes", [])}
    for p in new.get("purposes", []):
        before = old_purposes.get(p["id"])
        if before is None:
            continue
        if p["required"] and not before["required"]:
            reasons.append(f"purpose '{p['id']}' becomes required")
        for d in sorted(set(p["data"]) - set(before["data"])):
            reasons.append(f"purpose '{p['id']}' now uses data category '{d}'")
        for v in sorted(set(p["vendors"]) - set(before["vendors"])):
            reasons.append(f"purpose '{p['id']}' now shares data with vendor '{v}'")
    old_age, new_age = old.get("min_age"), new.get("min_age")
    if old_age is not None and (new_age is None or new_age < old_age):
        shown = new_age if new_age is not None else "none"
        reasons.append(f"min_age lowered from {old_age} to {shown}")
    if old.get("guardian_consent") and not new.get("guardian_consent"):
        reasons.append("guardian consent no longer required")
    for flag, what in (("third_party_transfer", "transfer to third parties"),
                       ("cross_border_transfer", "cross-border transfer"),
                       ("public_disclosure", "public disclosure")):
        if new.get(flag) and not old.get(flag):
            reasons.append(f"{what} turned on ({flag})")
    old_term, new_term = old.get("consent_term"), new.get("consent_term")
    if old_term is not None and (
        new_term is None or parse_duration(new_term) > parse_duration(old_term)
    ):
        reasons.append(f"consent term longer: {old_term} -> {new_term or 'indefinite'}")
    return reasons
