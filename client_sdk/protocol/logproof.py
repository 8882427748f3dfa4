"""A device's check that its consent record, or its request of the data subject, is in the
app's transparency log (docs/transparency.md): the record's leaf, rebuilt from the
device's own record, where its receipt says the server put it (seq, server time) and the
salt the server drew, is included in a checkpoint the root's log key signed (and, when the
root asks, k of its witnesses cosigned). A request's leaf is rebuilt from the device's own
request, its receipt's install and server time, its deadline, and the seq the proof's index
gives (a request's receipt holds no seq; the leaf commits to it, so another index fails).
Pure: no I/O.

:class:`ProofChecker` verifies each distinct checkpoint once (a sync answer's records of
one group share it): one Ed25519 verification per group, hashes per record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from client_sdk.errors import FormatError, ProofError, SignatureError
from client_sdk.protocol.logentry import (
    REQUEST_ENTRY,
    SALT_SIZE,
    entry_fields,
    record_leaf,
    request_fields,
)
from client_sdk.protocol.model import Root
from client_sdk.protocol.tlog import (
    VerifiedCheckpoint,
    parse_tlog_proof,
    parse_vkey,
    verify_checkpoint,
    verify_inclusion,
)

__all__ = ["ProofChecker"]


class ProofChecker:
    """Checks records' and requests' tlog-proofs against ``root``'s log for ``app_id``."""

    def __init__(self, root: Root, app_id: str, *, url: str | None = None,
                 origin: str | None = None) -> None:
        if root.log is None:
            raise ProofError("the root lists no transparency log", kind="inclusion")
        self.root = root
        # ``origin``: another log under the same key (the policy log's).
        self.origin = origin or f"{root.log.origin_prefix}/{app_id}"
        self.url = url
        self._verified: dict[bytes, VerifiedCheckpoint] = {}

    def checkpoint(self, note: bytes) -> VerifiedCheckpoint:
        """``note`` verified as a checkpoint of this log (signature, origin, witnesses).

        Raises:
            FormatError, SignatureError: not a checkpoint this log signed.
        """
        done = self._verified.get(note)
        if done is not None:
            return done
        assert self.root.log is not None
        error: SignatureError | None = None
        witnesses = [parse_vkey(w.vkey) for w in self.root.witnesses]
        for vkey in self.root.log.keys:  # usually one; two while the log key is rotated
            key = parse_vkey(vkey)
            try:
                done = verify_checkpoint(note, origin=self.origin, log_key=key,
                                         witnesses=witnesses,
                                         threshold=self.root.witness_threshold, url=self.url)
            except SignatureError as exc:
                error = error or exc
                continue
            self._verified[note] = done
            return done
        assert error is not None
        raise error

    def check(self, record: Mapping[str, Any], *, install_id: str, seq: int,
              server_time: str, salt: bytes, proof: bytes) -> VerifiedCheckpoint:
        """Verify that ``record`` (as the device sent it), stored at ``seq`` and
        ``server_time`` (from its verified receipt), with ``salt``, is in the log.

        Raises:
            FormatError: a malformed salt or proof; SignatureError: a checkpoint the log
            did not sign; ProofError: the record is not at that place in that tree.
        """
        return self.check_fields(entry_fields(record, install_id=install_id, seq=seq,
                                              server_time=server_time), salt, proof)

    def check_request(self, *, request_id: str, install_id: str, kind: str,
                      client_time: str, withdraw: bool | None, note: str | None,
                      server_time: str, deadline: str, salt: bytes,
                      proof: bytes) -> VerifiedCheckpoint:
        """Verify that the device's request ``request_id`` (its kind, time, withdraw choice
        and note as the device sent them; the install, server time and deadline from its
        verified receipt, or for a ``deletion_request`` receipt the answer's deadline),
        with ``salt``, is in the log at the place the proof names (its seq: the proof's
        index + 1).

        Raises:
            FormatError: a malformed salt or proof; SignatureError: a checkpoint the log
            did not sign; ProofError: the request is not at that place in that tree.
        """
        seq = parse_tlog_proof(proof).index + 1
        return self.check_fields(request_fields(
            request_id=request_id, install_id=install_id, kind=kind, client_time=client_time,
            withdraw=withdraw, note=note, seq=seq, server_time=server_time,
            deadline=deadline), salt, proof)

    def check_fields(self, fields: Mapping[str, Any], salt: bytes,
                     proof: bytes) -> VerifiedCheckpoint:
        """Verify that the record or request whose chained fields are ``fields`` (their
        ``seq`` included), with ``salt``, is leaf ``seq - 1`` of a checkpoint of this log.

        Raises:
            FormatError, SignatureError, ProofError: as :meth:`check`.
        """
        if not isinstance(salt, bytes) or len(salt) != SALT_SIZE:
            raise FormatError(f"must be {SALT_SIZE} bytes", field="log.salt", url=self.url)
        parsed = parse_tlog_proof(proof)
        seq = fields["seq"]
        what = "request" if fields.get("entry") == REQUEST_ENTRY else "record"
        if parsed.index != seq - 1:
            raise ProofError(f"the proof is for leaf {parsed.index}, the receipt puts the "
                             f"{what} at seq {seq} (leaf {seq - 1})", kind="inclusion",
                             url=self.url)
        verified = self.checkpoint(parsed.checkpoint)
        verify_inclusion(parsed.index, verified.checkpoint.size, record_leaf(salt, fields),
                         parsed.hashes, verified.checkpoint.root_hash)
        return verified
