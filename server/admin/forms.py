"""Marshmallow schemas for every console form: a bad field is named and nothing is stored."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from client_sdk.protocol.model import LOCALES, SIGNIFICANCES
from client_sdk.protocol.records import RECORD_ACTIONS, SUBJECT_ACTIONS
from client_sdk.protocol.timeutil import format_time, parse_duration
from server.admin.drafts import normalize_document
from server.admin.models import ROLES
from server.admin.timezones import ZONES
from server.messages import Message, human_bytes

__all__ = ["NEW_APP_FIELDS", "DocumentForm", "DraftForm", "LogProofForm", "LoginForm",
           "PasswordForm", "ResolveForm", "SearchForm", "SettingsForm", "TimeZoneForm",
           "UploadForm", "UserCreateForm", "UserUpdateForm", "errors_of", "new_app_data"]

_UUID = validate.Regexp(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z",
                        error="not_uuid")
_EMAIL = validate.Regexp(r"[^@\s]{1,64}@[A-Za-z0-9.-]{1,189}\Z", error="not_email")


def errors_of(exc: ValidationError) -> dict[str, list[str]]:
    """``{field: [message, ...]}`` for the template (schema-level errors under ``form``)."""
    out: dict[str, list[str]] = {}
    messages = exc.messages if isinstance(exc.messages, dict) else {"form": exc.messages}
    for key, value in messages.items():
        name = "form" if key == "_schema" else str(key)
        if isinstance(value, dict):
            value = [f"{k}: {v}" for k, v in value.items()]
        # A Message (a str with a code) stays one: the page says it in its language.
        out.setdefault(name, []).extend(v if isinstance(v, str) else str(v) for v in value)
    return out


class Form(Schema):
    """Fields left empty in the browser count as not given; unknown fields (the CSRF
    token, submit buttons) are ignored."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _blank_is_missing(self, data: Any, **kwargs: Any) -> dict[str, Any]:
        items = data.items() if hasattr(data, "items") else []
        return {k: v for k, v in items if not (isinstance(v, str) and v.strip() == "")}


class LoginForm(Form):
    email = fields.String(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(max=1024))

    @pre_load
    def _lower(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if isinstance(data.get("email"), str):
            data["email"] = data["email"].strip().lower()
        return data


class PasswordForm(Form):
    current = fields.String(required=True)
    new = fields.String(required=True, validate=validate.Length(
        min=12, max=1024, error="password_length"))
    confirm = fields.String(required=True)

    @validates_schema
    def _same(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("new") != data.get("confirm"):
            raise ValidationError("passwords_differ", "confirm")
        # A one-time password someone else saw must not stay the password.
        if data.get("new") is not None and data.get("new") == data.get("current"):
            raise ValidationError("password_unchanged", "new")


class UserCreateForm(Form):
    email = fields.String(required=True, validate=_EMAIL)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))

    @pre_load
    def _lower(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if isinstance(data.get("email"), str):
            data["email"] = data["email"].strip().lower()
        return data


class UserUpdateForm(Form):
    role = fields.String(validate=validate.OneOf(ROLES))
    action = fields.String(required=True, validate=validate.OneOf(
        ("role", "disable", "enable", "reset")))


class TimeZoneForm(Form):
    """The user's time zone; left empty, the zone of the app's controller country."""

    time_zone = fields.String(load_default=None, validate=validate.OneOf(
        ZONES, error="not_time_zone"))


class ResolveForm(Form):
    note = fields.String(required=True, validate=validate.Length(max=2000))
    # Which button: resolve (done) or refuse (the note gives the legal reason).
    outcome = fields.String(load_default="resolve", validate=validate.OneOf(
        ["resolve", "refuse"]))


class LogProofForm(Form):
    """The log page's "proof of a record or request": the id (``id``, as pasted: spaces
    around it and capitals are forgiven), and which kind when a record and a request of the
    app share it (the page asks only then)."""

    entry_id = fields.String(required=True, data_key="id", validate=_UUID)
    kind = fields.String(load_default=None, validate=validate.OneOf(("record", "request")))

    @pre_load
    def _tidy(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if isinstance(data.get("id"), str):
            data["id"] = data["id"].strip().lower()
        return data


class SettingsForm(Form):
    request_deadline_days = fields.Integer(required=True, validate=validate.Range(
        min=1, max=365))


# The new-app form's fields: app.toml's field path -> the form's field. The values are
# checked by app.toml's own schema (server/policy/schema.py), not a copy of its rules.
NEW_APP_FIELDS = {
    "id": "id", "name": "name", "default_locale": "default_locale",
    "controller.name": "controller_name", "controller.bin": "bin",
    "controller.country": "country", "controller.email": "email",
    "controller.address": "address", "request_deadline_days": "request_deadline_days",
}


def new_app_data(form: dict[str, str]) -> dict[str, Any]:
    """The new-app form as app.toml's data; a field left blank is missing (the schema
    names it), and text is taken as typed but for the spaces around it."""
    def value(name: str) -> str | None:
        text = (form.get(name) or "").strip()
        return text or None

    controller = {key: value(name) for key, name in (
        ("name", "controller_name"), ("bin", "bin"), ("country", "country"),
        ("email", "email"), ("address", "address"))}
    data = {"id": value("id"), "name": value("name"),
            "default_locale": value("default_locale"),
            "controller": {k: v for k, v in controller.items() if v is not None}}
    return {k: v for k, v in data.items() if v is not None}


class UploadForm(Form):
    locale = fields.String(validate=validate.OneOf(LOCALES))


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def _date(value: str) -> None:
    try:
        if not _DATE.match(value):
            raise ValueError
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise ValidationError("not_date") from None


class SearchForm(Form):
    install_id = fields.String(validate=_UUID)
    record_id = fields.String(validate=_UUID)
    date_from = fields.String(validate=_date)
    date_to = fields.String(validate=_date)
    action = fields.String(validate=validate.OneOf((*RECORD_ACTIONS, *SUBJECT_ACTIONS)))
    # A version's label as the officer reads it ("2.1"); the view finds its number.
    version = fields.String(validate=validate.Length(max=64, error="unknown_version"))
    before = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))


class Effective(fields.Field[str]):
    """A browser's ``datetime-local`` value (read as UTC) or an RFC 3339 time."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError("not_time")
        text = value.strip().removesuffix("Z")
        for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"):
            try:
                return format_time(datetime.strptime(text, fmt).replace(tzinfo=UTC))
            except ValueError:
                continue
        raise ValidationError("not_time")


class DraftForm(Form):
    """The version fields a publisher edits; purposes and app metadata come as TOML."""

    label = fields.String(required=True, validate=validate.Length(min=1, max=64))
    significance = fields.String(required=True, validate=validate.OneOf(SIGNIFICANCES))
    effective = Effective()
    min_age = fields.Integer(validate=validate.Range(min=0, max=21))
    guardian_consent = fields.Boolean(load_default=False)
    consent_term = fields.String(validate=validate.Length(max=32))
    default_locale = fields.String(validate=validate.OneOf(LOCALES))
    third_party_transfer = fields.Boolean(load_default=False)
    cross_border_transfer = fields.Boolean(load_default=False)
    public_disclosure = fields.Boolean(load_default=False)
    notes = fields.String(load_default="", validate=validate.Length(max=4000))
    purposes_toml = fields.String(required=True, validate=validate.Length(max=200_000))
    app_toml = fields.String(validate=validate.Length(max=200_000))

    @validates("consent_term")
    def _term(self, value: str, **kwargs: Any) -> None:
        try:
            parse_duration(value)
        except ValueError:
            raise ValidationError("not_duration") from None


class DocumentForm(Form):
    """A draft's document in one locale; ``max_bytes`` is MAX_DOCUMENT_BYTES, counted in
    UTF-8 bytes as publishing counts them (a Cyrillic letter is two)."""

    text = fields.String(required=True)
    summary = fields.String(validate=validate.Length(max=2000))
    title = fields.String(validate=validate.Length(max=200))

    def __init__(self, *, max_bytes: int = 1024 * 1024, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_bytes = max_bytes

    @pre_load
    def _as_stored(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        # Counted and kept as publishing stores it (NFC, "\n" line ends), so the length
        # the draft page shows and the bytes publishing counts are those of one text.
        if isinstance(data.get("text"), str):
            data = {**data, "text": normalize_document(data["text"])}
        return data

    @validates("text")
    def _size(self, value: str, **kwargs: Any) -> None:
        size = len(value.encode("utf-8", "surrogatepass"))
        if size > self.max_bytes:
            raise ValidationError(Message(
                f"{human_bytes(size)} in UTF-8, over MAX_DOCUMENT_BYTES, the "
                f"{human_bytes(self.max_bytes)} a document may have", "text_too_large",
                size=size, limit=self.max_bytes))
