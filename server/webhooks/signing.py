"""Signing a delivery (docs/webhooks.md, "Verifying a delivery").

Stripe's scheme, with our header names: the signed text is ``<timestamp>.<body>`` (the
timestamp in whole seconds since the epoch, the body byte for byte), the signature
HMAC-SHA256 of it with the endpoint's secret, hex, sent as ``Kelisim-Webhook-Signature:
v1=<hex>`` beside ``Kelisim-Webhook-Timestamp`` and ``Kelisim-Webhook-Id`` (the event id,
for idempotency). Signing the timestamp lets the receiver refuse a replayed old delivery
(:data:`TOLERANCE`); the ``v1=`` prefix leaves room for another scheme later, and several
``v1=`` values (comma-separated) may be sent.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Final

__all__ = ["ID_HEADER", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "TOLERANCE", "headers",
           "sign", "verify"]

ID_HEADER: Final = "Kelisim-Webhook-Id"
TIMESTAMP_HEADER: Final = "Kelisim-Webhook-Timestamp"
SIGNATURE_HEADER: Final = "Kelisim-Webhook-Signature"
# Seconds a receiver accepts between the signed timestamp and its own clock, either way.
TOLERANCE: Final = 300
# ASCII digits only: str.isdigit() also takes "²" (and int() then raises) and "١٧٠٠".
_TIMESTAMP: Final = re.compile(r"[0-9]{1,12}")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``v1`` signature (hex) of ``body`` sent at ``timestamp``."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def headers(secret: str, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one delivery attempt."""
    return {"Content-Type": "application/json", ID_HEADER: event_id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: f"v1={sign(secret, timestamp, body)}"}


def verify(secret: str, body: bytes, timestamp: str, signature: str, now: float,
           tolerance: int = TOLERANCE) -> bool:
    """Whether a delivery is genuine and fresh: one ``v1=`` value of ``signature`` matches
    (compared in constant time) and ``timestamp`` is within ``tolerance`` seconds of
    ``now``. What a receiver does (docs/webhooks.md has it standalone)."""
    if not _TIMESTAMP.fullmatch(timestamp) or abs(now - int(timestamp)) > tolerance:
        return False
    expected = sign(secret, int(timestamp), body)
    return any(part.strip().startswith("v1=")
               and hmac.compare_digest(part.strip()[3:], expected)
               for part in signature.split(","))
