"""Kelisim client SDK: verified policy manifests and an offline-first consent ledger.

This package imports neither Flask nor Kivy (``client_sdk.kivy`` is the one exception).
"""

from __future__ import annotations

from .envelope import (
    PAYLOAD_MANIFEST,
    PAYLOAD_RECEIPT,
    PAYLOAD_ROOT,
    ParsedEnvelope,
    parse_envelope,
    verify_threshold,
)
from .errors import (
    ConsentError,
    DocumentMismatchError,
    ExpiredError,
    FormatError,
    NetworkError,
    OversizeError,
    RepositoryError,
    RollbackError,
    SignatureError,
    SlowRetrievalError,
    StorageError,
    UsageError,
    WrongAppError,
)
from .model import Manifest, Root, Version

__all__ = [
    "PAYLOAD_MANIFEST",
    "PAYLOAD_RECEIPT",
    "PAYLOAD_ROOT",
    "ConsentError",
    "DocumentMismatchError",
    "ExpiredError",
    "FormatError",
    "Manifest",
    "NetworkError",
    "OversizeError",
    "ParsedEnvelope",
    "RepositoryError",
    "RollbackError",
    "Root",
    "SignatureError",
    "SlowRetrievalError",
    "StorageError",
    "UsageError",
    "Version",
    "WrongAppError",
    "parse_envelope",
    "verify_threshold",
]
