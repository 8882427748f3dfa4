"""Consent ingest: the records of many requests of one app appended to its chain at once.

The group commit (server/consent/groupcommit.py) hands :class:`AppendBatch` the queued consent
requests, of one app or many, in two steps:

1. :meth:`AppendBatch.prepare`, with no lock held (on SQLite before the write lock, on its
   own connection, while another worker's group may be committing): the consent rules
   against the signed versions (``client_sdk.protocol.rules``) and manifests, the ids already
   stored, the receipts they point at, and each record's canonical JSON but its seq
   (``chain.chained_parts``). What it reads is immutable once written (manifest seqs only
   grow).
2. :meth:`AppendBatch.__call__`, under the chain-head lock: the install tokens' generations,
   the chains (one read of the apps' heads; per record its canonical bytes joined around
   its seq and one hash, the same bytes its log leaf covers), one signed receipt per
   request, the transparency log (server/consent/tlog.py), one INSERT of the receipts,
   one of the records, one update of the heads.

Each request keeps its own outcome (a result, or its own error: 401 revoked token, 422
rejected or conflicting records, and then none of its records is stored). The statements
are plain DB-API (server/consent/rawsql.py): SQLAlchemy's statement building was most of the time
spent under the lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from client_sdk.protocol.envelope import PAYLOAD_RECEIPT
from client_sdk.protocol.receipts import consents_payload, receipt_entry
from client_sdk.protocol.records import RECORD_FIELD_NAMES
from client_sdk.protocol.timeutil import format_time
from server.consent.chain import (
    body_hash,
    chain_hash,
    chained_parts,
    head_moves,
    join_chained,
    lock_heads,
)
from server.consent.checks import newest_manifest_seqs, record_problems, versions_of
from server.consent.rawsql import Raw, raw
from server.consent.tlog import LogPlace, sequence, stored_proofs
from server.errors import (
    KelisimError,
    RecordConflict,
    TokenRevoked,
    UnknownInstall,
    Unprocessable,
)
from server.models import ConsentRecord, Receipt
from server.trust.keys import sign_envelope
from server.trust.log_keys import log_signer_of
from server.trust.receipt_keys import receipt_keys_of
from server.webhooks.events import outbox_statements

__all__ = ["AppendBatch", "IngestRequest", "IngestResult", "ingest"]

RECORDS = cast(Table, ConsentRecord.__table__)
RECEIPTS = cast(Table, Receipt.__table__)
# The record's fields after id (stored as record_id), as they are named in the table.
_FIELDS = tuple(name for name in RECORD_FIELD_NAMES if name != "id")
RECORD_COLUMNS = ("app_id", "seq", "record_id", "install_id", *_FIELDS, "server_time",
                  "body_hash", "prev_hash", "row_hash", "receipt_id")
_CHUNK = 5000  # ids per IN (...): under SQLite's bound on parameters


@dataclass(frozen=True)
class IngestRequest:
    """One POST /consents: the install, its token's generation, its records, its time."""
    install_id: str
    generation: int
    records: Sequence[dict[str, Any]]
    now: datetime


@dataclass(frozen=True)
class IngestResult:
    receipts: list[bytes]
    index: dict[str, int]  # record id -> position in receipts
    stored: int
    # Record id -> its place in the app's transparency log: salt and tlog-proof
    # (server/consent/tlog.py).
    proofs: dict[str, LogPlace] = field(default_factory=dict)


Outcome = IngestResult | KelisimError


@dataclass
class _Checked:
    """A request that passed :meth:`AppendBatch.prepare`."""
    app_id: str
    request: IngestRequest
    digests: list[str]
    stamp: str  # the request's server_time
    # Per record: the canonical bytes of its chained fields but seq, in the two halves
    # around it (chain.chained_parts), encoded here before any lock.
    parts: list[tuple[bytes, bytes]]
    # Per record: its fields' column values converted for the driver (JSON text, ...).
    columns: list[tuple[Any, ...]]
    # Stored before: record id -> (body hash, install id, receipt id); receipt id -> bytes.
    stored: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    envelopes: dict[int, bytes] = field(default_factory=dict)
    # PostgreSQL: the id its receipt will have, drawn from the sequence before any lock.
    receipt_id: int | None = None
    # Stored before: record id -> its salt and tlog-proof in the newest checkpoint.
    logged: dict[str, LogPlace] = field(default_factory=dict)


class AppendBatch:
    """The group commit's batch function for consent requests; items are
    ``(app_id, IngestRequest)``, of one app or several (each app's records go to its own
    chain, all in one set of statements). One per process and database: the group commit
    merges the items of the same batch object."""

    def __init__(self, keys_dir: Path, database: str) -> None:
        self.keys_dir = keys_dir
        self.database = database

    def prepare(self, r: Raw, items: Sequence[tuple[str, IngestRequest]]
                ) -> list[_Checked | KelisimError]:
        """The checks and reads that need no lock, for all ``items`` at once."""
        wanted: dict[str, set[int]] = {}
        seqs: dict[str, int] = {}
        for app_id, q in items:
            wanted.setdefault(app_id, set()).update(x["version"] for x in q.records)
            seqs[app_id] = max([seqs.get(app_id, 0), *(x["manifest_seq"] for x in q.records)])
        known = versions_of(r, self.database, wanted)
        newest = newest_manifest_seqs(r, self.database, seqs)
        out: list[_Checked | KelisimError] = []
        convert = r.converters(RECORDS, _FIELDS)
        for app_id, q in items:
            ids = [x["id"] for x in q.records]
            if len(set(ids)) != len(ids):
                out.append(Unprocessable(["a record id appears twice in the batch"]))
                continue
            problem = record_problems(known.get(app_id, {}), newest[app_id], app_id, q.records)
            if problem is not None:  # 422 rejected: every record refused for good
                out.append(problem)
                continue
            stamp = format_time(q.now)
            out.append(_Checked(app_id, q, [body_hash(x) for x in q.records], stamp, [
                chained_parts({"record_id": x["id"], "install_id": q.install_id,
                               **{k: x[k] for k in _FIELDS}, "server_time": stamp})
                for x in q.records], [
                tuple(x[k] if f is None else f(x[k]) for k, f in zip(_FIELDS, convert,
                                                                      strict=True))
                for x in q.records]))
        checked = [c for c in out if isinstance(c, _Checked)]
        stored = _stored(r, checked)
        if r.is_postgres and checked:
            # Receipt ids now, so that the writes under the lock are one round trip.
            for c, (rid,) in zip(checked, r.all(
                    "SELECT nextval(pg_get_serial_sequence('receipts', 'id')) "
                    "FROM generate_series(1, ?)", (len(checked),)), strict=True):
                c.receipt_id = int(rid)
        if stored:
            receipt_ids = sorted({v[2] for v in stored.values()})
            envelopes = {rid: bytes(r.loaded(RECEIPTS, "envelope", env)) for rid, env in r.all_in(
                "SELECT id, envelope FROM receipts WHERE id IN (IN)", (), receipt_ids)}
            for c in checked:
                c.stored = {x["id"]: stored[(c.app_id, x["id"])] for x in c.request.records
                            if (c.app_id, x["id"]) in stored}
                c.envelopes = {v[2]: envelopes[v[2]] for v in c.stored.values()}
            proofs = stored_proofs(r, stored)
            for c in checked:
                c.logged = {rid: p for rid in c.stored if (p := proofs.get((c.app_id, rid)))}
        return out

    def __call__(self, session: Session, prepared: Sequence[Any]) -> list[Outcome]:
        """Append the prepared requests under their apps' chain-head locks.

        Raises:
            ReceiptKeyUnavailable: no receipt key (503, for every request).
            DBAPIError: the database failed (the unique record id included: another
                transaction stored one meanwhile); the caller rolls back and runs each
                request again alone, reading under the lock, where it finds it.
        """
        if not any(isinstance(p, _Checked) for p in prepared):
            return list(prepared)
        r = raw(session)
        try:
            return self._append(session, r, prepared)
        finally:
            r.close()

    def _append(self, session: Session, r: Raw, prepared: Sequence[Any]) -> list[Outcome]:
        checked = [p for p in prepared if isinstance(p, _Checked)]
        heads, generations, root_version, last_receipt = _lock_and_read(r, checked)
        keys = receipt_keys_of(session, self.keys_dir, root_version)
        moved: dict[str, tuple[int, str]] = {}
        outcomes: list[Outcome] = []
        # Per request: its receipts, each a stored receipt id or "new:<position>".
        orders: list[list[int | str]] = []
        new_rows: list[tuple[str, dict[str, Any]]] = []
        new_envelopes: dict[str, tuple[str, bytes]] = {}  # "new:<pos>" -> (app, envelope)
        envelopes: dict[int | str, bytes] = {}
        # Records appended by an earlier request of this group (the same install syncing
        # from two threads): (app, record id) -> (body hash, install id, "new:<position>").
        fresh_ids: dict[tuple[str, str], tuple[str, str, str]] = {}
        canonical: list[bytes] = []  # of each row of new_rows
        inserts: list[tuple[str, tuple[Any, ...]]] = []  # and its INSERT values
        for pos, p in enumerate(prepared):
            orders.append([])
            if not isinstance(p, _Checked):
                outcomes.append(p)
                continue
            q, app_id = p.request, p.app_id
            current = generations.get((app_id, q.install_id))
            if current is None or current != q.generation:
                outcomes.append(UnknownInstall(q.install_id) if current is None
                                else TokenRevoked(q.install_id))
                continue
            envelopes.update(p.envelopes.items())
            fresh: list[tuple[dict[str, Any], str, tuple[bytes, bytes],
                              tuple[Any, ...]]] = []
            old: dict[str, int | str] = {}
            conflict: RecordConflict | None = None
            for x, digest, part, columns in zip(q.records, p.digests, p.parts, p.columns,
                                                strict=True):
                before: tuple[str, str, int | str] | None = (
                    p.stored.get(x["id"]) or fresh_ids.get((app_id, x["id"])))
                if before is None:
                    fresh.append((x, digest, part, columns))
                elif before[0] != digest or before[1] != q.install_id:
                    conflict = RecordConflict(f"record {x['id']} was received before with "
                                              f"other content", x["id"])
                    break
                else:
                    old[x["id"]] = before[2]
            if conflict is not None:
                outcomes.append(conflict)
                continue
            order: list[int | str] = sorted(set(old.values()), key=str)
            index = {rid: order.index(rcp) for rid, rcp in old.items()}
            outcomes.append(IngestResult([], index, len(fresh), dict(p.logged)))
            if fresh:
                seq, prev = moved.get(app_id) or heads[app_id]
                stamp = p.stamp
                rows = []
                entries = []
                for x, digest, part, columns in fresh:
                    seq += 1
                    row = {"app_id": app_id, "seq": seq, "record_id": x["id"],
                           "install_id": q.install_id, **{k: x[k] for k in _FIELDS},
                           "server_time": stamp, "body_hash": digest, "prev_hash": prev}
                    # The chained fields' canonical bytes, once: for the chain's hash and
                    # the transparency log's leaf.
                    canonical.append(join_chained(part, seq))
                    row["row_hash"] = prev = chain_hash(prev, canonical[-1])
                    rows.append(row)
                    # Its INSERT values, converted in prepare (RECORD_COLUMNS but the last).
                    inserts.append((f"new:{pos}", (app_id, seq, x["id"], q.install_id,
                                                   *columns, stamp, digest, row["prev_hash"],
                                                   prev)))
                    entries.append(receipt_entry(x, server_time=stamp, seq=seq,
                                                 chain_hash=prev))
                    fresh_ids[(app_id, x["id"])] = (digest, q.install_id, f"new:{pos}")
                moved[app_id] = (seq, prev)
                new_envelopes[f"new:{pos}"] = (app_id, sign_envelope(
                    consents_payload(app_id, q.install_id, stamp, entries), PAYLOAD_RECEIPT,
                    keys))
                new_rows.extend((f"new:{pos}", row) for row in rows)
                order.append(f"new:{pos}")
                for row in rows:
                    index[row["record_id"]] = len(order) - 1
            orders[pos] = order
        if new_envelopes:
            logged = sequence(r, [row for _, row in new_rows],
                              log_signer_of(session, self.keys_dir, root_version),
                              new_rows[-1][1]["server_time"], canonical)
            _write(r, prepared, new_envelopes, new_rows, inserts, moved, last_receipt,
                   logged.statements)
            envelopes.update((k, env) for k, (_, env) in new_envelopes.items())
            for p, out in zip(prepared, outcomes, strict=True):
                if isinstance(out, IngestResult):
                    out.proofs.update((rid, proof) for rid in out.index
                                      if (proof := logged.proofs.get((p.app_id, rid))))
        for order, out in zip(orders, outcomes, strict=True):
            if isinstance(out, IngestResult):
                out.receipts.extend(envelopes[rcp] for rcp in order)
        return outcomes


def _stored(r: Raw, checked: list[_Checked]) -> dict[tuple[str, str], tuple[str, str, int]]:
    """The records of ``checked`` stored before: (app, record id) -> (body hash, install
    id, receipt id)."""
    stored: dict[tuple[str, str], tuple[str, str, int]] = {}
    wanted = {(c.app_id, x["id"]) for c in checked for x in c.request.records}
    apps = sorted({app for app, _ in wanted})
    ids = sorted({rid for _, rid in wanted})
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i:i + _CHUNK]
        # Every app's ids at once: a superset (an id of one app under another), filtered.
        rows = r.all("SELECT app_id, record_id, body_hash, install_id, receipt_id FROM "
                     "consent_records WHERE app_id IN (APPS) AND record_id IN (IDS)"
                     .replace("(APPS)", r.marks(len(apps))).replace("(IDS)", r.marks(len(chunk))),
                     (*apps, *chunk))
        stored.update(((app, rid), (digest, install, receipt))
                      for app, rid, digest, install, receipt in rows if (app, rid) in wanted)
    return stored


def _lock_and_read(r: Raw, checked: list[_Checked]) -> tuple[
        dict[str, tuple[int, str]], dict[tuple[str, str], int], int | None, int]:
    """Lock the apps' chain heads (in app order) and read what the append needs: app ->
    (seq, head hash); (app, install) -> token generation; the newest root's version; on
    SQLite the highest receipt id (the writer holds the database's one write lock, so the
    next ids are its own). One round trip or statement for all, unless an app has no
    head yet: every statement under the lock is a wait for the database and a release of
    the GIL, which the leader must win back from the threads parsing the next requests."""
    apps = sorted({c.app_id for c in checked})
    installs = sorted({c.request.install_id for c in checked})
    generations_query = ("SELECT id, app_id, token_generation FROM installs WHERE id IN "
                         "(IN)").replace("(IN)", r.marks(len(installs)))
    root_query = "SELECT max(version) FROM root_versions"
    if r.is_postgres:
        head_rows, generation_rows, ((root,),) = r.all_of([
            ("SELECT app_id, seq, head_hash FROM chain_heads WHERE app_id IN (IN) ORDER BY "
             "app_id FOR UPDATE".replace("(IN)", r.marks(len(apps))), apps),
            (generations_query, installs), (root_query, ())])
        last = 0  # PostgreSQL: drawn from the sequence in prepare
    else:
        rows = r.all(
            "SELECT 'head', app_id, seq, head_hash FROM chain_heads WHERE app_id IN (APPS) "
            "UNION ALL SELECT 'install', id, app_id, token_generation FROM installs "
            "WHERE id IN (INSTALLS) UNION ALL SELECT 'max', NULL, "
            "(SELECT max(id) FROM receipts), (SELECT max(version) FROM root_versions)"
            .replace("(APPS)", r.marks(len(apps)))
            .replace("(INSTALLS)", r.marks(len(installs))), (*apps, *installs))
        head_rows = [x[1:] for x in rows if x[0] == "head"]
        generation_rows = [x[1:] for x in rows if x[0] == "install"]
        (_, _, last, root), = (x for x in rows if x[0] == "max")
    heads = {app: (int(seq), str(head)) for app, seq, head in head_rows}
    if len(heads) < len(apps):
        heads = lock_heads(r, apps)  # an app's first record: create its head
    return (heads, {(app, install): gen for install, app, gen in generation_rows},
            root, int(last or 0))


def _write(r: Raw, prepared: Sequence[Any], envelopes: dict[str, tuple[str, bytes]],
           rows: list[tuple[str, dict[str, Any]]], inserts: list[tuple[str, tuple[Any, ...]]],
           heads: dict[str, tuple[int, str]], last_receipt: int,
           logged: list[tuple[str, tuple[Any, ...]]]) -> None:
    """INSERT the new receipts ("new:<position>" -> (app, envelope)) and records (``rows``,
    their converted values ``inserts``; one multi-row statement each) and the log's rows
    (``logged``), and move the chain heads (PostgreSQL: one round trip for all)."""
    if r.is_postgres:  # receipt ids drawn from the sequence in prepare
        ids = {key: prepared[int(key[4:])].receipt_id for key in envelopes}
    else:  # under SQLite's one write lock: the ids after the highest
        ids = {key: last_receipt + i for i, key in enumerate(envelopes, 1)}
    r.all_of([
        *r.values(RECEIPTS, ("id", "app_id", "envelope"),
                  [(ids[key], app, env) for key, (app, env) in envelopes.items()]),
        *r.values(RECORDS, RECORD_COLUMNS, [(*values, ids[key]) for key, values in inserts],
                  converted=True),
        *logged, *head_moves(heads),
        # The webhook events of these records, in the same transaction (docs/webhooks.md).
        *outbox_statements(r, (row for _, row in rows))])


def ingest(session: Session, app_id: str, install_id: str, records: Sequence[dict[str, Any]],
           keys_dir: Path, now: datetime, *, generation: int = 1) -> IngestResult:
    """Store new records (idempotent by id) and sign one receipt for them, in the caller's
    transaction: on any error nothing is stored.

    Raises:
        UnknownInstall: an unknown install or a revoked token (``generation``; 401).
        Unprocessable: a record id twice in the batch (422).
        RecordsRejected: records against unknown versions, documents or purposes (422).
        RecordConflict: a known id with another body (422).
        ReceiptKeyUnavailable: no receipt key (503).
    """
    batch = AppendBatch(keys_dir, str(session.get_bind().engine.url))
    item = (app_id, IngestRequest(install_id, generation, records, now))
    r = raw(session)
    try:
        prepared = batch.prepare(r, [item])
    finally:
        r.close()
    out = batch(session, prepared)[0]
    if isinstance(out, KelisimError):
        raise out
    return out
