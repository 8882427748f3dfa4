"""The root's optional transparency-log fields (docs/transparency.md): ``log`` ->
{``origin_prefix``, ``keys`` (note verifier keys)}, ``witnesses`` [{``name``, ``vkey``}] and
``witness_threshold`` (k of the witnesses must cosign a checkpoint; 0 by default).

A root without them is a root of before the log. An SDK older than them refuses a root that
has them (the root's grammar refuses unknown fields: the root is what every other check
trusts), so the server lists them in a new deployment's first root, and in an existing
one's only when the operator adds the log (``kelisim root rotate --new-role log``), once
the apps in the field read them.
"""

from __future__ import annotations

from client_sdk.errors import FormatError
from client_sdk.protocol.reader import Reader
from client_sdk.protocol.record import Record, record
from client_sdk.protocol.tlog.note import (
    SIG_COSIGNATURE,
    SIG_ED25519,
    NoteVerifier,
    is_key_name,
    parse_vkey,
)

__all__ = ["LOG_FIELDS", "LogSpec", "Witness", "log_fields"]

LOG_FIELDS = ("log", "witnesses", "witness_threshold")


@record
class LogSpec(Record):
    """The root's ``log``: the origins' common prefix and the log's note verifier keys."""

    origin_prefix: str
    keys: tuple[NoteVerifier, ...]


@record
class Witness(Record):
    """A witness the root names: its name and cosignature verifier key."""

    name: str
    vkey: NoteVerifier


def log_fields(r: Reader) -> tuple[LogSpec | None, tuple[Witness, ...], int]:
    log = None
    if "log" in r.data:
        lr = Reader(r.mapping("log"), "log")
        lr.only("origin_prefix", "keys")
        prefix = lr.string("origin_prefix")
        if not is_key_name(prefix) or prefix.endswith("/") or len(prefix) > 128:
            raise FormatError("must be a note key name (no space, no '+'), at most 128 "
                              "characters, not ending in '/'", field="log.origin_prefix")
        keys = []
        for i, item in enumerate(lr.array("keys")):
            vkey = _vkey(item, f"log.keys[{i}]")
            if vkey.sig_type != SIG_ED25519:
                raise FormatError("must be an Ed25519 (0x01) note key", field=f"log.keys[{i}]")
            keys.append(vkey)
        if not keys:
            raise FormatError("must list at least one key", field="log.keys")
        log = LogSpec(prefix, tuple(keys))
    witnesses: list[Witness] = []
    if "witnesses" in r.data:
        for i, item in enumerate(r.array("witnesses")):
            wr = Reader(item, f"witnesses[{i}]")
            wr.only("name", "vkey")
            vkey = _vkey(wr.string("vkey"), f"witnesses[{i}].vkey")
            if vkey.sig_type != SIG_COSIGNATURE or vkey.name != wr.string("name"):
                raise FormatError("must be a cosignature (0x04) key named like the witness",
                                  field=f"witnesses[{i}].vkey")
            witnesses.append(Witness(vkey.name, vkey))
    if len({w.name for w in witnesses}) != len(witnesses):
        raise FormatError("names a witness twice", field="witnesses")
    threshold = r.optional_integer("witness_threshold") or 0
    if threshold > len(witnesses):
        raise FormatError("is larger than the number of witnesses", field="witness_threshold")
    return log, tuple(witnesses), threshold


def _vkey(value: object, path: str) -> NoteVerifier:
    if not isinstance(value, str):
        raise FormatError("must be a verifier key string", field=path)
    try:
        return parse_vkey(value)
    except FormatError as exc:
        raise FormatError(str(exc), field=path) from None
