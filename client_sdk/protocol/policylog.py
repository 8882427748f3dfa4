"""The deployment's policy log (docs/transparency.md, "Policies in a log"): every signed
root and manifest is an entry of one C2SP transparency log per deployment, so that an
operator cannot show one group of devices a policy the others never saw.

- **Origin**: ``<deployment>/policies``, from the root's ``log.origin_prefix``
  (``<deployment>/consents``): :func:`policy_origin`. Its checkpoints are signed by the
  consent logs' log key (the root's ``log.keys``) and cosigned by the root's witnesses.
- **Entry**: the canonical JSON (sorted keys, no spaces, UTF-8) of
  ``{"kind": "root", "version": N, "sha256": H}`` or ``{"kind": "manifest", "app": A,
  "seq": N, "sha256": H}``, H the hex SHA-256 of the envelope's payload (the exact bytes
  its signatures cover): hashes only, nothing secret. The leaf is the RFC 6962 leaf hash
  of the entry.

Pure: bytes in, values out; :mod:`client_sdk.protocol.tlog` is imported when a leaf is
made (never on the launch path).
"""

from __future__ import annotations

import hashlib
import json
from typing import Final

__all__ = ["POLICY_PROOF_HEADER", "manifest_entry", "policy_leaf", "policy_origin",
           "root_entry"]

# The manifest answer's header carrying the manifest's tlog-proof, base64 (one line).
POLICY_PROOF_HEADER: Final = "Kelisim-Policy-Proof"
_CONSENTS: Final = "/consents"


def policy_origin(origin_prefix: str) -> str:
    """The policy log's origin for the consent logs' ``origin_prefix``:
    ``<deployment>/policies`` (a prefix not ending in ``/consents``, which Kelisim never
    makes, gets ``<prefix>/_policies``: ``_`` starts no app id, so no app's origin is it)."""
    if origin_prefix.endswith(_CONSENTS):
        return origin_prefix[: -len(_CONSENTS)] + "/policies"
    return origin_prefix + "/_policies"


def _canonical(value: dict[str, object]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def root_entry(version: int, payload: bytes) -> bytes:
    """The entry of root ``version`` whose envelope's payload is ``payload``."""
    return _canonical({"kind": "root", "version": version,
                       "sha256": hashlib.sha256(payload).hexdigest()})


def manifest_entry(app: str, seq: int, payload: bytes) -> bytes:
    """The entry of ``app``'s manifest ``seq`` whose envelope's payload is ``payload``."""
    return _canonical({"app": app, "kind": "manifest", "seq": seq,
                       "sha256": hashlib.sha256(payload).hexdigest()})


def policy_leaf(entry: bytes) -> bytes:
    """The RFC 6962 leaf hash of an entry."""
    from client_sdk.protocol.tlog.merkle import leaf_hash

    return leaf_hash(entry)
