"""The log side's witness client (server/witness/submit.py) against the real witness
process, and against hostile or dead HTTP servers on 127.0.0.1 (real sockets)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from client_sdk.protocol.tlog import parse_vkey, verify_checkpoint
from server.witness.errors import WitnessConflict, WitnessError, WitnessUnavailable
from server.witness.submit import add_checkpoint, cosign
from tests import witnesses
from tests.livesrv import free_port
from tests.tlogsim import MemLog, note_signer

witness = witnesses.witness_fixture("submit")


def _log(directory: Path, name: str) -> MemLog:
    log = MemLog(f"submit.test/{name}")
    witnesses.run("witness", "add-log", "--origin", log.origin, "--key",
                  log.signer.verifier.vkey(), "--dir", str(directory))
    return log


def test_cosign_returns_a_valid_cosignature_and_recovers_from_409(
        witness: tuple[str, Path, str]) -> None:
    url, directory, vkey = witness
    key = parse_vkey(vkey)
    log = _log(directory, "honest")
    log.grow(10)
    line, old = cosign(url, log.checkpoint(), 0, log.consistency, witness_key=key)
    assert old == 0
    note = log.checkpoint() + line
    assert verify_checkpoint(note, origin=log.origin, log_key=log.signer.verifier,
                             witnesses=[key], threshold=1).cosigners[0][0] == key.name
    log.grow(5)
    # The log forgot the witness's size (a restart): 409, then from size 10.
    line, old = cosign(url, log.checkpoint(), 3, log.consistency, witness_key=key)
    assert old == 10
    with pytest.raises(WitnessConflict) as conflict:
        add_checkpoint(url, log.checkpoint(), 10, log.consistency(10), witness_key=key)
    assert conflict.value.known_size == 15


def test_refusals_are_witness_errors(witness: tuple[str, Path, str]) -> None:
    url, directory, vkey = witness
    key = parse_vkey(vkey)
    log = _log(directory, "refused")
    log.grow(8)
    cosign(url, log.checkpoint(), 0, log.consistency, witness_key=key)
    forked = log.fork(4, "fork ")
    forked.grow(6)
    with pytest.raises(WitnessError) as refused:
        add_checkpoint(url, forked.checkpoint(), 8, forked.consistency(8), witness_key=key)
    assert refused.value.status == 422 and "consistent" in refused.value.message
    older = MemLog(log.origin, log.signer)
    older.grow(5)  # a log that went back to a smaller tree
    with pytest.raises(WitnessError, match="larger than this checkpoint"):
        cosign(url, older.checkpoint(), 0, older.consistency, witness_key=key)
    stranger = MemLog("submit.test/unknown")
    stranger.grow(1)
    with pytest.raises(WitnessError) as unknown:
        add_checkpoint(url, stranger.checkpoint(), 0, [], witness_key=key)
    assert unknown.value.status == 404
    with pytest.raises(WitnessError, match="not http"):
        add_checkpoint("file:///etc/passwd", log.checkpoint(), 0, [], witness_key=key)


def test_an_answer_by_another_key_is_not_a_cosignature(witness: tuple[str, Path, str]
                                                        ) -> None:
    url, directory, _ = witness
    log = _log(directory, "otherkey")
    log.grow(2)
    someone = note_signer("witness.test/w1", 0x04).verifier  # same name, another key
    with pytest.raises(WitnessUnavailable, match="no valid cosignature"):
        add_checkpoint(url, log.checkpoint(), 0, [], witness_key=someone)


@contextmanager
def hostile(status: int, body: bytes, delay: float = 0.0) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with witnesses.http_server(Handler) as url:
        yield url


def test_dead_slow_huge_and_garbage_witnesses_are_unavailable() -> None:
    log = MemLog("submit.test/alone")
    log.grow(1)
    key = note_signer("w", 0x04).verifier
    note = log.checkpoint()
    with pytest.raises(WitnessUnavailable, match="did not answer"):
        add_checkpoint(f"http://127.0.0.1:{free_port()}", note, 0, [], witness_key=key)
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        started = time.monotonic()
        with pytest.raises(WitnessUnavailable, match="did not answer"):
            add_checkpoint(f"http://127.0.0.1:{silent.getsockname()[1]}", note, 0, [],
                           witness_key=key, timeout=0.5)
        assert time.monotonic() - started < 5
    with hostile(200, b"\xe2\x80\x94 w AAAA\n" * 10_000) as url, \
            pytest.raises(WitnessUnavailable, match="more than"):
        add_checkpoint(url, note, 0, [], witness_key=key)
    with hostile(200, b"hello\n") as url, pytest.raises(WitnessUnavailable,
                                                        match="not signature lines"):
        add_checkpoint(url, note, 0, [], witness_key=key)
    with hostile(409, b"many\n") as url, pytest.raises(WitnessUnavailable,
                                                      match="409 without a size"):
        add_checkpoint(url, note, 0, [], witness_key=key)
    with hostile(503, b"busy") as url, pytest.raises(WitnessUnavailable, match="503"):
        add_checkpoint(url, note, 0, [], witness_key=key)
