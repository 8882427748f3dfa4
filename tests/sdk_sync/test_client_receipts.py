"""Receipt attacks, like the manifest ones: each refused, the record stays pending.

tests/syncsim.py signs what the test changed (``server.tamper``), so each test shows one
rule: the receipt must be signed by the root's receipt keys and name this app, this install
and exactly this record.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from client_sdk import ConsentClient, FormatError, RepositoryError, SignatureError
from client_sdk.transport import Request, Response
from simulator import Key, Simulator
from syncsim import SyncServer, answer


def first(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def tamper(payload: dict[str, Any]) -> None:
        change(payload["records"][0] if "records" in payload else payload["request"])
    return tamper


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.__setitem__(key, value)


OTHER = str(uuid.uuid4())


def assert_pending(client: ConsentClient) -> None:
    [rec] = client.history()
    assert (rec.status, rec.receipt, rec.reason) == ("pending", None, None)
    assert client.store.pending_count() == 1


@pytest.mark.parametrize("tamper,error,message", [
    (_set("install", OTHER), FormatError, "receipt for another install"),
    (_set("app", "other-app"), FormatError, "receipt for app 'other-app'"),
    (_set("kind", "deletion_request"), FormatError, "a 'deletion_request' receipt"),
    (_set("_type", "manifest"), FormatError, "not a receipt payload"),
    (first(_set("id", OTHER)), RepositoryError, "had no matching receipt"),
    (first(_set("action", "decline")), RepositoryError, "had no matching receipt"),
    (first(_set("version", 2)), RepositoryError, "had no matching receipt"),
    # A receipt is parsed strictly (client_sdk.protocol.receipts.Receipt): a JSON true is
    # not a version number, and the error names the field.
    (first(_set("version", True)), FormatError, "records[0].version: must be an integer"),
    (first(_set("seq", "1")), FormatError, "records[0].seq: must be an integer"),
    (first(_set("extra", 1)), FormatError, "records[0]: unknown field(s) ['extra']"),
    (first(_set("purposes", {"service": True, "analytics": True})), RepositoryError,
     "had no matching receipt"),
    (first(_set("document_sha256", "00" * 32)), RepositoryError, "had no matching receipt"),
    (first(_set("client_time", "2020-01-01T00:00:00Z")), RepositoryError,
     "had no matching receipt"),
    (lambda p: p.__setitem__("records", []), RepositoryError, "had no matching receipt"),
])
def test_mismatched_consent_receipts(client: ConsentClient, server: SyncServer,
                                     tamper: Callable[[dict[str, Any]], None],
                                     error: type[Exception], message: str) -> None:
    client.accept()
    server.tamper = tamper
    result = client.sync()
    assert not result.ok and type(result.error) is error and message in str(result.error)
    assert_pending(client)
    server.tamper = None
    assert client.sync(force=True).synced == 1  # an honest receipt is still taken


@pytest.mark.parametrize("keys", ["forged", "manifest", "root"])
def test_receipts_signed_by_other_keys(client: ConsentClient, server: SyncServer,
                                       sim: Simulator, keys: str) -> None:
    client.accept()
    server.receipt_keys = {"forged": [Key()], "manifest": sim.manifest_keys,
                           "root": sim.root_keys}[keys]
    result = client.sync()
    assert isinstance(result.error, SignatureError) and result.error.role == "receipt"
    assert_pending(client)


def test_deletion_receipt_for_another_request(client: ConsentClient, server: SyncServer) -> None:
    client.request_deletion()
    server.tamper = first(_set("id", OTHER))
    result = client.sync()
    assert isinstance(result.error, FormatError) and "does not match" in str(result.error)
    assert_pending(client)


def test_consents_receipt_does_not_confirm_a_deletion(client: ConsentClient,
                                                      server: SyncServer) -> None:
    client.request_deletion()
    server.tamper = _set("kind", "consents")
    result = client.sync()
    assert isinstance(result.error, FormatError) and "a 'consents' receipt" in str(result.error)
    assert_pending(client)


def test_receipt_as_parsed_json_is_refused(client: ConsentClient, server: SyncServer) -> None:
    # An answer that carries the envelope as an object, not its bytes: the SDK would have
    # to re-serialise it, and would keep bytes nobody signed.
    client.accept()

    def objects(req: Request) -> Response | None:
        if not req.url.endswith("/consents"):
            return None
        server.override = None
        good = json.loads(server.handle(req).body)
        server.override = objects
        good["receipts"] = [json.loads(r) for r in good["receipts"]]
        return answer(200, good)

    server.override = objects
    result = client.sync()
    assert isinstance(result.error, FormatError) and result.error.field == "receipts"
    assert_pending(client)


def test_exact_bytes_are_stored_even_when_not_compact(client: ConsentClient,
                                                     server: SyncServer) -> None:
    client.accept()

    def spaced(req: Request) -> Response | None:
        if not req.url.endswith("/consents"):
            return None
        server.override = None
        good = json.loads(server.handle(req).body)
        server.override = spaced
        good["receipts"] = [json.dumps(json.loads(r), indent=2) for r in good["receipts"]]
        server.last_receipts = good["receipts"]
        return answer(200, good)

    server.override = spaced
    assert client.sync().synced == 1
    assert client.history()[0].receipt == server.last_receipts[0].encode()
    assert b"\n  " in (client.history()[0].receipt or b"")
