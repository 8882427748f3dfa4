"""The draft page's structure form: purposes (version.toml), vendors, data categories and
permissions (app.toml), each section described once in :data:`SECTIONS`.

The form is rendered from these descriptions (templates/admin/_structure.html), read back
from them (:func:`read`), turned into version.toml/app.toml data (:func:`data_of`) and
checked with the schemas of :mod:`server.policy.schema` (:func:`validate`), with every
problem named as the form names the field ("Purpose 2, title (ru)").

Adding a field to a section is one :class:`Field` entry in its ``fields`` (plus its label
in the three catalogues, i18n_texts.py, i18n_ru(_more).py, i18n_kk(_more).py, and the field in the
section's schema): rendering, reading, validation messages and the TOML round trip follow.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from server.admin.i18n import gettext as _
from server.admin.i18n import localized
from server.admin.messages import schema_text
from server.admin.tomltext import dumps
from server.policy.schema import AppSchema, VersionSchema
from server.strict_schema import flatten

__all__ = ["MAX_ROWS", "SECTIONS", "Field", "Section", "State", "apply_op", "choices",
           "data_of", "locales_of", "read", "state_of", "validate"]

# text: one line; bool: a check box; option: one of ``options``; locale_text: one text per
# language, side by side; refs: ids chosen from the section named by ``ref``.
Kind = Literal["text", "bool", "option", "locale_text", "refs", "toml"]
MAX_ROWS = 200  # per section; a form claiming more is cut there


@dataclass(frozen=True)
class Field:
    """One field of a section's rows.

    ``name`` is the key in the TOML table; ``label`` the catalogue text the form shows;
    ``optional`` leaves the key out of the data when it is empty (or false), for fields
    whose schema has a default."""

    name: str
    kind: Kind
    label: str
    ref: str = ""
    options: tuple[str, ...] = ()
    long: bool = False
    optional: bool = False
    hint: str = ""  # a catalogue text shown under the field


@dataclass(frozen=True)
class Section:
    """A list of tables: ``home`` says which file holds it (version.toml or app.toml);
    ``item`` is the catalogue text naming one row (``{n}`` its number from 1), ``add``
    the add button's text."""

    name: str
    label: str
    item: str
    add: str
    home: Literal["version", "app"]
    fields: tuple[Field, ...] = field(default_factory=tuple)

    @property
    def plain(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.kind in ("text", "bool", "option"))

    @property
    def refs(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.kind == "refs")

    @property
    def tables(self) -> tuple[Field, ...]:
        """Nested tables edited as a few lines of TOML (a category's store labels)."""
        return tuple(f for f in self.fields if f.kind == "toml")

    @property
    def texts(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.kind == "locale_text")

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


SECTIONS: tuple[Section, ...] = (
    Section("purposes", "Purposes", "Purpose {n}", "Add a purpose", "version", (
        Field("id", "text", "Id"),
        Field("required", "bool", "Required (not optional for the user)"),
        Field("title", "locale_text", "Title"),
        Field("description", "locale_text", "Description", long=True),
        Field("data", "refs", "Data categories", ref="data_categories"),
        Field("vendors", "refs", "Vendors", ref="vendors"),
        Field("store", "toml", "Store purposes (TOML: apple, play)", long=True, optional=True),
    )),
    Section("vendors", "Vendors", "Vendor {n}", "Add a vendor", "app", (
        Field("id", "text", "Id"),
        Field("name", "text", "Name"),
        Field("country", "text", "Country (two letters, e.g. US)"),
        Field("policy_url", "text", "Privacy policy URL"),
    )),
    Section("data_categories", "Data categories", "Data category {n}", "Add a data category",
            "app", (
                Field("id", "text", "Id"),
                Field("title", "locale_text", "Title"),
                Field("store", "toml", "Store labels (TOML: apple, play, linked, tracking, "
                      "ephemeral)", long=True, optional=True),
            )),
    Section("permissions", "Permissions", "Permission {n}", "Add a permission", "app", (
        Field("id", "text", "Id", hint="Your own name for it (e.g. camera), not Android's "
              "permission string"),
        Field("rationale", "locale_text", "Rationale", long=True),
        Field("purposes", "refs", "Purposes", ref="purposes"),
    )),
)
BY_NAME = {s.name: s for s in SECTIONS}

Row = dict[str, Any]
State = dict[str, list[Row]]


def _blank(f: Field) -> Any:
    return {"bool": False, "locale_text": {}, "refs": []}.get(f.kind, "")


def _row_of(section: Section, item: Mapping[str, Any]) -> Row:
    row: Row = {}
    for f in section.fields:
        value = item.get(f.name, _blank(f))
        if f.kind == "bool":
            row[f.name] = value is True
        elif f.kind == "locale_text":
            row[f.name] = {str(k): str(v) for k, v in value.items()} if isinstance(
                value, Mapping) else {}
        elif f.kind == "refs":
            row[f.name] = [str(v) for v in value] if isinstance(value, list) else []
        elif f.kind == "toml":
            row[f.name] = dumps(dict(value)).strip() if isinstance(value, Mapping) else ""
        else:
            row[f.name] = "" if value is None else str(value)
    return row


def state_of(spec: Mapping[str, Any], meta: Mapping[str, Any]) -> State:
    """The form's rows for what a draft stores (``meta``: its app metadata, or the app's)."""
    out: State = {}
    for s in SECTIONS:
        items = (spec if s.home == "version" else meta).get(s.name) or []
        out[s.name] = [_row_of(s, i) for i in items if isinstance(i, Mapping)]
    return out


def read(form: MultiDict[str, str]) -> State:
    """The rows as the browser sent them, kept as typed (nothing is dropped or checked)."""
    out: State = {}
    keys = list(form.keys())
    for s in SECTIONS:
        count = form.get(f"{s.name}-rows", "0")
        n = min(int(count), MAX_ROWS) if isinstance(count, str) and count.isdigit() else 0
        rows: list[Row] = []
        for i in range(n):
            key = f"{s.name}-{i}-"
            row: Row = {}
            for f in s.fields:
                name = key + f.name
                if f.kind == "bool":
                    row[f.name] = form.get(name) == "true"
                elif f.kind == "refs":
                    row[f.name] = [v.strip() for v in form.getlist(name) if v.strip()]
                elif f.kind == "locale_text":
                    prefix = name + "-"
                    row[f.name] = {k[len(prefix):]: str(form.get(k) or "")
                                   for k in keys if k.startswith(prefix)}
                else:
                    row[f.name] = str(form.get(name) or "")
            rows.append(row)
        out[s.name] = rows
    return out


def _item_of(section: Section, row: Row) -> dict[str, Any]:
    """A row as the TOML table holds it: empty texts and languages left out, so the
    schema says what is missing."""
    item: dict[str, Any] = {}
    for f in section.fields:
        value = row.get(f.name, _blank(f))
        if f.kind == "text" or f.kind == "option":
            value = str(value).strip()
            if value:
                item[f.name] = value
        elif f.kind == "locale_text":
            texts = {tag: text.strip() for tag, text in value.items() if text.strip()}
            if texts:
                item[f.name] = texts
        elif f.kind == "bool":
            if value or not f.optional:
                item[f.name] = bool(value)
        elif f.kind == "toml":
            text = str(value).strip()
            if text:
                try:
                    item[f.name] = tomllib.loads(text)
                except (tomllib.TOMLDecodeError, RecursionError):
                    item[f.name] = text  # not a table: the schema names the field
        elif value or not f.optional:
            item[f.name] = list(value)
    return item


def data_of(state: State) -> dict[str, list[dict[str, Any]]]:
    return {s.name: [_item_of(s, r) for r in state.get(s.name, [])] for s in SECTIONS}


def locales_of(documents: Mapping[str, str], state: State, order: tuple[str, ...],
               default: str) -> list[str]:
    """The languages the per-language fields show: the draft's documents, and any other
    the rows hold text in; the default language first (alone when there is none yet)."""
    tags = set(documents) or {default}
    for s in SECTIONS:
        for row in state.get(s.name, []):
            for f in s.texts:
                tags |= {t for t, v in row.get(f.name, {}).items() if v.strip()}

    def rank(tag: str) -> tuple[int, int, str]:
        base = tag.split("-")[0]
        return (tag != default, order.index(base) if base in order else len(order), tag)

    return sorted(tags, key=rank)


def _name(section: Section, i: int, row: Row) -> str:
    """"Purpose 2 (delivery)"."""
    ident = str(row.get("id") or "").strip()
    item = _(section.item, n=i + 1)
    return f"{item} ({ident})" if ident else item


def choices(state: State, default: str) -> dict[str, list[tuple[str, str]]]:
    """(id, what a reader calls it) of every row, per section, for the ``refs`` fields."""
    out: dict[str, list[tuple[str, str]]] = {}
    for s in SECTIONS:
        items = []
        for row in state.get(s.name, []):
            ident = str(row.get("id") or "").strip()
            if not ident:
                continue
            title = row.get("title") or row.get("name") or ""
            if isinstance(title, dict):
                title = localized(title, default)
            items.append((ident, str(title)))
        out[s.name] = items
    return out


def _users(state: State, section: str, ident: str) -> list[str]:
    """The rows of other sections whose ``refs`` name ``ident`` of ``section``."""
    out = []
    for s in SECTIONS:
        for f in s.refs:
            if f.ref != section:
                continue
            for i, row in enumerate(state.get(s.name, [])):
                if ident in row.get(f.name, []):
                    out.append(_name(s, i, row))
    return out


def _outside(section: str, ident: str, spec: Mapping[str, Any]) -> list[str]:
    """What outside this form names ``ident``: Consent Mode signals name purposes."""
    if section == "purposes":
        return [_("Google Consent Mode signal {signal}", signal=signal)
                for signal, ids in (spec.get("consent_mode") or {}).items() if ident in ids]
    return []


def apply_op(state: State, op: str, spec: Mapping[str, Any]) -> dict[str, list[str]]:
    """Add, move or remove a row in place (``purposes:add``, ``vendors:2:up``,
    ``permissions:0:remove``); returns errors when the row cannot be removed because
    another row names it (nothing changes then)."""
    parts = op.split(":")
    section = BY_NAME.get(parts[0]) if parts else None
    if section is None:
        return {}
    rows = state.setdefault(section.name, [])
    if parts[1:] == ["add"]:
        if len(rows) < MAX_ROWS:
            rows.append({f.name: _blank(f) for f in section.fields})
        return {}
    if len(parts) != 3 or not parts[1].isdigit() or int(parts[1]) >= len(rows):
        return {}
    i, what = int(parts[1]), parts[2]
    if what == "up" and i > 0:
        rows[i - 1], rows[i] = rows[i], rows[i - 1]
    elif what == "down" and i + 1 < len(rows):
        rows[i + 1], rows[i] = rows[i], rows[i + 1]
    elif what == "remove":
        ident = str(rows[i].get("id") or "").strip()
        users = [*_users(state, section.name, ident), *_outside(section.name, ident, spec)
                 ] if ident else []
        if users:
            return {f"{section.name}-{i}": [_("structure_in_use", what=_name(
                section, i, rows[i]), users=", ".join(users))]}
        del rows[i]
    return {}


# marshmallow's and the schemas' messages, as catalogue codes (the rest is shown as is).
_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Missing data for required field\.\Z"), "structure_required"),
    (re.compile(r"must be a lowercase id"), "structure_not_id"),
    (re.compile(r"must be an ISO 3166 two-letter code"), "structure_not_country"),
    (re.compile(r"Not a valid URL\.\Z"), "structure_not_url"),
    (re.compile(r"duplicate id '(?P<id>.*)'\Z"), "structure_duplicate"),
    (re.compile(r"needs at least one purpose\Z"), "structure_one_purpose"),
    (re.compile(r"unknown locale tag"), "structure_bad_locale"),
    (re.compile(r"(Shorter than minimum length|Length must be between)"), "structure_length"),
)


def _message(text: str) -> str:
    for pattern, code in _MESSAGES:
        m = pattern.search(text)
        if m:
            return _(code, **m.groupdict())
    return text


def _field_errors(section: Section, i: int, row: Row, messages: Any,
                  out: dict[str, list[str]]) -> None:
    """Put one row's schema messages under the form's names for its fields."""
    if not isinstance(messages, dict):
        out.setdefault(f"{section.name}-{i}", []).extend(
            _message(str(m)) for m in (messages if isinstance(messages, list) else [messages]))
        return
    for name, value in messages.items():
        f = section.field(str(name))
        where = _name(section, i, row)
        if f is None:
            out.setdefault(f"{section.name}-{i}", []).append(
                f"{where}, {name}: {_message(str(value))}")
            continue
        label = f"{where}, {_(f.label)}"
        if f.kind == "locale_text" and isinstance(value, dict):
            for tag, inner in value.items():
                text = inner.get("value") or inner.get("key") if isinstance(inner, dict) \
                    else inner
                key = f"{section.name}-{i}-{f.name}-{tag}"
                for m in text if isinstance(text, list) else [text]:
                    out.setdefault(key, []).append(f"{label} ({tag}): {_message(str(m))}")
            continue
        if f.kind == "toml":
            for line in flatten(value if isinstance(value, dict) else {"": value}):
                key, _sep, text = line.rpartition(": ")
                where_in = f" · {key.lstrip(': ')}" if key.strip(": ") else ""
                out.setdefault(f"{section.name}-{i}-{f.name}", []).append(
                    f"{label}{where_in}: {schema_text(text)}")
            continue
        if isinstance(value, dict):  # a list field: {index: [messages]}
            value = [m for ms in value.values() for m in (ms if isinstance(ms, list) else [ms])]
        for m in value if isinstance(value, list) else [value]:
            out.setdefault(f"{section.name}-{i}-{f.name}", []).append(
                f"{label}: {_message(str(m))}")


def _schema_errors(messages: Mapping[str, Any], state: State,
                   out: dict[str, list[str]]) -> None:
    for s in SECTIONS:
        value = messages.get(s.name)
        if value is None:
            continue
        if isinstance(value, dict):
            rows = state.get(s.name, [])
            for i, inner in value.items():
                if isinstance(i, int) and i < len(rows):
                    _field_errors(s, i, rows[i], inner, out)
        else:
            out.setdefault(s.name, []).extend(
                f"{_(s.label)}: {_message(str(m))}"
                for m in (value if isinstance(value, list) else [value]))


def _reference_errors(state: State, spec: Mapping[str, Any],
                      out: dict[str, list[str]]) -> None:
    """Every ``refs`` value names a row of its section (``purposes`` a permission lists
    may be of other versions: the published version keeps only its own); what outside
    the form names a row is still there."""
    ids = {s.name: {str(r.get("id") or "").strip() for r in state.get(s.name, [])}
           for s in SECTIONS}
    for s in SECTIONS:
        for i, row in enumerate(state.get(s.name, [])):
            for f in s.refs:
                if f.ref == "purposes":
                    continue
                for ident in row.get(f.name, []):
                    if ident not in ids[f.ref]:
                        out.setdefault(f"{s.name}-{i}-{f.name}", []).append(
                            _("structure_unknown_ref", where=f"{_name(s, i, row)}, "
                              f"{_(f.label)}", id=ident, section=_(BY_NAME[f.ref].label)))
    for signal, named in (spec.get("consent_mode") or {}).items():
        for ident in named:
            if ident not in ids["purposes"]:
                out.setdefault("purposes", []).append(_(
                    "structure_consent_mode", signal=signal, id=ident))


def validate(state: State, spec: Mapping[str, Any], meta: Mapping[str, Any]
             ) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, list[str]]]:
    """(purposes, app metadata, errors by form field): the rows checked with the same
    schemas as version.toml and app.toml (VersionSchema, AppSchema) and their references
    with each other. Only the fields of this form are judged; the rest of the draft is the
    Version form's (and the guard's) to judge."""
    data = data_of(state)
    errors: dict[str, list[str]] = {}
    purposes = data["purposes"]
    new_meta = {**meta, **{s.name: data[s.name] for s in SECTIONS if s.home == "app"}}
    try:
        VersionSchema().load({**spec, "purposes": purposes})
    except ValidationError as exc:
        if isinstance(exc.messages, dict):
            _schema_errors(exc.messages, state, errors)
    try:
        AppSchema().load(dict(new_meta))
    except ValidationError as exc:
        if isinstance(exc.messages, dict):
            _schema_errors(exc.messages, state, errors)
    _reference_errors(state, spec, errors)
    return purposes, new_meta, errors


def labels() -> list[str]:
    """Every catalogue text this module shows (tests check all three languages have them)."""
    out = ["structure_in_use", "structure_unknown_ref", "structure_consent_mode",
           "Google Consent Mode signal {signal}", *(code for _p, code in _MESSAGES)]
    for s in SECTIONS:
        out += [s.label, s.item, s.add, *(f.label for f in s.fields), *(
            o for f in s.fields for o in f.options), *(f.hint for f in s.fields if f.hint)]
    return out
