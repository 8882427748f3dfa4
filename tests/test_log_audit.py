"""`kelisim log audit` on mirrors made with the library: a folder, a file:// URL and a real
HTTP server; honest growth, a tampered tile, a missing or oversized tile, a forked history,
a rolled back checkpoint, a bad signature, missing cosignatures."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

from client_sdk.protocol.tlog import SIG_COSIGNATURE, add_cosignature
from tests import witnesses
from tests.tlogsim import MemLog, note_signer

ORIGIN = "kelisim.test/consents/audited"


def audit(source: str | Path, log: MemLog, *extra: str) -> subprocess.CompletedProcess[str]:
    return witnesses.run("log", "audit", str(source), "--origin", log.origin, "--key",
                         log.signer.verifier.vkey(), *extra, ok=False)


@contextmanager
def http_mirror(directory: Path) -> Iterator[str]:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    with witnesses.http_server(functools.partial(Quiet, directory=str(directory))) as url:
        yield url


def test_honest_growth_from_a_folder_a_file_url_and_http(tmp_path: Path) -> None:
    log = MemLog(ORIGIN)
    log.grow(600)  # two full leaf tiles, a partial one, a partial level-1 tile
    mirror = log.publish(tmp_path / "m")
    state = tmp_path / "state.json"
    first = audit(mirror, log, "--state", str(state))
    assert first.returncode == 0, first.stderr
    assert "ok tiles: 4 tiles" in first.stdout and "none seen before" in first.stdout
    log.grow(70_000 - 600)  # a level-2 tile too
    shutil.rmtree(mirror)
    log.publish(mirror)
    again = audit(mirror.as_uri(), log, "--state", str(state))
    assert again.returncode == 0, again.stderr
    assert "extends every earlier checkpoint (600)" in again.stdout
    with http_mirror(mirror) as url:
        third = audit(url, log, "--state", str(state))
    assert third.returncode == 0, third.stderr
    assert "(600, 70000)" in third.stdout and "no change" in third.stdout
    assert [c["size"] for c in json.loads(state.read_text())["checkpoints"]] == [600, 70000]


def test_a_tampered_tile_is_found(tmp_path: Path) -> None:
    log = MemLog(ORIGIN)
    log.grow(600)
    mirror = log.publish(tmp_path / "m")
    tile = mirror / "tile/0/000"
    data = bytearray(tile.read_bytes())
    data[100] ^= 1
    tile.write_bytes(bytes(data))
    proc = audit(mirror, log)
    assert proc.returncode == 1 and "FAILED at tiles" in proc.stderr
    assert "tile/1/000.p/2 entry 0 is not the hash of the tile below" in proc.stderr
    small = MemLog(ORIGIN, log.signer)
    small.grow(20)  # one partial tile: only the root can tell
    other = small.publish(tmp_path / "s")
    partial = other / "tile/0/000.p/20"
    partial.write_bytes(partial.read_bytes()[:-1] + b"\x00")
    proc = audit(other, small)
    assert proc.returncode == 1 and "do not make the checkpoint's root" in proc.stderr
    partial.unlink()
    proc = audit(other, small)
    assert proc.returncode == 1 and "FAILED at fetch" in proc.stderr and "000.p/20" in proc.stderr


def test_an_oversized_tile_over_http_is_refused(tmp_path: Path) -> None:
    log = MemLog(ORIGIN)
    log.grow(10)
    mirror = log.publish(tmp_path / "m")
    (mirror / "tile/0/000.p/10").write_bytes(b"\x00" * 100_000)
    with http_mirror(mirror) as url:
        proc = audit(url, log)
    assert proc.returncode == 1 and "larger than 8192 bytes" in proc.stderr


def test_a_fork_and_a_rollback_are_reported_with_both_checkpoints(tmp_path: Path) -> None:
    log = MemLog(ORIGIN)
    log.grow(600)
    state = tmp_path / "state.json"
    assert audit(log.publish(tmp_path / "a"), log, "--state", str(state)).returncode == 0
    forked = log.fork(300, "rewritten ")
    forked.grow(400)  # size 700, leaves 300.. rewritten, same log key
    proc = audit(forked.publish(tmp_path / "b"), forked, "--state", str(state))
    assert proc.returncode == 1 and "FAILED at consistency: fork" in proc.stderr
    assert proc.stderr.count("evidence, a signed checkpoint:") == 2
    assert log.checkpoint().decode() in proc.stderr
    assert forked.checkpoint().decode() in proc.stderr
    kept = json.loads(state.read_text())
    assert kept["evidence"][0]["kind"] == "fork"
    assert [c["size"] for c in kept["checkpoints"]] == [600]  # the fork was not accepted
    older = MemLog(ORIGIN, log.signer)
    older.grow(500)  # the same history, rolled back
    proc = audit(older.publish(tmp_path / "c"), older, "--state", str(state))
    assert proc.returncode == 1 and "rollback: the log shows size 500" in proc.stderr
    assert json.loads(state.read_text())["evidence"][1]["kind"] == "rollback"


def test_signatures_and_cosignatures(tmp_path: Path) -> None:
    log = MemLog(ORIGIN)
    log.grow(5)
    impostor = MemLog(ORIGIN, note_signer(ORIGIN))
    impostor.grow(5)
    proc = audit(impostor.publish(tmp_path / "i"), log)
    assert proc.returncode == 1 and "checkpoint signature (log)" in proc.stderr
    w1, w2 = (note_signer(f"w.test/{i}", SIG_COSIGNATURE) for i in (1, 2))
    mirror = log.publish(tmp_path / "m", add_cosignature(log.checkpoint(), w1, 1_700_000_000))
    keys = ["--witness", w1.verifier.vkey(), "--witness", w2.verifier.vkey()]
    proc = audit(mirror, log, *keys)  # default threshold: all of them
    assert proc.returncode == 1 and "checkpoint signature (witness)" in proc.stderr
    proc = audit(mirror, log, *keys, "--threshold", "1")
    assert proc.returncode == 0
    assert "ok cosignature: w.test/1 at 2023-11-14T22:13:20Z" in proc.stdout
    proc = audit(mirror, log, "--origin", "x")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    proc = audit("ftp://example.com/log", log)
    assert proc.returncode == 1 and "not http(s)://" in proc.stderr
