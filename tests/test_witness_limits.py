"""A real witness process (`kelisim witness serve`) cannot be held by a client: a request
that sends less than its Content-Length, or trickles it, is cut at the request deadline;
connections beyond the cap are answered 503 at once; a Content-Length of non-ASCII digits
("²") is 411, never 500."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests import witnesses
from tests.livesrv import until

DEADLINE = 1.0


@pytest.fixture(scope="module")
def witness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    directory = tmp_path_factory.mktemp("limits") / "w"
    witnesses.init(directory)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KELISIM_WITNESS_REQUEST_TIMEOUT", str(DEADLINE))
        mp.setenv("KELISIM_WITNESS_MAX_CONNECTIONS", "3")
        with witnesses.serving(directory) as (url, _):
            parts = urlsplit(url)
            yield str(parts.hostname), int(parts.port or 0)


def _connect(address: tuple[str, int]) -> socket.socket:
    return socket.create_connection(address, timeout=15)


def _answer(sock: socket.socket) -> bytes:
    """Everything the witness sends until it closes the connection."""
    out = b""
    while chunk := sock.recv(65536):
        out += chunk
    return out


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer else 0


def test_non_ascii_content_length_is_411(witness: tuple[str, int]) -> None:
    for length in ("²".encode("latin-1"), "١".encode(), b"+5", b"-1", b"1" * 13):
        with _connect(witness) as sock:
            sock.sendall(b"POST /add-checkpoint HTTP/1.1\r\nHost: w\r\nContent-Length: "
                         + length + b"\r\n\r\n")
            answer = _answer(sock)
        assert _status(answer) == 411, answer[:300]
        error = json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]
        assert error["code"] == "length_required", error


@pytest.mark.parametrize("trickle", [False, True])
def test_short_or_trickled_body_cut_at_the_deadline(witness: tuple[str, int],
                                                    trickle: bool) -> None:
    with _connect(witness) as sock:
        began = time.monotonic()
        sock.sendall(b"POST /add-checkpoint HTTP/1.1\r\nHost: w\r\nContent-Length: 100\r\n"
                     b"\r\nol")
        if trickle:  # a byte every 0.2 s: each read is quick, all of them are not
            try:
                for _ in range(98):
                    sock.sendall(b"d")
                    time.sleep(0.2)
            except OSError:
                pass  # the witness shut the connection
        answer = _answer(sock)
        took = time.monotonic() - began
    assert DEADLINE * 0.9 <= took < DEADLINE + 2.0, took
    assert _status(answer) in (0, 400), answer[:300]


def test_connections_beyond_the_cap_get_503(witness: tuple[str, int]) -> None:
    idle = [_connect(witness) for _ in range(3)]  # they send nothing
    try:
        # The witness takes connections in order: these three hold every slot.
        with _connect(witness) as extra:
            answer = _answer(extra)
        assert _status(answer) == 503, answer[:300]
        assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "busy"
    finally:
        for sock in idle:
            sock.close()

    def serves() -> bool:
        with _connect(witness) as sock:
            sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
            return _status(_answer(sock)) == 200

    until(serves, "the witness to serve again once the idle connections closed")

