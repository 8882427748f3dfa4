"""client_sdk.protocol.ed25519: cryptography's verify and securesystemslib's pure-Python one (iOS)
give the same answer on good and bad signatures; client_sdk.protocol.digest's two SHA-256s give
hashlib's digest."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from client_sdk.protocol import digest, ed25519
from client_sdk.protocol.ed25519 import VerifyKey

BACKENDS = {"cryptography": ed25519._with_cryptography,
            "securesystemslib": ed25519._with_securesystemslib}


def _key() -> tuple[Ed25519PrivateKey, bytes]:
    private = Ed25519PrivateKey.generate()
    return private, private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_both_verifiers_accept_exactly_the_signed_bytes(backend: str) -> None:
    verify = BACKENDS[backend]()
    private, public = _key()
    data = b"DSSEv1 35 application/vnd.kelisim.root+json 2 {}"
    sig = private.sign(data)
    assert verify(public, sig, data) is True
    assert verify(public, sig, data + b" ") is False
    assert verify(public, bytes([sig[0] ^ 1]) + sig[1:], data) is False
    assert verify(public, sig[:-1], data) is False  # a signature of the wrong length
    assert verify(_key()[1], sig, data) is False  # another key


def test_a_key_is_32_bytes_and_compares_by_value() -> None:
    _, public = _key()
    assert VerifyKey("a", public) == VerifyKey("a", public)
    assert len({VerifyKey("a", public), VerifyKey("a", public)}) == 1
    with pytest.raises(ValueError, match="32 bytes"):
        VerifyKey("a", public[:31])


@pytest.mark.parametrize("backend", [digest._with_cryptography, digest._with_hashlib],
                         ids=["cryptography", "hashlib"])
def test_both_sha256s_are_hashlibs(backend: object) -> None:
    import hashlib
    import os

    sha = backend()  # type: ignore[operator]
    for data in (b"", b"abc", os.urandom(1), os.urandom(100_000)):
        assert sha(data) == hashlib.sha256(data).hexdigest()
    assert digest.sha256_hex(b"abc") == hashlib.sha256(b"abc").hexdigest()
