"""The SDK's machinery behind :class:`client_sdk.ConsentClient`.

Store and rows, updater and trust rules, sync, recording, the ledger, locale negotiation.
Free to change between releases: apps import nothing from here.
"""

__all__: list[str] = []
