"""Receipts: their typed payload, how one is built, and which receipts confirm which
records. Bytes in, no I/O.

A receipt is a DSSE envelope the server signs with a receipt key the root names. The SDK
verifies the exact bytes the server sent and stores those bytes unchanged, so that a receipt
kept on the device can be shown to anyone holding the root. A receipt confirms a record only
when it is for this app and this install, of the right kind, and names the record with the
same action, version, document, purposes and time.

API::

    ReceiptEntry(id, action, version, document_sha256, purposes, client_time,
                 server_time, seq, chain_hash)        # a consent record a receipt names
    RequestEntry(id, client_time, server_time, kind=None, deadline=None, withdraw=None,
                 note_sha256=None)                    # the request one names
    Receipt(kind, app, install, issued, records=(), request=None)
        Receipt.parse(payload: bytes, *, kind=None, url=None) -> Receipt
        receipt.to_payload() -> dict;  receipt.to_bytes() -> bytes (canonical JSON)
        receipt.entry(record_id) -> ReceiptEntry | None
    receipt_entry(record, *, server_time, seq, chain_hash) -> dict
    consents_payload(app, install, issued, entries) -> bytes
    deletion_payload(app, install, issued, request_id, client_time) -> bytes
    request_payload(app, install, issued, request_id, kind, client_time, deadline,
                    withdraw, note) -> bytes
    note_digest(note) -> str | None
    receipt_signers(env, root, *, url=None) -> tuple[str, ...]
    verify_receipt(raw, root, *, app_id, install_id, kind, url=None) -> Receipt
    confirms(receipt, record) -> bool;  confirms_deletion(receipt, request_id, client_time)
    confirms_request(receipt, request_id, kind, client_time, withdraw, note) -> bool
    confirms_stored(receipt, record, *, install, seq, chain_hash) -> bool

The payload (``_type`` ``receipt``, ``spec_version`` 1)::

    {kind: "consents", app, install, issued, records: [ReceiptEntry...]}
    {kind: "deletion_request", app, install, issued, request: RequestEntry}
        (id, client_time, server_time: the deletion endpoint of SDKs before requests)
    {kind: "request", app, install, issued, request: RequestEntry}
        (id, kind, client_time, server_time, deadline, withdraw, note_sha256: a request of
        the data subject, with the deadline the operator must answer by; the note is
        committed to by its sha256 over its UTF-8 bytes)

``Receipt.parse`` is strict: every field present, of its type (the record's fields as
:mod:`.records` defines them), nothing else; a :class:`FormatError` names the field
(``records[0].version``). The server builds payloads with :func:`consents_payload` (one
dict per record, no value objects: this is on the ingest path) and
:func:`deletion_payload`; tests/test_receipts.py checks that they parse back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Literal

from client_sdk.errors import FormatError
from client_sdk.protocol.envelope import (
    PAYLOAD_RECEIPT,
    ParsedEnvelope,
    parse_envelope,
    verify_threshold,
)
from client_sdk.protocol.grammar import is_id, is_time, is_uuid
from client_sdk.protocol.jsonutil import canonical_bytes, loads_strict
from client_sdk.protocol.model import Root
from client_sdk.protocol.reader import Reader
from client_sdk.protocol.record import Record, record
from client_sdk.protocol.records import RECORD_FIELDS, RecordField, describe, field_accepts

__all__ = [
    "ENTRY_FIELDS",
    "KINDS",
    "Receipt",
    "ReceiptEntry",
    "RequestEntry",
    "confirms",
    "confirms_deletion",
    "confirms_request",
    "confirms_stored",
    "consents_payload",
    "deletion_payload",
    "note_digest",
    "receipt_entry",
    "receipt_signers",
    "request_payload",
    "verify_receipt",
]

ReceiptKind = Literal["consents", "deletion_request", "request"]
KINDS: Final[tuple[ReceiptKind, ...]] = ("consents", "deletion_request", "request")

_RECORD = {f.name: f for f in RECORD_FIELDS}
# What a receipt says of each record: what identifies it as the client sent it, then where
# the server put it.
_FROM_RECORD: Final = ("id", "action", "version", "document_sha256", "purposes", "client_time")
ENTRY_FIELDS: Final[tuple[RecordField, ...]] = (
    *(_RECORD[name] for name in _FROM_RECORD),
    RecordField("server_time", "time"),
    RecordField("seq", "int32", minimum=1),
    RecordField("chain_hash", "sha256"),
)
_REQUEST_FIELDS: Final[tuple[RecordField, ...]] = (
    RecordField("id", "uuid"), RecordField("client_time", "time"),
    RecordField("server_time", "time"))
_SUBJECT_REQUEST_FIELDS: Final[tuple[RecordField, ...]] = (
    RecordField("id", "uuid"), RecordField("kind", "request_kind"),
    RecordField("client_time", "time"), RecordField("server_time", "time"),
    RecordField("deadline", "time"), RecordField("withdraw", "bool", nullable=True),
    RecordField("note_sha256", "sha256", nullable=True))
_TOP: Final = ("_type", "spec_version", "kind", "app", "install", "issued")


@record
class ReceiptEntry(Record):
    """One consent record a ``consents`` receipt names."""

    id: str
    action: str
    version: int
    document_sha256: str | None
    purposes: Mapping[str, bool]
    client_time: str
    server_time: str
    seq: int
    chain_hash: str


@record
class RequestEntry(Record):
    """The request a ``deletion_request`` or ``request`` receipt names (the fields after
    ``server_time`` only in a ``request`` receipt)."""

    id: str
    client_time: str
    server_time: str
    kind: str | None = None
    deadline: str | None = None
    withdraw: bool | None = None
    note_sha256: str | None = None


def _request_fields(kind: str) -> tuple[RecordField, ...]:
    return _SUBJECT_REQUEST_FIELDS if kind == "request" else _REQUEST_FIELDS


def _checked(r: Reader, fields: tuple[RecordField, ...]) -> dict[str, Any]:
    """The values of ``fields``, each present and of its type, and nothing else."""
    r.only(*(f.name for f in fields))
    out: dict[str, Any] = {}
    for f in fields:
        value = r.value(f.name)
        if not field_accepts(f, value):
            raise FormatError(f"must be {describe(f)}", field=r.name(f.name))
        out[f.name] = _plain(value)
    return out


@record
class Receipt(Record):
    """The payload of a receipt envelope (see the module docstring)."""

    kind: ReceiptKind
    app: str
    install: str
    issued: str
    records: tuple[ReceiptEntry, ...] = ()
    request: RequestEntry | None = None

    @classmethod
    def parse(cls, payload: bytes, *, kind: str | None = None,
              url: str | None = None) -> Receipt:
        """Parse a receipt envelope's payload bytes, strictly; with ``kind``, a receipt of
        another kind is refused before anything else is read.

        Raises:
            FormatError: not JSON under the strict rules, not a receipt payload, a receipt
                of another ``kind``, or a field missing, unknown or of the wrong type
                (named, e.g. ``records[0].version``).
        """
        data = loads_strict(payload, what="receipt payload", url=url)
        if not isinstance(data, dict) or data.get("_type") != "receipt" or \
                data.get("spec_version") != 1:
            raise FormatError("not a receipt payload", url=url)
        found = data.get("kind")
        if kind is not None and found != kind:
            raise FormatError(f"a {found!r} receipt where a {kind!r} one was due",
                              field="kind", url=url)
        if found not in KINDS:
            raise FormatError(f"must be one of {', '.join(KINDS)}", field="kind", url=url)
        try:
            r = Reader(data, "")
            r.only(*_TOP, "records" if found == "consents" else "request")
            app = _string(r, "app", is_id, "an app id")
            install = _string(r, "install", is_uuid, "a lower-case UUID")
            issued = _string(r, "issued", is_time, "an RFC 3339 UTC time like "
                                                     "2026-01-01T00:00:00Z")
            if found == "consents":
                entries = tuple(ReceiptEntry(**_checked(e, ENTRY_FIELDS))
                                for e in r.objects("records"))
                return cls("consents", app, install, issued, records=entries)
            request = RequestEntry(**_checked(Reader(r.mapping("request"), "request"),
                                              _request_fields(found)))
            return cls(found, app, install, issued, request=request)
        except FormatError as exc:
            exc.url = url  # the Reader knows the field, not where the bytes came from
            raise

    def to_payload(self) -> dict[str, Any]:
        """The payload as a JSON object (what :meth:`parse` reads)."""
        out: dict[str, Any] = {"_type": "receipt", "spec_version": 1, "kind": self.kind,
                               "app": self.app, "install": self.install,
                               "issued": self.issued}
        if self.kind == "consents":
            out["records"] = [{f.name: _plain(getattr(e, f.name)) for f in ENTRY_FIELDS}
                              for e in self.records]
        else:
            assert self.request is not None
            out["request"] = {f.name: getattr(self.request, f.name)
                              for f in _request_fields(self.kind)}
        return out

    def to_bytes(self) -> bytes:
        """The payload as canonical JSON: the bytes the server signs."""
        return canonical_bytes(self.to_payload())

    def entry(self, record_id: str) -> ReceiptEntry | None:
        """The entry naming ``record_id``, if any."""
        return next((e for e in self.records if e.id == record_id), None)


def _plain(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else value


def _string(r: Reader, key: str, check: Callable[[object], bool], what: str) -> str:
    value = r.value(key)
    if not (isinstance(value, str) and check(value)):
        raise FormatError(f"must be {what}", field=r.name(key))
    return value


def receipt_entry(record: Mapping[str, Any], *, server_time: str, seq: int,
                  chain_hash: str) -> dict[str, Any]:
    """What a ``consents`` receipt says of ``record`` (a record as the client sent it), with
    where the server put it."""
    entry = {name: record[name] for name in _FROM_RECORD}
    entry.update(server_time=server_time, seq=seq, chain_hash=chain_hash)
    return entry


def consents_payload(app: str, install: str, issued: str,
                     entries: Iterable[Mapping[str, Any]]) -> bytes:
    """The payload bytes of a ``consents`` receipt naming ``entries`` (each from
    :func:`receipt_entry`)."""
    return canonical_bytes({"_type": "receipt", "spec_version": 1, "kind": "consents",
                            "app": app, "install": install, "issued": issued,
                            "records": list(entries)})


def deletion_payload(app: str, install: str, issued: str, request_id: str,
                     client_time: str) -> bytes:
    """The payload bytes of a ``deletion_request`` receipt, issued when it was received."""
    return Receipt("deletion_request", app, install, issued,
                   request=RequestEntry(request_id, client_time, issued)).to_bytes()


def note_digest(note: str | None) -> str | None:
    """The sha256 a ``request`` receipt holds for a request's note (None for none)."""
    return None if note is None else hashlib.sha256(note.encode("utf-8")).hexdigest()


def request_payload(app: str, install: str, issued: str, request_id: str, kind: str,
                    client_time: str, deadline: str, withdraw: bool | None,
                    note: str | None) -> bytes:
    """The payload bytes of a ``request`` receipt, issued when it was received."""
    return Receipt("request", app, install, issued, request=RequestEntry(
        request_id, client_time, issued, kind, deadline, withdraw,
        note_digest(note))).to_bytes()


def receipt_signers(env: ParsedEnvelope, root: Root, *, url: str | None = None
                    ) -> tuple[str, ...]:
    """The receipt keys of ``root`` that signed ``env`` (at least the role's threshold).

    Raises:
        SignatureError: not signed by a threshold of the root's receipt keys (a manifest or
            root key is not a receipt key).
    """
    role = root.roles["receipt"]
    return verify_threshold(env, root.keys, role.keyids, role.threshold, role="receipt",
                            url=url)


def verify_receipt(raw: bytes, root: Root, *, app_id: str, install_id: str, kind: str,
                   url: str | None = None) -> Receipt:
    """Verify receipt envelope bytes and return the receipt.

    Raises:
        FormatError: not a receipt envelope, or one of another kind, app or install, or a
            payload that does not parse (see :meth:`Receipt.parse`).
        SignatureError: not signed by a threshold of the root's receipt keys.
    """
    env = parse_envelope(raw, PAYLOAD_RECEIPT, url=url)
    receipt_signers(env, root, url=url)
    receipt = Receipt.parse(env.payload, kind=kind, url=url)
    if receipt.app != app_id:
        raise FormatError(f"receipt for app {receipt.app!r}, not {app_id!r}",
                          field="app", url=url)
    if receipt.install != install_id:
        raise FormatError("receipt for another install", field="install", url=url)
    return receipt


def confirms(receipt: Receipt, record: Mapping[str, Any]) -> bool:
    """Whether a verified ``consents`` receipt names ``record`` (a record's fields, as
    :mod:`.records` defines them) exactly."""
    entry = receipt.entry(record["id"])
    return entry is not None and all(
        getattr(entry, name) == _plain(record[name]) for name in _FROM_RECORD)


def confirms_deletion(receipt: Receipt, request_id: str, client_time: str) -> bool:
    """Whether a verified ``deletion_request`` receipt names this request exactly."""
    request = receipt.request
    return request is not None and request.id == request_id and \
        request.client_time == client_time


def confirms_request(receipt: Receipt, request_id: str, kind: str, client_time: str,
                     withdraw: bool | None, note: str | None) -> bool:
    """Whether a verified ``request`` receipt names this request exactly (its note by
    sha256)."""
    r = receipt.request
    return r is not None and receipt.kind == "request" and r.id == request_id and \
        r.kind == kind and r.client_time == client_time and r.withdraw is withdraw and \
        r.note_sha256 == note_digest(note)


def confirms_stored(receipt: Receipt, record: Mapping[str, Any], *, install: str, seq: int,
                    chain_hash: str) -> bool:
    """Whether a receipt names a stored record exactly: :func:`confirms`, for its
    install, at its place in the chain (an auditor's check: server/admin/verify.py)."""
    entry = receipt.entry(record["id"])
    return entry is not None and receipt.install == install and entry.seq == seq and \
        entry.chain_hash == chain_hash and confirms(receipt, record)
