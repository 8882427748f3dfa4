"""sync(): set-aside records, split batches, token recovery, receipts as exact bytes.

Against tests/syncsim.py (the sync protocol in memory); tests/test_client_e2e.py runs the
parts the real server supports against the real server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from client_sdk import ConsentClient, FormatError, NetworkError
from client_sdk.testing import MockTransport
from client_sdk.transport import Request, Response
from simulator import BASE, NOW, Simulator
from syncsim import SyncServer, answer, error


def statuses(client: ConsentClient) -> list[str]:
    return [r.status for r in client.history()]


def test_receipt_bytes_are_kept_exactly(client: ConsentClient, server: SyncServer) -> None:
    client.accept(["analytics"])
    result = client.sync()
    assert (result.ok, result.synced, result.pending) == (True, 1, 0)
    [rec] = client.history()
    assert rec.status == "synced" and rec.synced
    assert rec.receipt == server.last_receipts[0].encode()


def test_rejected_record_is_set_aside_and_the_rest_goes_on(client: ConsentClient,
                                                           server: SyncServer) -> None:
    a = client.accept()
    b = client.update_purposes({"analytics": True})
    c = client.withdraw()
    server.reject[b.id] = ("client_time", "before version 1.0 was published")
    result = client.sync()
    assert (result.ok, result.synced, result.rejected, result.pending) == (True, 2, 1, 0)
    assert statuses(client) == ["synced", "rejected", "synced"]
    rejected = client.history()[1]
    assert rejected.reason == "client_time: before version 1.0 was published"
    assert rejected.receipt is None
    assert set(server.stored) == {a.id, c.id}  # the withdrawal reached the server
    assert client.sync(force=True).synced == 0  # a rejected record is never resent
    assert b.id not in server.stored


def test_unnamed_422_splits_down_to_the_poisoned_record(client: ConsentClient,
                                                        server: SyncServer) -> None:
    records = [client.accept()]
    records += [client.update_purposes({"analytics": i % 2 == 0}) for i in range(10)]
    records.append(client.withdraw())
    server.unnamed.add(records[4].id)
    result = client.sync()
    assert (result.synced, result.rejected, result.pending) == (11, 1, 0)
    assert records[-1].id in server.stored and records[4].id not in server.stored
    assert client.history()[4].status == "rejected"
    assert "HTTP 422 unprocessable" in (client.history()[4].reason or "")
    assert len(server.batches) <= 2 * 12  # a binary split, not one request per pair


def test_413_splits_batches(client: ConsentClient, server: SyncServer) -> None:
    client.accept()
    for i in range(149):
        client.update_purposes({"analytics": i % 2 == 0})
    server.max_batch = 30
    result = client.sync()
    assert (result.ok, result.synced, result.pending, result.rejected) == (True, 150, 0, 0)
    assert max(b for b in server.batches if b <= 30) <= 30


def test_single_record_too_large_is_set_aside(client: ConsentClient,
                                              server: SyncServer) -> None:
    client.accept()
    server.max_batch = 0
    result = client.sync()
    assert (result.rejected, result.pending) == (1, 0)
    assert "HTTP 413 too_large" in (client.history()[0].reason or "")


def test_invalid_token_registers_again(client: ConsentClient, server: SyncServer) -> None:
    client.accept()
    assert client.sync().synced == 1
    first_install = client.store.get_meta("install_id")
    server.rotate_secret()
    rec = client.withdraw()
    result = client.sync()
    assert (result.ok, result.synced) == (True, 1), result.error
    second_install = client.store.get_meta("install_id")
    assert second_install is not None and second_install != first_install
    assert server.stored[rec.id][0] == second_install.decode()


def test_expired_token_is_renewed(client: ConsentClient, server: SyncServer) -> None:
    client.accept()
    client.sync()
    old = client.store.get_meta("install_token")
    server.expire_all()
    client.withdraw()
    assert client.sync().synced == 1
    new = client.store.get_meta("install_token")
    assert new != old and new is not None and new.decode() in server.tokens
    assert old is not None and old.decode() not in server.tokens  # revoked by renewal
    assert [p for p, _ in server.log].count(f"{server.base}/installs") == 1


def test_refused_renewal_registers_again(client: ConsentClient, server: SyncServer) -> None:
    client.accept()
    client.sync()
    install = client.store.get_meta("install_id")
    server.expire_all()
    server.refuse_renewal = True
    client.withdraw()
    assert client.sync().synced == 1
    assert client.store.get_meta("install_id") != install


@pytest.mark.parametrize("token", ["abc\r\nX-Evil: 1", "a b", "ток", "x" * 4001, "", 5, None])
def test_a_bad_token_is_refused_and_never_stored(client: ConsentClient, server: SyncServer,
                                                 token: object) -> None:
    client.accept()
    server.override = lambda req: answer(201, {"install_id": "0f8fad5b-d9cb-469f-a165-"
                                               "70867728950e", "token": token}) \
        if req.url.endswith("/installs") else None
    result = client.sync()
    assert not result.ok and isinstance(result.error, FormatError)
    assert result.error.field == "token"
    assert client.store.get_meta("install_token") is None
    assert statuses(client) == ["pending"]
    server.override = None
    assert client.sync(force=True).synced == 1


def test_a_bad_stored_token_is_replaced(client: ConsentClient, server: SyncServer) -> None:
    # An older SDK stored whatever the server sent: such a token must not break every sync.
    client.store.put_meta({"install_id": b"0f8fad5b-d9cb-469f-a165-70867728950e",
                           "install_token": b"abc\r\nX-Evil: 1"})
    client.accept()
    assert client.sync().synced == 1
    assert client.store.get_meta("install_token") in {t.encode() for t in server.tokens}


@pytest.mark.parametrize("body", [b"{}", b"[]", b'{"install_id": "x", "token": "t"}',
                                  b'{"install_id": 1' + b"0" * 5000 + b', "token": "t"}',
                                  b"not json", b""])
def test_bad_install_answers(client: ConsentClient, server: SyncServer, body: bytes) -> None:
    client.accept()
    server.override = lambda req: Response(201, body) if req.url.endswith("/installs") \
        else None
    result = client.sync()
    assert not result.ok and isinstance(result.error, FormatError)
    assert client.store.get_meta("install_id") is None and statuses(client) == ["pending"]


@pytest.mark.parametrize("status", [429, 500, 503, 403])
def test_transient_errors_keep_records_pending(client: ConsentClient, server: SyncServer,
                                               status: int) -> None:
    client.accept()
    client.sync()
    client.withdraw()
    server.override = lambda req: error(status, "busy") if req.url.endswith("/consents") \
        else None
    result = client.sync()
    assert isinstance(result.error, NetworkError) and result.error.status == status
    assert statuses(client) == ["synced", "pending"]


def test_deletion_request(client: ConsentClient, server: SyncServer) -> None:
    rec = client.request_deletion()
    assert client.sync().synced == 1
    [stored] = client.history()
    assert stored.status == "synced" and stored.receipt == server.last_receipts[0].encode()
    assert server.deletions == {rec.id: client.store.get_meta("install_id").decode()}


def test_refused_deletion_is_set_aside(client: ConsentClient, server: SyncServer) -> None:
    rec = client.request_deletion()
    server.reject[rec.id] = ("client_time", "in the future")
    result = client.sync()
    assert (result.rejected, result.pending) == (1, 0)
    assert "client_time: in the future" in (client.history()[0].reason or "")


def test_mock_transport_drives_refresh_and_sync(sim: Simulator, tmp_path: Path) -> None:
    server = SyncServer(sim)

    def handler(request: Request) -> Response:
        return sim.request(request.method, request.url, body=request.body,
                           headers=request.headers, max_bytes=10**9)

    transport = MockTransport(handler)
    client = ConsentClient(BASE, sim.app, sim.roots[0], tmp_path, transport=transport,
                           clock=lambda: NOW)
    assert client.refresh().ok
    client.accept()
    assert client.sync().synced == 1
    methods = [(r.method, r.url[len(BASE):]) for r in transport.requests]
    assert methods[0] == ("GET", "/v1/root/2.json")
    assert ("POST", f"{server.base}/consents") in methods
    consents = next(r for r in transport.requests if r.url.endswith("/consents"))
    assert json.loads(consents.body or b"")["records"][0]["action"] == "accept"
    assert consents.headers["Authorization"].startswith("Bearer tok.")


def test_error_bodies_of_any_shape(client: ConsentClient, server: SyncServer) -> None:
    client.accept()
    for body in [b"\xff", b"[1]", b'{"error": 5}', b'{"error": {"code": 1' + b"0" * 5000
                                                         + b"}}", b'{"error": {"code": [1]}}']:
        server.override = lambda req, b=body: Response(500, b)
        result = client.sync(force=True)
        assert isinstance(result.error, NetworkError) and result.error.status == 500
    assert statuses(client) == ["pending"]


@pytest.mark.parametrize("status", [413, 422])
@pytest.mark.parametrize("body", [
    b"<html>Request Entity Too Large</html>",                     # a proxy's page
    b'{"error": {"code": "teapot", "message": "?"}}',             # a code we do not know
    b'{"error": {"code": "rejected", "message": "no", "details": {"rejected": "all"}}}',
    b'{"error": {"code": "rejected", "message": "no", "details": {"rejected": []}}}',
])
def test_unsigned_junk_never_sets_a_withdrawal_or_deletion_aside(
        client: ConsentClient, server: SyncServer, status: int, body: bytes) -> None:
    client.accept()
    assert client.sync().synced == 1
    client.withdraw()
    client.request_deletion()
    server.override = lambda req: Response(status, body) if req.method == "POST" \
        and not req.url.endswith("/installs") else None
    result = client.sync(force=True)
    assert not result.ok and result.rejected == 0
    assert isinstance(result.error, NetworkError) and result.error.status == status
    assert statuses(client) == ["synced", "pending", "pending"]
    server.override = None
    result = client.sync(force=True)
    assert (result.ok, result.synced, result.pending) == (True, 2, 0)
