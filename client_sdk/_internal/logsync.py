"""The transparency-log side of a sync (docs/transparency.md, "How a device checks").

When the trusted root lists a log, every record a consents answer confirms must come with
its inclusion proof (``records[].log``: the salt and a tlog-proof): the device rebuilds
the record's leaf from its own record, the verified receipt's seq and server time and the
salt, and checks the proof against the root's log key (and witnesses). A missing or
failing proof is handled like a receipt whose signature fails: the batch is not confirmed,
stays in the outbox with backoff, and the sync result carries the error. The proofs are
stored with the records (``log_proofs``) and the newest verified checkpoint in the meta
key ``log_checkpoint``. A root without a log: nothing of this runs.

Only sync runs it (imported with sync): nothing on the launch path.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from typing import Any

from client_sdk._internal.store import Store
from client_sdk.errors import FormatError, ProofError
from client_sdk.protocol.logproof import ProofChecker
from client_sdk.protocol.model import Root
from client_sdk.protocol.receipts import Receipt
from client_sdk.protocol.tlog import VerifiedCheckpoint, parse_checkpoint, parse_note

__all__ = ["CHECKPOINT_KEY", "LogProofs"]

CHECKPOINT_KEY = "log_checkpoint"


class LogProofs:
    """The proofs of one sync run."""

    def __init__(self, root: Root, app_id: str) -> None:
        self.checker = ProofChecker(root, app_id) if root.log is not None else None
        self.proofs: dict[str, tuple[bytes, bytes]] = {}
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
        logged = answer_entry.get("log")
        if not isinstance(logged, dict) or not isinstance(logged.get("proof"), str) \
                or not isinstance(logged.get("salt"), str):
            raise ProofError(f"record {record['id']}: the answer carries no inclusion proof "
                             f"and the root lists a log", kind="inclusion", url=url)
        try:
            salt = base64.b64decode(logged["salt"], validate=True)
        except (binascii.Error, ValueError):
            raise FormatError("is not base64", field="records[].log.salt", url=url) from None
        proof = logged["proof"].encode("utf-8")
        verified = self.checker.check(record, install_id=install_id, seq=placed.seq,
                                      server_time=placed.server_time, salt=salt, proof=proof)
        self.proofs[record["id"]] = (salt, proof)
        if self.newest is None or verified.checkpoint.size > self.newest.checkpoint.size:
            self.newest = verified

    def take(self, record_ids: Iterable[str]) -> dict[str, tuple[bytes, bytes]]:
        return {rid: self.proofs[rid] for rid in record_ids if rid in self.proofs}

    def newer_checkpoint(self, store: Store) -> bytes | None:
        """The newest checkpoint verified in this run, if it is newer than the stored."""
        if self.newest is None:
            return None
        held = store.get_meta(CHECKPOINT_KEY)
        if held is not None and stored_size(held) >= self.newest.checkpoint.size:
            return None
        return self.newest.note


def stored_size(note: bytes) -> int:
    """The size of a checkpoint the store holds (verified when it was stored)."""
    return parse_checkpoint(parse_note(note).text).size
