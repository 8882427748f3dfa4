"""Checking one consent record as an auditor would: its receipt's signature and the chain
links on both sides of it (a neighbour may be a request of the data subject: a chain row
too). Every check is reported, passed or failed, with what it compared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol import ConsentError
from client_sdk.protocol.envelope import PAYLOAD_RECEIPT, PAYLOAD_ROOT, parse_envelope
from client_sdk.protocol.model import Root
from client_sdk.protocol.receipts import Receipt, confirms_stored, receipt_signers
from client_sdk.protocol.records import RECORD_FIELD_NAMES
from server.admin.i18n import gettext as _
from server.consent.chain import GENESIS, ChainRow, chained_fields, row_entry, row_hash
from server.models import ConsentRecord, DeletionRequest, RootVersion
from server.models import Receipt as ReceiptRow

__all__ = ["Check", "verify_record"]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _roots(s: Session) -> list[Root]:
    """Every root ever signed, newest first: a receipt signed before a key rotation is
    checked against the root of its time."""
    roots = []
    for row in s.scalars(select(RootVersion).order_by(RootVersion.version.desc())):
        try:
            roots.append(Root.from_payload(parse_envelope(row.envelope,
                                                          PAYLOAD_ROOT).payload_json()))
        except ConsentError:
            continue  # a root that does not parse signed no receipt this check can see
    return roots


def _as_sent(r: ConsentRecord) -> dict[str, Any]:
    """The stored record's fields as the client sent them (its id is stored as
    record_id)."""
    return {name: getattr(r, "record_id" if name == "id" else name)
            for name in RECORD_FIELD_NAMES}


def verify_receipt(s: Session, r: ConsentRecord) -> list[Check]:
    """The receipt's signature (by the receipt keys of any root) and whether it names this
    record as stored, with client_sdk.protocol.receipts' rules."""
    row = s.get(ReceiptRow, r.receipt_id)
    if row is None:
        return [Check("receipt", False, _("receipt {id} is missing", id=r.receipt_id))]
    checks: list[Check] = []
    try:
        env = parse_envelope(row.envelope, PAYLOAD_RECEIPT)
        receipt = Receipt.parse(env.payload, kind="consents")
    except ConsentError as exc:
        return [Check("receipt", False, _("not a receipt envelope: {error}", error=exc))]
    signed_by = None
    for root in _roots(s):
        try:
            valid = receipt_signers(env, root)
        except ConsentError:
            continue
        signed_by = _("receipt key {keys} of root version {n}",
                      keys=", ".join(k[:12] for k in valid), n=root.version)
        break
    checks.append(Check("receipt signature", signed_by is not None,
                        signed_by or _("no receipt key of any root signed it")))
    entry = receipt.entry(r.record_id)
    checks.append(Check("receipt names the record", confirms_stored(
        receipt, _as_sent(r), install=r.install_id, seq=r.seq, chain_hash=r.row_hash),
        _("receipt entry: seq {seq}, action {action}, chain hash {hash}…",
          seq=entry.seq, action=_(entry.action), hash=entry.chain_hash[:16]) if entry else
        _("none for this record")))
    return checks


def _neighbours(s: Session, r: ConsentRecord
                ) -> dict[int, tuple[ChainRow, tuple[str, str, dict[str, Any]]]]:
    """The chain rows at seq - 1 and seq + 1 (a record or a request of the data subject),
    each with its kind, id and chained fields (``row_entry``)."""
    seqs = (r.seq - 1, r.seq + 1)
    rows: list[ChainRow] = [*s.scalars(select(ConsentRecord).where(
        ConsentRecord.app_id == r.app_id, ConsentRecord.seq.in_(seqs))), *s.scalars(select(
            DeletionRequest).where(DeletionRequest.app_id == r.app_id,
                                   DeletionRequest.seq.in_(seqs)))]
    return {x.seq: (x, row_entry(x)) for x in rows}


def verify_links(s: Session, r: ConsentRecord) -> list[Check]:
    near = _neighbours(s, r)
    checks: list[Check] = []
    prev = near.get(r.seq - 1)
    expected_prev = GENESIS if r.seq == 1 else (prev[0].row_hash if prev else None)
    text = "request {n}: {hash}; this record's previous hash: {prev}" \
        if prev is not None and prev[1][0] == "request" else \
        "record {n}: {hash}; this record's previous hash: {prev}"
    checks.append(Check("link to previous record", expected_prev == r.prev_hash, _(
        text, n=r.seq - 1,
        hash=_("the start of the chain") if r.seq == 1 else
        (expected_prev[:16] if expected_prev else _("missing")), prev=r.prev_hash[:16])))
    own = row_hash(r.prev_hash, chained_fields(r))
    checks.append(Check("record content matches its hash", own == r.row_hash,
                        _("recomputed {a} / stored {b}", a=own[:16], b=r.row_hash[:16])))
    nxt = near.get(r.seq + 1)
    if nxt is None:
        checks.append(Check("link from next record", True, _("this is the newest record")))
    else:
        row, (entry, _id, fields) = nxt
        ok = row.prev_hash == r.row_hash and row_hash(row.prev_hash, fields) == row.row_hash
        text = "request {n}, its previous hash {h}" if entry == "request" \
            else "record {n}, its previous hash {h}"
        checks.append(Check("link from next record", ok,
                            _(text, n=row.seq, h=row.prev_hash[:16])))
    return checks


def verify_record(s: Session, r: ConsentRecord) -> list[Check]:
    return verify_receipt(s, r) + verify_links(s, r)
