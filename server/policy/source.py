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
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from server.errors import PolicySourceError
from server.messages import Message, human_bytes
from server.policy.schema import AppSchema, VersionSchema, is_publishable_locale
from server.strict_schema import by_field, flatten, nfc

__all__ = ["AppMetadata", "DocumentFile", "VersionSource", "load_app_dir", "load_version_dir",
           "review_markers", "schema_problems", "version_from_data"]


def schema_problems(where: str, exc: ValidationError, part: str) -> list[str]:
    """``where: field.path: message`` per schema error, each a :class:`Message` (code
    ``schema``) that keeps the field path and marshmallow's message apart; ``part`` is
    ``version`` or ``app`` (which form the field is on)."""
    out: list[str] = []
    for line in flatten(exc.messages):
        name, _, text = line.partition(": ")
        out.append(Message(f"{where}: {line}", "schema", field=name, message=text, part=part))
    return out


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
    # app.toml's [store] (docs/store-labels.md); {} when the app maps nothing for the stores.
    store: dict[str, Any] = field(default_factory=dict)

    @property
    def catalog(self) -> dict[str, Any]:
        # "store" only when set: an app without it stores the catalog it always did.
        return {"vendors": self.vendors, "data_categories": self.data_categories,
                "permissions": self.permissions, **({"store": self.store} if self.store else {})}

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
            raise PolicySourceError(schema_problems(source, exc, "app"),
                                    by_field(exc.messages)) from None
        return cls(**loaded)


def load_app_dir(path: Path) -> AppMetadata:
    """Read ``<path>/app.toml`` (or the file ``path``).

    Raises:
        PolicySourceError: the file is missing or invalid; a ``# REVIEW`` marker left by
            ``kelisim import --new-app`` is a problem, named by its line.
    """
    toml_path = path / "app.toml" if path.is_dir() else path
    data = _read_toml(toml_path)
    # An app.toml `kelisim import --new-app` wrote holds what it found or could not find,
    # marked for review: none of it is registered or published unread.
    markers = review_markers(toml_path.read_text(encoding="utf-8"), str(toml_path))
    if markers:
        raise PolicySourceError(markers)
    return AppMetadata.from_dict(data, str(toml_path))


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
    where = f"document.{tag}"
    if len(data) > max_document_bytes:
        problems.append(Message(
            f"{name}: {human_bytes(len(data))} is over MAX_DOCUMENT_BYTES, the limit of "
            f"{human_bytes(max_document_bytes)} a document may have in UTF-8",
            "doc_too_large", field=where, size=len(data), limit=max_document_bytes))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Message(f"{name}: not UTF-8 (byte {exc.start})", "doc_not_utf8",
                                field=where, byte=exc.start))
        return None
    text = unicodedata.normalize("NFC", text.removeprefix("\ufeff"))
    if not text.strip():
        problems.append(Message(f"{name}: document is empty", "doc_empty", field=where))
        return None
    if "\x00" in text:
        problems.append(Message(f"{name}: contains a NUL character", "doc_nul", field=where))
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
        raise PolicySourceError(schema_problems(toml_name, exc, "version")) from None
    problems: list[str] = []
    docs: dict[str, DocumentFile] = {}
    for tag in sorted(documents):
        name = f"{source}/{tag}.md"
        if not is_publishable_locale(tag):
            problems.append(Message(f"{name}: file name is not a locale tag "
                                    f"(kk.md, ru.md, en.md, uz.md, uz-Cyrl.md, ky.md)",
                                    "doc_not_locale", field=f"document.{tag}"))
            continue
        value = documents[tag]
        data = value.encode("utf-8") if isinstance(value, str) else value
        doc = _document(name, tag, data, max_document_bytes, spec, problems)
        if doc is not None:
            docs[tag] = doc
    if not docs and not problems:
        problems.append(Message(f"{source}: no documents; add one <locale>.md per language",
                                "no_documents"))
    for key in ("summary", "title"):
        for tag in spec[key]:
            if docs and tag not in docs:
                problems.append(Message(f"{toml_name}: {key}.{tag}: there is no {tag}.md "
                                        f"document", "no_document_in", field=f"{key}.{tag}",
                                        tag=tag))
    if spec["default_locale"] and docs and spec["default_locale"] not in docs:
        problems.append(Message(f"{toml_name}: default_locale: there is no "
                                f"{spec['default_locale']}.md document", "no_document_in",
                                field="default_locale", tag=spec["default_locale"]))
    for tag, doc in docs.items():
        if not doc.title:
            problems.append(Message(f"{source}/{tag}.md: no title; start the document with a "
                                    f"'# heading' or set title.{tag} in version.toml",
                                    "doc_no_title", field=f"title.{tag}", tag=tag))
    if problems:
        raise PolicySourceError(problems)
    return VersionSource(source=source, spec=spec, documents=docs)


_REVIEW_RE = re.compile(r"#\s*REVIEW\b")


def review_markers(text: str, name: str) -> list[str]:
    """A problem line for every ``# REVIEW`` marker (placeholders ``kelisim import``
    writes in version.toml and, with ``--new-app``, app.toml) left in ``text``."""
    return [f"{name}:{n}: still marked REVIEW by `kelisim import` ({line.strip()}); make the "
            f"value say what the policy says, then delete the marker"
            for n, line in enumerate(text.splitlines(), 1) if _REVIEW_RE.search(line)]


def load_version_dir(path: Path, max_document_bytes: int) -> VersionSource:
    """Read ``version.toml`` and the ``<locale>.md`` documents in the folder ``path``.

    Raises:
        PolicySourceError: any problem, each line naming the file and field; a
            ``# REVIEW`` marker left by ``kelisim import`` is one.
    """
    if not path.is_dir():
        raise PolicySourceError([f"{path}: not a directory"])
    raw = _read_toml(path / "version.toml")
    markers = review_markers((path / "version.toml").read_text(encoding="utf-8"),
                             str(path / "version.toml"))
    if markers:
        raise PolicySourceError(markers)
    documents: dict[str, bytes] = {}
    for doc_path in sorted(path.glob("*.md")):
        try:
            documents[doc_path.stem] = doc_path.read_bytes()
        except OSError as exc:
            raise PolicySourceError([f"{doc_path}: {exc.strerror}"]) from None
    return version_from_data(raw, documents, max_document_bytes=max_document_bytes,
                             source=str(path))
