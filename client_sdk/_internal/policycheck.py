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

from client_sdk._internal.logsync import _evidence, _fetch_proof, _held
from client_sdk._internal.store import Store
from client_sdk.errors import FormatError, ProofError
from client_sdk.protocol.envelope import PAYLOAD_MANIFEST, parse_envelope
from client_sdk.protocol.logproof import ProofChecker
from client_sdk.protocol.model import Manifest, Root
from client_sdk.protocol.policylog import (
    POLICY_PROOF_HEADER,
    manifest_entry,
    policy_leaf,
    policy_origin,
)
from client_sdk.protocol.tlog import parse_tlog_proof, verify_consistency, verify_inclusion

if TYPE_CHECKING:
    from client_sdk.transport import Response, Transport

__all__ = ["POLICY_CHECKPOINT_KEY", "check_inclusion", "proof_of", "required"]

POLICY_CHECKPOINT_KEY = "policy_checkpoint"
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
    old = _held(held)
    size = new.checkpoint.size
    if size == old.size:
        if new.checkpoint.root_hash == old.root_hash:
            return held
        _evidence(store, origin, held, new.note, [], "same-size fork", now)
        raise ProofError("the policy log shows another tree of the size this device "
                         "verified (kept as evidence)", kind="consistency", url=url)
    lo, hi = sorted((old.size, size))
    answer = f"{server_url}/v1/policy-log/consistency?old={lo}&new={hi}"
    hashes = _fetch_proof(transport, answer)[0]
    lo_root, hi_root = (old.root_hash, new.checkpoint.root_hash) if lo == old.size \
        else (new.checkpoint.root_hash, old.root_hash)
    try:
        verify_consistency(lo, hi, lo_root, hi_root, hashes)
    except ProofError:
        _evidence(store, origin, held, new.note, hashes, "fork", now)
        raise ProofError(f"the policy log's tree of {size} entries is not consistent with "
                         f"the one of {old.size} this device verified (kept as evidence)",
                         kind="consistency", url=url) from None
    return new.note if size > old.size else held
