"""What a leaf of an app's consent log commits to (docs/transparency.md).

A record's *canonical bytes* are the canonical JSON (:func:`~client_sdk.protocol.jsonutil.
canonical_bytes`) of the fields the server's hash chain covers: every field of the record
(its ``id`` as ``record_id``), the install, and where and when the server put it (``seq``,
``server_time``, both in its receipt). Its leaf is the RFC 6962 leaf hash of
``salt || canonical bytes``, where ``salt`` is 32 random bytes the server drew for it: the
tiles are public, and without the salt nobody can test a guess of a record against them.
The device rebuilds the leaf from its own record, its receipt and the salt.

A request of the data subject (access, rectification, blocking, deletion) is a leaf of the
same log, at its own place in the same chain: its fields (:data:`REQUEST_CHAINED`) are
those its signed ``request`` receipt holds (the note as its sha256, so that a proof file
does not carry the user's words, though a short or predictable note can be guessed from
its hash), ``"entry": "request"`` (a key no record has: a request's bytes can never be
read as a record's), where the server put it (``seq``: its leaf index + 1,
``server_time``) and its deadline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from client_sdk.protocol.jsonutil import canonical_bytes
from client_sdk.protocol.receipts import note_digest
from client_sdk.protocol.records import RECORD_FIELD_NAMES
from client_sdk.protocol.tlog.merkle import leaf_hash

__all__ = ["CHAINED", "REQUEST_CHAINED", "REQUEST_ENTRY", "SALT_SIZE", "entry_fields",
           "entry_id", "record_leaf", "request_fields"]

SALT_SIZE: Final = 32
# The names of the fields the chain and the leaf cover (the order does not matter: the
# bytes are canonical JSON). A field added to the record changes what they cover.
CHAINED: Final = ("seq", "record_id", "install_id",
                  *(name for name in RECORD_FIELD_NAMES if name != "id"), "server_time")


REQUEST_ENTRY: Final = "request"
# The fields a request's chain hash and leaf cover.
REQUEST_CHAINED: Final = ("entry", "seq", "request_id", "install_id", "kind", "client_time",
                          "withdraw", "note_sha256", "server_time", "deadline")


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


def request_fields(*, request_id: str, install_id: str, kind: str, client_time: str,
                   withdraw: bool | None, note: str | None, seq: int, server_time: str,
                   deadline: str) -> dict[str, Any]:
    """The chained fields of a request stored at ``seq`` (``note``: the user's text, or
    None; its sha256 is what is covered)."""
    return {"entry": REQUEST_ENTRY, "seq": seq, "request_id": request_id,
            "install_id": install_id, "kind": kind, "client_time": client_time,
            "withdraw": withdraw,
            "note_sha256": note_digest(note),
            "server_time": server_time, "deadline": deadline}


def entry_id(fields: Mapping[str, Any]) -> str:
    """The id of the record or request whose chained fields are ``fields``."""
    return str(fields["request_id"] if fields.get("entry") == REQUEST_ENTRY
               else fields["record_id"])
