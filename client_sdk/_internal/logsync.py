"""The transparency-log side of a sync (docs/transparency.md, "How a device checks").

When the trusted root lists a log, every record a consents answer confirms must come with
its inclusion proof (``records[].log``: the salt and a tlog-proof): the device rebuilds
the record's leaf from its own record, the verified receipt's seq and server time and the
salt, and checks the proof against the root's log key (and witnesses). A missing or
failing proof is handled like a receipt whose signature fails: the batch is not confirmed,
stays in the outbox with backoff, and the sync result carries the error. The proofs are
stored with the records (``log_proofs``).

A request of the data subject is a leaf of the same log: its answer carries ``log`` (salt
and tlog-proof) and the device rebuilds the leaf from its own request (id, kind, time,
withdraw choice, note), the verified receipt's install and server time, the deadline (the
``request`` receipt's; a ``deletion_request`` receipt holds none: the answer's) and the
seq the proof's index gives. The same rule: no proof or a failing one, not confirmed.

Consistency (:func:`advance`): at the end of a run that verified a checkpoint newer than
the one the store holds (meta ``log_checkpoint``), the device asks the server for the
consistency proof from the held size to the new one (``GET <app>/log/consistency?old=M&
new=N``: public hashes) and verifies it; only then the new checkpoint replaces the held
one. A proof that fails, a smaller tree, or another root for the same size is kept as
evidence (table ``log_evidence``: both signed checkpoints, the proof, the reason, the
time; :func:`read_evidence`) and the held checkpoint stays. The records stay synced:
their receipts and inclusion proofs verified. A proof that could not be fetched changes
nothing (asked again next sync). The first checkpoint a device sees is trusted as is.
A root without a log: nothing of this runs.

Only sync runs it (imported with sync): nothing on the launch path.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from client_sdk._internal.store import Store
from client_sdk.errors import ConsentError, FormatError, ProofError
from client_sdk.protocol.grammar import is_time
from client_sdk.protocol.jsonutil import loads_strict
from client_sdk.protocol.logproof import ProofChecker
from client_sdk.protocol.model import Root
from client_sdk.protocol.receipts import Receipt
from client_sdk.protocol.record import Record, record
from client_sdk.protocol.timeutil import format_time
from client_sdk.protocol.tlog import (
    Checkpoint,
    VerifiedCheckpoint,
    parse_checkpoint,
    parse_note,
    verify_consistency,
)

if TYPE_CHECKING:
    from client_sdk.transport import Response, Transport

__all__ = ["CHECKPOINT_KEY", "LogEvidence", "LogProofs", "advance", "read_evidence"]

log = logging.getLogger("kelisim")
MAX_PROOF_HASHES = 64

CHECKPOINT_KEY = "log_checkpoint"


class LogProofs:
    """The proofs of one sync run (records' and requests', by id)."""

    def __init__(self, root: Root, app_id: str) -> None:
        self.checker = ProofChecker(root, app_id) if root.log is not None else None
        self.proofs: dict[str, tuple[bytes, bytes]] = {}
        # A deletion_request's deadline, which its verified leaf covers (its receipt does
        # not hold it), by request id.
        self.deadlines: dict[str, str] = {}
        self.newest: VerifiedCheckpoint | None = None

    def check(self, record: Mapping[str, Any], answer_entry: Mapping[str, Any],
              receipt: Receipt, install_id: str, url: str) -> None:
        """Verify the proof the answer gives for ``record`` (confirmed by ``receipt``).

        Raises:
            FormatError, SignatureError, ProofError: no proof, or one that fails.
        """
        if self.checker is None:
            return
        self.checker.url = url
        placed = receipt.entry(record["id"])
        assert placed is not None  # confirms() found it
        salt, proof = _logged(answer_entry, f"record {record['id']}", "records[].log", url)
        verified = self.checker.check(record, install_id=install_id, seq=placed.seq,
                                      server_time=placed.server_time, salt=salt, proof=proof)
        self._keep(record["id"], salt, proof, verified)

    def check_request(self, request_id: str, answer: Mapping[str, Any], receipt: Receipt, *,
                      kind: str, withdraw: bool | None, note: str | None,
                      url: str) -> None:
        """Verify the proof ``answer`` (of POST /requests or /deletion-requests) gives for
        the device's request ``request_id`` (``kind``, ``withdraw``, ``note`` as the
        device sent them), confirmed by the verified ``receipt``.

        Raises:
            FormatError, SignatureError, ProofError: no proof, or one that fails.
        """
        if self.checker is None:
            return
        self.checker.url = url
        placed = receipt.request
        assert placed is not None  # a verified request or deletion_request receipt
        salt, proof = _logged(answer, f"request {request_id}", "log", url)
        deadline = placed.deadline if receipt.kind == "request" else answer.get("deadline")
        if not is_time(deadline):
            raise FormatError("must be an RFC 3339 UTC time", field="deadline", url=url)
        assert isinstance(deadline, str)
        verified = self.checker.check_request(
            request_id=request_id, install_id=receipt.install, kind=kind,
            client_time=placed.client_time, withdraw=withdraw, note=note,
            server_time=placed.server_time, deadline=deadline, salt=salt, proof=proof)
        self._keep(request_id, salt, proof, verified)
        if receipt.kind != "request":  # the deadline is in no signed receipt: keep it
            self.deadlines[request_id] = deadline

    def _keep(self, entry_id: str, salt: bytes, proof: bytes,
              verified: VerifiedCheckpoint) -> None:
        self.proofs[entry_id] = (salt, proof)
        if self.newest is None or verified.checkpoint.size > self.newest.checkpoint.size:
            self.newest = verified

    def take(self, ids: Iterable[str]) -> dict[str, tuple[bytes, bytes]]:
        """The verified (salt, proof) of each of ``ids`` (records' or requests') that has
        one."""
        return {rid: self.proofs[rid] for rid in ids if rid in self.proofs}

    def take_deadlines(self, ids: Iterable[str]) -> dict[str, str]:
        """The verified deadline of each of ``ids`` that is a ``deletion_request``."""
        return {rid: self.deadlines[rid] for rid in ids if rid in self.deadlines}


def _logged(holder: Mapping[str, Any], what: str, field: str, url: str
            ) -> tuple[bytes, bytes]:
    """The salt and tlog-proof of ``holder["log"]`` (an answer's entry), not verified.

    Raises:
        ProofError: none given; FormatError: a salt that is not base64.
    """
    logged = holder.get("log")
    if not isinstance(logged, dict) or not isinstance(logged.get("proof"), str) \
            or not isinstance(logged.get("salt"), str):
        raise ProofError(f"{what}: the answer carries no inclusion proof and the root "
                         f"lists a log", kind="inclusion", url=url)
    try:
        salt = base64.b64decode(logged["salt"], validate=True)
    except (binascii.Error, ValueError):
        raise FormatError("is not base64", field=f"{field}.salt", url=url) from None
    return salt, logged["proof"].encode("utf-8")


def stored_size(note: bytes) -> int:
    """The size of a checkpoint the store holds (verified when it was stored)."""
    return parse_checkpoint(parse_note(note).text).size


def _held(note: bytes) -> Checkpoint:
    return parse_checkpoint(parse_note(note).text)


@record
class LogEvidence(Record):
    """Proof that the app's log showed this device two histories: ``old_checkpoint`` (the
    one it had verified) and ``new_checkpoint`` (a later one the log signed) cannot both
    be true of one append-only log. ``proof``: the consistency proof the log gave (empty
    when the new tree is not larger); ``reason``: ``fork`` (the proof does not verify: an
    entry was rewritten or the log split), ``same-size fork`` (another root for the same
    size) or ``rollback`` (a smaller tree); ``detected_at``: RFC 3339 UTC."""

    app: str
    old_checkpoint: bytes
    new_checkpoint: bytes
    proof: tuple[bytes, ...]
    reason: str
    detected_at: str


def read_evidence(store: Store) -> list[LogEvidence]:
    """Every piece of evidence the store keeps, oldest first."""
    return [LogEvidence(app, bytes(old), bytes(new),
                        tuple(base64.b64decode(h) for h in bytes(proof).split()), reason,
                        at) for app, old, new, proof, reason, at in store.log_evidence()]


def _fetch_proof(transport: Transport, url: str) -> tuple[list[bytes], bytes]:
    """The consistency answer's proof hashes and checkpoint (not verified here)."""
    resp = transport.request("GET", url, max_bytes=64 * 1024)
    if resp.status != 200:
        raise ProofError(f"HTTP {resp.status} to the consistency request", kind="consistency",
                         url=url)
    return _proof_answer(resp, url)


def _proof_answer(resp: Response, url: str) -> tuple[list[bytes], bytes]:
    """A consistency answer's (200) proof hashes and checkpoint (not verified here)."""
    doc = loads_strict(resp.body, what="consistency answer", url=url)
    doc = doc if isinstance(doc, dict) else {}
    hashes, note = doc.get("proof"), doc.get("checkpoint")
    if not isinstance(hashes, list) or len(hashes) > MAX_PROOF_HASHES or \
            not all(isinstance(h, str) for h in hashes):
        raise FormatError(f"must be a list of at most {MAX_PROOF_HASHES} base64 hashes",
                          field="proof", url=url)
    if not isinstance(note, str):
        raise FormatError("must be the signed checkpoint as a string", field="checkpoint",
                          url=url)
    try:
        return [base64.b64decode(h, validate=True) for h in hashes], note.encode("utf-8")
    except (binascii.Error, ValueError):
        raise FormatError("is not base64", field="proof[]", url=url) from None


def _evidence(store: Store, app_id: str, held: bytes, new: bytes, proof: list[bytes],
              reason: str, now: datetime) -> LogEvidence:
    evidence = LogEvidence(app_id, held, new, tuple(proof), reason, format_time(now))
    store.add_log_evidence((app_id, held, new, b"\n".join(base64.b64encode(h) for h in proof),
                            reason, evidence.detected_at))
    log.error("transparency log of %s: %s between checkpoints of size %d and %d (kept as "
              "evidence)", app_id, reason, _held(held).size, _held(new).size)
    return evidence


def advance(store: Store, transport: Transport, base: str, logs: LogProofs, app_id: str,
            now: datetime) -> LogEvidence | None:
    """Replace the held checkpoint by the newest one this run verified, once a consistency
    proof shows the new tree extends the held one (see the module docstring). Returns the
    evidence when it does not.

    A checkpoint smaller than the held one is not evidence by itself (a record sent again
    may be proved in an older checkpoint): the log's newest checkpoint is asked; smaller
    than the held one, that is a rollback; else it is the one checked."""
    new = logs.newest
    if new is None or logs.checker is None:
        return None
    held = store.get_meta(CHECKPOINT_KEY)
    if held is None:
        store.put_meta({CHECKPOINT_KEY: new.note})
        return None
    old = _held(held)
    try:
        if new.checkpoint.size < old.size:
            url = f"{base}/log/consistency?old={new.checkpoint.size}"
            new = logs.checker.checkpoint(_fetch_proof(transport, url)[1])
            if new.checkpoint.size < old.size:
                return _evidence(store, app_id, held, new.note, [], "rollback", now)
        size = new.checkpoint.size
        if size == old.size:
            if new.checkpoint.root_hash == old.root_hash:
                return None
            return _evidence(store, app_id, held, new.note, [], "same-size fork", now)
        url = f"{base}/log/consistency?old={old.size}&new={size}"
        proof = _fetch_proof(transport, url)[0]
    except ConsentError as exc:
        log.warning("transparency log: no consistency proof from %s: %s", url, exc)
        return None
    try:
        verify_consistency(old.size, size, old.root_hash, new.checkpoint.root_hash, proof)
    except ProofError:
        return _evidence(store, app_id, held, new.note, proof, "fork", now)
    store.put_meta({CHECKPOINT_KEY: new.note})
    return None
