"""What a leaf of an app's consent log commits to (docs/transparency.md).

A record's *canonical bytes* are the canonical JSON (:func:`~client_sdk.protocol.jsonutil.
canonical_bytes`) of the fields the server's hash chain covers: every field of the record
(its ``id`` as ``record_id``), the install, and where and when the server put it (``seq``,
``server_time``, both in its receipt). Its leaf is the RFC 6962 leaf hash of
``salt || canonical bytes``, where ``salt`` is 32 random bytes the server drew for it: the
tiles are public, and without the salt nobody can test a guess of a record against them.
The device rebuilds the leaf from its own record, its receipt and the salt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from client_sdk.protocol.jsonutil import canonical_bytes
from client_sdk.protocol.records import RECORD_FIELD_NAMES
from client_sdk.protocol.tlog.merkle import leaf_hash

__all__ = ["CHAINED", "SALT_SIZE", "entry_fields", "record_leaf"]

SALT_SIZE: Final = 32
# The names of the fields the chain and the leaf cover (the order does not matter: the
# bytes are canonical JSON). A field added to the record changes what they cover.
CHAINED: Final = ("seq", "record_id", "install_id",
                  *(name for name in RECORD_FIELD_NAMES if name != "id"), "server_time")


def entry_fields(record: Mapping[str, Any], *, install_id: str, seq: int,
                 server_time: str) -> dict[str, Any]:
    """The chained fields of ``record`` (as the client sent it) stored at ``seq``."""
    out = {name: record[name] for name in RECORD_FIELD_NAMES if name != "id"}
    out.update(seq=seq, record_id=record["id"], install_id=install_id,
               server_time=server_time)
    return out


def record_leaf(salt: bytes, fields: Mapping[str, Any]) -> bytes:
    """The leaf hash of the record whose chained fields are ``fields``."""
    return leaf_hash(salt + canonical_bytes(dict(fields)))
