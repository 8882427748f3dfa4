"""The app's own store values in the draft's structure form: whether all user data is
encrypted in transit and the account-deletion and data-deletion URLs (app.toml's
``[store]``, docs/store-labels.md). Checked with the schema the TOML path uses
(:class:`server.policy.schema.AppStoreSchema`); the tracking domains stay TOML-only.

The form's names are ``store-<field>``; a problem is keyed the same, shown next to its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from server.admin.i18n import gettext as _
from server.admin.messages import schema_text
from server.policy.labelwords import words
from server.policy.schema import AppStoreSchema
from server.policy.storelabels import (
    APPLE_DATA_TYPES,
    APPLE_PURPOSES,
    PLAY_DATA_TYPES,
    PLAY_PURPOSES,
    apple_name,
    play_name,
)

__all__ = ["FIELDS", "HINT", "apply", "for_template", "labels", "read", "value_lists",
           "values_of"]

# (name in [store], kind, label)
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("encrypted_in_transit", "bool", "All user data the app collects is encrypted in transit"),
    ("account_deletion_url", "url", "Account deletion URL (https)"),
    ("data_deletion_url", "url", "Data deletion URL (https)"),
)
HINT = ("What Google Play's Data safety form asks of the whole app. Empty URLs are left out "
        "of the labels; tracking domains are edited as TOML (app details).")


VALUES_TITLE = "Valid values and an example"
FLAGS_HINT = ("linked: true or false (required); tracking, ephemeral: true or false (false "
              "when left out).")
# What a purpose's and a data category's "store" box may hold, as the draft page shows it.
EXAMPLES = {
    "purposes": 'apple = ["NSPrivacyCollectedDataTypePurposeAnalytics"]\n'
                'play = ["PSL_ANALYTICS"]',
    "data_categories": 'apple = ["NSPrivacyCollectedDataTypePreciseLocation"]\n'
                       'play = ["PSL_PRECISE_LOCATION"]\n'
                       'linked = true\ntracking = false\nephemeral = false',
}


def value_lists(language: str) -> dict[str, list[tuple[str, list[tuple[str, str]]]]]:
    """Per structure section (``purposes``, ``data_categories``): each store's key in the box
    with the ids it takes and their names. Data types keep the stores' English names (as
    App Store Connect and Play Console print them); purposes are in ``language``."""
    w = words(language)

    def purpose(ident: str, english: str) -> str:
        return english if language.split("-")[0] == "en" else w.get(ident, english)

    return {
        "purposes": [
            ("apple", [(i, purpose(i, n)) for i, (_c, n) in APPLE_PURPOSES.items()]),
            ("play", [(i, purpose(i, n)) for i, n in PLAY_PURPOSES.items()])],
        "data_categories": [
            ("apple", [(i, apple_name(i)) for i in APPLE_DATA_TYPES]),
            ("play", [(i, play_name(i)) for i in PLAY_DATA_TYPES])],
    }


def values_of(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values for app metadata (its ``store`` table, if any)."""
    store = meta.get("store")
    store = store if isinstance(store, Mapping) else {}
    return {name: (store.get(name) is True) if kind == "bool" else str(store.get(name) or "")
            for name, kind, _label in FIELDS}


def for_template(values: Mapping[str, Any], language: str = "en") -> dict[str, Any]:
    """What the template shows: the fields, the hint and the values; and, for the purposes'
    and data categories' store boxes, the values they take with an example."""
    return {"fields": FIELDS, "hint": HINT, "current": dict(values),
            "values": value_lists(language), "examples": EXAMPLES}


def read(form: MultiDict[str, str]) -> dict[str, Any]:
    """The values as the browser sent them."""
    return {name: form.get(f"store-{name}") == "true" if kind == "bool"
            else str(form.get(f"store-{name}") or "").strip() for name, kind, _l in FIELDS}


def _message(text: str) -> str:
    return _("structure_not_url") if text == "Not a valid URL." else schema_text(text)


def apply(meta: dict[str, Any], values: Mapping[str, Any]
          ) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """(app metadata with the values in its ``store``, errors by form field). An app without
    a ``store`` table gets one only when a value is given, so that a policy without store
    labels keeps signing the manifest it did; empty URLs are left out."""
    old = meta.get("store")
    if not isinstance(old, Mapping) and not any(values.values()):
        return meta, {}
    store = dict(old) if isinstance(old, Mapping) else {}
    for name, kind, _label in FIELDS:
        value = values.get(name)
        if kind == "bool":
            store[name] = value is True
        elif value:
            store[name] = value
        else:
            store.pop(name, None)
    errors: dict[str, list[str]] = {}
    try:
        AppStoreSchema().load(store)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {}
        for name, _kind, label in FIELDS:
            for m in messages.get(name, []):
                errors.setdefault(f"store-{name}", []).append(f"{_(label)}: {_message(m)}")
        if not errors:  # a table field outside the form (tracking_domains): named as is
            errors["store"] = [f"store · {key}: {m}" for key, ms in messages.items()
                               for m in (ms if isinstance(ms, list) else [ms])]
    return {**meta, "store": store}, errors


def labels() -> list[str]:
    """Every catalogue text this module shows."""
    return ["The app in the stores", HINT, VALUES_TITLE, FLAGS_HINT,
            *(label for _n, _k, label in FIELDS)]
