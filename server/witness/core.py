"""The witness's decisions (C2SP ``tlog-witness``, ``add-checkpoint``), without HTTP: bytes of a
request body in, an :class:`Answer` (status, content type, body) out.

A request body is an ``old <size>`` line, up to 63 consistency proof lines (base64 hashes),
an empty line, then the checkpoint (a signed note). The checks, in the specification's
order, each with its status:

- 400: malformed body, checkpoint or note; old size larger than the checkpoint's size;
- 404: an origin this witness does not witness;
- 403: no signature by the log's key, or a signature by it that does not verify;
- 422: a size-0 checkpoint whose root is not the empty tree's; a non-empty proof from size 0;
  a consistency proof that does not verify (a fork); equal sizes with another root;
- 409: the old size is not the size the witness last cosigned (body: that size, content
  type ``text/x.tlog.size``): a rollback, a replay of an older checkpoint, a stale log;
- 200: the body is the witness's cosignature line (``tlog-cosignature``, Ed25519, type
  0x04, timestamp in seconds, never 0), after the new state is stored.

Error answers other than 409 are the server's JSON ``{"error": {code, message, details}}``.
"""

from __future__ import annotations

import hashlib
import json
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from client_sdk.protocol import FormatError, ProofError, SignatureError
from client_sdk.protocol.tlog.checkpoint import parse_checkpoint
from client_sdk.protocol.tlog.merkle import EMPTY_ROOT, HASH_SIZE, verify_consistency
from client_sdk.protocol.tlog.note import (
    MAX_NOTE_BYTES,
    NoteSignature,
    NoteSigner,
    b64decode_strict,
    cosignature_message,
    open_note,
    parse_note,
)
from server.witness.state import Cosigned, WitnessState

__all__ = ["MAX_BODY_BYTES", "MAX_PROOF_LINES", "SIZE_TYPE", "Answer", "Witness",
           "error_answer", "parse_submission"]

MAX_PROOF_LINES: Final = 63
#: The old size line, 63 proof lines and the largest note the library opens.
MAX_BODY_BYTES: Final = 32 + MAX_PROOF_LINES * 45 + MAX_NOTE_BYTES
SIZE_TYPE: Final = "text/x.tlog.size"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    content_type: str
    body: bytes


def error_answer(status: int, code: str, message: str, **details: object) -> Answer:
    body = {"error": {"code": code, "message": message, "details": details}}
    return Answer(status, "application/json", json.dumps(body).encode())


class _Refused(Exception):
    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.body.decode())
        self.answer = answer


def _bad(message: str, field: str) -> _Refused:
    return _Refused(error_answer(400, "malformed", message, field=field))


def parse_submission(body: bytes) -> tuple[int, list[bytes], bytes]:
    """(old size, consistency proof, checkpoint note bytes) of an add-checkpoint body.

    Raises FormatError naming the line."""
    head, sep, note = body.partition(b"\n\n")
    if not sep or not note:
        raise FormatError("no empty line followed by a checkpoint", field="body")
    try:
        lines = head.decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise FormatError("the lines before the checkpoint are not ASCII", field="body") \
            from None
    old = lines[0]
    digits = old[len("old "):]
    if not old.startswith("old ") or not (digits.isascii() and digits.isdigit()) \
            or (len(digits) > 1 and digits[0] == "0") or len(digits) > 19:
        raise FormatError(f"{old[:40]!r} is not 'old <size>' (a decimal, no leading zero)",
                          field="line 1 (old size)")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise FormatError(f"{len(lines) - 1} proof lines, at most {MAX_PROOF_LINES}",
                          field="consistency proof")
    proof = []
    for i, line in enumerate(lines[1:], start=2):
        h = b64decode_strict(line, f"line {i} (consistency proof)")
        if len(h) != HASH_SIZE:
            raise FormatError(f"is {len(h)} bytes, not {HASH_SIZE}",
                              field=f"line {i} (consistency proof)")
        proof.append(h)
    return int(digits), proof, note


class Witness:
    """One witness: its cosigning key, its state file and a clock (POSIX seconds)."""

    def __init__(self, state: WitnessState, signer: NoteSigner,
                 clock: Callable[[], float] = time.time) -> None:
        self.state = state
        self.signer = signer
        self.clock = clock

    def add_checkpoint(self, body: bytes) -> Answer:
        """Answer one ``POST add-checkpoint`` body."""
        try:
            return self._add(body)
        except _Refused as refused:
            return refused.answer

    def _add(self, body: bytes) -> Answer:
        if len(body) > MAX_BODY_BYTES:
            return error_answer(413, "too_large",
                                f"the body is larger than {MAX_BODY_BYTES} bytes",
                                limit=MAX_BODY_BYTES)
        try:
            old, proof, raw = parse_submission(body)
            note = parse_note(raw)
            checkpoint = parse_checkpoint(note.text)
        except FormatError as exc:
            raise _bad(exc.message, exc.field or "checkpoint") from None
        keys = self.state.log_keys(checkpoint.origin)
        if keys is None:
            return error_answer(404, "unknown_log", f"this witness does not witness the log "
                                f"{checkpoint.origin!r}", origin=checkpoint.origin)
        try:
            opened = open_note(raw, keys, role="log")
        except SignatureError as exc:
            return error_answer(403, "bad_signature", exc.message, origin=checkpoint.origin)
        except FormatError as exc:  # parse_note passed: not reached, kept for safety
            raise _bad(exc.message, exc.field or "checkpoint") from None
        if old > checkpoint.size:
            raise _bad(f"old size {old} is larger than the checkpoint's size "
                       f"{checkpoint.size}", "line 1 (old size)")
        if checkpoint.size == 0 and checkpoint.root_hash != EMPTY_ROOT:
            return error_answer(422, "inconsistent", "a checkpoint of size 0 must have the "
                                "empty tree's root", origin=checkpoint.origin)
        log_sigs = [s for _, s in opened.verified]

        def decide(current: Cosigned) -> tuple[Answer, Cosigned | None]:
            if old != current.size:
                return Answer(409, SIZE_TYPE, f"{current.size}\n".encode()), None
            try:
                verify_consistency(old, checkpoint.size, current.root, checkpoint.root_hash,
                                   proof)
            except ProofError as exc:
                return error_answer(422, "inconsistent", exc.message,
                                    origin=checkpoint.origin, known_size=current.size), None
            line = self._cosign(note.text)
            stored = (note.text + "\n" + "".join(s.line() for s in log_sigs) + line).encode()
            return Answer(200, "text/plain; charset=utf-8", line.encode()), \
                Cosigned(checkpoint.size, checkpoint.root_hash, stored)

        answer = self.state.advance(checkpoint.origin, decide)
        if answer.status == 422:
            self.state.record_refusal(checkpoint.origin, checkpoint.size, raw,
                                      json.loads(answer.body)["error"]["message"])
        return answer

    def _cosign(self, text: str) -> str:
        timestamp = max(1, int(self.clock()))
        signature = struct.pack(">Q", timestamp) + \
            self.signer.sign(cosignature_message(text, timestamp))
        return NoteSignature(self.signer.name, self.signer.verifier.key_id, signature).line()

    def latest_checkpoint(self, origin_hash: str) -> Answer:
        """``GET <origin hash>/checkpoint``: the latest cosigned checkpoint of the log whose
        origin's SHA-256 (lowercase hex) is ``origin_hash``; 404 if none."""
        found = self.state.latest_by(
            lambda origin: hashlib.sha256(origin.encode()).hexdigest() == origin_hash)
        if found is None or found[1].note is None:
            return error_answer(404, "not_found", "no cosigned checkpoint for that origin hash")
        return Answer(200, "text/plain; charset=utf-8", found[1].note)
