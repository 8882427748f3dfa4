"""Policy as code: reading and validating app metadata and a policy version, from folders
or from memory (the console's drafts).

Folder layout (see docs/policy-as-code.md)::

    jana-courier/
      app.toml            controller, default locale, vendors, data categories, permissions
      1.0/
        version.toml      label, significance, effective, purposes, flags, summaries
        kk.md ru.md en.md one Markdown document per locale

Every problem is reported as ``file: field: message``; nothing is stored unless the whole
version is valid.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from marshmallow import (
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)

from client_sdk.model import LOCALES, SIGNIFICANCES
from client_sdk.timeutil import format_time, parse_duration, parse_time

from .errors import PolicySourceError
from .validation import Strict, flatten, nfc

__all__ = ["AppMetadata", "DocumentFile", "VersionSource",
           "load_app_dir", "load_version_dir", "valid_bin", "version_from_data"]

ID = validate.Regexp(r"^[a-z0-9][a-z0-9_.-]{0,63}$", error="must be a lowercase id "
                     "(letters, digits, '-', '_', '.'; at most 64)")
LOCALE_TAG_RE = re.compile(r"^(kk|ru|en|uz|ky)(-(Cyrl|Latn))?$")


def valid_bin(value: str) -> bool:
    """Check a Kazakhstan BIN/IIN: 12 digits whose last is the mod-11 check digit."""
    if not re.fullmatch(r"\d{12}", value):
        return False
    digits = [int(c) for c in value]
    check = sum(d * w for d, w in zip(digits[:11], range(1, 12), strict=True)) % 11
    if check == 10:
        weights = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]
        check = sum(d * w for d, w in zip(digits[:11], weights, strict=True)) % 11
        if check == 10:
            return False
    return check == digits[11]


class LocaleText(fields.Dict):
    """``{kk = "...", ru = "..."}``: known locale tags to non-empty text."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(validate=validate.Regexp(
            LOCALE_TAG_RE, error="unknown locale tag; use kk, ru, en, uz or ky")),
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
    country = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Z]{2}$", error="must be an ISO 3166 two-letter code such as KZ"))
    email = fields.Email(required=True)
    address = fields.String(required=True, validate=validate.Length(min=1, max=500))

    @validates_schema(skip_on_field_errors=False)
    def _bin(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("country") == "KZ" and "bin" in data and not valid_bin(data["bin"]):
            raise ValidationError("is not a valid 12-digit BIN (check digit fails)", "bin")


class VendorSchema(Strict):
    id = fields.String(required=True, validate=ID)
    name = fields.String(required=True, validate=validate.Length(min=1))
    country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$"))
    policy_url = fields.Url(required=True, schemes={"https", "http"})


class DataCategorySchema(Strict):
    id = fields.String(required=True, validate=ID)
    title = LocaleText(required=True)


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
    id = fields.String(required=True, validate=ID)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    default_locale = fields.String(required=True, validate=validate.OneOf(LOCALES))
    controller = fields.Nested(ControllerSchema, required=True)
    vendors = fields.List(fields.Nested(VendorSchema), load_default=list)
    data_categories = fields.List(fields.Nested(DataCategorySchema), load_default=list)
    permissions = fields.List(fields.Nested(PermissionSchema), load_default=list)

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

    @post_load
    def _nfc(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        normalised: dict[str, Any] = nfc(data)
        return normalised


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PolicySourceError([f"{path}: file not found"]) from None
    except OSError as exc:
        raise PolicySourceError([f"{path}: {exc.strerror}"]) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PolicySourceError([f"{path}: not UTF-8 ({exc})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicySourceError([f"{path}: {exc}"]) from None


@dataclass(frozen=True)
class AppMetadata:
    """What app.toml says: identity, controller, and the catalog versions refer to."""

    id: str
    name: str
    default_locale: str
    controller: dict[str, Any]
    vendors: list[dict[str, Any]]
    data_categories: list[dict[str, Any]]
    permissions: list[dict[str, Any]]

    @property
    def catalog(self) -> dict[str, Any]:
        return {"vendors": self.vendors, "data_categories": self.data_categories,
                "permissions": self.permissions}

    def to_dict(self) -> dict[str, Any]:
        """The app.toml fields as plain data (what a version stores as its app metadata)."""
        return {"id": self.id, "name": self.name, "default_locale": self.default_locale,
                "controller": self.controller, **self.catalog}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "app.toml") -> AppMetadata:
        """Validate app metadata given as data (a parsed app.toml or a console form).

        Raises:
            PolicySourceError: every problem, as ``source: field: message``.
        """
        try:
            loaded = nfc(AppSchema().load(dict(data)))
        except ValidationError as exc:
            raise PolicySourceError([f"{source}: {m}" for m in flatten(exc.messages)]) from None
        return cls(**loaded)


def load_app_dir(path: Path) -> AppMetadata:
    """Read ``<path>/app.toml`` (or the file ``path``).

    Raises:
        PolicySourceError: the file is missing or invalid.
    """
    toml_path = path / "app.toml" if path.is_dir() else path
    return AppMetadata.from_dict(_read_toml(toml_path), str(toml_path))


@dataclass(frozen=True)
class DocumentFile:
    locale: str
    content: bytes  # NFC-normalised UTF-8
    sha256: str
    title: str


@dataclass(frozen=True)
class VersionSource:
    """A validated policy version: version.toml's fields and one document per locale.

    ``source`` names where it came from (a folder, or e.g. ``draft``) in messages.
    """

    source: str
    spec: dict[str, Any]
    documents: dict[str, DocumentFile] = field(default_factory=dict)

    @property
    def spec_file(self) -> str:
        return f"{self.source}/version.toml"


_HEADING_RE = re.compile(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _first_heading(text: str) -> str | None:
    m = _HEADING_RE.search(text)
    if not m:
        return None
    return m.group(1).replace("**", "").replace("__", "").strip() or None


def _document(name: str, tag: str, data: bytes, max_document_bytes: int,
              spec: dict[str, Any], problems: list[str]) -> DocumentFile | None:
    if len(data) > max_document_bytes:
        problems.append(f"{name}: {len(data)} bytes is over the limit of {max_document_bytes}")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(f"{name}: not UTF-8 (byte {exc.start})")
        return None
    text = unicodedata.normalize("NFC", text.removeprefix("\ufeff"))
    if not text.strip():
        problems.append(f"{name}: document is empty")
        return None
    if "\x00" in text:
        problems.append(f"{name}: contains a NUL character")
        return None
    content = text.encode("utf-8")
    title = spec["title"].get(tag) or _first_heading(text) or ""
    return DocumentFile(tag, content, hashlib.sha256(content).hexdigest(), title)


def version_from_data(raw_spec: Mapping[str, Any], documents: Mapping[str, bytes | str], *,
                      max_document_bytes: int, source: str = "draft") -> VersionSource:
    """Validate a version given as data: version.toml's fields and ``{locale: Markdown}``.

    Raises:
        PolicySourceError: every problem, each naming the file (``<source>/version.toml``,
            ``<source>/<locale>.md``) and field.
    """
    toml_name = f"{source}/version.toml"
    try:
        spec = VersionSchema().load(dict(raw_spec))
    except ValidationError as exc:
        raise PolicySourceError([f"{toml_name}: {m}" for m in flatten(exc.messages)]) from None
    problems: list[str] = []
    docs: dict[str, DocumentFile] = {}
    for tag in sorted(documents):
        name = f"{source}/{tag}.md"
        if not LOCALE_TAG_RE.match(tag):
            problems.append(f"{name}: file name is not a locale tag "
                            f"(kk.md, ru.md, en.md, uz.md, uz-Cyrl.md, ky.md)")
            continue
        value = documents[tag]
        data = value.encode("utf-8") if isinstance(value, str) else value
        doc = _document(name, tag, data, max_document_bytes, spec, problems)
        if doc is not None:
            docs[tag] = doc
    if not docs and not problems:
        problems.append(f"{source}: no documents; add one <locale>.md per language")
    for key in ("summary", "title"):
        for tag in spec[key]:
            if docs and tag not in docs:
                problems.append(f"{toml_name}: {key}.{tag}: there is no {tag}.md document")
    if spec["default_locale"] and docs and spec["default_locale"] not in docs:
        problems.append(f"{toml_name}: default_locale: there is no "
                        f"{spec['default_locale']}.md document")
    for tag, doc in docs.items():
        if not doc.title:
            problems.append(f"{source}/{tag}.md: no title; start the document with a "
                            f"'# heading' or set title.{tag} in version.toml")
    if problems:
        raise PolicySourceError(problems)
    return VersionSource(source=source, spec=spec, documents=docs)


def load_version_dir(path: Path, max_document_bytes: int) -> VersionSource:
    """Read ``version.toml`` and the ``<locale>.md`` documents in the folder ``path``.

    Raises:
        PolicySourceError: any problem, each line naming the file and field.
    """
    if not path.is_dir():
        raise PolicySourceError([f"{path}: not a directory"])
    raw = _read_toml(path / "version.toml")
    documents: dict[str, bytes] = {}
    for doc_path in sorted(path.glob("*.md")):
        try:
            documents[doc_path.stem] = doc_path.read_bytes()
        except OSError as exc:
            raise PolicySourceError([f"{doc_path}: {exc.strerror}"]) from None
    return version_from_data(raw, documents, max_document_bytes=max_document_bytes,
                             source=str(path))
