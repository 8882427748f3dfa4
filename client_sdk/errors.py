"""Errors raised by the Kelisim client SDK.

Every error the SDK raises on purpose is a :class:`ConsentError` or a :class:`UsageError`::

    ConsentError                    something outside the caller's code went wrong
    ├── RepositoryError             the server (or a bundle) sent data we must not trust
    │   ├── FormatError             not JSON, duplicate keys, a missing or mistyped field
    │   ├── SignatureError          too few valid signatures from the keys the root names
    │   ├── RollbackError           seq or root version lower than, or equal with other bytes
    │   ├── ExpiredError            the signed object's `expires` has passed
    │   ├── WrongAppError           a manifest for another app
    │   ├── DocumentMismatchError   a document whose length or sha256 differs from the manifest
    │   ├── OversizeError           a download larger than its cap
    │   └── ProofError              a transparency log's inclusion or consistency proof that
    │                               does not hold
    ├── NetworkError                the server could not be reached or answered an HTTP error
    │   └── SlowRetrievalError      a connect/read timeout or the overall deadline
    └── StorageError                the local SQLite store failed, or holds what the SDK
        │                           never writes (an empty file, a malformed row)
        └── StoreLockedError        another process held the store past the lock timeout
    UsageError (ValueError)         a programmer error: unknown purpose, accept with no manifest

Errors carry data (``url``, ``keyid``, ``expected``/``actual``) so that an app can log
them without parsing messages.
"""

from __future__ import annotations

__all__ = [
    "ConsentError",
    "DocumentMismatchError",
    "ExpiredError",
    "FormatError",
    "NetworkError",
    "OversizeError",
    "ProofError",
    "RepositoryError",
    "RollbackError",
    "SignatureError",
    "SlowRetrievalError",
    "StorageError",
    "StoreLockedError",
    "UsageError",
    "WrongAppError",
]


class ConsentError(Exception):
    """Base of every error the SDK raises about the world outside the caller's code."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url

    def __str__(self) -> str:
        if self.url:
            return f"{self.message} ({self.url})"
        return self.message


class RepositoryError(ConsentError):
    """Data from the server or a bundle that fails a trust or format rule."""


class FormatError(RepositoryError):
    """Malformed JSON, a duplicate key, a missing field or a field of the wrong type."""

    def __init__(self, message: str, *, field: str | None = None, url: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message, url=url)
        self.field = field


class SignatureError(RepositoryError):
    """The envelope lacks a threshold of valid signatures by the keys the root trusts."""

    def __init__(
        self,
        message: str,
        *,
        role: str,
        threshold: int,
        valid_keyids: tuple[str, ...] = (),
        url: str | None = None,
    ) -> None:
        super().__init__(message, url=url)
        self.role = role
        self.threshold = threshold
        self.valid_keyids = valid_keyids


class RollbackError(RepositoryError):
    """A version or seq lower than the trusted one, or the same one with other bytes."""

    def __init__(self, message: str, *, trusted: int, offered: int, url: str | None = None) -> None:
        super().__init__(message, url=url)
        self.trusted = trusted
        self.offered = offered


class ExpiredError(RepositoryError):
    """The signed object's ``expires`` is in the past."""

    def __init__(self, message: str, *, expires: str, url: str | None = None) -> None:
        super().__init__(message, url=url)
        self.expires = expires


class WrongAppError(RepositoryError):
    """A manifest signed for another app (mix-and-match)."""


class DocumentMismatchError(RepositoryError):
    """A document whose length or sha256 differs from what the manifest promises."""

    def __init__(self, message: str, *, expected: str, actual: str, url: str | None = None) -> None:
        super().__init__(message, url=url)
        self.expected = expected
        self.actual = actual


class OversizeError(RepositoryError):
    """A download larger than the cap set for it (endless data)."""

    def __init__(self, message: str, *, limit: int, url: str | None = None) -> None:
        super().__init__(message, url=url)
        self.limit = limit


class ProofError(RepositoryError):
    """A transparency log's Merkle proof that does not hold: ``kind`` is ``"inclusion"``
    (the entry is not in the signed tree) or ``"consistency"`` (the newer tree does not
    extend the older one: a fork or a rewritten history)."""

    def __init__(self, message: str, *, kind: str, url: str | None = None) -> None:
        super().__init__(message, url=url)
        self.kind = kind


class NetworkError(ConsentError):
    """The server could not be reached, or answered with an HTTP error status."""

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None) -> None:
        super().__init__(message, url=url)
        self.status = status


class SlowRetrievalError(NetworkError):
    """A connect or read timeout, or the overall deadline passed (slow retrieval attack)."""


class StorageError(ConsentError):
    """The local store could not be read or written."""


class StoreLockedError(StorageError):
    """Another process (or connection) held the store's lock longer than the lock timeout."""


class UsageError(ValueError):
    """A programmer error: the call can never succeed as written."""
