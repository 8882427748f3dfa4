"""client_sdk.protocol.receipts: the typed receipt, parsed strictly from payload bytes and
built the way the server builds it; which receipts confirm which records. No server, no
store: values and bytes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from client_sdk.errors import FormatError, SignatureError
from client_sdk.protocol.envelope import PAYLOAD_RECEIPT, parse_envelope
from client_sdk.protocol.jsonutil import canonical_bytes
from client_sdk.protocol.model import Root
from client_sdk.protocol.receipts import (
    Receipt,
    ReceiptEntry,
    RequestEntry,
    confirms,
    confirms_deletion,
    confirms_stored,
    consents_payload,
    deletion_payload,
    receipt_entry,
    receipt_signers,
    verify_receipt,
)
from simulator import Key, Simulator, envelope

APP = "demo"
INSTALL = "0f8fad5b-d9cb-469f-a165-70867728950e"
RECORD: dict[str, Any] = {
    "id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "action": "accept", "version": 2,
    "document_sha256": "ab" * 32, "locale": "kk", "purposes": {"service": True, "ads": False},
    "evidence": {}, "age_confirmed": None, "guardian": None,
    "client_time": "2026-01-15T11:59:00Z", "manifest_seq": 3}
ISSUED = "2026-01-15T12:00:00Z"
CHAIN = "cd" * 32


def consents() -> bytes:
    return consents_payload(APP, INSTALL, ISSUED, [
        receipt_entry(RECORD, server_time=ISSUED, seq=7, chain_hash=CHAIN)])


def test_a_built_consents_receipt_parses_back_typed() -> None:
    """What the server builds is what the SDK reads: every field typed, none lost."""
    receipt = Receipt.parse(consents(), kind="consents")
    assert receipt == Receipt("consents", APP, INSTALL, ISSUED, records=(ReceiptEntry(
        RECORD["id"], "accept", 2, "ab" * 32, {"service": True, "ads": False},
        RECORD["client_time"], ISSUED, 7, CHAIN),))
    assert receipt.to_bytes() == consents()
    assert receipt.entry(RECORD["id"]) == receipt.records[0]
    assert receipt.entry(INSTALL) is None


def test_a_built_deletion_receipt_parses_back_typed() -> None:
    """The deletion receipt names the request and the time the server received it."""
    raw = deletion_payload(APP, INSTALL, ISSUED, RECORD["id"], RECORD["client_time"])
    receipt = Receipt.parse(raw, kind="deletion_request")
    assert receipt.request == RequestEntry(RECORD["id"], RECORD["client_time"], ISSUED)
    assert receipt.records == () and receipt.to_bytes() == raw
    assert json.loads(raw) == {
        "_type": "receipt", "spec_version": 1, "kind": "deletion_request", "app": APP,
        "install": INSTALL, "issued": ISSUED,
        "request": {"id": RECORD["id"], "client_time": RECORD["client_time"],
                    "server_time": ISSUED}}


def _changed(path: tuple[Any, ...], value: Any) -> bytes:
    payload = json.loads(consents())
    target = payload
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return canonical_bytes(payload)


@pytest.mark.parametrize("path,value,message", [
    (("_type",), "manifest", "not a receipt payload"),
    (("spec_version",), 2, "not a receipt payload"),
    (("kind",), "deletion_request", "a 'deletion_request' receipt where a 'consents' one"),
    (("app",), "Demo", "app: must be an app id"),
    (("install",), INSTALL.upper(), "install: must be a lower-case UUID"),
    (("issued",), "2026-02-30T00:00:00Z", "issued: must be an RFC 3339 UTC time"),
    (("records",), KeyError, "records: is missing"),
    (("records",), {}, "records: must be a list"),
    (("request",), {}, "payload: unknown field(s) ['request']"),
    (("records", 0), [], "records[0]: must be an object"),
    (("records", 0, "version"), True, "records[0].version: must be an integer from 1"),
    (("records", 0, "seq"), 0, "records[0].seq: must be an integer from 1"),
    (("records", 0, "purposes"), {"service": 1}, "records[0].purposes: must be an object"),
    (("records", 0, "document_sha256"), "AB" * 32, "records[0].document_sha256: must be a "
                                                   "sha256"),
    (("records", 0, "chain_hash"), None, "records[0].chain_hash: must be a sha256"),
    (("records", 0, "server_time"), KeyError, "records[0].server_time: is missing"),
    (("records", 0, "locale"), "kk", "records[0]: unknown field(s) ['locale']"),
])
def test_parsing_is_strict_and_names_the_field(path: tuple[Any, ...], value: Any,
                                                message: str) -> None:
    """Every field present, of its type, nothing more; the error names the field."""
    with pytest.raises(FormatError) as err:
        Receipt.parse(_changed(path, value), kind="consents", url="https://x/r")
    assert message in str(err.value) and err.value.url == "https://x/r"


def test_duplicate_keys_are_refused() -> None:
    """The payload is read with the strict JSON rules: a key twice is an error."""
    raw = consents().replace(b'"app":"demo"', b'"app":"demo","app":"other"')
    with pytest.raises(FormatError, match="duplicate"):
        Receipt.parse(raw)


def test_which_records_a_receipt_confirms() -> None:
    """A consents receipt confirms a record only with the same id, action, version,
    document, purposes and client time; the auditor's check adds the install and the
    record's place in the chain."""
    receipt = Receipt.parse(consents())
    assert confirms(receipt, RECORD)
    for key, other in [("id", INSTALL), ("action", "decline"), ("version", 1),
                       ("document_sha256", None), ("purposes", {"service": True}),
                       ("client_time", ISSUED)]:
        assert not confirms(receipt, {**RECORD, key: other}), key
    # Fields a receipt does not carry do not matter to it.
    assert confirms(receipt, {**RECORD, "locale": "ru", "evidence": {"x": 1}})
    assert confirms_stored(receipt, RECORD, install=INSTALL, seq=7, chain_hash=CHAIN)
    assert not confirms_stored(receipt, RECORD, install=RECORD["id"], seq=7, chain_hash=CHAIN)
    assert not confirms_stored(receipt, RECORD, install=INSTALL, seq=8, chain_hash=CHAIN)
    assert not confirms_stored(receipt, RECORD, install=INSTALL, seq=7, chain_hash="ef" * 32)
    deletion = Receipt.parse(deletion_payload(APP, INSTALL, ISSUED, RECORD["id"], ISSUED))
    assert confirms_deletion(deletion, RECORD["id"], ISSUED)
    assert not confirms_deletion(deletion, RECORD["id"], RECORD["client_time"])
    assert not confirms_deletion(receipt, RECORD["id"], ISSUED)
    assert not confirms(deletion, RECORD)


def test_signature_rules() -> None:
    """Only a threshold of the root's receipt keys makes a receipt; the verified receipt
    must be for this app and install."""
    sim = Simulator()
    root = Root.from_payload(sim.root_payload(1))
    good = envelope(consents(), PAYLOAD_RECEIPT, sim.receipt_keys)
    assert receipt_signers(parse_envelope(good, PAYLOAD_RECEIPT), root) == tuple(
        k.keyid for k in sim.receipt_keys)
    assert verify_receipt(good, root, app_id=APP, install_id=INSTALL,
                          kind="consents").records[0].seq == 7
    for keys in ([Key()], sim.manifest_keys):
        with pytest.raises(SignatureError):
            verify_receipt(envelope(consents(), PAYLOAD_RECEIPT, keys), root, app_id=APP,
                           install_id=INSTALL, kind="consents")
    with pytest.raises(FormatError, match="receipt for app 'demo', not 'other'"):
        verify_receipt(good, root, app_id="other", install_id=INSTALL, kind="consents")
    with pytest.raises(FormatError, match="receipt for another install"):
        verify_receipt(good, root, app_id=APP, install_id=RECORD["id"], kind="consents")
