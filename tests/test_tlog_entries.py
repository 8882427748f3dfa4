"""The entries of an app's transparency log for its auditors (issue 19 part 1: "entry
bundles ... in exports"): `tlog-tiles` entry bundles of every record's and request's salt
and canonical bytes, written by `kelisim consents export-log` beside the checkpoint and
tiles, checked by `kelisim log audit --entries` (each entry hashes to its leaf and names
its place), and by Go's `sumdb/tlog` (tests/test_tlog_interop.py). On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from builders import APP, install, record
from client_sdk.errors import FormatError
from client_sdk.protocol.tlog.tiles import (
    MAX_ENTRY_BYTES,
    Tile,
    entries_path,
    entry_bundle,
    parse_entry_bundle,
)
from helpers import verified_root
from server import Kelisim
from server.models import AdminEvent
from server.tlog_models import LogLeaf

pytestmark = pytest.mark.rate_limits_off


@given(st.lists(st.binary(max_size=300), min_size=1, max_size=256))
def test_an_entry_bundle_round_trips(entries: list[bytes]) -> None:
    data = entry_bundle(entries)
    assert parse_entry_bundle(data, len(entries)) == entries
    # A bundle cut anywhere, or read for another width, is refused.
    with pytest.raises(FormatError):
        parse_entry_bundle(data, len(entries) + 1)
    if data:
        with pytest.raises(FormatError):
            parse_entry_bundle(data[:-1], len(entries))


def test_entry_bundle_limits_and_paths() -> None:
    assert entry_bundle([b"", b"ab"]) == b"\x00\x00\x00\x02ab"
    with pytest.raises(FormatError, match="entry 1"):
        entry_bundle([b"", bytes(MAX_ENTRY_BYTES + 1)])
    with pytest.raises(FormatError):
        entry_bundle([])
    with pytest.raises(FormatError):
        entry_bundle([b""] * 257)
    assert entries_path(Tile(0, 0)) == "tile/entries/000"
    assert entries_path(Tile(0, 1_234_067, 7)) == "tile/entries/x001/x234/067.p/7"
    with pytest.raises(FormatError):
        entries_path(Tile(1, 0))


def _request(client: FlaskClient, auth: dict[str, str], kind: str) -> str:
    rid = str(uuid.uuid4())
    resp = client.post(f"/v1/apps/{APP}/requests", headers=auth, json={
        "id": rid, "kind": kind, "client_time": "2026-03-01T08:00:00Z",
        "note": "пожалуйста" if kind == "rectification" else None,
        "withdraw": True if kind == "deletion" else None})
    assert resp.status_code == 201, resp.get_json()
    return rid


def fill(client: FlaskClient, manifest: dict[str, Any], records: int) -> dict[str, str]:
    """``records`` records in groups of 100, and one request of each kind among them."""
    _, auth = install(client)
    kinds = ["access", "rectification", "blocking", "deletion"]
    done = 0
    while done < records:
        n = min(100, records - done)
        resp = client.post(f"/v1/apps/{APP}/consents", headers=auth,
                           json={"records": [record(manifest) for _ in range(n)]})
        assert resp.status_code == 200, resp.get_json()
        done += n
        if kinds:
            _request(client, auth, kinds.pop(0))
    for kind in kinds:
        _request(client, auth, kind)
    return auth


def audit_args(client: FlaskClient, folder: Path) -> list[str]:
    root = verified_root(client.get("/v1/root.json").data)
    return ["log", "audit", str(folder), "--origin", f"{root['log']['origin_prefix']}/{APP}",
            "--key", root["log"]["keys"][0], "--entries"]


def test_export_log_writes_what_an_auditor_checks_entry_by_entry(
        cli: Any, client: FlaskClient, manifest: dict[str, Any], kelisim: Kelisim,
        tmp_path: Path) -> None:
    fill(client, manifest, 300)  # 304 leaves: a full entry bundle and a partial one
    folder = tmp_path / "export"
    out = cli("consents", "export-log", APP, str(folder)).output
    assert f"{APP}: log of 304 leaves (300 record(s), 4 request(s))" in out, out
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file()) == ["checkpoint", "tile/0/000", "tile/0/001.p/48",
                                      "tile/1/000.p/1", "tile/entries/000",
                                      "tile/entries/001.p/48"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.rglob("*")
               if p.is_file())
    with kelisim.db.session(readonly=True) as s:
        event = s.scalars(sa.select(AdminEvent).where(AdminEvent.action == "log.export")).one()
        assert (event.actor, event.target) == ("cli", APP)
        assert event.details == {"folder": str(folder.resolve()), "size": 304}
        leaf = s.scalars(sa.select(LogLeaf).where(LogLeaf.idx == 5)).one()
    # Entry 5 is that leaf's salt and its row's canonical JSON.
    entries = parse_entry_bundle((folder / "tile/entries/000").read_bytes(), 256)
    assert entries[5][:32] == leaf.salt and json.loads(entries[5][32:])["seq"] == 6
    out = cli(*audit_args(client, folder)).output
    assert "ok entries: each of the 304 hashes to its leaf (300 record(s), 4 request(s))" in \
        out, out
    # Every folder it made is the owner's only too.
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o700 for p in [folder, *folder.rglob("*")]
               if p.is_dir())
    # Not into a folder that holds something, nor a file; nothing audited for those.
    for where, says in ((folder, "is not an empty folder"), (folder / "checkpoint", "is a file")):
        out = cli("consents", "export-log", APP, str(where), ok=False).output
        assert says in out, out
    with kelisim.db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AdminEvent).where(
            AdminEvent.action == "log.export")) == 1


def test_export_log_before_the_first_checkpoint_writes_and_audits_nothing(
        cli: Any, client: FlaskClient, manifest: dict[str, Any], kelisim: Kelisim,
        tmp_path: Path) -> None:
    with kelisim.db.session() as s:
        s.execute(sa.text("DELETE FROM tlog_checkpoints"))
    out = cli("consents", "export-log", APP, str(tmp_path / "x"), ok=False).output
    assert "has no signed checkpoint yet" in out and not (tmp_path / "x").exists()
    with kelisim.db.session(readonly=True) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AdminEvent).where(
            AdminEvent.action == "log.export")) == 0


def _flip(folder: Path) -> str:
    path = folder / "tile/entries/000"
    data = bytearray(path.read_bytes())
    data[-3] ^= 1  # inside the last entry's JSON
    path.write_bytes(bytes(data))
    return "tile/entries/000: entry 255 does not hash to its leaf"


def _swap(folder: Path) -> str:
    path = folder / "tile/entries/000"
    entries = parse_entry_bundle(path.read_bytes(), 256)
    entries[3], entries[4] = entries[4], entries[3]
    path.write_bytes(entry_bundle(entries))
    return "entry 3 does not hash to its leaf"


def _cut(folder: Path) -> str:
    path = folder / "tile/entries/001.p/48"
    path.write_bytes(path.read_bytes()[:-1])
    return "tile/entries/001.p/48: entry bundle: ends inside entry 47"


def _remove(folder: Path) -> str:
    (folder / "tile/entries/001.p/48").unlink()
    return "FAILED at fetch"


@pytest.mark.parametrize("tamper", [_flip, _swap, _cut, _remove])
def test_log_audit_names_a_changed_entry(cli: Any, client: FlaskClient,
                                         manifest: dict[str, Any], tmp_path: Path,
                                         tamper: Any) -> None:
    fill(client, manifest, 300)
    folder = tmp_path / "export"
    cli("consents", "export-log", APP, str(folder))
    expected = tamper(folder)
    out = cli(*audit_args(client, folder), ok=False).output
    assert expected in out, out
    # Without --entries the public part still checks: the tiles are untouched.
    args = audit_args(client, folder)[:-1]
    assert "ok tiles" in cli(*args).output


def test_the_policy_logs_entry_bundles_are_public_and_audited(
        cli: Any, client: FlaskClient, manifest: dict[str, Any], kelisim: Kelisim,
        tmp_path: Path) -> None:
    """The policy log's entries are hashes of signed roots and manifests: served and
    exported like its tiles, so anyone sees which manifests were ever signed; a consent
    log's entry paths stay 404 (its entries are personal data)."""
    fill(client, manifest, 1)
    with kelisim.db.session(readonly=True) as s:
        entries = [bytes(e) for e in s.scalars(sa.text(
            "SELECT entry FROM policy_log_entries ORDER BY idx"))]
    n = len(entries)
    assert n >= 2  # the root and the demo's manifest at least
    path = f"/v1/policy-log/tile/entries/000.p/{n}"
    resp = client.get(path)
    assert resp.status_code == 200, resp.data[:200]
    assert parse_entry_bundle(resp.data, n) == entries
    assert client.get(f"/v1/policy-log/tile/entries/000.p/{n + 1}").status_code == 404
    assert client.get("/v1/policy-log/tile/entries/000").status_code == 404  # not 256 yet
    assert client.get("/v1/policy-log/tile/entries/0000").status_code == 404
    assert client.get(f"/v1/apps/{APP}/log/tile/entries/000.p/2").status_code == 404
    static = tmp_path / "static"
    cli("export-static", str(static))
    log_dir = static / "v1" / "policy-log"
    assert (log_dir / f"tile/entries/000.p/{n}").read_bytes() == resp.data
    root = verified_root(client.get("/v1/root.json").data)
    origin = root["log"]["origin_prefix"].removesuffix("/consents") + "/policies"
    out = cli("log", "audit", str(log_dir), "--origin", origin, "--key",
              root["log"]["keys"][0], "--entries").output
    roots = sum(1 for e in entries if json.loads(e)["kind"] == "root")
    assert f"ok entries: each of the {n} hashes to its leaf ({roots} root(s), " \
           f"{n - roots} manifest(s))" in out, out
    assert not (static / "v1" / "apps" / APP / "log" / "tile" / "entries").exists()


def test_log_audit_reads_regular_files_only(cli: Any, client: FlaskClient,
                                            manifest: dict[str, Any], tmp_path: Path) -> None:
    """A FIFO (or a link to a device) where a file should be: a clear failure, not a wait
    without end or a read of /dev/zero."""
    import os

    fill(client, manifest, 1)
    folder = tmp_path / "export"
    cli("consents", "export-log", APP, str(folder))
    bundle = next((folder / "tile" / "entries").rglob("*.p/*"))
    bundle.unlink()
    os.mkfifo(bundle)
    out = cli(*audit_args(client, folder), ok=False).output
    assert "not a regular file" in out and "FAILED at fetch" in out, out
    bundle.unlink()
    bundle.symlink_to("/dev/zero")
    assert "not a regular file" in cli(*audit_args(client, folder), ok=False).output


def test_an_entry_must_name_its_place_with_an_integer() -> None:
    from client_sdk.protocol.jsonutil import canonical_bytes
    from client_sdk.protocol.logentry import request_fields
    from server.witness.audit import _entry_kind
    from server.witness.errors import AuditFailure

    fields = request_fields(request_id=str(uuid.uuid4()), install_id=str(uuid.uuid4()),
                            kind="access", client_time="2026-03-01T08:00:00Z",
                            withdraw=None, note=None, seq=1,
                            server_time="2026-03-01T08:00:01Z",
                            deadline="2026-03-31T08:00:01Z")
    salt = bytes(32)
    assert _entry_kind(salt + canonical_bytes(fields), 0) == "request"
    for seq in (True, "1", 2):
        with pytest.raises(AuditFailure, match="out of its place"):
            _entry_kind(salt + canonical_bytes({**fields, "seq": seq}), 0)
    # Not canonical JSON (a float): not an entry Kelisim writes, counted as another kind.
    assert _entry_kind(salt + canonical_bytes({**fields, "seq": 1.0}), 0) == "other"


def test_an_export_that_fails_midway_leaves_no_entries(
        cli: Any, client: FlaskClient, manifest: dict[str, Any], kelisim: Kelisim,
        tmp_path: Path) -> None:
    """A log whose leaves no longer match its chain stops the export at that leaf, and
    the half-written folder (personal data) is removed; an existing empty folder is kept,
    emptied, and made the owner's only."""
    fill(client, manifest, 1)
    with kelisim.db.session() as s:
        leaf = s.scalars(sa.select(LogLeaf).where(LogLeaf.idx == 1)).one()
        leaf.record_id = str(uuid.uuid4())
    out = cli("consents", "export-log", APP, str(tmp_path / "new"), ok=False).output
    assert "does not match its chain at leaf 1" in out and "audit verify" in out, out
    assert not (tmp_path / "new").exists()
    kept = tmp_path / "kept"
    kept.mkdir(mode=0o755)
    cli("consents", "export-log", APP, str(kept), ok=False)
    assert kept.is_dir() and list(kept.iterdir()) == []
    assert stat.S_IMODE(kept.stat().st_mode) == 0o700
