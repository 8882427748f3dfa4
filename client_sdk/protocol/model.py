"""The signed documents as typed values: root and manifest payloads.

``Root.from_payload`` and ``Manifest.from_payload`` check every field the format fixes
(see docs/manifest-spec.md) and raise :class:`FormatError` naming the field. They do no I/O
and check no signatures: that is :mod:`client_sdk.protocol.envelope`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from datetime import datetime

from client_sdk.errors import FormatError
from client_sdk.protocol.ed25519 import VerifyKey
from client_sdk.protocol.envelope import key_from_dict
from client_sdk.protocol.grammar import ID_RE, SHA256_RE, is_locale
from client_sdk.protocol.reader import Reader
from client_sdk.protocol.record import Record, record
from client_sdk.protocol.rootlog import LOG_FIELDS, LogSpec, Witness, log_fields
from client_sdk.protocol.storefields import (
    CategoryStore,
    PurposeStore,
    VersionStore,
    category_store,
    purpose_store,
    version_store,
)
from client_sdk.protocol.timeutil import parse_duration

__all__ = [
    "CONSENT_MODE_SIGNALS",
    "LOCALES",
    "SIGNIFICANCES",
    "SPEC_VERSIONS",
    "CategoryStore",
    "Controller",
    "DataCategory",
    "HistoryEntry",
    "LocaleDoc",
    "LogSpec",
    "Manifest",
    "Permission",
    "Purpose",
    "PurposeStore",
    "Role",
    "Root",
    "Vendor",
    "Version",
    "VersionStore",
    "Witness",
]

SPEC_VERSION = 1
# The manifest spec versions this SDK reads: 2 adds the store label fields (``store`` of a
# version, its data categories and purposes; docs/manifest-spec.md). The server signs 2 only
# for a manifest that carries them, so one without them reads in an SDK that knows only 1.
SPEC_VERSIONS = (1, 2)
LOCALES = ("kk", "ru", "en", "uz", "ky")
SIGNIFICANCES = ("major", "minor", "patch")
ROLES = ("root", "manifest", "receipt")
# Google Consent Mode v2's four signals, in Google's order (a version's consent_mode maps
# each to the purposes it needs).
CONSENT_MODE_SIGNALS = ("ad_storage", "ad_user_data", "ad_personalization",
                        "analytics_storage")



@record
class Role(Record):
    """The key ids that sign for one role and how many of them must."""

    keyids: tuple[str, ...]
    threshold: int


@record
class Root(Record):
    """Payload of a root envelope: which keys sign what."""

    version: int
    expires: datetime
    keys: Mapping[str, VerifyKey]
    roles: Mapping[str, Role]
    # The transparency log (docs/transparency.md), absent in roots signed before it: the
    # origin of app A's consent log is ``<log.origin_prefix>/A``; the witnesses that may
    # cosign its checkpoints, and how many must.
    log: LogSpec | None = None
    witnesses: tuple[Witness, ...] = ()
    witness_threshold: int = 0

    @classmethod
    def from_payload(cls, data: object, *, verify_keyids: bool = True) -> Root:
        """Parse a root payload. ``verify_keyids=False`` skips re-hashing every key, for a
        root that was checked when it entered the local store."""
        r = Reader(data, "")
        r.only("_type", "spec_version", "version", "expires", "keys", "roles", *LOG_FIELDS)
        if r.string("_type") != "root":
            raise FormatError("must be 'root'", field="_type")
        if r.integer("spec_version") != SPEC_VERSION:
            raise FormatError(f"unsupported spec_version (this SDK reads {SPEC_VERSION})",
                              field="spec_version")
        version = r.integer("version", minimum=1)
        expires = r.time("expires")
        keys = {
            keyid: key_from_dict(keyid, kd, field=f"keys.{keyid}", verify_keyid=verify_keyids)
            for keyid, kd in r.mapping("keys").items()
        }
        roles_r = Reader(r.mapping("roles"), "roles")
        roles_r.only(*ROLES)
        roles: dict[str, Role] = {}
        for name in ROLES:
            rr = Reader(roles_r.mapping(name), f"roles.{name}")
            rr.only("keyids", "threshold")
            keyids = rr.strings("keyids", check=keys.__contains__, what="a key id in keys")
            threshold = rr.integer("threshold", minimum=1)
            if threshold > len(keyids):
                raise FormatError("is larger than the number of keys",
                                  field=f"roles.{name}.threshold")
            roles[name] = Role(tuple(keyids), threshold)
        log, witnesses, witness_threshold = log_fields(r)
        return cls(version=version, expires=expires, keys=keys, roles=roles, log=log,
                   witnesses=witnesses, witness_threshold=witness_threshold)

    def log_origin(self, app_id: str) -> str | None:
        """The origin of ``app_id``'s consent log, or None if this root names no log."""
        return None if self.log is None else f"{self.log.origin_prefix}/{app_id}"


@record
class LocaleDoc(Record):
    """One language's document of a version: title, where it is, its hash and length,
    and the change summary."""

    title: str
    url: str
    sha256: str
    length: int
    summary: str


@record
class Purpose(Record):
    """A processing purpose: titles and descriptions by language, the data it uses and
    the vendors it shares them with."""

    id: str
    required: bool
    title: Mapping[str, str]
    description: Mapping[str, str]
    data: tuple[str, ...]
    vendors: tuple[str, ...]
    store: PurposeStore | None = None


@record
class Vendor(Record):
    """A third party data are shared with, and its country."""

    id: str
    name: str
    country: str
    policy_url: str


@record
class DataCategory(Record):
    """A category of personal data, titled by language."""

    id: str
    title: Mapping[str, str]
    store: CategoryStore | None = None


@record
class Permission(Record):
    """A device permission the app asks for, the purposes it serves and why, by
    language."""

    id: str
    purposes: tuple[str, ...]
    rationale: Mapping[str, str]



@record
class Version(Record):
    """One published policy version, as the manifest carries it."""

    version: int
    label: str
    significance: str
    reconsent_required_since: int
    effective: datetime
    published: datetime
    min_age: int | None
    guardian_consent: bool
    consent_term: str | None
    default_locale: str
    locales: Mapping[str, LocaleDoc]
    purposes: tuple[Purpose, ...]
    vendors: tuple[Vendor, ...]
    data_categories: tuple[DataCategory, ...]
    permissions: tuple[Permission, ...]
    third_party_transfer: bool
    cross_border_transfer: bool
    public_disclosure: bool
    # Consent Mode signal -> the purposes it needs; optional in the payload (absent: {}).
    consent_mode: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Store labels (spec 2); None when the version maps nothing for the stores.
    store: VersionStore | None = None

    def purpose(self, purpose_id: str) -> Purpose | None:
        return next((p for p in self.purposes if p.id == purpose_id), None)

    @classmethod
    def from_payload(cls, data: object, path: str, spec: int = SPEC_VERSION) -> Version:
        """Parse a version; ``spec`` is the manifest's spec_version (2 allows ``store``)."""
        r = Reader(data, path)
        store_keys = ("store",) if spec >= 2 else ()
        r.only(
            "version", "label", "significance", "reconsent_required_since", "effective",
            "published", "min_age", "guardian_consent", "consent_term", "default_locale",
            "locales", "purposes", "vendors", "data_categories", "permissions",
            "third_party_transfer", "cross_border_transfer", "public_disclosure",
            "consent_mode", *store_keys,
        )
        number = r.integer("version", minimum=1)
        significance = r.string("significance")
        if significance not in SIGNIFICANCES:
            raise FormatError(f"must be one of {SIGNIFICANCES}", field=f"{path}.significance")
        since = r.integer("reconsent_required_since", minimum=1)
        if since > number:
            raise FormatError("is newer than the version itself",
                              field=f"{path}.reconsent_required_since")
        term = r.optional_string("consent_term")
        if term is not None:
            try:
                parse_duration(term)
            except ValueError as exc:
                raise FormatError(str(exc), field=f"{path}.consent_term") from None
        locales: dict[str, LocaleDoc] = {}
        for tag, doc in r.mapping("locales").items():
            lr = Reader(doc, f"{path}.locales.{tag}")
            if not is_locale(tag):
                raise FormatError("is not a locale tag", field=f"{path}.locales.{tag}")
            lr.only("title", "url", "sha256", "length", "summary")
            locales[tag] = LocaleDoc(
                title=lr.string("title"),
                url=lr.string("url"),
                sha256=lr.string("sha256", pattern=SHA256_RE),
                length=lr.integer("length"),
                summary=lr.string("summary"),
            )
        if not locales:
            raise FormatError("must name at least one document", field=f"{path}.locales")
        default_locale = r.string("default_locale")
        if default_locale not in locales:
            raise FormatError("has no document in locales", field=f"{path}.default_locale")
        vendors = []
        for vr in r.objects("vendors"):
            vr.only("id", "name", "country", "policy_url")
            vendors.append(Vendor(vr.string("id", pattern=ID_RE), vr.string("name"),
                                  vr.string("country"), vr.string("policy_url")))
        categories = []
        for cr in r.objects("data_categories"):
            cr.only("id", "title", *store_keys)
            categories.append(DataCategory(cr.string("id", pattern=ID_RE), cr.text("title"),
                                           category_store(cr)))
        purposes = []
        for pr in r.objects("purposes"):
            pr.only("id", "required", "title", "description", "data", "vendors", *store_keys)
            purposes.append(Purpose(
                id=pr.string("id", pattern=ID_RE), required=pr.boolean("required"),
                title=pr.text("title"), description=pr.text("description"),
                data=pr.ids("data"), vendors=pr.ids("vendors"), store=purpose_store(pr),
            ))
        permissions = []
        for mr in r.objects("permissions"):
            mr.only("id", "purposes", "rationale")
            permissions.append(Permission(mr.string("id", pattern=ID_RE), mr.ids("purposes"),
                                          mr.text("rationale")))
        _check_references(path, purposes, vendors, categories, permissions)
        consent_mode = _consent_mode(r, path, {p.id for p in purposes})
        effective = r.time("effective")
        published = r.time("published")
        return cls(
            version=number, label=r.string("label"), significance=significance,
            reconsent_required_since=since, effective=effective, published=published,
            min_age=r.optional_integer("min_age"),
            guardian_consent=r.boolean("guardian_consent"), consent_term=term,
            default_locale=default_locale, locales=locales, purposes=tuple(purposes),
            vendors=tuple(vendors), data_categories=tuple(categories),
            permissions=tuple(permissions),
            third_party_transfer=r.boolean("third_party_transfer"),
            cross_border_transfer=r.boolean("cross_border_transfer"),
            public_disclosure=r.boolean("public_disclosure"),
            consent_mode=consent_mode,
            store=version_store(r),
        )


def _consent_mode(r: Reader, path: str, purpose_ids: set[str]) -> dict[str, tuple[str, ...]]:
    if "consent_mode" not in r.data:
        return {}
    cm = Reader(r.mapping("consent_mode"), f"{path}.consent_mode")
    cm.only(*CONSENT_MODE_SIGNALS)
    mapping: dict[str, tuple[str, ...]] = {}
    for signal in CONSENT_MODE_SIGNALS:
        if signal in cm.data:
            ids = cm.ids(signal)
            for pid in ids:
                if pid not in purpose_ids:
                    raise FormatError(f"unknown purpose {pid!r}",
                                      field=f"{path}.consent_mode.{signal}")
            mapping[signal] = ids
    return mapping


def _check_references(
    path: str,
    purposes: list[Purpose],
    vendors: list[Vendor],
    categories: list[DataCategory],
    permissions: list[Permission],
) -> None:
    for name, items in (("purposes", purposes), ("vendors", vendors),
                        ("data_categories", categories), ("permissions", permissions)):
        ids = [i.id for i in items]
        if len(set(ids)) != len(ids):
            raise FormatError("has duplicate ids", field=f"{path}.{name}")
    vendor_ids = {v.id for v in vendors}
    category_ids = {c.id for c in categories}
    purpose_ids = {p.id for p in purposes}
    for i, p in enumerate(purposes):
        for v in p.vendors:
            if v not in vendor_ids:
                raise FormatError(f"unknown vendor {v!r}", field=f"{path}.purposes[{i}].vendors")
        for d in p.data:
            if d not in category_ids:
                raise FormatError(f"unknown data category {d!r}",
                                  field=f"{path}.purposes[{i}].data")
    for i, m in enumerate(permissions):
        for pid in m.purposes:
            if pid not in purpose_ids:
                raise FormatError(f"unknown purpose {pid!r}",
                                  field=f"{path}.permissions[{i}].purposes")


@record
class Controller(Record):
    """The operator: name, BIN, country, contact e-mail and address."""

    name: str
    bin: str
    country: str
    email: str
    address: str


@record
class HistoryEntry(Record):
    """A version older than ``current``: enough to tell a user what changed since."""

    version: int
    label: str
    significance: str
    effective: datetime
    summary: Mapping[str, str]


@record
class Manifest(Record):
    """Payload of a manifest envelope."""

    app: str
    seq: int
    issued: datetime
    expires: datetime
    controller: Controller
    current: Version
    upcoming: Version | None
    history: tuple[HistoryEntry, ...]

    @classmethod
    def from_payload(cls, data: object) -> Manifest:
        r = Reader(data, "")
        r.only("_type", "spec_version", "app", "seq", "issued", "expires", "controller",
               "current", "upcoming", "history")
        if r.string("_type") != "manifest":
            raise FormatError("must be 'manifest'", field="_type")
        spec = r.integer("spec_version")
        if spec not in SPEC_VERSIONS:
            raise FormatError(f"unsupported spec_version (this SDK reads "
                              f"{', '.join(map(str, SPEC_VERSIONS))})", field="spec_version")
        cr = Reader(r.mapping("controller"), "controller")
        cr.only("name", "bin", "country", "email", "address")
        controller = Controller(cr.string("name"), cr.string("bin"), cr.string("country"),
                                cr.string("email"), cr.string("address"))
        current = Version.from_payload(r.mapping("current"), "current", spec)
        upcoming_data = r.data.get("upcoming")
        upcoming = None
        if upcoming_data is not None:
            upcoming = Version.from_payload(upcoming_data, "upcoming", spec)
            if upcoming.version <= current.version:
                raise FormatError("must be newer than current", field="upcoming.version")
        history: list[HistoryEntry] = []
        for hr in r.objects("history"):
            hr.only("version", "label", "significance", "effective", "summary")
            significance = hr.string("significance")
            if significance not in SIGNIFICANCES:
                raise FormatError(f"must be one of {SIGNIFICANCES}",
                                  field=f"{hr.path}.significance")
            effective = hr.time("effective")
            history.append(HistoryEntry(hr.integer("version", minimum=1), hr.string("label"),
                                        significance, effective, hr.text("summary")))
        numbers = [h.version for h in history]
        if numbers != sorted(set(numbers)) or (numbers and numbers[-1] >= current.version):
            raise FormatError("must list older versions in increasing order", field="history")
        issued = r.time("issued")
        expires = r.time("expires")
        return cls(
            app=r.string("app", pattern=ID_RE), seq=r.integer("seq", minimum=1), issued=issued,
            expires=expires, controller=controller, current=current, upcoming=upcoming,
            history=tuple(history),
        )
