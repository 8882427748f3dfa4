"""Ed25519 verification keys: ``cryptography`` where it imports, else securesystemslib's
pure-Python verifier (iOS has no ``cryptography``).

Both are what securesystemslib's ``SSlibKey`` itself runs for an ed25519 key; this module
only spares an app's launch the import of securesystemslib's whole signer package (every
cloud and hardware signer, about 30 ms) when ``cryptography`` is there. Trust rule code: no
I/O; a signature that does not verify, for whatever reason, is simply not valid.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["VerifyKey"]

_Verify = Callable[[bytes, bytes, bytes], bool]
_verify: _Verify | None = None


def _with_cryptography() -> _Verify:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    def verify(public: bytes, signature: bytes, data: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
        except (InvalidSignature, ValueError):
            return False
        return True

    return verify


def _with_securesystemslib() -> _Verify:
    from securesystemslib.exceptions import UnverifiedSignatureError, VerificationError
    from securesystemslib.signer import Signature, SSlibKey

    def verify(public: bytes, signature: bytes, data: bytes) -> bool:
        key = SSlibKey("k", "ed25519", "ed25519", {"public": public.hex()})
        try:
            key.verify_signature(Signature("k", signature.hex()), data)
        except (UnverifiedSignatureError, VerificationError):
            return False
        return True

    return verify


def _verifier() -> _Verify:
    global _verify
    if _verify is None:
        try:
            _verify = _with_cryptography()
        except ImportError:
            _verify = _with_securesystemslib()
    return _verify


class VerifyKey:
    """An Ed25519 public key (``public``: 32 bytes) known by ``keyid``."""

    __slots__ = ("keyid", "public")

    def __init__(self, keyid: str, public: bytes) -> None:
        if len(public) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")
        self.keyid = keyid
        self.public = public

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Whether ``signature`` is this key's over exactly ``data``."""
        return _verifier()(self.public, signature, data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VerifyKey) and (self.keyid, self.public) == \
            (other.keyid, other.public)

    def __hash__(self) -> int:
        return hash((self.keyid, self.public))

    def __repr__(self) -> str:
        return f"VerifyKey({self.keyid!r}, {self.public.hex()!r})"
