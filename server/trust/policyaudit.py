"""``kelisim audit verify``'s check of the deployment's policy log (docs/transparency.md,
"Policies in a log"): every stored root and manifest is in it, and what is stored is one
tree.

1. Every stored root and signed manifest has its entry, made again from its envelope's
   payload (:mod:`client_sdk.protocol.policylog`), and each entry's leaf hash is its
   entry's; every entry names a stored root or manifest.
2. The tree's complete-subtree hashes, recomputed from the leaf hashes in index order, are
   the stored ones.
3. Every stored checkpoint: its root is the recomputed tree's at its size, signed for the
   policy log's origin by a log key some root listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol.envelope import PAYLOAD_MANIFEST, PAYLOAD_ROOT, parse_envelope
from client_sdk.protocol.policylog import manifest_entry, policy_leaf, policy_origin, root_entry
from client_sdk.protocol.tlog import append_hashes, tree_hash
from server.consent.tlogaudit import check_note, log_keys
from server.models import RootVersion, SignedManifest
from server.policylog_models import PolicyLogCheckpoint, PolicyLogEntry, PolicyLogHash

__all__ = ["PolicyReport", "verify_policy_log"]


@dataclass(frozen=True)
class PolicyReport:
    entries: int
    checkpoints: int
    problem: str | None


def verify_policy_log(session: Session) -> PolicyReport:
    """Check the policy log; the first problem found, or None."""
    expected: dict[tuple[str, str | None, int], bytes] = {}
    for version, envelope in session.execute(select(RootVersion.version,
                                                    RootVersion.envelope)):
        payload = parse_envelope(envelope, PAYLOAD_ROOT).payload
        expected[("root", None, version)] = root_entry(version, payload)
    for app, seq, envelope in session.execute(select(
            SignedManifest.app_id, SignedManifest.seq, SignedManifest.envelope)):
        payload = parse_envelope(envelope, PAYLOAD_MANIFEST).payload
        expected[("manifest", app, seq)] = manifest_entry(app, seq, payload)
    hashes: dict[tuple[int, int], bytes] = {}
    size = 0
    for e in session.scalars(select(PolicyLogEntry).order_by(PolicyLogEntry.idx)):
        where = f"policy log entry {e.idx} ({e.kind} {e.app_id or ''} {e.number})"
        if e.idx != size:
            return PolicyReport(size, 0, f"{where}: entry {size} is missing")
        want = expected.pop((e.kind, e.app_id, e.number), None)
        if want is None:
            return PolicyReport(size, 0, f"{where}: names no stored root or manifest")
        if bytes(e.entry) != want or policy_leaf(want) != bytes(e.leaf_hash):
            return PolicyReport(size, 0, f"{where}: does not match the stored envelope "
                                         f"(entry or leaf hash changed)")
        for level, idx, h in append_hashes(size, [bytes(e.leaf_hash)],
                                           lambda wanted: [hashes[w] for w in wanted]):
            hashes[(level, idx)] = h
        size += 1
    if expected:
        kind, owner, number = sorted(expected, key=lambda k: (k[0], k[1] or "", k[2]))[0]
        return PolicyReport(size, 0, f"{kind} {owner + ' ' if owner else ''}{number} is not in "
                                     f"the policy log ({len(expected)} stored object(s) "
                                     f"missing)")
    stored = 0
    for node in session.scalars(select(PolicyLogHash)):
        stored += 1
        if hashes.get((node.level, node.idx)) != bytes(node.hash):
            return PolicyReport(size, 0, f"stored policy log hash (level {node.level}, "
                                         f"index {node.idx}) does not match the tree")
    if stored != len(hashes):
        return PolicyReport(size, 0, f"{len(hashes) - stored} hash(es) of the policy log "
                                     f"are not stored")
    prefix, keys = log_keys(session)
    count = 0
    for cp in session.scalars(select(PolicyLogCheckpoint).order_by(PolicyLogCheckpoint.size)):
        where = f"policy log checkpoint of size {cp.size}"
        if cp.size > size:
            return PolicyReport(size, count, f"{where}: the log has {size} entries")
        root = tree_hash(cp.size, lambda wanted: [hashes[w] for w in wanted])
        if bytes(cp.root_hash) != root:
            return PolicyReport(size, count, f"{where}: its root is not the tree's")
        problem = check_note(bytes(cp.note), policy_origin(prefix or ""), keys, cp.size, root)
        if problem is not None:
            return PolicyReport(size, count, f"{where}: {problem}")
        count += 1
    return PolicyReport(size, count, None)
