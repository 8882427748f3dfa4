"""The log side of ``tlog-witness``: submit a checkpoint with its consistency proof to a
witness and get its cosignature. No Flask, no app: the server's worker calls it off the
request path.

API::

    add_checkpoint(url, checkpoint, old_size, proof, *, witness_key, timeout=10.0,
                   max_response=MAX_RESPONSE_BYTES) -> bytes
    cosign(url, checkpoint, old_size, prove, *, witness_key, ...) -> tuple[bytes, int]

``url`` is the witness's submission prefix (``/add-checkpoint`` is appended). The answer's
signature lines are checked against ``witness_key`` (concatenated to the checkpoint and
opened, as the spec suggests); its cosignature line is returned, ready to append to the
checkpoint note. Errors: :class:`~server.witness.errors.WitnessConflict` (409, with the
witness's ``known_size``), :class:`~server.witness.errors.WitnessError` (any other 4xx: the
witness refused), :class:`~server.witness.errors.WitnessUnavailable` (no answer in time, a
connection error, a 5xx, an answer too large or without a valid cosignature).
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from http.client import HTTPResponse
from typing import Final

from client_sdk.protocol import FormatError, SignatureError
from client_sdk.protocol.tlog.checkpoint import parse_checkpoint
from client_sdk.protocol.tlog.note import NoteVerifier, open_note, parse_note
from server.witness.errors import WitnessConflict, WitnessError, WitnessUnavailable

__all__ = ["MAX_RESPONSE_BYTES", "add_checkpoint", "cosign"]

MAX_RESPONSE_BYTES: Final = 64 * 1024


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _read(response: HTTPResponse | urllib.error.HTTPError, limit: int, url: str) -> bytes:
    body = response.read(limit + 1)
    if len(body) > limit:
        raise WitnessUnavailable(f"witness {url} answered more than {limit} bytes", url=url)
    return body


def _reason(body: bytes) -> str:
    text = body[:300].decode("utf-8", "replace").strip()
    return text or "no reason given"


def add_checkpoint(url: str, checkpoint: bytes, old_size: int, proof: Sequence[bytes], *,
                   witness_key: NoteVerifier, timeout: float = 10.0,
                   max_response: int = MAX_RESPONSE_BYTES) -> bytes:
    """One ``POST <url>/add-checkpoint``; returns ``witness_key``'s cosignature line."""
    if not url.startswith(("http://", "https://")):
        raise WitnessError(f"witness URL {url!r} is not http(s)", status=0, url=url)
    endpoint = url.rstrip("/") + "/add-checkpoint"
    parse_note(checkpoint)  # a malformed note is the caller's bug: FormatError, not sent
    head = f"old {old_size}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof)
    request = urllib.request.Request(  # noqa: S310 (http(s) only, checked above)
        endpoint, data=head.encode() + b"\n" + checkpoint, method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8"})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            body = _read(response, max_response, endpoint)
    except urllib.error.HTTPError as exc:
        body = _read(exc, max_response, endpoint)
        if exc.code == 409:
            size = body.decode("ascii", "replace").strip()
            if not size.isdigit():
                raise WitnessUnavailable(f"witness {endpoint}: 409 without a size",
                                         url=endpoint) from None
            raise WitnessConflict(f"witness {endpoint} has cosigned size {size}, not "
                                  f"{old_size}", known_size=int(size), url=endpoint) from None
        if 400 <= exc.code < 500:
            raise WitnessError(f"witness {endpoint} refused the checkpoint ({exc.code}): "
                               f"{_reason(body)}", status=exc.code, url=endpoint) from None
        raise WitnessUnavailable(f"witness {endpoint} failed ({exc.code}): {_reason(body)}",
                                 url=endpoint) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WitnessUnavailable(f"witness {endpoint} did not answer: {reason}",
                                 url=endpoint) from None
    return _own_line(checkpoint, body, witness_key, endpoint)


def _own_line(checkpoint: bytes, body: bytes, key: NoteVerifier, url: str) -> bytes:
    """The line of ``body`` by ``key``, after checking it cosigns ``checkpoint``."""
    lines = body.split(b"\n")
    if lines[-1] != b"" or not all(line.startswith("\u2014 ".encode()) for line in lines[:-1]):
        raise WitnessUnavailable(f"witness {url}: the answer is not signature lines", url=url)
    text = parse_note(checkpoint).text
    try:
        opened = open_note(text.encode() + b"\n" + body, [key], role="witness", url=url)
    except (FormatError, SignatureError) as exc:
        raise WitnessUnavailable(f"witness {url}: no valid cosignature by {key.name}: "
                                 f"{exc}", url=url) from None
    return opened.verified[0][1].line().encode()


def cosign(url: str, checkpoint: bytes, old_size: int, prove: Callable[[int], list[bytes]], *,
           witness_key: NoteVerifier, timeout: float = 10.0,
           max_response: int = MAX_RESPONSE_BYTES) -> tuple[bytes, int]:
    """:func:`add_checkpoint` from ``old_size`` (the size the log believes the witness has;
    0 if it does not know), retried once from the witness's size on a 409; ``prove(old)``
    makes the consistency proof from ``old``. Returns the cosignature line and the old size
    that worked (the log remembers it for next time)."""
    try:
        return add_checkpoint(url, checkpoint, old_size, prove(old_size),
                              witness_key=witness_key, timeout=timeout,
                              max_response=max_response), old_size
    except WitnessConflict as conflict:
        known = conflict.known_size
        size = parse_checkpoint(parse_note(checkpoint).text).size
        if known > size:
            raise WitnessError(f"witness {url} has cosigned size {known}, larger than this "
                               f"checkpoint's {size}: the log went back or forked",
                               status=409, url=url) from None
        return add_checkpoint(url, checkpoint, known, prove(known), witness_key=witness_key,
                              timeout=timeout, max_response=max_response), known
