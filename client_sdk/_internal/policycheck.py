"""The device's check that a manifest is in the deployment's policy log
(docs/transparency.md, "Policies in a log"), when the trusted root says
``log.require_policy_inclusion``.

A manifest (downloaded or bundled) is accepted only with a ``tlog-proof`` (the answer's
``Kelisim-Policy-Proof`` header, base64; else ``<app>/manifest.proof``, as a static export
serves it) whose checkpoint the root's log key signed for the policy log's origin (and k
of the root's witnesses cosigned), and whose inclusion proof binds the manifest's entry
(:mod:`client_sdk.protocol.policylog`: its app, seq and payload's SHA-256) to that
checkpoint. Then consistency with the newest policy-log checkpoint the device verified
before (meta ``policy_checkpoint``), by ``GET /v1/policy-log/consistency``: a larger tree
must extend it, a smaller one must be a prefix of it, an equal one must have its root. A
failed check is evidence (``client.log_evidence()``, its ``app`` the policy log's origin),
and the manifest is refused: the last verified state stays. No consistency proof to be
had refuses the manifest too (the next refresh asks again). The first checkpoint a device
sees is trusted as it is (witnesses protect that one).

Runs in ``refresh()`` and when a bundle is first loaded, only for such a root: the launch
path of any other root loads none of it.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import TYPE_CHECKING

from client_sdk._internal.logsync import _evidence, _held, _proof_answer
from client_sdk._internal.store import Store
from client_sdk.errors import FormatError, ProofError, SignatureError
from client_sdk.protocol.envelope import PAYLOAD_MANIFEST, parse_envelope
from client_sdk.protocol.logproof import ProofChecker
from client_sdk.protocol.model import Manifest, Root
from client_sdk.protocol.policylog import (
    POLICY_PROOF_HEADER,
    manifest_entry,
    policy_leaf,
    policy_origin,
)
from client_sdk.protocol.tlog import (
    Tile,
    VerifiedCheckpoint,
    consistency_proof,
    parse_tlog_proof,
    tile_hash_reader,
    tree_hash,
    verify_consistency,
    verify_inclusion,
)
from client_sdk.protocol.tlog.tiles import TILE_WIDTH

if TYPE_CHECKING:
    from collections.abc import Sequence

    from client_sdk.transport import Response, Transport

__all__ = ["PENDING_KEY", "POLICY_CHECKPOINT_KEY", "check_inclusion", "proof_of", "required"]

POLICY_CHECKPOINT_KEY = "policy_checkpoint"
#: A bundle's policy-log checkpoint loaded while another was held: checked at next refresh.
PENDING_KEY = "policy_checkpoint_pending"
MAX_PROOF_BYTES = 64 * 1024


def required(root: Root) -> bool:
    """Whether ``root`` requires every manifest to be proved in the policy log."""
    return root.log is not None and root.log.require_policy_inclusion


def proof_of(resp: Response, transport: Transport, server_url: str, app_id: str) -> bytes:
    """The manifest answer's tlog-proof: its header, else ``manifest.proof``.

    Raises:
        ProofError: neither has one; FormatError: a header that is not base64.
    """
    header = resp.headers.get(POLICY_PROOF_HEADER.lower())
    if header is not None:
        try:
            return base64.b64decode(header.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise FormatError("is not base64", field=POLICY_PROOF_HEADER) from None
    url = f"{server_url}/v1/apps/{app_id}/manifest.proof"
    got = transport.request("GET", url, max_bytes=MAX_PROOF_BYTES)
    if got.status != 200:
        raise ProofError("the manifest comes without an inclusion proof in the policy log "
                         "and the root requires one", kind="inclusion", url=url)
    return got.body


def check_inclusion(root: Root, app_id: str, raw: bytes, manifest: Manifest, proof: bytes,
                    *, store: Store, transport: Transport | None, server_url: str | None,
                    now: datetime, url: str | None = None) -> bytes:
    """Verify that the manifest ``raw`` (already verified as ``manifest``) is in the
    policy log, consistently with the checkpoint the store holds; returns the signed
    checkpoint to hold next (the held one when the proof's is not newer). Without a
    ``transport`` (a bundle at launch: no network) the held checkpoint, if any, stays and
    no consistency is checked (the next refresh checks the manifest it downloads).

    Raises:
        FormatError, SignatureError, ProofError: see the module docstring.
    """
    assert root.log is not None
    origin = policy_origin(root.log.origin_prefix)
    checker = ProofChecker(root, app_id, url=url, origin=origin)
    parsed = parse_tlog_proof(proof)
    new = checker.checkpoint(parsed.checkpoint)
    payload = parse_envelope(raw, PAYLOAD_MANIFEST).payload
    leaf = policy_leaf(manifest_entry(manifest.app, manifest.seq, payload))
    verify_inclusion(parsed.index, new.checkpoint.size, leaf, parsed.hashes,
                     new.checkpoint.root_hash)
    held = store.get_meta(POLICY_CHECKPOINT_KEY)
    if held is None:
        return new.note
    if transport is None or server_url is None:
        # A bundle (offline, at launch): its manifest is proved in a checkpoint the log
        # signed; consistency with the held one waits for the next refresh.
        return held
    pending = store.get_meta(PENDING_KEY)
    if pending is not None:
        # A bundle's checkpoint held back at launch: checked now, a fork kept as evidence
        # (the bundle's manifest is in the store already; what the server shows now is
        # checked below on its own). The caller clears it once this refresh is stored.
        try:
            bundled = checker.checkpoint(pending)
        except (FormatError, SignatureError):
            pass  # not of the root in force (rotated since): nothing left to compare
        else:
            _consistent(bundled, held, origin, store, transport, server_url, now)
    if not _consistent(new, held, origin, store, transport, server_url, now):
        raise ProofError(f"the policy log's tree of {new.checkpoint.size} entries is not "
                         f"consistent with the one this device verified (kept as evidence)",
                         kind="consistency", url=url)
    return new.note if new.checkpoint.size > _held(held).size else held


def _consistent(new: VerifiedCheckpoint, held: bytes, origin: str, store: Store,
                transport: Transport, server_url: str, now: datetime) -> bool:
    """Whether ``new`` is consistent with the ``held`` checkpoint; False after the pair is
    kept as evidence. Raises ProofError when no proof is to be had."""
    old = _held(held)
    size = new.checkpoint.size
    if size == old.size:
        if new.checkpoint.root_hash == old.root_hash:
            return True
        _evidence(store, origin, held, new.note, [], "same-size fork", now)
        return False
    lo, hi = sorted((old.size, size))
    lo_root, hi_root = (old.root_hash, new.checkpoint.root_hash) if lo == old.size \
        else (new.checkpoint.root_hash, old.root_hash)
    answer = f"{server_url}/v1/policy-log/consistency?old={lo}&new={hi}"
    probe = transport.request("GET", answer, max_bytes=64 * 1024)
    if probe.status == 200:
        hashes = _proof_answer(probe, answer)[0]
    else:  # a static mirror: the proof made from the log's public tiles
        hashes = _tile_proof(transport, f"{server_url}/v1/policy-log/", lo, hi, hi_root)
    try:
        verify_consistency(lo, hi, lo_root, hi_root, hashes)
    except ProofError:
        _evidence(store, origin, held, new.note, hashes, "fork", now)
        return False
    return True


def _tile_proof(transport: Transport, base: str, lo: int, hi: int, hi_root: bytes
                ) -> list[bytes]:
    """The consistency proof from ``lo`` to ``hi`` entries made from the policy log's tiles
    under ``base`` (what a static mirror serves), once they are shown to make the signed
    tree of ``hi`` entries: a mirror's wrong or missing tile refuses the manifest, it is no
    evidence of a fork. A partial tile the mirror no longer has is read from the full one.

    Raises:
        ProofError: no tile to be had, or tiles that do not make the tree's root.
    """
    held: dict[Tile, bytes] = {}

    def fetch(tile: Tile) -> bytes:
        if tile not in held:
            resp = transport.request("GET", base + tile.path(), max_bytes=TILE_WIDTH * 32)
            if resp.status == 404 and not tile.full:
                full = transport.request("GET", base + Tile(tile.level, tile.index).path(),
                                         max_bytes=TILE_WIDTH * 32)
                resp = full if full.status == 200 else resp
            if resp.status != 200:
                raise ProofError(
                    f"HTTP {resp.status} to the policy log's {tile.path()}: the root requires "
                    "policy inclusion, which needs GET /v1/policy-log/consistency or the "
                    "log's public tiles", kind="consistency", url=base + tile.path())
            held[tile] = resp.body[:tile.width * 32]
        return held[tile]

    def read_tiles(tiles: Sequence[Tile]) -> list[bytes]:
        return [fetch(t) for t in tiles]

    reader = tile_hash_reader(hi, read_tiles)
    if tree_hash(hi, reader) != hi_root:
        raise ProofError(f"the policy log's tiles do not make its signed tree of {hi} "
                         "entries (and no consistency proof is served)", kind="consistency",
                         url=base)
    return consistency_proof(lo, hi, reader)
