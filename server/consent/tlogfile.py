"""What the console shows of an app's transparency log, a record's (or request's) proof
file, and the public consistency proof between two of the log's checkpoints (what a device
asks on sync).

The proof file is the SDK's ``kelisim.proof`` v1 (client_sdk/protocol/prooffile.py, written
by its one builder ``build_proof_file``), so ``kelisim proof verify FILE --root root.json``
and ``client_sdk.verify_proof_file`` check it: the record's chained fields (its canonical
bytes are their canonical JSON, client_sdk/protocol/logentry.py), the salt, the
``c2sp.org/tlog-proof@v1`` text (index, inclusion proof, the signed checkpoint) in the
app's best-cosigned checkpoint that covers it (with its cosignatures; else its newest), and
the root in force. The salt is private: the console offers the file to owners and
auditors only, and audits each download.
"""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from client_sdk.protocol.prooffile import build_proof_file
from client_sdk.protocol.tlog import TlogProof, consistency_proof, inclusion_proof
from server.consent.chain import row_entry
from server.consent.rawsql import raw
from server.consent.tlog import best_cosigned, db_reader, tree_size_arg
from server.errors import InvalidValue
from server.models import ConsentRecord, DeletionRequest
from server.tlog_models import LogCheckpoint, LogCosignature, LogLeaf, LogWitnessing
from server.trust.rootstore import current_root

__all__ = ["log_consistency", "log_state", "log_summary", "proof_file"]


def _newest(session: Session, app_id: str) -> LogCheckpoint | None:
    return session.scalars(select(LogCheckpoint).where(LogCheckpoint.app_id == app_id)
                           .order_by(LogCheckpoint.size.desc()).limit(1)).first()


def _leaf(session: Session, app_id: str, row: ConsentRecord | DeletionRequest
          ) -> LogLeaf | None:
    """The leaf of a chain row (a record or a request), if it is the row's."""
    leaf = session.get(LogLeaf, (app_id, row.seq - 1))
    entry, rid, _ = row_entry(row)
    return leaf if leaf is not None and (leaf.entry, leaf.record_id) == (entry, rid) else None


def log_state(session: Session, app_id: str) -> dict[str, Any]:
    """The app's log: its size and how many of its leaves are records and requests, its
    newest checkpoint (text with the cosignatures it has, size, time), and each witness:
    the size it last cosigned, when it cosigned the newest checkpoint (None: not yet), its
    last error and whether it was a refusal. Public data (the console's log page and a
    record's card)."""
    newest = _newest(session, app_id)
    last = session.scalar(select(LogLeaf.idx).where(LogLeaf.app_id == app_id)
                          .order_by(LogLeaf.idx.desc()).limit(1))
    size = 0 if last is None else last + 1
    # Requests are few, and (app, entry, id) is an index: no scan of the records' leaves.
    requests = int(session.scalar(select(func.count()).select_from(LogLeaf).where(
        LogLeaf.app_id == app_id, LogLeaf.entry == "request")) or 0)
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
    return {"size": size, "records": size - requests, "requests": requests,
            "checkpoint": note.decode("utf-8", "replace") if note else None,
            "witnesses": witnesses,
            "checkpoint_size": newest.size if newest else None,
            "checkpoint_at": newest.created_at if newest else None}


def log_summary(session: Session, app_id: str, record: ConsentRecord | DeletionRequest
                ) -> dict[str, Any]:
    """:func:`log_state`, with the leaf index of the record (or request) and whether a
    checkpoint covers it (``provable``: its proof file can be made)."""
    state = log_state(session, app_id)
    leaf = _leaf(session, app_id, record)
    size = state["checkpoint_size"]
    return {**state, "index": leaf.idx if leaf is not None else None,
            "provable": size is not None and leaf is not None and leaf.idx < size}


def proof_file(session: Session, app_id: str, record: ConsentRecord | DeletionRequest
               ) -> bytes | None:
    """The proof file (``kelisim.proof`` v1) of a record or a request, or None while no
    checkpoint covers it (or no root exists). Its checkpoint is the one with the most
    witness cosignatures that covers it (with them), else the newest."""
    newest = _newest(session, app_id)
    leaf = _leaf(session, app_id, record)
    root = current_root(session)
    if newest is None or leaf is None or leaf.idx >= newest.size or root is None:
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
    return build_proof_file(app_id, row_entry(record)[2], bytes(leaf.salt), proof,
                            root.envelope)


def log_consistency(session: Session, app_id: str, old: str | None, new: str | None
                    ) -> dict[str, Any]:
    """The consistency proof (RFC 9162 2.1.4) from the app's tree of ``old`` leaves to its
    signed checkpoint of ``new`` leaves (default: the newest), with that checkpoint: public
    data (hashes and a signed note), what a device checks before it replaces the
    checkpoint it holds.

    Raises:
        InvalidValue: ``old`` or ``new`` is not a size, ``old`` > ``new``, or no signed
            checkpoint has ``new`` leaves (the message names the field).
    """
    old_size = tree_size_arg(old, "old")
    query = select(LogCheckpoint).where(LogCheckpoint.app_id == app_id)
    if new is None:
        checkpoint = session.scalars(query.order_by(LogCheckpoint.size.desc()).limit(1)).first()
    else:
        checkpoint = session.scalars(query.where(LogCheckpoint.size == tree_size_arg(new, "new"))
                                     .limit(1)).first()
    if checkpoint is None:
        raise InvalidValue("new", f"app {app_id!r} has no signed checkpoint of that size")
    if old_size > checkpoint.size:
        raise InvalidValue("old", f"larger than the checkpoint's size {checkpoint.size}")
    r = raw(session)
    try:
        proof = consistency_proof(old_size, checkpoint.size, db_reader(r, app_id))
    finally:
        r.close()
    # With the cosignatures the witnesses gave it: a root that requires them is checked.
    lines = session.scalars(select(LogCosignature.line).where(
        LogCosignature.app_id == app_id, LogCosignature.size == checkpoint.size)).all()
    note = bytes(checkpoint.note) + b"".join(sorted(bytes(x) for x in lines))
    return {"old": old_size, "new": checkpoint.size, "checkpoint": note.decode("utf-8"),
            "proof": [base64.b64encode(h).decode() for h in proof]}
