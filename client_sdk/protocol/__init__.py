"""What the server shares with the SDK, and the only part of the SDK the server imports.

Envelopes (:mod:`.envelope`), Ed25519 (:mod:`.ed25519`), SHA-256 (:mod:`.digest`), strict
and canonical JSON (:mod:`.jsonutil`), the grammars (:mod:`.grammar`), the signed model
(:mod:`.model`, read through :mod:`.reader`, built of :mod:`.record` values), the consent
rules (:mod:`.rules`), receipts (:mod:`.receipts`), the app bundle (:mod:`.bundle`) and time
(:mod:`.timeutil`). Pure: bytes and values in, no I/O.
"""

__all__: list[str] = []
