"""The schemas of app.toml and version.toml (marshmallow, strict), and the rules their
values follow: ids and locale tags from :mod:`client_sdk.protocol.grammar`, which locales a version
may publish, the Kazakh BIN check digit, TOML dates. See docs/policy-as-code.md."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from marshmallow import (
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)

from client_sdk.protocol.grammar import is_app_id, is_domain, is_id, is_locale
from client_sdk.protocol.model import CONSENT_MODE_SIGNALS, LOCALES, SIGNIFICANCES
from client_sdk.protocol.timeutil import format_time, parse_duration, parse_time
from server.policy.storelabels import (
    APPLE_DATA_TYPES,
    APPLE_PURPOSES,
    PLAY_DATA_TYPES,
    PLAY_PURPOSES,
)
from server.strict_schema import Matches, Strict, nfc

__all__ = [
    "APP_ID",
    "COMPANY_NUMBERS",
    "COUNTRY",
    "ID",
    "AppSchema",
    "AppStoreSchema",
    "CategoryStoreSchema",
    "ConsentModeSchema",
    "ControllerSchema",
    "DataCategorySchema",
    "LocaleText",
    "PermissionSchema",
    "PurposeSchema",
    "PurposeStoreSchema",
    "VendorSchema",
    "VersionSchema",
    "VersionStoreSchema",
    "When",
    "company_number_problem",
    "is_publishable_locale",
    "valid_bin",
]

ID = Matches(is_id, "must be a lowercase id (letters, digits, '-', '_', '.'; at most 64)")
APP_ID = Matches(is_app_id, "must be a lowercase id (letters, digits, '-', '_', '.'; at most 64)")
COUNTRY = Matches(re.compile(r"[A-Z]{2}", re.ASCII),
                  "must be an ISO 3166 two-letter code such as KZ")


def is_publishable_locale(tag: object) -> bool:
    """Whether a version may have a document in ``tag``: a locale tag (the grammar in
    :mod:`client_sdk.protocol.grammar`) of one of the five languages, with its script or without
    (``kk``, ``uz``, ``uz-Cyrl``)."""
    if not isinstance(tag, str) or not is_locale(tag):
        return False
    base, _, script = tag.partition("-")
    return base in LOCALES and script in ("", "Cyrl", "Latn")



def valid_bin(value: str) -> bool:
    """Check a Kazakhstan BIN/IIN: 12 digits whose last is the mod-11 check digit."""
    if not re.fullmatch(r"[0-9]{12}", value):
        return False
    digits = [int(c) for c in value]
    check = sum(d * w for d, w in zip(digits[:11], range(1, 12), strict=True)) % 11
    if check == 10:
        weights = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]
        check = sum(d * w for d, w in zip(digits[:11], weights, strict=True)) % 11
        if check == 10:
            return False
    return check == digits[11]


# The controller's registration number in the countries Kelisim knows: its name there and
# its digits. The one definition app.toml's schema and the console's new-app form check
# (the SDK's first layer names it the same way: client_sdk/ui/strings, company_id.*).
COMPANY_NUMBERS: dict[str, tuple[str, int]] = {
    "KZ": ("BIN", 12),
    "UZ": ("TIN (STIR)", 9),
    "KG": ("INN", 14),
}


def company_number_problem(country: str | None, number: str) -> str | None:
    """What is wrong with ``number`` as the registration number of a controller in
    ``country`` (None: nothing). KZ: a BIN, 12 digits with a valid check digit; UZ: a TIN
    (STIR), 9 digits; KG: an INN, 14 digits; elsewhere: any text of 1 to 64 characters."""
    known = COMPANY_NUMBERS.get(country or "")
    if known is None:
        return None if 1 <= len(number.strip()) <= 64 else "must be 1 to 64 characters"
    name, digits = known
    if not re.fullmatch(rf"[0-9]{{{digits}}}", number, re.ASCII):
        return f"must be {digits} digits ({name})"
    if country == "KZ" and not valid_bin(number):
        return "is not a valid 12-digit BIN (check digit fails)"
    return None


class LocaleText(fields.Dict):
    """``{kk = "...", ru = "..."}``: known locale tags to non-empty text."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(validate=Matches(
            is_publishable_locale, "unknown locale tag; use kk, ru, en, uz or ky")),
            values=fields.String(validate=validate.Length(min=1)), **kwargs)


class When(fields.Field[str]):
    """A TOML datetime with an offset, a TOML date (midnight UTC), or an RFC 3339 string."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValidationError("needs a UTC offset, e.g. 2025-12-01T00:00:00Z")
            return format_time(value.replace(microsecond=0))
        if isinstance(value, date):
            return format_time(datetime(value.year, value.month, value.day, tzinfo=UTC))
        if isinstance(value, str):
            try:
                return format_time(parse_time(value))
            except ValueError as exc:
                raise ValidationError(str(exc)) from None
        raise ValidationError("must be a date or a date-time")


class ControllerSchema(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    bin = fields.String(required=True)
    country = fields.String(required=True, validate=COUNTRY)
    email = fields.Email(required=True)
    address = fields.String(required=True, validate=validate.Length(min=1, max=500))

    @validates_schema(skip_on_field_errors=False)
    def _bin(self, data: dict[str, Any], **kwargs: Any) -> None:
        problem = company_number_problem(data.get("country"), data["bin"]) \
            if "bin" in data else None
        if problem is not None:
            raise ValidationError(problem, "bin")


class VendorSchema(Strict):
    id = fields.String(required=True, validate=ID)
    name = fields.String(required=True, validate=validate.Length(min=1))
    country = fields.String(required=True, validate=COUNTRY)
    policy_url = fields.Url(required=True, schemes={"https", "http"})


def _one_of(table: dict[str, Any], what: str) -> validate.Validator:
    return validate.OneOf(list(table), error=f"{{input!r}} is not {what}; "
                          f"see docs/store-labels.md for the list")


def _distinct(values: list[str]) -> None:
    dup = sorted({v for v in values if values.count(v) > 1})
    if dup:
        raise ValidationError(f"names {dup[0]!r} twice")


class CategoryStoreSchema(Strict):
    """A data category in the stores' labels (docs/store-labels.md)."""

    apple = fields.List(fields.String(validate=_one_of(APPLE_DATA_TYPES, "an Apple data type")),
                        required=True, validate=_distinct)
    play = fields.List(fields.String(validate=_one_of(PLAY_DATA_TYPES,
                                                      "a Google Play data type")),
                       required=True, validate=_distinct)
    linked = fields.Boolean(required=True)
    tracking = fields.Boolean(load_default=False)
    ephemeral = fields.Boolean(load_default=False)


class PurposeStoreSchema(Strict):
    """A purpose in the stores' labels."""

    apple = fields.List(fields.String(validate=_one_of(APPLE_PURPOSES, "an Apple purpose")),
                        required=True, validate=_distinct)
    play = fields.List(fields.String(validate=_one_of(PLAY_PURPOSES, "a Google Play purpose")),
                       required=True, validate=_distinct)


_DOMAIN = Matches(is_domain, "must be a lower-case host name such as tracker.example.com")


class AppStoreSchema(Strict):
    """app.toml's ``[store]``: what the stores ask of the whole app."""

    encrypted_in_transit = fields.Boolean(required=True)
    account_deletion_url = fields.Url(load_default=None, schemes={"https"})
    data_deletion_url = fields.Url(load_default=None, schemes={"https"})
    tracking_domains = fields.List(fields.String(validate=_DOMAIN), load_default=list,
                                   validate=_distinct)


class VersionStoreSchema(Strict):
    """version.toml's ``[store]``: tracking domains this version adds to the app's."""

    tracking_domains = fields.List(fields.String(validate=_DOMAIN), load_default=list,
                                   validate=_distinct)


class DataCategorySchema(Strict):
    id = fields.String(required=True, validate=ID)
    title = LocaleText(required=True)
    store = fields.Nested(CategoryStoreSchema)


class PermissionSchema(Strict):
    id = fields.String(required=True, validate=ID)
    purposes = fields.List(fields.String(validate=ID), required=True)
    rationale = LocaleText(required=True)


def _unique(items: list[dict[str, Any]], name: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        item_id = item.get("id") if isinstance(item, dict) else None
        if item_id is None:
            continue
        if item_id in seen:
            raise ValidationError({i: {"id": [f"duplicate id {item_id!r}"]}}, name)
        seen.add(item_id)


class AppSchema(Strict):
    id = fields.String(required=True, validate=APP_ID)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    default_locale = fields.String(required=True, validate=validate.OneOf(LOCALES))
    controller = fields.Nested(ControllerSchema, required=True)
    vendors = fields.List(fields.Nested(VendorSchema), load_default=list)
    data_categories = fields.List(fields.Nested(DataCategorySchema), load_default=list)
    permissions = fields.List(fields.Nested(PermissionSchema), load_default=list)
    store = fields.Nested(AppStoreSchema, load_default=dict)

    @validates_schema(skip_on_field_errors=False)
    def _ids(self, data: dict[str, Any], **kwargs: Any) -> None:
        for name in ("vendors", "data_categories", "permissions"):
            _unique(data.get(name, []), name)


class PurposeSchema(Strict):
    id = fields.String(required=True, validate=ID)
    required = fields.Boolean(required=True)
    title = LocaleText(required=True)
    description = LocaleText(required=True)
    data = fields.List(fields.String(validate=ID), load_default=list)
    vendors = fields.List(fields.String(validate=ID), load_default=list)
    store = fields.Nested(PurposeStoreSchema)


# ``[consent_mode]``: Google Consent Mode v2 signal -> the purposes it needs (a signal left
# out is always denied); the signals are the SDK model's one list.
ConsentModeSchema = Strict.from_dict(
    {signal: fields.List(fields.String(validate=ID)) for signal in CONSENT_MODE_SIGNALS},
    name="ConsentModeSchema")


class VersionSchema(Strict):
    label = fields.String(required=True, validate=validate.Length(min=1, max=64))
    significance = fields.String(required=True, validate=validate.OneOf(SIGNIFICANCES))
    effective = When(load_default=None)
    min_age = fields.Integer(load_default=None, validate=validate.Range(min=0, max=21),
                             strict=True)
    guardian_consent = fields.Boolean(load_default=False)
    consent_term = fields.String(load_default=None)
    default_locale = fields.String(load_default=None, validate=validate.OneOf(LOCALES))
    third_party_transfer = fields.Boolean(required=True)
    cross_border_transfer = fields.Boolean(required=True)
    public_disclosure = fields.Boolean(required=True)
    summary = LocaleText(load_default=dict)
    title = LocaleText(load_default=dict)
    purposes = fields.List(fields.Nested(PurposeSchema), required=True,
                           validate=validate.Length(min=1, error="needs at least one purpose"))
    permissions = fields.List(fields.String(validate=ID), load_default=None)
    consent_mode = fields.Nested(ConsentModeSchema, load_default=dict)
    store = fields.Nested(VersionStoreSchema, load_default=dict)

    @validates("consent_term")
    def _term(self, value: str | None, **kwargs: Any) -> None:
        if value is not None:
            try:
                parse_duration(value)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None

    @validates_schema(skip_on_field_errors=False)
    def _ids(self, data: dict[str, Any], **kwargs: Any) -> None:
        _unique(data.get("purposes", []), "purposes")
        if data.get("guardian_consent") and data.get("min_age") is None:
            raise ValidationError("needs min_age: whose guardian must consent?",
                                  "guardian_consent")
        purpose_ids = {str(p["id"]) for p in data.get("purposes", [])
                       if isinstance(p, dict) and "id" in p}
        for signal, ids in (data.get("consent_mode") or {}).items():
            unknown = [i for i in ids if i not in purpose_ids]
            if unknown:
                raise ValidationError({signal: [
                    f"unknown purpose {unknown[0]!r}; this version's purposes are "
                    f"{sorted(purpose_ids)}"]}, "consent_mode")

    @post_load
    def _nfc(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        normalised: dict[str, Any] = nfc(data)
        return normalised
