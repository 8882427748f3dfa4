"""Verification done the way a third party would: securesystemslib only.

Nothing here imports the server's signing code or the SDK's verification code, so a bug
shared by both cannot hide itself.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey

ROOT_TYPE = "application/vnd.kelisim.root+json"
MANIFEST_TYPE = "application/vnd.kelisim.manifest+json"


def payload_of(envelope_bytes: bytes) -> dict[str, Any]:
    doc = json.loads(envelope_bytes)
    return json.loads(base64.b64decode(doc["payload"]))


def verify(envelope_bytes: bytes, root_payload: dict[str, Any], role: str,
           payload_type: str) -> dict[str, Any]:
    """Verify with the keys and threshold ``root_payload`` gives ``role``; return payload."""
    doc = json.loads(envelope_bytes)
    assert doc["payloadType"] == payload_type
    env = Envelope.from_dict(doc)
    spec = root_payload["roles"][role]
    keys = [SSlibKey.from_dict(kid, dict(root_payload["keys"][kid])) for kid in spec["keyids"]]
    env.verify(keys, spec["threshold"])
    return json.loads(env.payload)


def verified_root(envelope_bytes: bytes, trusted: dict[str, Any] | None = None) -> dict[str, Any]:
    """A root verified by its own root keys and, when given, by the trusted previous root."""
    payload = payload_of(envelope_bytes)
    verify(envelope_bytes, payload, "root", ROOT_TYPE)
    if trusted is not None:
        verify(envelope_bytes, trusted, "root", ROOT_TYPE)
    return payload
