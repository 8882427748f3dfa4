"""Kelisim client SDK: verified policy manifests and an offline-first consent ledger.

This package imports neither Flask nor Kivy (``client_sdk.kivy`` is the one exception).
``client_sdk.testing`` holds ``MockTransport`` for apps' tests.
"""

from __future__ import annotations

import importlib
import typing

from client_sdk._internal.ledger import LedgerRecord
from client_sdk.client import ConsentClient, RefreshResult
from client_sdk.decision import Change, ConsentState, Decision, GrantChange, Kind
from client_sdk.errors import (
    ConsentError,
    DocumentMismatchError,
    ExpiredError,
    FormatError,
    NetworkError,
    OversizeError,
    ProofError,
    RepositoryError,
    RollbackError,
    SignatureError,
    SlowRetrievalError,
    StorageError,
    StoreLockedError,
    UsageError,
    WrongAppError,
)
from client_sdk.protocol.envelope import (
    PAYLOAD_MANIFEST,
    PAYLOAD_RECEIPT,
    PAYLOAD_ROOT,
    ParsedEnvelope,
    parse_envelope,
    verify_threshold,
)
from client_sdk.protocol.model import Manifest, Root, Version
from client_sdk.requests import REQUEST_KINDS, DataExport, DataRequest

if typing.TYPE_CHECKING:
    from client_sdk._internal.logsync import LogEvidence
    from client_sdk._internal.sync import SyncResult
    from client_sdk.protocol.prooffile import ProvenRecord, verify_proof_file
    from client_sdk.transport import HttpTransport, Request, Response, Transport

__all__ = [
    "PAYLOAD_MANIFEST",
    "PAYLOAD_RECEIPT",
    "PAYLOAD_ROOT",
    "REQUEST_KINDS",
    "Change",
    "ConsentClient",
    "ConsentError",
    "ConsentState",
    "DataExport",
    "DataRequest",
    "Decision",
    "DocumentMismatchError",
    "ExpiredError",
    "FormatError",
    "GrantChange",
    "HttpTransport",
    "Kind",
    "LedgerRecord",
    "LogEvidence",
    "Manifest",
    "NetworkError",
    "OversizeError",
    "ParsedEnvelope",
    "ProofError",
    "ProvenRecord",
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
    "verify_proof_file",
    "verify_threshold",
]

# Loaded when first asked for, so that an app's first frame does not wait for them: the
# transport imports http.client and ssl; sync is needed only once there is a decision.
_LAZY = {"HttpTransport": "transport", "Request": "transport", "Response": "transport",
         "Transport": "transport", "SyncResult": "_internal.sync",
         "LogEvidence": "_internal.logsync",
         "verify_proof_file": "protocol.prooffile", "ProvenRecord": "protocol.prooffile"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'client_sdk' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
