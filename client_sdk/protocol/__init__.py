"""What the server shares with the SDK, and the only part of the SDK the server imports.

Envelopes (:mod:`.envelope`), Ed25519 (:mod:`.ed25519`), SHA-256 (:mod:`.digest`), strict
and canonical JSON (:mod:`.jsonutil`), the grammars (:mod:`.grammar`), the signed model
(:mod:`.model`, read through :mod:`.reader`, built of :mod:`.record` values), the consent
rules (:mod:`.rules`), receipts (:mod:`.receipts`), the app bundle (:mod:`.bundle`), time
(:mod:`.timeutil`) and transparency logs (:mod:`.tlog`: C2SP checkpoints, tiles and proofs).
Pure: bytes and values in, no I/O.

The errors these raise are the SDK's public ones (:mod:`client_sdk.errors`), re-exported
here so that the server reaches them through this package alone.
"""

from client_sdk.errors import ConsentError, FormatError, ProofError, SignatureError

__all__ = ["ConsentError", "FormatError", "ProofError", "SignatureError"]
