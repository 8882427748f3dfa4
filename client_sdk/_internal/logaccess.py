"""What a device holds of its app's transparency log, as methods of ``ConsentClient`` (it
derives from :class:`LogAccess`): the proof file of one of its own synced records
(``proof``) and the evidence of a log that forked or rewrote its history
(``log_evidence``). Read from the store only: no network, nothing on the launch path
(the protocol modules are imported when called).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from client_sdk._internal.store import Store
from client_sdk.errors import ProofError, UsageError

if TYPE_CHECKING:
    from client_sdk._internal.logsync import LogEvidence
    from client_sdk._internal.trust import TrustedState

__all__ = ["LogAccess"]


class LogAccess:
    """See the module docstring; uses the client's store, app id and trusted root."""

    app_id: str
    store: Store
    _trust: TrustedState

    def proof(self, record_id: str) -> bytes:
        """The proof file (``kelisim.proof`` v1, docs/transparency.md) of one of this
        device's synced records: the record's chained fields, the salt of its leaf, its
        verified tlog-proof (the checkpoint it was proved in) and the root this client
        trusts now. ``client_sdk.verify_proof_file(data, root)`` and ``kelisim proof
        verify`` check it offline.

        Raises:
            UsageError: no record ``record_id`` in this store.
            ProofError: the record is not synced, or was synced without a log proof
                (the root listed no log then).
        """
        from client_sdk.protocol.envelope import PAYLOAD_RECEIPT, parse_envelope
        from client_sdk.protocol.logentry import entry_fields
        from client_sdk.protocol.prooffile import build_proof_file
        from client_sdk.protocol.receipts import Receipt

        found = next((r for r in self.store.records() if r.id == record_id), None)
        if found is None:
            raise UsageError(f"no record {record_id!r} in this store")
        if not found.synced or found.receipt is None:
            raise ProofError(f"record {record_id} is {found.status}: only a synced record "
                             f"has a proof", kind="inclusion")
        held = self.store.log_proof(record_id)
        receipt = Receipt.parse(parse_envelope(found.receipt, PAYLOAD_RECEIPT).payload,
                                kind="consents") if held is not None else None
        entry = receipt.entry(record_id) if receipt is not None else None
        if held is None or receipt is None or entry is None:
            raise ProofError(f"record {record_id} was synced without a log proof (the "
                             f"root listed no transparency log then)", kind="inclusion")
        salt, tlog_proof = held
        fields = entry_fields(found.to_json(), install_id=receipt.install, seq=entry.seq,
                              server_time=entry.server_time)
        return build_proof_file(self.app_id, fields, salt, tlog_proof, self._trust.root.raw)

    def log_evidence(self) -> list[LogEvidence]:
        """Every inconsistency this device has seen in its app's log, oldest first: the
        checkpoint it had verified, the newer signed checkpoint the log gave that does not
        extend it (a fork, a rewritten entry, a smaller tree), the consistency proof it
        gave (empty when none could be asked), and when it was seen. Kept for good: this is
        what a user or an auditor needs to prove that the operator showed two histories."""
        from client_sdk._internal.logsync import read_evidence

        return read_evidence(self.store)
