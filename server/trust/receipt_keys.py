"""Receipt keys: the keys the root in force names for signing receipts.

Loaded once per root version and process: every batch signs receipts, and reading and
parsing key files each time costs.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.errors import KeyFileError, ReceiptKeyUnavailable
from server.models import RootVersion
from server.trust.keys import SigningKey, find_key
from server.trust.roots import current_root

__all__ = ["receipt_keys", "receipt_keys_of"]

_KEY_CACHE: dict[tuple[Path, int], list[SigningKey]] = {}


def receipt_keys(session: Session, keys_dir: Path) -> list[SigningKey]:
    """The receipt keys the newest root names, loaded once per root version and process
    (every batch signs a receipt; reading and parsing key files each time costs)."""
    return receipt_keys_of(session, keys_dir,
                           session.scalar(select(func.max(RootVersion.version))))


def receipt_keys_of(session: Session, keys_dir: Path, version: int | None
                    ) -> list[SigningKey]:
    """:func:`receipt_keys` of root ``version``, the newest (the caller read it)."""
    if version is None:
        raise ReceiptKeyUnavailable("the server has no root yet")
    cached = _KEY_CACHE.get((keys_dir, version))
    if cached is not None:
        return cached
    root = current_root(session)
    assert root is not None
    role = root.root.roles["receipt"]
    try:
        found = [k for k in (find_key(kid, [keys_dir]) for kid in role.keyids) if k is not None]
    except KeyFileError as exc:  # e.g. a key file others can read: the operator's to fix
        logging.getLogger(__name__).error("receipt key: %s", exc)
        found = []
    if len(found) < role.threshold:
        raise ReceiptKeyUnavailable()
    _KEY_CACHE[(keys_dir, version)] = found[: role.threshold]
    return found[: role.threshold]
