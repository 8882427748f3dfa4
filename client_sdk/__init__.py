"""Kelisim client SDK: verified policy manifests and an offline-first consent ledger.

This package imports neither Flask nor Kivy (``client_sdk.kivy`` is the one exception).
``client_sdk.testing`` holds ``MockTransport`` for apps' tests.
"""

from __future__ import annotations

from .client import ConsentClient, RefreshResult
from .decision import Change, ConsentState, Decision, Kind
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
    StoreLockedError,
    UsageError,
    WrongAppError,
)
from .ledger import LedgerRecord
from .model import Manifest, Root, Version
from .sync import SyncResult

__all__ = [
    "PAYLOAD_MANIFEST",
    "PAYLOAD_RECEIPT",
    "PAYLOAD_ROOT",
    "Change",
    "ConsentClient",
    "ConsentError",
    "ConsentState",
    "Decision",
    "DocumentMismatchError",
    "ExpiredError",
    "FormatError",
    "HttpTransport",
    "Kind",
    "LedgerRecord",
    "Manifest",
    "NetworkError",
    "OversizeError",
    "ParsedEnvelope",
    "RefreshResult",
    "RepositoryError",
    "Request",
    "Response",
    "RollbackError",
    "Root",
    "SignatureError",
    "SlowRetrievalError",
    "StorageError",
    "StoreLockedError",
    "SyncResult",
    "Transport",
    "UsageError",
    "Version",
    "WrongAppError",
    "parse_envelope",
    "verify_threshold",
]

_LAZY = {"HttpTransport", "Request", "Response", "Transport"}


def __getattr__(name: str) -> object:
    # The transport module imports http.client and ssl: loaded when first asked for, so
    # that an app's first frame does not wait for them.
    if name in _LAZY:
        from . import transport

        return getattr(transport, name)
    raise AttributeError(f"module 'client_sdk' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
