"""What the console shows of an app's transparency log, and a record's proof file.

The proof file (JSON, ``kelisim-consent-proof@v1``) holds what a third party needs to
check a record offline against the deployment's root: the record's chained fields (its
canonical bytes are their canonical JSON, client_sdk/protocol/logentry.py), the salt,
the ``c2sp.org/tlog-proof@v1`` text (index, inclusion proof, the signed checkpoint) in
the app's best-cosigned checkpoint that covers it (else its newest), and the record's
signed receipt. The salt is private: the console offers the file to owners only, and
audits each download.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol.tlog import TlogProof, inclusion_proof
from server.consent.chain import chained_fields
from server.consent.rawsql import raw
from server.consent.tlog import best_cosigned, db_reader
from server.models import ConsentRecord, LogCheckpoint, LogCosignature, LogLeaf, LogWitnessing

__all__ = ["PROOF_FORMAT", "log_summary", "proof_file"]

PROOF_FORMAT = "kelisim-consent-proof@v1"


def _newest(session: Session, app_id: str) -> LogCheckpoint | None:
    return session.scalars(select(LogCheckpoint).where(LogCheckpoint.app_id == app_id)
                           .order_by(LogCheckpoint.size.desc()).limit(1)).first()


def log_summary(session: Session, app_id: str, record: ConsentRecord) -> dict[str, Any]:
    """The log's size, its newest checkpoint (text with the cosignatures it has, time),
    the record's leaf index, and each witness: the size it last cosigned, when it cosigned
    the newest checkpoint (None: not yet), its last error and whether it was a refusal."""
    newest = _newest(session, app_id)
    leaf = session.get(LogLeaf, (app_id, record.seq - 1))
    last = session.scalar(select(LogLeaf.idx).where(LogLeaf.app_id == app_id)
                          .order_by(LogLeaf.idx.desc()).limit(1))
    cosigned: dict[str, LogCosignature] = {} if newest is None else {
        c.witness: c for c in session.scalars(select(LogCosignature).where(
            LogCosignature.app_id == app_id, LogCosignature.size == newest.size))}
    witnesses = [{"name": w.witness, "size": w.size, "refused": w.refused,
                  "error": w.last_error,
                  "cosigned_at": cosigned[w.witness].created_at if w.witness in cosigned
                  else None}
                 for w in session.scalars(select(LogWitnessing).where(
                     LogWitnessing.app_id == app_id).order_by(LogWitnessing.witness))]
    note = None if newest is None else bytes(newest.note) + b"".join(
        sorted(bytes(c.line) for c in cosigned.values()))
    return {"size": 0 if last is None else last + 1,
            "checkpoint": note.decode("utf-8", "replace") if note else None,
            "witnesses": witnesses,
            "checkpoint_size": newest.size if newest else None,
            "checkpoint_at": newest.created_at if newest else None,
            "index": leaf.idx if leaf is not None else None,
            "provable": newest is not None and leaf is not None and leaf.idx < newest.size}


def proof_file(session: Session, app_id: str, record: ConsentRecord, receipt: bytes
               ) -> bytes | None:
    """The record's proof file, or None while no checkpoint covers it. Its checkpoint is
    the one with the most witness cosignatures that covers the record (with them), else
    the newest."""
    newest = _newest(session, app_id)
    leaf = session.get(LogLeaf, (app_id, record.seq - 1))
    if newest is None or leaf is None or leaf.idx >= newest.size:
        return None
    r = raw(session)
    try:
        size, note = newest.size, bytes(newest.note)
        cosigned = best_cosigned(r, app_id)
        if cosigned is not None and leaf.idx < cosigned[0]:
            size, note = cosigned
        path = inclusion_proof(leaf.idx, size, db_reader(r, app_id))
    finally:
        r.close()
    proof = TlogProof(leaf.idx, tuple(path), note).to_bytes()
    return json.dumps({
        "format": PROOF_FORMAT, "app": app_id, "record": chained_fields(record),
        "salt": base64.b64encode(leaf.salt).decode(), "tlog_proof": proof.decode(),
        "receipt": receipt.decode("utf-8", "replace")}, indent=2, ensure_ascii=False,
        sort_keys=True).encode()
