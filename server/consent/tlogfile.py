"""What the console shows of an app's transparency log, and a record's proof file.

The proof file is the SDK's ``kelisim.proof`` v1 (client_sdk/protocol/prooffile.py, written
by its one builder ``build_proof_file``), so ``kelisim proof verify FILE --root root.json``
and ``client_sdk.verify_proof_file`` check it: the record's chained fields (its canonical
bytes are their canonical JSON, client_sdk/protocol/logentry.py), the salt, the
``c2sp.org/tlog-proof@v1`` text (index, inclusion proof, the signed checkpoint) in the
app's newest checkpoint, and the root in force. The salt is private: the console offers
the file to owners only, and audits each download.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol.prooffile import build_proof_file
from client_sdk.protocol.tlog import TlogProof, inclusion_proof
from server.consent.chain import chained_fields
from server.consent.rawsql import raw
from server.consent.tlog import db_reader
from server.models import ConsentRecord, LogCheckpoint, LogLeaf
from server.trust.rootstore import current_root

__all__ = ["log_summary", "proof_file"]


def _newest(session: Session, app_id: str) -> LogCheckpoint | None:
    return session.scalars(select(LogCheckpoint).where(LogCheckpoint.app_id == app_id)
                           .order_by(LogCheckpoint.size.desc()).limit(1)).first()


def log_summary(session: Session, app_id: str, record: ConsentRecord) -> dict[str, Any]:
    """The log's size, its newest checkpoint (text, time) and the record's leaf index."""
    newest = _newest(session, app_id)
    leaf = session.get(LogLeaf, (app_id, record.seq - 1))
    last = session.scalar(select(LogLeaf.idx).where(LogLeaf.app_id == app_id)
                          .order_by(LogLeaf.idx.desc()).limit(1))
    return {"size": 0 if last is None else last + 1,
            "checkpoint": bytes(newest.note).decode("utf-8", "replace") if newest else None,
            "checkpoint_size": newest.size if newest else None,
            "checkpoint_at": newest.created_at if newest else None,
            "index": leaf.idx if leaf is not None else None,
            "provable": newest is not None and leaf is not None and leaf.idx < newest.size}


def proof_file(session: Session, app_id: str, record: ConsentRecord) -> bytes | None:
    """The record's proof file (``kelisim.proof`` v1) in the app's newest checkpoint, or
    None while no checkpoint covers it (or no root exists)."""
    newest = _newest(session, app_id)
    leaf = session.get(LogLeaf, (app_id, record.seq - 1))
    root = current_root(session)
    if newest is None or leaf is None or leaf.idx >= newest.size or root is None:
        return None
    r = raw(session)
    try:
        path = inclusion_proof(leaf.idx, newest.size, db_reader(r, app_id))
    finally:
        r.close()
    proof = TlogProof(leaf.idx, tuple(path), bytes(newest.note)).to_bytes()
    return build_proof_file(app_id, chained_fields(record), bytes(leaf.salt), proof,
                            root.envelope)
