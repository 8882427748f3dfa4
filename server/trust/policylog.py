"""The deployment's policy log (docs/transparency.md, "Policies in a log"): every signed
root and manifest is appended, in the transaction that stores it, so a manifest that is
served is in the log (a crash leaves both or neither).

One log per deployment, origin ``<deployment>/policies``
(:func:`client_sdk.protocol.policylog.policy_origin`), the consent logs' formats (RFC 6962
tree, C2SP checkpoints and tiles) and log key. An append takes the publish generation's
row lock first (``UPDATE generation``: what every signing bumps anyway), so appends of
concurrent publishes on PostgreSQL run one after the other (SQLite's write lock does it
there). Each append signs a checkpoint of the new size (when the root lists a log key: a
root of before the log sequences and signs nothing) and a manifest's inclusion proof in it
is computed there and stored with its entry: the serving layer sends it with the manifest
as it is, nothing per request.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.orm import Session

from client_sdk.protocol.envelope import PAYLOAD_MANIFEST, PAYLOAD_ROOT, parse_envelope
from client_sdk.protocol.policylog import (
    manifest_entry,
    policy_leaf,
    policy_origin,
    root_entry,
)
from client_sdk.protocol.timeutil import format_time
from client_sdk.protocol.tlog import (
    Checkpoint,
    TlogProof,
    append_hashes,
    consistency_proof,
    inclusion_proof,
    parse_tlog_proof,
    sign_checkpoint,
    tile_data,
    tiles_for_size,
    tree_hash,
)
from client_sdk.protocol.tlog.tiles import TILE_WIDTH, Tile, entries_path, entry_bundle
from server.consent.tlog import tree_size_arg
from server.errors import InvalidValue, LogKeyUnavailable, SigningError
from server.models import Generation
from server.policylog_models import (
    PolicyLogCheckpoint,
    PolicyLogCosignature,
    PolicyLogEntry,
    PolicyLogHash,
    PolicyLogWitnessing,
)
from server.trust.log_keys import log_signer
from server.trust.rootstore import LoadedRoot, current_root

__all__ = [
    "POLICY_LOG",
    "append_manifest",
    "append_root",
    "consistency_answer",
    "newest_checkpoint",
    "newest_checkpoint_row",
    "policy_consistency",
    "policy_entry_bundle",
    "policy_log_state",
    "policy_public_files",
    "policy_reader",
    "policy_size",
    "prove_in_cosigned",
]

Key = tuple[int, int]
# The policy log's name where the consent logs' code takes an app id: no app id starts
# with "_" (client_sdk/protocol/grammar.py), so it never names an app's log.
POLICY_LOG = "_policies"


def policy_reader(session: Session, known: dict[Key, bytes] | None = None
                  ) -> Callable[[Sequence[Key]], list[bytes]]:
    """A HashReader of the stored policy log: ``known`` first (kept up to date), else one
    query per call."""
    held: dict[Key, bytes] = {} if known is None else known

    def read(wanted: Sequence[Key]) -> list[bytes]:
        missing = sorted({k for k in wanted if k not in held})
        for i in range(0, len(missing), 300):
            chunk = missing[i:i + 300]
            held.update(((int(level), int(idx)), bytes(h)) for level, idx, h in session.execute(
                select(PolicyLogHash.level, PolicyLogHash.idx, PolicyLogHash.hash).where(
                    tuple_(PolicyLogHash.level, PolicyLogHash.idx).in_(chunk))))
        return [held[k] for k in wanted]  # KeyError: a hash the log lost
    return read


def policy_size(session: Session) -> int:
    """The number of entries in the policy log."""
    return int(session.scalar(select(func.count()).select_from(PolicyLogEntry)) or 0)


def _append(session: Session, keys_dir: Path, root: LoadedRoot, kind: str,
            app_id: str | None, number: int, entry: bytes, now: datetime
            ) -> PolicyLogEntry:
    # The generation row's lock: one append at a time (PostgreSQL; SQLite is serial).
    session.execute(update(Generation).where(Generation.id == 1)
                    .values(value=Generation.value + 1))
    size = policy_size(session)
    leaf = policy_leaf(entry)
    known: dict[Key, bytes] = {}
    read = policy_reader(session, known)
    new = append_hashes(size, [leaf], read)
    known.update(((level, idx), h) for level, idx, h in new)  # the root and proof read them
    row = PolicyLogEntry(idx=size, kind=kind, app_id=app_id, number=number, entry=entry,
                         leaf_hash=leaf)
    session.add(row)
    session.add_all(PolicyLogHash(level=level, idx=idx, hash=h) for level, idx, h in new)
    try:
        signer = log_signer(root, keys_dir, session)
    except LogKeyUnavailable:
        # Nothing is signed or served outside the log: the publish (or re-sign) fails as
        # one without its manifest key would (the serving layer then serves the last one).
        raise SigningError("the root lists a transparency-log key this server does not "
                           "hold, so the policy log cannot sign; copy log-<keyid>.pem into "
                           "KEYS_DIR (kelisim node export carries it)", app_id) from None
    if signer is not None:
        new_size = size + 1
        root_hash = tree_hash(new_size, read)
        note = sign_checkpoint(Checkpoint(policy_origin(signer.prefix), new_size, root_hash),
                               signer.signer)
        session.add(PolicyLogCheckpoint(size=new_size, root_hash=root_hash, note=note,
                                        created_at=format_time(now)))
        if kind == "manifest":
            row.proof = TlogProof(size, tuple(inclusion_proof(size, new_size, read)),
                                  note).to_bytes()
    session.flush()  # one round trip for the entry, its hashes and checkpoint
    return row


def append_root(session: Session, keys_dir: Path, root: LoadedRoot, now: datetime
                ) -> PolicyLogEntry:
    """Append ``root`` (just stored, the one in force: its log key signs) to the log."""
    payload = parse_envelope(root.envelope, PAYLOAD_ROOT).payload
    return _append(session, keys_dir, root, "root", None, root.version,
                   root_entry(root.version, payload), now)


def append_manifest(session: Session, keys_dir: Path, root: LoadedRoot, app_id: str,
                    seq: int, envelope: bytes, now: datetime) -> PolicyLogEntry:
    """Append ``app_id``'s manifest ``seq`` (just signed under ``root``) to the log."""
    payload = parse_envelope(envelope, PAYLOAD_MANIFEST).payload
    return _append(session, keys_dir, root, "manifest", app_id, seq,
                   manifest_entry(app_id, seq, payload), now)


def newest_checkpoint(session: Session) -> tuple[int, bytes] | None:
    """The newest signed checkpoint's size and note, with the cosignature lines it has
    (sorted); None before the first."""
    newest = session.scalars(select(PolicyLogCheckpoint)
                             .order_by(PolicyLogCheckpoint.size.desc()).limit(1)).first()
    if newest is None:
        return None
    lines = session.scalars(select(PolicyLogCosignature.line)
                            .where(PolicyLogCosignature.size == newest.size)).all()
    return newest.size, bytes(newest.note) + b"".join(sorted(bytes(x) for x in lines))


def newest_checkpoint_row(session: Session) -> tuple[int, bytes] | None:
    """The newest signed checkpoint's size and note as signed (no cosignatures)."""
    row = session.execute(select(PolicyLogCheckpoint.size, PolicyLogCheckpoint.note)
                          .order_by(PolicyLogCheckpoint.size.desc()).limit(1)).first()
    return None if row is None else (int(row[0]), bytes(row[1]))


def policy_consistency(session: Session, old: int, new: int | None
                       ) -> tuple[int, bytes, list[bytes]] | None:
    """(size, signed note with its cosignatures, consistency proof from ``old``) of the
    signed checkpoint of ``new`` entries (None: the newest); None when there is no such
    checkpoint. The caller checks ``old`` <= size."""
    query = select(PolicyLogCheckpoint)
    query = query.where(PolicyLogCheckpoint.size == new) if new is not None \
        else query.order_by(PolicyLogCheckpoint.size.desc()).limit(1)
    checkpoint = session.scalars(query).first()
    if checkpoint is None or old > checkpoint.size:
        return None
    lines = session.scalars(select(PolicyLogCosignature.line)
                            .where(PolicyLogCosignature.size == checkpoint.size)).all()
    note = bytes(checkpoint.note) + b"".join(sorted(bytes(x) for x in lines))
    return (checkpoint.size, note,
            consistency_proof(old, checkpoint.size, policy_reader(session)))


def policy_public_files(session: Session) -> Iterator[tuple[str, bytes]]:
    """The policy log's public files at its newest checkpoint, as (path under its prefix,
    bytes): ``checkpoint``, every tile of that size and the entry bundles of its leaves.
    Nothing before the first."""
    newest = newest_checkpoint(session)
    if newest is None:
        return
    yield "checkpoint", newest[1]
    read = policy_reader(session)
    for tile in tiles_for_size(newest[0]):
        yield tile.path(), tile_data(tile, read)
        if tile.level == 0:
            bundle = policy_entry_bundle(session, tile)
            assert bundle is not None  # the tile's leaves exist: so do their entries
            yield entries_path(tile), bundle


def policy_entry_bundle(session: Session, tile: Tile) -> bytes | None:
    """The entry bundle (``tlog-tiles``) of the policy-log entries a level-0 ``tile``
    covers, or None when the log does not hold them all. Public: each entry is the hashes
    of a signed root or manifest (client_sdk/protocol/policylog.py), nothing secret, so
    anyone can see which manifests were ever signed, not only count them."""
    first = tile.index * TILE_WIDTH
    entries = session.scalars(select(PolicyLogEntry.entry).where(
        PolicyLogEntry.idx >= first, PolicyLogEntry.idx < first + tile.width)
        .order_by(PolicyLogEntry.idx)).all()
    return entry_bundle([bytes(e) for e in entries]) if len(entries) == tile.width else None


def consistency_answer(session: Session, old: str | None, new: str | None
                       ) -> dict[str, object]:
    """``GET /v1/policy-log/consistency?old=M[&new=N]``: the consistency proof from the
    policy log's tree of ``old`` entries to its signed checkpoint of ``new`` (default:
    the newest), with that checkpoint (and its cosignatures). Public data.

    Raises:
        InvalidValue: a size that is not one, no signed checkpoint of ``new`` entries, or
            ``old`` larger than it (the message names the field).
    """
    old_size = tree_size_arg(old, "old")
    new_size = None if new is None else tree_size_arg(new, "new")
    answer = policy_consistency(session, 0, new_size)
    if answer is None:
        raise InvalidValue("new", "the policy log has no signed checkpoint of that size")
    if old_size > answer[0]:
        raise InvalidValue("old", f"larger than the checkpoint's size {answer[0]}")
    size, note, proof = policy_consistency(session, old_size, answer[0]) or answer
    return {"old": old_size, "new": size, "checkpoint": note.decode("utf-8"),
            "proof": [base64.b64encode(h).decode() for h in proof]}


def _proof_size(proof: bytes | None) -> int:
    """The size of the checkpoint a stored proof is in (-1 for none): line 2 of its note."""
    if proof is None:
        return -1
    return int(parse_tlog_proof(bytes(proof)).checkpoint.split(b"\n", 2)[1])


def prove_in_cosigned(session: Session, size: int) -> int:
    """After a witness cosigned the checkpoint of ``size`` entries: the proof served with
    each app's newest manifest that it covers becomes the proof in that checkpoint, with
    every cosignature it has so far, once that checkpoint has the root's
    ``witness_threshold`` of cosignatures from the root's witnesses (a device refuses a
    proof with fewer: the proof it had stays until then) and only forward: a lagging
    witness's cosignature of an older checkpoint never moves a proof back. Computed here,
    once per cosignature, never per request; the publish generation is bumped so every
    worker serves the new proofs. Returns how many proofs changed."""
    checkpoint = session.get(PolicyLogCheckpoint, size)
    root = current_root(session)
    if checkpoint is None or root is None:
        return 0
    rows = session.execute(select(PolicyLogCosignature.witness, PolicyLogCosignature.line)
                           .where(PolicyLogCosignature.size == size)).all()
    named = {w.name for w in root.root.witnesses}
    if len({witness for witness, _ in rows if witness in named}) < root.root.witness_threshold:
        return 0
    note = bytes(checkpoint.note) + b"".join(sorted(bytes(line) for _, line in rows))
    newest = select(PolicyLogEntry.app_id, func.max(PolicyLogEntry.idx).label("idx")).where(
        PolicyLogEntry.kind == "manifest").group_by(PolicyLogEntry.app_id).subquery()
    read = policy_reader(session)
    changed = 0
    for entry in session.scalars(select(PolicyLogEntry).join(
            newest, PolicyLogEntry.idx == newest.c.idx).where(PolicyLogEntry.idx < size)):
        if _proof_size(entry.proof) > size:
            continue
        entry.proof = TlogProof(entry.idx, tuple(inclusion_proof(entry.idx, size, read)),
                                note).to_bytes()
        changed += 1
    if changed:
        session.execute(update(Generation).where(Generation.id == 1)
                        .values(value=Generation.value + 1))
    return changed


# The newest manifests of an app whose entries the console lists (an app re-signed daily
# for years has thousands; the page says how many there are).
APP_MANIFESTS_SHOWN = 50


def policy_log_state(session: Session, app_id: str) -> dict[str, Any]:
    """What the console shows of the policy log: its size and how many entries are roots
    and manifests, its newest checkpoint (text with the cosignatures it has, size, time),
    each witness (as :func:`server.consent.tlogfile.log_state`), and ``app_id``'s
    manifests as (seq, entry index), newest first (at most APP_MANIFESTS_SHOWN; their
    number in ``app_manifest_count``). Public data: hashes, signed notes and numbers."""
    kinds = {str(kind): int(n) for kind, n in session.execute(
        select(PolicyLogEntry.kind, func.count()).group_by(PolicyLogEntry.kind))}
    newest = session.scalars(select(PolicyLogCheckpoint)
                             .order_by(PolicyLogCheckpoint.size.desc()).limit(1)).first()
    cosigned = {} if newest is None else {c.witness: c for c in session.scalars(
        select(PolicyLogCosignature).where(PolicyLogCosignature.size == newest.size))}
    witnesses = [{"name": w.witness, "size": w.size, "refused": w.refused,
                  "error": w.last_error,
                  "cosigned_at": cosigned[w.witness].created_at if w.witness in cosigned
                  else None}
                 for w in session.scalars(select(PolicyLogWitnessing)
                                          .order_by(PolicyLogWitnessing.witness))]
    note = None if newest is None else bytes(newest.note) + b"".join(
        sorted(bytes(c.line) for c in cosigned.values()))
    mine = (PolicyLogEntry.kind == "manifest", PolicyLogEntry.app_id == app_id)
    manifests = [(int(seq), int(idx)) for seq, idx in session.execute(
        select(PolicyLogEntry.number, PolicyLogEntry.idx).where(*mine)
        .order_by(PolicyLogEntry.idx.desc()).limit(APP_MANIFESTS_SHOWN))]
    return {"size": sum(kinds.values()), "roots": kinds.get("root", 0),
            "manifests": kinds.get("manifest", 0),
            "checkpoint": note.decode("utf-8", "replace") if note else None,
            "checkpoint_size": newest.size if newest else None,
            "checkpoint_at": newest.created_at if newest else None,
            "witnesses": witnesses, "app_manifests": manifests,
            "app_manifest_count": int(session.scalar(select(func.count()).select_from(
                PolicyLogEntry).where(*mine)) or 0)}
