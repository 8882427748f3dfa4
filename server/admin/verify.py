"""Checking one consent record as an auditor would: its receipt's signature and the chain
links on both sides of it. Every check is reported, passed or failed, with what it compared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol import ConsentError
from client_sdk.protocol.envelope import (
    PAYLOAD_RECEIPT,
    key_from_dict,
    parse_envelope,
    verify_threshold,
)
from server.admin.i18n import gettext as _
from server.consent.chain import GENESIS, chained_fields, row_hash
from server.models import ConsentRecord, Receipt, RootVersion

__all__ = ["Check", "verify_record"]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _receipt_keys(s: Session) -> list[tuple[int, dict[str, Any], list[str], int]]:
    """(root version, keys, receipt key ids, threshold) of every root ever signed: a receipt
    signed before a key rotation is checked against the root of its time."""
    out = []
    for row in s.scalars(select(RootVersion).order_by(RootVersion.version.desc())):
        payload = parse_envelope(row.envelope, "application/vnd.kelisim.root+json"
                                 ).payload_json()
        role = payload["roles"]["receipt"]
        out.append((row.version, payload["keys"], role["keyids"], role["threshold"]))
    return out


def verify_receipt(s: Session, r: ConsentRecord) -> list[Check]:
    receipt = s.get(Receipt, r.receipt_id)
    if receipt is None:
        return [Check("receipt", False, _("receipt {id} is missing", id=r.receipt_id))]
    checks: list[Check] = []
    try:
        env = parse_envelope(receipt.envelope, PAYLOAD_RECEIPT)
        payload = env.payload_json()
    except ConsentError as exc:
        return [Check("receipt", False, _("not a receipt envelope: {error}", error=exc))]
    signed_by = None
    for version, keys, keyids, threshold in _receipt_keys(s):
        try:
            trusted = {kid: key_from_dict(kid, keys[kid]) for kid in keyids}
            valid = verify_threshold(env, trusted, keyids, threshold, role="receipt")
        except ConsentError:
            continue
        signed_by = _("receipt key {keys} of root version {n}",
                      keys=", ".join(k[:12] for k in valid), n=version)
        break
    checks.append(Check("receipt signature", signed_by is not None,
                        signed_by or _("no receipt key of any root signed it")))
    entry = next((x for x in payload.get("records", []) if x.get("id") == r.record_id), None)
    checks.append(Check("receipt names the record", entry is not None and entry.get(
        "chain_hash") == r.row_hash and entry.get("seq") == r.seq and payload.get(
        "install") == r.install_id and entry.get("action") == r.action,
        _("receipt entry: seq {seq}, action {action}, chain hash {hash}…",
          seq=entry.get("seq"), action=_(str(entry.get("action"))),
          hash=str(entry.get("chain_hash"))[:16]) if entry else
        _("none for this record")))
    return checks


def verify_links(s: Session, r: ConsentRecord) -> list[Check]:
    near = {x.seq: x for x in s.scalars(select(ConsentRecord).where(
        ConsentRecord.app_id == r.app_id, ConsentRecord.seq.in_((r.seq - 1, r.seq + 1))))}
    checks: list[Check] = []
    prev = near.get(r.seq - 1)
    expected_prev = GENESIS if r.seq == 1 else (prev.row_hash if prev else None)
    checks.append(Check("link to previous record", expected_prev == r.prev_hash, _(
        "record {n}: {hash}; this record's previous hash: {prev}", n=r.seq - 1,
        hash=_("the start of the chain") if r.seq == 1 else
        (expected_prev[:16] if expected_prev else _("missing")), prev=r.prev_hash[:16])))
    own = row_hash(r.prev_hash, chained_fields(r))
    checks.append(Check("record content matches its hash", own == r.row_hash,
                        _("recomputed {a} / stored {b}", a=own[:16], b=r.row_hash[:16])))
    nxt = near.get(r.seq + 1)
    if nxt is None:
        checks.append(Check("link from next record", True, _("this is the newest record")))
    else:
        ok = nxt.prev_hash == r.row_hash and row_hash(nxt.prev_hash,
                                                      chained_fields(nxt)) == nxt.row_hash
        checks.append(Check("link from next record", ok,
                            _("record {n}, its previous hash {h}", n=nxt.seq,
                              h=nxt.prev_hash[:16])))
    return checks


def verify_record(s: Session, r: ConsentRecord) -> list[Check]:
    return verify_receipt(s, r) + verify_links(s, r)
