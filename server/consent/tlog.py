"""Each app's consent log as a transparency log (C2SP tlog-checkpoint, tlog-tiles,
tlog-proof; docs/transparency.md): sequencing in the group commit, checkpoints, proofs.

Every consent record of the hash chain is a leaf, in chain order: leaf index = seq - 1, so
the log's size is the chain head's seq, read under the chain-head lock the append holds
anyway. A leaf is the RFC 6962 leaf hash of a fresh 32-byte salt and the record's
canonical bytes (:mod:`client_sdk.protocol.logentry`: the bytes the chain's row hash
covers too, handed over by the append rather than encoded again). :func:`sequence` runs
inside the group commit's transaction, after the records' rows are built: per app, the
group's leaves are appended (their new complete-subtree hashes computed with
``append_hashes`` from the stored right edge of the tree, read in one statement for every
app), ONE checkpoint of the new size is signed, and each new record gets its inclusion
proof in that checkpoint as a ``tlog-proof``, made after the commit from the hashes the
group computed: the proofs of all the group's new leaves of an app at once, by the first
request thread that asks for one (:class:`LogPlace`, :class:`GroupProofs`). The rows
(leaves, hashes, checkpoint) are written by the batch's own INSERTs, in its one round
trip, so that a 200 still means on disk.

A deployment whose root lists no log key (a root of before the log) still sequences (the
leaves and hashes, so that index = seq - 1 holds), but signs no checkpoint and returns no
proof; :func:`sign_missing_checkpoints` signs each app's tree once a log key is listed.

Requests of the data subject are chain rows too (server/consent/requests.py): a request is
sequenced like a record, by its own job of the group commit, its leaf marked ``entry``
``request`` (its id is unique among the app's requests, as a record's among its records).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from client_sdk.protocol.jsonutil import canonical_bytes
from client_sdk.protocol.logentry import SALT_SIZE
from client_sdk.protocol.tlog import (
    Checkpoint,
    TlogProof,
    append_hashes,
    inclusion_proofs,
    leaf_hash,
    sign_checkpoint,
    tile_data,
    tiles_for_size,
    tree_hash,
)
from server.consent.chain import chained_fields, lock_heads
from server.consent.rawsql import Raw, raw
from server.errors import InvalidValue
from server.models import App
from server.tlog_models import MAX_STORED_LOG_SIZE, LogCheckpoint, LogCosignature, LogHash, LogLeaf
from server.trust.log_keys import LogSigner

__all__ = [
    "CHECKPOINTS",
    "HASHES",
    "LEAVES",
    "GroupProofs",
    "LogPlace",
    "Sequenced",
    "best_cosigned",
    "db_reader",
    "frontier",
    "public_files",
    "sequence",
    "sign_missing_checkpoints",
    "stored_proofs",
    "tree_size_arg",
]

LEAVES = cast(Table, LogLeaf.__table__)
HASHES = cast(Table, LogHash.__table__)
CHECKPOINTS = cast(Table, LogCheckpoint.__table__)
Key = tuple[int, int]  # (level, index) of a complete subtree


def frontier(size: int) -> list[Key]:
    """The complete subtrees a tree of ``size`` leaves is made of, one per bit of ``size``:
    the only hashes of the old tree an append, the new root and the new leaves' proofs
    read (others are read from the database if ever asked)."""
    return [(level, (size >> level) - 1) for level in range(size.bit_length())
            if (size >> level) & 1]


class GroupProofs:
    """The ``tlog-proof`` of each leaf one group appended to an app's log (indexes
    ``first`` to ``size - 1``) in its checkpoint ``note`` of ``size`` leaves, made from the
    group's hashes held in memory (``hashes``: the old tree's complete subtrees that make up
    its size and the new ones, all an inclusion proof of a new leaf reads), after the
    commit, not under the lock: all of them together by the first request thread that asks
    for one (they share most of their hashes), the others take theirs."""

    def __init__(self, first: int, size: int, note: bytes, hashes: dict[Key, bytes]) -> None:
        self.first, self.size, self.note, self.hashes = first, size, note, hashes
        self._lock = threading.Lock()
        self._made: list[bytes] | None = None

    def proof(self, index: int) -> bytes:
        with self._lock:
            if self._made is None:
                hashes = self.hashes
                indexes = range(self.first, self.size)
                paths = inclusion_proofs(indexes, self.size,
                                         lambda wanted: [hashes[w] for w in wanted])
                self._made = [TlogProof(i, tuple(path), self.note).to_bytes()
                              for i, path in zip(indexes, paths, strict=True)]
            return self._made[index - self.first]


@dataclass(frozen=True)
class LogPlace:
    """A record's place in its app's log: its salt, and what makes its ``tlog-proof``
    (:meth:`proof`; None when the root lists no log key): ``ready``, or for a record just
    sequenced its ``group``'s proof of ``index``."""

    salt: bytes
    index: int = 0
    group: GroupProofs | None = None
    ready: bytes | None = None

    def proof(self) -> bytes | None:
        if self.ready is not None or self.group is None:
            return self.ready
        return self.group.proof(self.index)


@dataclass
class Sequenced:
    """What :func:`sequence` made: the statements that store it (for ``Raw.all_of``) and
    each new record's :class:`LogPlace` by (app, record id)."""

    statements: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    proofs: dict[tuple[str, str], LogPlace] = field(default_factory=dict)


def _read_hashes(r: Raw, wanted: Iterable[tuple[str, int, int]]) -> dict[tuple[str, int, int],
                                                                         bytes]:
    keys = sorted(set(wanted))
    out: dict[tuple[str, int, int], bytes] = {}
    for i in range(0, len(keys), 300):
        chunk = keys[i:i + 300]
        where = " OR ".join(["(app_id = ? AND level = ? AND idx = ?)"] * len(chunk))
        # Only placeholders are joined in: the values are bound.
        rows = r.all("SELECT app_id, level, idx, hash FROM tlog_hashes WHERE " + where,  # noqa: S608
                     [v for k in chunk for v in k])
        out.update(((app, int(level), int(idx)), bytes(h)) for app, level, idx, h in rows)
    return out


def _reader(r: Raw, app: str, known: dict[Key, bytes]) -> Callable[[Sequence[Key]],
                                                                    list[bytes]]:
    """A HashReader of ``app``'s tree: ``known`` first, else the database (kept)."""
    def read(wanted: Sequence[Key]) -> list[bytes]:
        missing = [k for k in wanted if k not in known]
        if missing:
            found = _read_hashes(r, ((app, level, idx) for level, idx in missing))
            known.update(((level, idx), h) for (_, level, idx), h in found.items())
        return [known[k] for k in wanted]  # KeyError: a hash the log lost (audit says so)
    return read


def db_reader(r: Raw, app: str) -> Callable[[Sequence[Key]], list[bytes]]:
    """A HashReader of ``app``'s stored tree."""
    return _reader(r, app, {})


def sequence(r: Raw, rows: Sequence[dict[str, Any]], signer: LogSigner | None,
             stamp: str, canonical: Sequence[bytes] | None = None) -> Sequenced:
    """Sequence the new chain rows ``rows`` (dicts of the consent_records columns, each
    app's in seq order; a request's: ``app_id``, ``seq``, its id as ``record_id`` and
    ``entry`` ``request``) into their apps' logs; see the module docstring. ``canonical``:
    each row's canonical bytes (of its chained fields; a request's are needed) if the
    caller has them already."""
    out = Sequenced()
    by_app: dict[str, list[dict[str, Any]]] = {}
    canonical_of: dict[str, list[bytes]] = {}
    for i, row in enumerate(rows):
        by_app.setdefault(row["app_id"], []).append(row)
        canonical_of.setdefault(row["app_id"], []).append(
            canonical_bytes(chained_fields(row)) if canonical is None else canonical[i])
    if not by_app:
        return out
    sizes = {app: app_rows[0]["seq"] - 1 for app, app_rows in by_app.items()}
    edge = _read_hashes(r, ((app, level, idx) for app, size in sizes.items()
                            for level, idx in frontier(size)))
    leaf_rows: list[tuple[Any, ...]] = []
    hash_rows: list[tuple[Any, ...]] = []
    checkpoint_rows: list[tuple[Any, ...]] = []
    for app, app_rows in by_app.items():
        size = sizes[app]
        known: dict[Key, bytes] = {(level, idx): h for (a, level, idx), h in edge.items()
                                   if a == app}
        read = _reader(r, app, known)
        salts = [os.urandom(SALT_SIZE) for _ in app_rows]
        # logentry.record_leaf of each row, from the canonical bytes the chain hashed.
        leaves = [leaf_hash(salt + data)
                  for salt, data in zip(salts, canonical_of[app], strict=True)]
        new = append_hashes(size, leaves, read)
        known.update(((level, idx), h) for level, idx, h in new)
        hash_rows.extend((app, level, idx, h) for level, idx, h in new)
        leaf_rows.extend((app, size + i, row["record_id"], row.get("entry", "record"), salt,
                          leaf) for i, (row, salt, leaf)
                         in enumerate(zip(app_rows, salts, leaves, strict=True)))
        new_size = size + len(app_rows)
        group = None
        if signer is not None:
            root = tree_hash(new_size, read)
            note = sign_checkpoint(Checkpoint(signer.origin(app), new_size, root),
                                   signer.signer)
            checkpoint_rows.append((app, new_size, root, note, stamp))
            group = GroupProofs(size, new_size, note, known)
        for i, (row, salt) in enumerate(zip(app_rows, salts, strict=True)):
            out.proofs[(app, row["record_id"])] = LogPlace(salt, size + i, group)
    out.statements = [
        *r.values(LEAVES, ("app_id", "idx", "record_id", "entry", "salt", "leaf_hash"),
                  leaf_rows),
        *r.values(HASHES, ("app_id", "level", "idx", "hash"), hash_rows),
        *(r.values(CHECKPOINTS, ("app_id", "size", "root_hash", "note", "created_at"),
                   checkpoint_rows) if checkpoint_rows else [])]
    return out


def stored_proofs(r: Raw, wanted: Iterable[tuple[str, str]], entry: str = "record"
                  ) -> dict[tuple[str, str], LogPlace]:
    """For records (or requests: ``entry``) stored before ((app, id) pairs: a retry whose
    first answer was lost, or whose proof the device could not accept yet because the root
    requires witness cosignatures), their salt and inclusion proof in their app's checkpoint
    with the most witness cosignatures if it covers them (docs/transparency.md), else the
    newest. Reads only what never changes once committed (leaves, hashes, checkpoints,
    cosignatures), so it needs no lock. A record no checkpoint covers yet has none."""
    by_app: dict[str, list[str]] = {}
    for app, rid in wanted:
        by_app.setdefault(app, []).append(rid)
    out: dict[tuple[str, str], LogPlace] = {}
    for app, rids in sorted(by_app.items()):
        newest = r.all("SELECT size, note FROM tlog_checkpoints WHERE app_id = ? "
                       "ORDER BY size DESC LIMIT 1", (app,))
        if not newest:
            continue
        newest_size, newest_note = int(newest[0][0]), bytes(newest[0][1])
        cosigned = best_cosigned(r, app)
        read = db_reader(r, app)
        # Per checkpoint, its records' proofs made together: one read of their hashes.
        by_checkpoint: dict[tuple[int, bytes], list[tuple[str, int, bytes]]] = {}
        for rid, idx, salt in r.all_in("SELECT record_id, idx, salt FROM tlog_leaves "
                                       "WHERE app_id = ? AND entry = ? AND record_id IN (IN)",
                                       (app, entry), rids):
            size, note = cosigned if cosigned and idx < cosigned[0] \
                else (newest_size, newest_note)
            if idx < size:
                by_checkpoint.setdefault((size, note), []).append((rid, int(idx), bytes(salt)))
        for (size, note), leaves in by_checkpoint.items():
            paths = inclusion_proofs([idx for _, idx, _ in leaves], size, read)
            for (rid, idx, salt), path in zip(leaves, paths, strict=True):
                out[(app, rid)] = LogPlace(salt, ready=TlogProof(idx, tuple(path),
                                                                 note).to_bytes())
    return out


def best_cosigned(r: Raw, app: str) -> tuple[int, bytes] | None:
    """The checkpoint of ``app`` with the most witness cosignatures (the newest of those),
    with them appended; None before any witness cosigned."""
    best = r.all("SELECT size, COUNT(*) FROM tlog_cosignatures WHERE app_id = ? "
                 "GROUP BY size ORDER BY COUNT(*) DESC, size DESC LIMIT 1", (app,))
    if not best:
        return None
    size = int(best[0][0])
    note = r.all("SELECT note FROM tlog_checkpoints WHERE app_id = ? AND size = ?",
                 (app, size))
    lines = r.all("SELECT line FROM tlog_cosignatures WHERE app_id = ? AND size = ?",
                  (app, size))
    return size, bytes(note[0][0]) + b"".join(sorted(bytes(x[0]) for x in lines))


def public_files(session: Session, app_id: str, size: int | None = None
                 ) -> Iterator[tuple[str, bytes]]:
    """The public files of ``app_id``'s log as of its newest checkpoint (or its checkpoint
    of ``size``), as (path under the log's prefix, bytes): ``checkpoint`` (with the
    cosignatures it has) and every tile of that size (full and partial). Nothing before
    the first checkpoint (or without one of ``size``)."""
    query = select(LogCheckpoint).where(LogCheckpoint.app_id == app_id)
    if size is not None:
        query = query.where(LogCheckpoint.size == size)
    newest = session.scalars(query.order_by(LogCheckpoint.size.desc()).limit(1)).first()
    if newest is None:
        return
    lines = session.scalars(select(LogCosignature.line).where(
        LogCosignature.app_id == app_id, LogCosignature.size == newest.size)).all()
    yield "checkpoint", bytes(newest.note) + b"".join(sorted(bytes(x) for x in lines))
    r = raw(session)
    try:
        for tile in tiles_for_size(newest.size):
            # A reader per tile: one keeping what it read would hold the whole tree.
            yield tile.path(), tile_data(tile, db_reader(r, app_id))
    finally:
        r.close()


def _unsigned_logs(session: Session, apps: Iterable[str]) -> dict[str, int]:
    """The apps among ``apps`` whose log's newest leaf no checkpoint covers, with their
    size (its newest index + 1): two probes of an index's end per app, no scan."""
    out: dict[str, int] = {}
    for app in sorted(set(apps)):
        last = session.scalar(select(func.max(LogLeaf.idx)).where(LogLeaf.app_id == app))
        signed = session.scalar(select(func.max(LogCheckpoint.size))
                                .where(LogCheckpoint.app_id == app))
        if last is not None and (signed or 0) < last + 1:
            out[app] = int(last) + 1
    return out


def sign_missing_checkpoints(session: Session, signer: LogSigner, stamp: str
                             ) -> dict[str, int]:
    """Sign a checkpoint of every app's log whose newest leaves no checkpoint covers (a log
    sequenced before the root listed a log key, or appended to by a migration); app ->
    size signed. Found without a lock (most calls leave nothing to sign, and a running
    server's appends must not wait for every app's head); then only those apps' chain
    heads are locked, so no append runs while their trees are read and signed."""
    apps = _unsigned_logs(session, session.scalars(select(App.id)).all())
    if not apps:
        return {}
    r = raw(session)
    try:
        lock_heads(r, sorted(apps))
        done: dict[str, int] = {}
        rows: list[tuple[Any, ...]] = []
        for app, size in _unsigned_logs(session, apps).items():  # as of the locks
            root = tree_hash(size, db_reader(r, app))
            note = sign_checkpoint(Checkpoint(signer.origin(app), size, root), signer.signer)
            rows.append((app, size, root, note, stamp))
            done[app] = size
        if rows:
            r.all_of(r.values(CHECKPOINTS, ("app_id", "size", "root_hash", "note",
                                            "created_at"), rows))
        return done
    finally:
        r.close()


def tree_size_arg(value: str | None, name: str) -> int:
    """A tree size from a query parameter (``old``, ``new`` of the consistency endpoints):
    decimal, no leading zeros, at most what the database stores, else
    :class:`InvalidValue` naming ``name`` (never a database error answered 500)."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 19 or \
            (len(value) > 1 and value[0] == "0"):
        raise InvalidValue(name, "must be a tree size: a decimal integer without leading "
                                 "zeros")
    if int(value) > MAX_STORED_LOG_SIZE:
        raise InvalidValue(name, f"must be a tree size: at most {MAX_STORED_LOG_SIZE}")
    return int(value)
