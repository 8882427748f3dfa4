"""Requests of the data subject are leaves of the app's transparency log, and the device
checks their inclusion proofs on sync as it checks its records': against the real server
over 127.0.0.1, SQLite and PostgreSQL. Each kind (and a deletion request of an older
store, sent to /deletion-requests) is confirmed only with a proof that verifies, its salt
and proof are kept, its checkpoint moves the device's held one (after a consistency
check), and ``client.proof(request_id)`` gives a file ``verify_proof_file`` and ``kelisim
proof verify`` accept. An answer whose proof or salt was changed on its way leaves the
request pending, the error in the sync result, nothing stored as synced."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from test_client_sync_e2e import setup

from builders import older_store_deletion
from client_sdk import ConsentClient, verify_proof_file
from client_sdk._internal.logsync import CHECKPOINT_KEY, stored_size
from client_sdk.errors import FormatError, NetworkError, ProofError, SignatureError
from client_sdk.protocol.logentry import REQUEST_CHAINED
from client_sdk.transport import HttpTransport, Response
from livesrv import free_port, running

pytestmark = pytest.mark.slow
APP = "jana-courier"
KELISIM = str(Path(sys.executable).with_name("kelisim"))
Edit = Callable[[dict[str, Any]], None]
REQUEST_PATHS = ("/requests", "/deletion-requests")


class Tampering:
    """The real transport, recording the paths it POSTs to, with an optional edit of each
    request answer's JSON (POST /requests and /deletion-requests); ``history_down``: the
    install's history (where a request's status is read back) answers 503."""

    def __init__(self) -> None:
        self.inner = HttpTransport()
        self.edit: Edit | None = None
        self.posted: list[str] = []
        self.history_down = False

    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, max_bytes: int) -> Response:
        if self.history_down and method == "GET" and "/consents?" in url:
            return Response(503, b"", {})
        resp = self.inner.request(method, url, body=body, headers=headers, max_bytes=max_bytes)
        if method == "POST":
            self.posted.append(url.rsplit("/", 1)[-1])
        if self.edit is None or not url.endswith(REQUEST_PATHS) or resp.status != 201:
            return resp
        doc = json.loads(resp.body)
        self.edit(doc)
        return Response(resp.status, json.dumps(doc).encode(), resp.headers)


def _flip_hash(doc: dict[str, Any]) -> None:
    lines = doc["log"]["proof"].split("\n")
    assert lines[1].startswith("index ") and lines[2]  # the tree has more than one leaf
    lines[2] = base64.b64encode(bytes(32)).decode()  # the first proof hash
    doc["log"]["proof"] = "\n".join(lines)


def _other_salt(doc: dict[str, Any]) -> None:
    doc["log"]["salt"] = base64.b64encode(bytes(32)).decode()


def _salt_not_base64(doc: dict[str, Any]) -> None:
    doc["log"]["salt"] = "not base64!"


def _other_index(doc: dict[str, Any]) -> None:
    """The proof of the leaf before (a real leaf, a real path): the request's leaf
    commits to its seq, so it is not that leaf."""
    lines = doc["log"]["proof"].split("\n")
    lines[1] = f"index {int(lines[1].split()[1]) - 1}"
    doc["log"]["proof"] = "\n".join(lines)


def _forged_checkpoint(doc: dict[str, Any]) -> None:
    head, _, note = doc["log"]["proof"].partition("\n\n")
    doc["log"]["proof"] = head + "\n\n" + note.replace("\n\n", "\n\nextension\n\n", 1)


def _no_log(doc: dict[str, Any]) -> None:
    del doc["log"]


def _other_deadline(doc: dict[str, Any]) -> None:
    """The answer's deadline (unsigned): a /requests answer's is not read (the receipt's
    is), a /deletion-requests answer's is, and its leaf covers it."""
    doc["deadline"] = "2099-01-01T00:00:00Z"


@pytest.fixture
def srv(tmp_path: Path, database_url: str) -> dict[str, Any]:
    """A demo instance (its root v1 lists the log key), its root and manifest."""
    return setup(tmp_path, database_url)


def _held_size(client: ConsentClient) -> int:
    held = client.store.get_meta(CHECKPOINT_KEY)
    assert held is not None
    return stored_size(held)


def _cli_verify(tmp_path: Path, data: bytes, root: bytes, name: str) -> str:
    (tmp_path / "root.json").write_bytes(root)
    (tmp_path / name).write_bytes(data)
    proc = subprocess.run([KELISIM, "proof", "verify", str(tmp_path / name), "--root",
                           str(tmp_path / "root.json")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _check_file(tmp_path: Path, client: ConsentClient, root: bytes, request_id: str,
                kind: str, note: str | None, withdraw: bool | None) -> int:
    """``client.proof(request_id)`` verifies (SDK and command line) as the request's;
    returns its leaf index."""
    data = client.proof(request_id)
    doc = json.loads(data)
    fields = doc["record"]
    assert set(fields) == set(REQUEST_CHAINED)
    assert (fields["entry"], fields["request_id"], fields["kind"], fields["withdraw"]) == (
        "request", request_id, kind, withdraw)
    assert fields["note_sha256"] == (
        None if note is None else hashlib.sha256(note.encode()).hexdigest())
    (mine,) = (r for r in client.requests() if r.id == request_id)
    assert (fields["server_time"], fields["deadline"]) == (mine.received_at, mine.deadline)
    salt, proof = client.store.log_proof(request_id) or (b"", b"")
    assert base64.b64decode(doc["salt"]) == salt and doc["tlog_proof"].encode() == proof
    proven = verify_proof_file(data, root)
    assert (proven.entry, proven.record_id, proven.app) == ("request", request_id, APP)
    assert proven.index == fields["seq"] - 1
    out = _cli_verify(tmp_path, data, root, f"{request_id}.kelisim-proof")
    assert f"proven: request {request_id} of app {APP} is entry {proven.index} " in out, out
    # The same file with the request changed is refused.
    doc["record"]["kind"] = "blocking" if kind != "blocking" else "access"
    with pytest.raises(ProofError, match="is not in the tree"):
        verify_proof_file(json.dumps(doc).encode(), root)
    return proven.index


def test_each_kind_is_confirmed_with_a_verified_proof_and_exported(
        tmp_path: Path, srv: dict[str, Any]) -> None:
    port = free_port()
    transport = Tampering()
    client = ConsentClient(f"http://127.0.0.1:{port}", APP, srv["root"], tmp_path / "app",
                           bundled_manifest=srv["manifest"], transport=transport)
    client.accept(age_confirmed=True)
    access = client.request("access")
    notes = {"rectification": "Surname: Nurlanova, not Nurlanov",
             "blocking": "Until my complaint is settled"}
    with running(srv["env"], port):
        first = client.sync()
        assert first.ok and first.synced == 2, first.error
        assert _held_size(client) == 2  # the accept, then the access request
        # Requests alone: their checkpoint moves the held one (consistent with it).
        filed = {kind: client.request(kind, note) for kind, note in notes.items()}
        second = client.sync()
        assert second.ok and second.synced == 2, second.error
        assert _held_size(client) == 4
        deletion = client.request_deletion(withdraw=True)  # a withdrawal before it
        third = client.sync()
        assert third.ok and third.synced == 2 and third.pending == 0, third.error
        assert _held_size(client) == 6
        assert client.log_evidence() == []
    assert transport.posted.count("requests") == 4 and "deletion-requests" not in \
        transport.posted
    assert all(r.status == "open" for r in client.requests())
    indexes = [_check_file(tmp_path, client, srv["root"], access.id, "access", None, None)]
    indexes += [_check_file(tmp_path, client, srv["root"], filed[kind].id, kind, note, None)
                for kind, note in notes.items()]
    indexes.append(_check_file(tmp_path, client, srv["root"], deletion.id, "deletion", None,
                               True))
    # The chain's order: accept, access, rectification, blocking, withdraw, deletion.
    assert indexes == [1, 2, 3, 5]
    client.close()


def _older_store_deletion(tmp_path: Path, srv: dict[str, Any], port: int,
                          transport: Tampering) -> tuple[ConsentClient, str]:
    """A client whose store is of an SDK before requests of every kind (schema 2) with a
    deletion request in its outbox (no withdraw choice: sent to /deletion-requests)."""
    data = tmp_path / "app"
    old = older_store_deletion(data, f"http://127.0.0.1:{port}", srv["root"],
                               srv["manifest"])
    client = ConsentClient(f"http://127.0.0.1:{port}", APP, srv["root"], data,
                           transport=transport)
    (pending,) = client.requests()
    assert (pending.id, pending.withdraw, pending.deadline) == (old, None, None)
    return client, old


def test_a_deletion_request_of_an_older_store_is_confirmed_with_its_proof(
        tmp_path: Path, srv: dict[str, Any]) -> None:
    port = free_port()
    transport = Tampering()
    client, request_id = _older_store_deletion(tmp_path, srv, port, transport)
    client.accept(age_confirmed=True)  # sent first (records before requests): leaf 0
    with running(srv["env"], port):
        # Its receipt holds no deadline, the leaf covers it: an answer with another one
        # does not confirm it.
        transport.edit = _other_deadline
        bad = client.sync()
        assert not bad.ok and isinstance(bad.error, ProofError), bad
        assert bad.synced == 1 and bad.pending == 1  # the accept went through
        assert client.store.log_proof(request_id) is None
        # Confirmed while its status cannot be read back: the deadline its proof covered
        # is kept with it (a deletion_request receipt holds none).
        transport.edit, transport.history_down = None, True
        result = client.sync(force=True)
        assert result.synced == 1 and result.pending == 0, result.error
        assert isinstance(result.error, NetworkError) and result.error.status == 503
        (sent,) = client.requests()
        assert sent.status == "open" and sent.checked_at is None and sent.deadline
        transport.history_down = False
        assert client.sync().ok
        (read,) = client.requests()
        assert read.checked_at is not None and read.deadline == sent.deadline
    assert transport.posted.count("deletion-requests") == 2 and "requests" not in \
        transport.posted
    assert _held_size(client) == 2
    assert _check_file(tmp_path, client, srv["root"], request_id, "deletion", None,
                       None) == 1
    client.close()
    # A new launch: the file is made from the store alone (the deadline kept with it).
    again = ConsentClient("http://127.0.0.1:9", APP, srv["root"], tmp_path / "app")
    assert verify_proof_file(again.proof(request_id), srv["root"]).record_id == request_id
    again.close()


@pytest.mark.parametrize("path", ["requests", "deletion-requests"])
def test_a_changed_proof_or_salt_leaves_the_request_pending(
        tmp_path: Path, srv: dict[str, Any], path: str) -> None:
    """One request, its answer changed another way on each sync (the first answer, then
    the server's answers to the retries: the stored request proved again), then the
    honest answer."""
    port = free_port()
    transport = Tampering()
    cases: list[tuple[Edit, type[Exception]]] = [
        (_flip_hash, ProofError), (_other_salt, ProofError), (_salt_not_base64, FormatError),
        (_other_index, ProofError), (_forged_checkpoint, SignatureError),
        (_no_log, ProofError)]
    if path == "requests":
        client = ConsentClient(f"http://127.0.0.1:{port}", APP, srv["root"],
                               tmp_path / "app", bundled_manifest=srv["manifest"],
                               transport=transport)
    else:
        client, request_id = _older_store_deletion(tmp_path, srv, port, transport)
        cases.append((_other_deadline, ProofError))
    client.accept(age_confirmed=True)
    with running(srv["env"], port):
        if path == "requests":
            assert client.sync().ok  # the accept: leaf 0
            request_id = client.request("access").id
        for n, (edit, error) in enumerate(cases):
            transport.edit = edit
            bad = client.sync(force=True)
            assert not bad.ok and bad.pending == 1, (edit.__name__, bad)
            # The older store's first sync sends its accept first (leaf 0).
            assert bad.synced == (1 if n == 0 and path != "requests" else 0), bad
            assert isinstance(bad.error, error), (edit.__name__, bad.error)
            (mine,) = client.requests()
            assert (mine.status, mine.receipt) == ("pending", None), edit.__name__
            assert client.store.log_proof(request_id) is None
            assert _held_size(client) == 1  # not moved by an unverified checkpoint
            with pytest.raises(ProofError, match="is pending"):
                client.proof(request_id)
        # The honest answer confirms it; a /requests answer's (unsigned) deadline is not
        # read: the signed receipt's is.
        transport.edit = _other_deadline if path == "requests" else None
        good = client.sync(force=True)
        assert good.ok and good.synced == 1 and good.pending == 0, good.error
    assert client.store.log_proof(request_id) is not None
    assert _held_size(client) == 2
    assert verify_proof_file(client.proof(request_id), srv["root"]).index == 1
    assert transport.posted.count(path) == len(cases) + 1
    client.close()
