"""``kelisim audit verify``'s check of an app's transparency log (docs/transparency.md):
recompute the tree from the leaves and compare it with what is stored and signed.

1. Every chain row (a consent record or a request of the data subject) has its leaf
   (index = seq - 1, same kind and id) and every leaf a row; each leaf hash is the hash of
   its salt and its row's canonical bytes (a changed record or request, salt or leaf hash
   is named).
2. The tree's complete-subtree hashes, recomputed from the leaf hashes, are the stored
   ones (a changed or missing stored hash is named by level and index).
3. Every stored checkpoint: its root is the recomputed tree's at its size, and its note
   is that checkpoint, for the app's origin, signed by a log key some root listed; every
   witness cosignature stored for it by a witness some root listed verifies (a
   cosignature of a witness no root listed cannot be checked here and is left as is).

The recomputed hashes are held in memory (two per leaf: ~150 MB for a million records).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol import FormatError, SignatureError
from client_sdk.protocol.envelope import PAYLOAD_ROOT, parse_envelope
from client_sdk.protocol.logentry import SALT_SIZE, entry_id, record_leaf
from client_sdk.protocol.model import Root
from client_sdk.protocol.tlog import (
    NoteVerifier,
    append_hashes,
    parse_vkey,
    tree_hash,
    verify_checkpoint,
)
from server.consent.chain import chain_rows
from server.models import RootVersion
from server.tlog_models import LogCheckpoint, LogCosignature, LogHash, LogLeaf

__all__ = ["LogReport", "check_note", "log_keys", "verify_log", "witness_keys"]


@dataclass(frozen=True)
class LogReport:
    leaves: int
    checkpoints: int
    problem: str | None


def log_keys(session: Session) -> tuple[str | None, list[NoteVerifier]]:
    """The origin prefix of the newest root that names a log, and every log key any root
    listed (a checkpoint signed before the log key was replaced stays valid)."""
    prefix: str | None = None
    keys: dict[str, NoteVerifier] = {}
    for envelope in session.scalars(select(RootVersion.envelope).order_by(RootVersion.version)):
        root = Root.from_payload(parse_envelope(envelope, PAYLOAD_ROOT).payload_json(),
                                 verify_keyids=False)
        if root.log is not None:
            prefix = root.log.origin_prefix
            keys.update((vkey, parse_vkey(vkey)) for vkey in root.log.keys)
    return prefix, list(keys.values())


def verify_log(session: Session, app_id: str) -> LogReport:
    """Check ``app_id``'s log; the first problem found, or None."""
    hashes: dict[tuple[int, int], bytes] = {}
    size = 0
    leaves = session.scalars(select(LogLeaf).where(LogLeaf.app_id == app_id)
                             .order_by(LogLeaf.idx)).yield_per(1000)
    by_idx = iter(leaves)
    leaf: LogLeaf | None = next(by_idx, None)
    for row, fields in chain_rows(session, app_id):
        entry = fields.get("entry", "record")
        rid = entry_id(fields)
        where = f"leaf {row.seq - 1} ({entry} {rid})"
        while leaf is not None and leaf.idx < row.seq - 1:  # a leaf of no row: named below
            leaf = next(by_idx, None)
        if leaf is None or leaf.idx != row.seq - 1:
            return LogReport(size, 0, f"{where}: missing from the log")
        if (leaf.entry, leaf.record_id) != (entry, rid):
            return LogReport(size, 0, f"{where}: the leaf names {leaf.entry} "
                                      f"{leaf.record_id}")
        if len(leaf.salt) != SALT_SIZE or record_leaf(leaf.salt, fields) != leaf.leaf_hash:
            return LogReport(size, 0, f"{where}: the {entry} and its salt do not match the "
                                      f"leaf hash ({entry}, salt or leaf changed)")
        for level, idx, h in append_hashes(size, [leaf.leaf_hash],
                                           lambda wanted: [hashes[w] for w in wanted]):
            hashes[(level, idx)] = h
        size += 1
        leaf = next(by_idx, None)
    extra = session.scalar(select(LogLeaf.idx).where(LogLeaf.app_id == app_id,
                                                     LogLeaf.idx >= size).limit(1))
    if extra is not None:
        return LogReport(size, 0, f"leaf {extra}: no chain row at seq {extra + 1}")
    stored = 0
    for node in session.scalars(select(LogHash).where(LogHash.app_id == app_id)):
        stored += 1
        if hashes.get((node.level, node.idx)) != node.hash:
            return LogReport(size, 0, f"stored hash (level {node.level}, index {node.idx}) "
                                      f"does not match the tree of the leaves")
    if stored != len(hashes):
        return LogReport(size, 0, f"{len(hashes) - stored} hash(es) of the tree are not "
                                  f"stored")
    prefix, keys = log_keys(session)
    witnesses = witness_keys(session)
    count = 0
    for cp in session.scalars(select(LogCheckpoint).where(LogCheckpoint.app_id == app_id)
                              .order_by(LogCheckpoint.size)):
        where = f"checkpoint of size {cp.size}"
        if cp.size > size:
            return LogReport(size, count, f"{where}: the log has {size} leaves")
        root = tree_hash(cp.size, lambda wanted: [hashes[w] for w in wanted])
        if cp.root_hash != root:
            return LogReport(size, count, f"{where}: its root is not the tree's")
        problem = check_note(bytes(cp.note), f"{prefix}/{app_id}", keys, cp.size, root)
        if problem is None:
            problem = _check_cosignatures(session, app_id, cp, f"{prefix}/{app_id}", keys,
                                          witnesses)
        if problem is not None:
            return LogReport(size, count, f"{where}: {problem}")
        count += 1
    return LogReport(size, count, None)


def witness_keys(session: Session) -> list[NoteVerifier]:
    """The cosignature verifier key of every witness any root listed."""
    keys: dict[str, NoteVerifier] = {}
    for envelope in session.scalars(select(RootVersion.envelope)):
        root = Root.from_payload(parse_envelope(envelope, PAYLOAD_ROOT).payload_json(),
                                 verify_keyids=False)
        keys.update((w.vkey, parse_vkey(w.vkey)) for w in root.witnesses)
    return list(keys.values())


def _check_cosignatures(session: Session, app_id: str, cp: LogCheckpoint, origin: str,
                        keys: list[NoteVerifier], witnesses: list[NoteVerifier]) -> str | None:
    """The first stored cosignature of ``cp`` by a witness some root listed that does not
    verify, or None."""
    lines = [bytes(x) for x in session.scalars(select(LogCosignature.line).where(
        LogCosignature.app_id == app_id, LogCosignature.size == cp.size))]
    names = {w.name for w in witnesses}
    known = [line for line in lines if len(line.split()) == 3 and
             line.split()[1].decode("utf-8", "replace") in names]
    if not known:
        return None
    note = bytes(cp.note)
    for key in keys:  # the log key that signed it (check_note found one)
        try:
            verify_checkpoint(note, origin=origin, log_key=key)
        except (FormatError, SignatureError):
            continue
        for line in sorted(known):
            try:
                verify_checkpoint(note + line, origin=origin, log_key=key,
                                  witnesses=witnesses, threshold=1)
            except (FormatError, SignatureError) as exc:
                name = line.split()[1].decode("utf-8", "replace")
                return f"the stored cosignature of {name} does not verify ({exc})"
        return None
    return None


def check_note(note: bytes, origin: str, keys: list[NoteVerifier], size: int,
                root: bytes) -> str | None:
    last = "no root lists a log key"
    for key in keys:
        try:
            verified = verify_checkpoint(note, origin=origin, log_key=key)
        except (FormatError, SignatureError) as exc:
            last = str(exc)
            continue
        if (verified.checkpoint.size, verified.checkpoint.root_hash) != (size, root):
            return "the signed note is of another tree"
        return None
    return f"the signed note does not verify ({last})"
