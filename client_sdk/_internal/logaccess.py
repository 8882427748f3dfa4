"""What a device holds of its app's transparency log, as methods of ``ConsentClient`` (it
derives from :class:`LogAccess`): the proof file of one of its own synced records or
requests of the data subject (``proof``) and the evidence of a log that forked or rewrote
its history (``log_evidence``). Read from the store only: no network, nothing on the launch path
(the protocol modules are imported when called).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from client_sdk._internal.store import Store
from client_sdk.errors import ProofError, UsageError

if TYPE_CHECKING:
    from client_sdk._internal.logsync import LogEvidence
    from client_sdk._internal.trust import TrustedState
    from client_sdk.protocol.receipts import Receipt

__all__ = ["LogAccess"]


class LogAccess:
    """See the module docstring; uses the client's store, app id and trusted root."""

    app_id: str
    store: Store
    _trust: TrustedState

    def proof(self, record_id: str) -> bytes:
        """The proof file (``kelisim.proof`` v1, docs/transparency.md) of one of this
        device's synced records, or requests of the data subject (``record_id``: the
        request's id; the file's ``record`` holds the request's chained fields): its
        chained fields, the salt of its leaf, its verified tlog-proof (the checkpoint it
        was proved in) and the root this client trusts now.
        ``client_sdk.verify_proof_file(data, root)`` and ``kelisim proof verify`` check it
        offline.

        Raises:
            UsageError: no record or request ``record_id`` in this store.
            ProofError: it is not synced, or was synced without a log proof (the root
                listed no log then; for a request, also one synced before requests
                were logged).
        """
        from client_sdk.protocol.envelope import PAYLOAD_RECEIPT, parse_envelope
        from client_sdk.protocol.logentry import entry_fields
        from client_sdk.protocol.prooffile import build_proof_file
        from client_sdk.protocol.receipts import Receipt
        from client_sdk.protocol.records import request_kind

        found = next((r for r in self.store.records() if r.id == record_id), None)
        if found is None:
            raise UsageError(f"no record {record_id!r} in this store")
        what = "record" if request_kind(found.action) is None else "request"
        if not found.synced or found.receipt is None:
            raise ProofError(f"{what} {record_id} is {found.status}: only a synced {what} "
                             f"has a proof", kind="inclusion")
        held = self.store.log_proof(record_id)
        if held is None:
            why = "the root listed no transparency log then" if what == "record" else \
                "the root listed no transparency log then, or it was synced before " \
                "requests were logged"
            raise ProofError(f"{what} {record_id} was synced without a log proof ({why})",
                             kind="inclusion")
        salt, tlog_proof = held
        receipt = Receipt.parse(parse_envelope(found.receipt, PAYLOAD_RECEIPT).payload)
        if what == "request":
            fields = self._request_fields(found.id, receipt, tlog_proof)
        else:
            entry = receipt.entry(record_id)
            if entry is None:  # never: the receipt confirmed it when it was stored
                raise ProofError(f"record {record_id}: its receipt does not name it",
                                 kind="inclusion")
            fields = entry_fields(found.to_json(), install_id=receipt.install, seq=entry.seq,
                                  server_time=entry.server_time)
        return build_proof_file(self.app_id, fields, salt, tlog_proof, self._trust.root.raw)

    def _request_fields(self, request_id: str, receipt: Receipt, tlog_proof: bytes
                        ) -> dict[str, Any]:
        """A synced request's chained fields, as the device rebuilt its leaf when it
        verified the proof (logsync.LogProofs.check_request): its own request, the
        receipt's install and server time, its deadline (the receipt's, or for a
        ``deletion_request`` the one its verified proof covered, kept then), the seq the
        proof's index gives."""
        from client_sdk._internal.requests import from_row
        from client_sdk.protocol.logentry import request_fields
        from client_sdk.protocol.tlog import parse_tlog_proof

        mine = next((from_row(row, self.store.path) for row in self.store.request_rows()
                     if row[0] == request_id), None)
        placed = receipt.request
        deadline = None if placed is None or mine is None else placed.deadline or mine.deadline
        if placed is None or mine is None or deadline is None:  # never, as the SDK stores
            raise ProofError(f"request {request_id}: its stored request, receipt or "
                             f"deadline is incomplete", kind="inclusion")
        return request_fields(request_id=request_id, install_id=receipt.install,
                              kind=mine.kind, client_time=placed.client_time,
                              withdraw=mine.withdraw, note=mine.note,
                              seq=parse_tlog_proof(tlog_proof).index + 1,
                              server_time=placed.server_time, deadline=deadline)

    def log_evidence(self) -> list[LogEvidence]:
        """Every inconsistency this device has seen in its app's log, oldest first: the
        checkpoint it had verified, the newer signed checkpoint the log gave that does not
        extend it (a fork, a rewritten entry, a smaller tree), the consistency proof it
        gave (empty when none could be asked), and when it was seen. Kept for good: this is
        what a user or an auditor needs to prove that the operator showed two histories."""
        from client_sdk._internal.logsync import read_evidence

        return read_evidence(self.store)
