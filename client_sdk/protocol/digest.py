"""SHA-256 for the SDK: cryptography's when it is installed (the SDK loads it anyway, to
verify Ed25519 signatures), else hashlib's (iOS has no ``cryptography``).

Python's ``hashlib`` loads the system's OpenSSL (libcrypto) when first imported: 3-4 ms
of an app's launch, for a few hashes of its bundle and pinned root, while ``cryptography``
brings an OpenSSL of its own for the signatures. The digests are the same bytes either way
(tests/test_ed25519.py).
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["sha256_hex"]

_impl: Callable[[bytes], str] | None = None


def _with_cryptography() -> Callable[[bytes], str]:
    from cryptography.hazmat.primitives.hashes import SHA256, Hash

    def digest(data: bytes) -> str:
        h = Hash(SHA256())
        h.update(data)
        return h.finalize().hex()

    return digest


def _with_hashlib() -> Callable[[bytes], str]:
    import hashlib

    def digest(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    return digest


def sha256_hex(data: bytes) -> str:
    """The lower-case hex SHA-256 of ``data``."""
    global _impl
    if _impl is None:
        try:
            _impl = _with_cryptography()
        except ImportError:
            _impl = _with_hashlib()
    return _impl(data)
