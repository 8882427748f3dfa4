"""Trust: what the server signs and with which keys.

- :mod:`.keys`: Ed25519 key files (0600) and signing into DSSE envelopes;
- :mod:`.roots`: creating root v1 and rotating to N+1; :mod:`.rootstore`: the root in force;
- :mod:`.manifests`: building and signing manifests (the only writer of ``signed_manifests``);
- :mod:`.receipt_keys`: the receipt keys the root lists, and signing receipts.

Imports no Flask; raises only the :class:`server.errors.KelisimError` tree.
"""

__all__: list[str] = []
