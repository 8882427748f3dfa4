"""`kelisim witness serve` (C2SP tlog-witness) as a real process over 127.0.0.1 on a real
SQLite state file: honest growth, forks, rollbacks, replays, malformed and hostile input,
concurrent submissions (threads, and two processes on one state file), kill -9."""

from __future__ import annotations

import base64
import http.client
import itertools
import json
import os
import sqlite3
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from client_sdk.errors import SignatureError
from client_sdk.protocol.tlog import (
    SIG_COSIGNATURE,
    Checkpoint,
    parse_vkey,
    sign_checkpoint,
    verify_checkpoint,
)
from server.witness.state import WitnessState
from tests import witnesses
from tests.livesrv import stop, until
from tests.tlogsim import MemLog, note_signer, origin_hash

_names = itertools.count()


witness = witnesses.witness_fixture("witness")


def new_log(directory: Path) -> MemLog:
    log = MemLog(f"log.test/{next(_names)}")
    witnesses.run("witness", "add-log", "--origin", log.origin, "--key",
                  log.signer.verifier.vkey(), "--dir", str(directory))
    return log


def post(url: str, body: bytes, headers: dict[str, str] | None = None,
         path: str = "/add-checkpoint") -> tuple[int, str, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("POST", path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type") or "", resp.read()
    finally:
        conn.close()


def body(old: int, proof: list[bytes], note: bytes) -> bytes:
    lines = f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof)
    return lines.encode() + b"\n" + note


def submit(url: str, log: MemLog, old: int, size: int | None = None) -> tuple[int, str, bytes]:
    size = log.size if size is None else size
    return post(url, body(old, log.consistency(old, size) if old <= size else [],
                          log.checkpoint(size)))


def cosigned(note: bytes, answer: bytes, log: MemLog, vkey: str) -> Checkpoint:
    """The checkpoint, after checking the answer is a valid cosignature by ``vkey``."""
    assert answer.startswith("\u2014 ".encode()) and answer.endswith(b"\n")
    text, _, sigs = note.partition(b"\n\n")
    verified = verify_checkpoint(text + b"\n\n" + sigs + answer, origin=log.origin,
                                 log_key=log.signer.verifier, witnesses=[parse_vkey(vkey)],
                                 threshold=1)
    assert verified.cosigners[0][0] == "witness.test/w1" and verified.cosigners[0][1] > 0
    return verified.checkpoint


def stored(directory: Path, origin: str) -> int | None:
    con = sqlite3.connect(directory / "witness.db")
    try:
        row = con.execute("SELECT size FROM cosigned WHERE origin = ?", (origin,)).fetchone()
    finally:
        con.close()
    return None if row is None else int(row[0])


def test_init_writes_a_private_key_and_a_cosignature_vkey(witness: tuple[str, Path, str]
                                                          ) -> None:
    _, directory, vkey = witness
    assert os.stat(directory / "witness.key").st_mode & 0o777 == 0o600
    assert parse_vkey(vkey).sig_type == SIG_COSIGNATURE
    assert (directory / "witness.vkey").read_text().strip() == vkey
    again = witnesses.run("witness", "init", "--name", "x", "--dir", str(directory), ok=False)
    assert again.returncode == 1 and "already has a witness key" in again.stderr


def test_honest_growth_is_cosigned_and_published(witness: tuple[str, Path, str]) -> None:
    url, directory, vkey = witness
    log = new_log(directory)
    old = 0
    for grow in (1, 4, 300, 0, 2):  # 0: the same checkpoint again is cosigned again
        log.grow(grow)
        status, _, answer = submit(url, log, old)
        assert status == 200, answer
        assert cosigned(log.checkpoint(), answer, log, vkey).size == log.size
        old = log.size
    assert stored(directory, log.origin) == 307
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", f"/{origin_hash(log.origin)}/checkpoint")
    resp = conn.getresponse()
    latest = resp.read()
    assert resp.status == 200
    checked = verify_checkpoint(latest, origin=log.origin, log_key=log.signer.verifier,
                                witnesses=[parse_vkey(vkey)], threshold=1)
    assert checked.checkpoint.size == 307


def test_a_fork_is_refused_and_changes_nothing(witness: tuple[str, Path, str]) -> None:
    url, directory, _ = witness
    log = new_log(directory)
    log.grow(10)
    assert submit(url, log, 0)[0] == 200
    forked = log.fork(6, "evil ")
    forked.grow(6)  # size 12, leaves 6.. differ
    status, _, answer = post(url, body(10, forked.consistency(10), forked.checkpoint()))
    assert status == 422 and json.loads(answer)["error"]["code"] == "inconsistent"
    same_size = log.fork(6, "evil ")
    same_size.grow(4)  # size 10, another root
    assert submit(url, same_size, 10)[0] == 422
    # The honest log's own proof, with the forked checkpoint: still refused.
    log.grow(2)
    assert post(url, body(10, log.consistency(10), forked.checkpoint()))[0] == 422
    assert stored(directory, log.origin) == 10
    refused = WitnessState(directory / "witness.db").refusals(log.origin)
    assert [size for size, _, _ in refused] == [12, 10, 12]
    assert refused[0][1] == forked.checkpoint() and "not consistent" in refused[0][2]
    assert submit(url, log, 10)[0] == 200


def test_rollback_and_replay_of_an_older_checkpoint(witness: tuple[str, Path, str]) -> None:
    url, directory, _ = witness
    log = new_log(directory)
    log.grow(10)
    assert submit(url, log, 0)[0] == 200
    status, _, answer = submit(url, log, 10, size=7)  # old size larger than the checkpoint
    assert status == 400, answer
    for old in (7, 0, 3):  # an older checkpoint replayed from its own history
        status, ctype, answer = submit(url, log, old, size=7)
        assert (status, ctype, answer) == (409, "text/x.tlog.size", b"10\n")
    assert stored(directory, log.origin) == 10


def test_unknown_logs_and_bad_signatures(witness: tuple[str, Path, str]) -> None:
    url, directory, _ = witness
    log = new_log(directory)
    log.grow(3)
    stranger = MemLog("log.test/nobody")
    stranger.grow(3)
    status, _, answer = submit(url, stranger, 0)
    assert status == 404 and json.loads(answer)["error"]["code"] == "unknown_log"
    impostor = MemLog(log.origin, note_signer(log.origin))  # same name, another key
    impostor.grow(3)
    assert submit(url, impostor, 0)[0] == 403
    note = log.checkpoint()
    text, _, sig = note.partition(b"\n\n")
    line = sig.decode().rstrip("\n")
    raw = bytearray(base64.b64decode(line.rsplit(" ", 1)[1]))
    raw[-1] ^= 1  # the log's own key ID, a signature that does not verify
    bad = text + b"\n\n" + (line.rsplit(" ", 1)[0] + " " +
                            base64.b64encode(bytes(raw)).decode() + "\n").encode()
    status, _, answer = post(url, body(0, [], bad))
    assert status == 403 and json.loads(answer)["error"]["code"] == "bad_signature"
    assert stored(directory, log.origin) is None


def test_malformed_and_hostile_input_is_4xx_json(witness: tuple[str, Path, str]) -> None:
    url, directory, _ = witness
    log = new_log(directory)
    log.grow(5)
    good = log.checkpoint()
    huge = sign_checkpoint(Checkpoint(log.origin, 5, log.root()), log.signer) \
        .replace(b"\n5\n", b"\n" + b"9" * 30 + b"\n", 1)
    bad_bodies = [
        b"", b"\x00\xff" * 50, os.urandom(4096), b"old 0\n",
        b"old 0\n" + good.replace(b"\n\n", b"\n"),  # no blank line at all in the note
        b"old 00\n\n" + good, b"old -1\n\n" + good, b"old 1e3\n\n" + good,
        b"old " + b"9" * 40 + b"\n\n" + good, b"old 18446744073709551616\n\n" + good,
        b"old 0\n!!notbase64\n\n" + good, b"old 0\nAAAA\n\n" + good,
        body(1, [log.root()] * 64, good), b"old 0\n\n" + huge,
        b"old 0\n\n" + good.replace(b"\xe2\x80\x94", b"-"), "old 0\n\n\u00e9".encode("latin-1"),
    ]
    for raw in bad_bodies:
        status, ctype, answer = post(url, raw)
        assert status == 400, (raw[:60], status, answer)
        error = json.loads(answer)["error"]
        assert ctype == "application/json" and error["message"] and "field" in error["details"]
    empty_root = sign_checkpoint(Checkpoint(log.origin, 0, log.root()), log.signer)
    assert post(url, body(0, [], empty_root))[0] == 422
    assert post(url, body(0, [log.root()], good))[0] == 422  # a proof from size 0
    # Said from the Content-Length alone, before any of the body is read (a client still
    # sending a whole MiB may find the connection closed under it: send a little).
    assert post(url, b"old 0\n\n", headers={"Content-Length": str(1 << 20)})[0] == 413
    conn = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port, timeout=10)
    conn.putrequest("POST", "/add-checkpoint")
    conn.endheaders()
    assert conn.getresponse().status == 411
    conn.close()
    assert post(url, b"", path="/nothing")[0] == 404
    assert stored(directory, log.origin) is None
    assert submit(url, log, 0)[0] == 200


def test_concurrent_submissions_from_one_size_cannot_both_win(
        witness: tuple[str, Path, str], tmp_path: Path) -> None:
    """Threads against one process, then two processes on one state file: from the same
    old size, at most one of two growths is cosigned; the other gets 409 with the winner's
    size, so the state never goes back."""
    url, directory, _ = witness
    log = new_log(directory)
    log.grow(4)
    assert submit(url, log, 0)[0] == 200
    with witnesses.serving(directory) as (second, _):
        for round_ in range(8):
            old = log.size
            log.grow(3)
            small = log.size
            log.grow(5)
            big = log.size
            target = [url, second] if round_ % 2 else [url, url]
            barrier = threading.Barrier(2)
            results: dict[int, tuple[int, str, bytes]] = {}

            def go(size: int, where: str, old: int, barrier: threading.Barrier,
                   results: dict[int, tuple[int, str, bytes]]) -> None:
                request = body(old, log.consistency(old, size), log.checkpoint(size))
                barrier.wait()
                results[size] = post(where, request)

            threads = [threading.Thread(target=go, args=(s, w, old, barrier, results))
                       for s, w in zip((small, big), target, strict=True)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(r[0] for r in results.values()) == [200, 409], results
            winner = next(s for s, r in results.items() if r[0] == 200)
            loser = next(r for s, r in results.items() if r[0] == 409)
            assert loser[2] == f"{winner}\n".encode()
            assert stored(directory, log.origin) == winner
            assert submit(url, log, winner)[0] == 200  # catch up to the newest


def test_kill_9_mid_run_keeps_the_state(tmp_path: Path) -> None:
    directory = tmp_path / "w"
    vkey = witnesses.init(directory)
    log = new_log(directory)
    answered = 0
    with witnesses.serving(directory) as (url, proc):
        stop_at = threading.Event()
        errors: list[BaseException] = []
        sizes = [0]

        def submitter() -> None:
            nonlocal answered
            try:
                while not stop_at.is_set():
                    log.grow(7)
                    status, _, _ = submit(url, log, sizes[-1])
                    assert status == 200
                    sizes.append(log.size)
                    answered = log.size
            except (OSError, http.client.HTTPException):
                pass  # the process died under us
            except BaseException as exc:
                errors.append(exc)

        worker = threading.Thread(target=submitter)
        worker.start()
        until(lambda: len(sizes) > 20, "twenty cosignatures")
        stop(proc, kill=True)  # type: ignore[arg-type]
        stop_at.set()
        worker.join()
        assert not errors, errors
    con = sqlite3.connect(directory / "witness.db")
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
    kept = stored(directory, log.origin)
    # Every answered cosignature was on disk; at most the one in flight is newer.
    assert kept is not None and kept in (answered, answered + 7)
    with witnesses.serving(directory) as (url, _):
        status, _, answer = submit(url, log, kept)
        assert status == 200, answer
        assert cosigned(log.checkpoint(), answer, log, vkey).size == log.size
        assert submit(url, log, 0)[0] == 409


def test_a_forged_witness_answer_does_not_verify(witness: tuple[str, Path, str]) -> None:
    url, directory, vkey = witness
    log = new_log(directory)
    log.grow(2)
    answer = submit(url, log, 0)[2]
    other = log.fork(1, "x")
    other.grow(1)
    with pytest.raises(SignatureError):
        cosigned(other.checkpoint(), answer, other, vkey)


def test_any_bytes_get_a_4xx_and_change_nothing(tmp_path: Path) -> None:
    """In process (the same Witness the server runs), many bodies: random bytes and a valid
    body cut, extended or with one byte changed. Each is a 4xx with a JSON error (409: the
    size), never an exception, and the state does not move; the valid body is then cosigned."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from server.witness.core import Witness
    from server.witness.keys import create_key
    from server.witness.state import WitnessState

    state = WitnessState(tmp_path / "witness.db")
    state.create()
    w = Witness(state, create_key(tmp_path, "witness.test/fuzz"), clock=lambda: 1_700_000_000)
    log = MemLog("log.test/fuzz")
    state.add_log(log.origin, [log.signer.verifier.vkey()])
    log.grow(20)
    assert w.add_checkpoint(body(0, [], log.checkpoint())).status == 200
    log.grow(13)
    good = body(20, log.consistency(20), log.checkpoint())

    @settings(max_examples=300, deadline=None)
    @given(st.one_of(
        st.binary(max_size=2000),
        st.integers(0, len(good) - 1).map(lambda n: good[:n]),
        st.binary(min_size=1, max_size=50).map(lambda extra: good + extra),
        st.tuples(st.integers(0, len(good) - 1), st.integers(1, 255)).map(
            lambda t: good[:t[0]] + bytes([good[t[0]] ^ t[1]]) + good[t[0] + 1:])))
    def check(raw: bytes) -> None:
        answer = w.add_checkpoint(raw)
        assert 400 <= answer.status < 500, (raw, answer)
        if answer.status != 409:
            assert json.loads(answer.body)["error"]["code"]
        assert state.latest(log.origin).size == 20

    check()
    assert w.add_checkpoint(good).status == 200


def test_a_readable_or_broken_key_file_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "w"
    witnesses.init(directory, "witness.test/keys")
    key = directory / "witness.key"
    key.chmod(0o644)
    proc = witnesses.run("witness", "serve", "--dir", str(directory), "--port", "0", ok=False)
    assert proc.returncode == 1 and "can be read by others" in proc.stderr
    key.chmod(0o600)
    key.write_text(key.read_text().replace("+", "+0", 1))
    proc = witnesses.run("witness", "serve", "--dir", str(directory), "--port", "0", ok=False)
    assert proc.returncode == 1 and "witness.key" in proc.stderr and "Traceback" not in proc.stderr
    bad = witnesses.run("witness", "add-log", "--origin", "o", "--key", "nonsense", "--dir",
                        str(directory), ok=False)
    assert bad.returncode == 1 and "log key 'nonsense'" in bad.stderr
    none = witnesses.run("witness", "logs", "--dir", str(tmp_path / "nothing"), ok=False)
    assert none.returncode == 1 and "run `kelisim witness init`" in none.stderr
