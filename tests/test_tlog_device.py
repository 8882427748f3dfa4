"""The device checks its records' inclusion proofs on sync (issue 19): against the real
server over 127.0.0.1, SQLite and PostgreSQL. A proof that fails, or is missing while the
root lists a log, leaves the records pending like a receipt whose signature fails; the
launch path does not load the log code."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from test_client_sync_e2e import setup

from client_sdk import ConsentClient, LedgerRecord
from client_sdk._internal.logsync import CHECKPOINT_KEY, stored_size
from client_sdk.errors import ProofError, SignatureError
from client_sdk.protocol.envelope import PAYLOAD_ROOT, parse_envelope
from client_sdk.protocol.logproof import ProofChecker
from client_sdk.protocol.model import Root
from client_sdk.transport import HttpTransport, Response
from livesrv import free_port, running

APP = "jana-courier"
Edit = Callable[[dict[str, Any]], None]


class Tampering:
    """The real transport, with an optional edit of each consents answer's JSON."""

    def __init__(self) -> None:
        self.inner = HttpTransport()
        self.edit: Edit | None = None

    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, max_bytes: int) -> Response:
        resp = self.inner.request(method, url, body=body, headers=headers, max_bytes=max_bytes)
        if self.edit is None or not url.endswith("/consents") or resp.status != 200:
            return resp
        doc = json.loads(resp.body)
        self.edit(doc)
        return Response(resp.status, json.dumps(doc).encode(), resp.headers)


def _flip_hash(doc: dict[str, Any]) -> None:
    log = doc["records"][0]["log"]
    lines = log["proof"].split("\n")
    lines[2] = base64.b64encode(bytes(32)).decode()  # the first proof hash
    log["proof"] = "\n".join(lines)


def _other_salt(doc: dict[str, Any]) -> None:
    doc["records"][0]["log"]["salt"] = base64.b64encode(bytes(32)).decode()


def _forged_checkpoint(doc: dict[str, Any]) -> None:
    log = doc["records"][0]["log"]
    head, _, note = log["proof"].partition("\n\n")
    log["proof"] = head + "\n\n" + note.replace("\n\n", "\n\nextension\n\n", 1)


def _no_log(doc: dict[str, Any]) -> None:
    for entry in doc["records"]:
        entry.pop("log", None)


@pytest.fixture
def srv(tmp_path: Path, database_url: str) -> dict[str, Any]:
    """A demo instance, its root v1 and manifest (as an app ships them)."""
    return setup(tmp_path, database_url)


def test_bad_proofs_keep_records_pending_then_a_good_one_confirms(
        tmp_path: Path, srv: dict[str, Any]) -> None:
    port = free_port()
    transport = Tampering()
    client = ConsentClient(f"http://127.0.0.1:{port}", APP, srv["root"], tmp_path / "app",
                           bundled_manifest=srv["manifest"], transport=transport)
    root = Root.from_payload(parse_envelope(srv["root"], PAYLOAD_ROOT).payload_json())
    client.accept(age_confirmed=True)
    with running(srv["env"], port):
        assert client.sync().ok  # the first: a tree of one, a proof without hashes
        for n, (edit, error) in enumerate([
                (_flip_hash, ProofError), (_other_salt, ProofError),
                (_forged_checkpoint, SignatureError), (_no_log, ProofError)], start=2):
            rec = client.withdraw() if n % 2 else client.accept(age_confirmed=True)
            transport.edit = edit
            bad = client.sync()
            assert not bad.ok and bad.pending == 1, (edit.__name__, bad)
            assert isinstance(bad.error, error), (edit.__name__, bad.error)
            assert client.store.log_proof(rec.id) is None
            held = client.store.get_meta(CHECKPOINT_KEY)
            assert held is not None and stored_size(held) == n - 1
            # The honest answer (the server proves the stored record again) confirms it.
            transport.edit = None
            good = client.sync(force=True)
            assert good.ok and good.synced == 1 and good.pending == 0, good.error
            salt, proof = client.store.log_proof(rec.id) or (b"", b"")
            assert len(salt) == 32 and proof.startswith(b"c2sp.org/tlog-proof@v1\n")
            held = client.store.get_meta(CHECKPOINT_KEY)
            assert held is not None and stored_size(held) == n
            assert ProofChecker(root, APP).checkpoint(held).checkpoint.size == n
    assert {h.status for h in client.history()} == {"synced"}


def test_proofs_and_newest_checkpoint_kept_and_launch_path_unchanged(
        tmp_path: Path, srv: dict[str, Any]) -> None:
    port = free_port()
    client = ConsentClient(f"http://127.0.0.1:{port}", APP, srv["root"], tmp_path / "app",
                           bundled_manifest=srv["manifest"])
    first = client.accept(age_confirmed=True)
    with running(srv["env"], port):
        assert client.sync().ok
        second = client.withdraw()
        third = client.accept(age_confirmed=True)
        result = client.sync()
    assert result.ok and result.synced == 2, result.error
    assert all(client.store.log_proof(r.id) for r in (first, second, third))
    held = client.store.get_meta(CHECKPOINT_KEY)
    assert held is not None and stored_size(held) == 3
    client.close()
    # A launch (open the store, decide) loads none of the log code (only the root's
    # fields, client_sdk/protocol/rootlog.py, standard library only).
    code = ("import sys; from client_sdk import ConsentClient\n"
            f"c = ConsentClient('http://127.0.0.1:1', {APP!r}, open({str(tmp_path / 'root')!r},"
            f" 'rb').read(), {str(tmp_path / 'app')!r})\n"
            "print(c.decide().kind.name)\n"
            "print(sorted(m for m in sys.modules if '.tlog' in m or m.endswith(('logproof',"
            " 'logsync', 'logentry'))))")
    (tmp_path / "root").write_bytes(srv["root"])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == "NONE" and out[1] == "[]", out


def _two_synced(tmp_path: Path, srv: dict[str, Any]
                ) -> tuple[ConsentClient, LedgerRecord, LedgerRecord]:
    """A device whose accept and withdrawal were synced one at a time (sizes 1 and 2)."""
    port = free_port()
    client = ConsentClient(f"http://127.0.0.1:{port}", APP, srv["root"], tmp_path / "app",
                           bundled_manifest=srv["manifest"])
    first = client.accept(age_confirmed=True)
    with running(srv["env"], port):
        assert client.sync().ok
        second = client.withdraw()
        assert client.sync().ok
    return client, first, second


def test_client_proof_exports_a_file_anyone_verifies_offline(
        tmp_path: Path, srv: dict[str, Any]) -> None:
    from client_sdk import verify_proof_file
    from client_sdk.errors import FormatError, UsageError

    client, first, second = _two_synced(tmp_path, srv)
    pending = client.accept(age_confirmed=True)
    # Offline from here on: the file holds everything.
    for n, rec in enumerate((first, second)):
        data = client.proof(rec.id)
        proven = verify_proof_file(data, srv["root"])
        assert (proven.app, proven.record_id, proven.index) == (APP, rec.id, n)
        assert proven.size == n + 1  # the checkpoint the device verified it in
        doc = json.loads(data)
        assert doc["record"]["action"] == rec.action and doc["record"]["seq"] == n + 1
    # A file whose record was changed is refused (the leaf is not in the tree).
    doc = json.loads(client.proof(first.id))
    doc["record"]["action"] = "decline"
    with pytest.raises(ProofError):
        verify_proof_file(json.dumps(doc).encode(), srv["root"])
    with pytest.raises(FormatError):
        verify_proof_file(b"{}", srv["root"])
    with pytest.raises(ProofError, match="is pending: only a synced record"):
        client.proof(pending.id)
    with pytest.raises(UsageError, match="no record"):
        client.proof("00000000-0000-4000-8000-000000000000")
