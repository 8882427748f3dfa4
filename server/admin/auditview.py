"""The audit log's details in the page's language, from the structured details each event
stores: every key named in words, codes (roles, kinds, significances, reasons) translated,
times in the user's zone, what a person typed (notes, names, labels) kept as it is."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from markupsafe import Markup, escape

from server.admin.i18n import gettext as _
from server.admin.i18n_texts import TEXTS

__all__ = ["KEY_NAMES", "detail_rows"]

# Each detail key as the page names it (English; i18n_ru/kk translate them).
KEY_NAMES = {
    "role": "role", "from": "made from", "label": "label", "significance": "significance",
    "locale": "language", "chars": "characters", "request_deadline_days": "deadline (days)",
    "number": "version number", "effective": "takes effect", "upcoming": "scheduled",
    "seq": "manifest seq", "reasons": "reasons", "override_reason": "override reason",
    "metadata_changes": "app details changed", "source": "source", "format": "format",
    "filters": "filters", "ip": "IP address", "reason": "reason", "install_id": "install",
    "kind": "kind", "note": "note", "expires": "expires", "force": "forced",
    "version": "version", "roles": "roles", "new_roles": "new keys", "resigned": "re-signed",
    "skipped": "skipped", "name": "name", "missing_titles_allowed": "published without titles",
    "time_zone": "time zone", "since": "since", "action": "action",
    "record_id": "record", "date_from": "from date", "date_to": "to date",
    "scopes": "scopes", "new_key_id": "new key", "importer_notes": "importer's notes",
    "purposes": "purposes", "vendors": "vendors", "data_categories": "data categories",
    "permissions": "permissions", "url": "Address", "events": "events",
    "delivery": "delivery", "event_id": "event id", "request_id": "request",
    "size": "tree size",
}
# Values stored as codes the catalogue translates.
_CODED = {"role", "significance", "kind", "reason", "action"}
_TIMES = {"effective", "expires", "since"}
# Values that were [before, after].
_CHANGES = {"role", "request_deadline_days", "time_zone"}
_LEGACY_FROM = re.compile(r"(version|upload) (.*)\Z", re.S)


def _data(value: Any) -> Markup:
    """A value a person or a program wrote: not translated."""
    return Markup('<span translate="no">{}</span>').format(value)


# Why a sign-in failed.
_REASONS = {"unknown_account": "unknown account", "disabled": "account disabled",
            "wrong_password": "wrong password"}


def _code(value: Any) -> Markup:
    text = str(value)
    if text in _REASONS:
        return escape(_(_REASONS[text]))
    if text in TEXTS["ru"]:
        return escape(_(text))
    return _data(text)


def _from(value: Any) -> Markup:
    """What a draft was made from: a version (by label) or an uploaded file."""
    if isinstance(value, str):  # before details were structured: "version 3.0"
        found = _LEGACY_FROM.match(value)
        value = {found.group(1) if found.group(1) == "version" else "file": found.group(2)} \
            if found else {"text": value}
    if not isinstance(value, Mapping):
        return _data(value)
    if "version" in value:
        return escape(_("version {label}")).format(label=_data(value["version"]))
    if "file" in value:
        return escape(_("the file {name}")).format(name=_data(value["file"]))
    if value.get("first") is True:
        return escape(_("nothing: the first version, written in the console"))
    return _data(value.get("text", ""))


def _value(key: str, value: Any, localtime: Callable[[str], Markup]) -> Markup:
    if value is None:
        return Markup("–")
    if isinstance(value, bool):
        return escape(_("yes") if value else _("no"))
    if key == "from":
        return _from(value)
    if key in _CHANGES and isinstance(value, list) and len(value) == 2:
        before, after = (_value(key + ".", v, localtime) for v in value)
        return Markup("{} → {}").format(before, after)
    if key.rstrip(".") in _CODED and isinstance(value, str):
        return _code(value)
    if key in _TIMES and isinstance(value, str):
        return localtime(value)
    if isinstance(value, Mapping):
        return Markup("; ").join(Markup("{}: {}").format(_key(k), _value(str(k), v, localtime))
                                 for k, v in value.items()) or Markup("–")
    if isinstance(value, list | tuple):
        return Markup(", ").join(_value(key, v, localtime) for v in value) or Markup("–")
    return _data(value)


def _key(key: Any) -> Markup:
    """A detail's key in words; a key of no known meaning (a key role's name, an app id
    in a map) is data."""
    name = KEY_NAMES.get(str(key))
    return escape(_(name)) if name else _data(key)


def detail_rows(details: Any, localtime: Callable[[str], Markup]
                ) -> list[tuple[Markup, Markup]]:
    """(key in words, value) for each detail of an event; ``localtime`` shows a time."""
    if not isinstance(details, Mapping):
        return [(Markup(""), _data(details))] if details else []
    keys = list(details)
    if "label" in keys and "number" in keys:  # a version is read by its label first
        keys.remove("label")
        keys.insert(keys.index("number"), "label")
    return [(_key(k), _value(str(k), details[k], localtime)) for k in keys]
