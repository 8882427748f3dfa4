"""An app's transparency log with its entries, for the operator's auditors
(docs/transparency.md, "Entry bundles"): what ``kelisim consents export-log`` writes and
the console's entry-bundle download (owners and auditors) answers.

The public files (the checkpoint with its cosignatures and the hash tiles,
:func:`server.consent.tlog.public_files`) and, for the same tree size, the ``tlog-tiles``
entry bundles ``tile/entries/<N>[.p/<W>]``: entry ``i`` is the bytes leaf ``i`` hashes,
``salt || canonical bytes`` of chain row ``seq = i + 1`` (a consent record or a request of
the data subject; client_sdk/protocol/logentry.py), so its RFC 6962 leaf hash is the
leaf's, and any ``tlog-tiles`` client checks it against the public tiles. The entries are
personal data (pseudonymous records, requests): never public, and every export is in the
admin audit log.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from client_sdk.protocol.jsonutil import canonical_bytes
from client_sdk.protocol.logentry import entry_id
from client_sdk.protocol.tlog.tiles import (
    TILE_WIDTH,
    Tile,
    entries_path,
    entry_bundle,
)
from server.consent.chain import chain_rows
from server.consent.tlog import public_files
from server.errors import InvalidValue
from server.tlog_models import LogLeaf

__all__ = ["LogExport", "export_files", "export_tar"]


@dataclass
class LogExport:
    """What an export holds: the tree size of its checkpoint, and its entries by kind."""

    size: int = 0
    records: int = 0
    requests: int = 0


def _entries(session: Session, app_id: str, size: int, counts: LogExport
             ) -> Iterator[bytes]:
    """The first ``size`` entries of the app's log, in leaf order.

    Raises:
        InvalidValue: a leaf that is not its chain row's (``kelisim audit verify`` names
            what changed).
    """
    leaves = session.scalars(select(LogLeaf).where(LogLeaf.app_id == app_id,
                                                   LogLeaf.idx < size)
                             .order_by(LogLeaf.idx)).yield_per(1000)
    rows = chain_rows(session, app_id)
    for i, leaf in enumerate(leaves):
        found = next(rows, None)
        kind = "record" if found is None else found[1].get("entry", "record")
        if found is None or leaf.idx != i or found[0].seq != i + 1 or \
                (leaf.entry, leaf.record_id) != (kind, entry_id(found[1])):
            raise InvalidValue("app", f"{app_id}'s log does not match its chain at leaf {i}; "
                                      f"run `kelisim audit verify {app_id}`")
        if kind == "request":
            counts.requests += 1
        else:
            counts.records += 1
        yield bytes(leaf.salt) + canonical_bytes(found[1])
    if counts.records + counts.requests != size:
        raise InvalidValue("app", f"{app_id}'s log has fewer leaves than its checkpoint's "
                                  f"{size}; run `kelisim audit verify {app_id}`")


def export_files(session: Session, app_id: str, counts: LogExport | None = None,
                 size: int | None = None) -> Iterator[tuple[str, bytes]]:
    """The app's log as (path, bytes): ``checkpoint``, the hash tiles and the entry
    bundles, all of the newest checkpoint's size (or of its checkpoint of ``size``);
    nothing before the first checkpoint. ``counts`` is filled as the entries are read.
    Read it in one snapshot (``Database.one_snapshot``): the server appends meanwhile."""
    counts = counts if counts is not None else LogExport()
    for path, data in public_files(session, app_id, size):
        if path == "checkpoint":
            counts.size = int(data.split(b"\n")[1])
        yield path, data
    size = counts.size
    bundle: list[bytes] = []
    for i, entry in enumerate(_entries(session, app_id, size, counts)):
        bundle.append(entry)
        if len(bundle) == TILE_WIDTH or i == size - 1:
            tile = Tile(0, i // TILE_WIDTH, len(bundle))
            yield entries_path(tile), entry_bundle(bundle)
            bundle = []


class _Sink:
    """Where a streaming tar writes: its chunks, taken by :func:`export_tar` as they come."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> list[bytes]:
        out, self.chunks = self.chunks, []
        return out


def export_tar(session: Session, app_id: str, counts: LogExport | None = None,
               size: int | None = None) -> Iterator[bytes]:
    """:func:`export_files` as a gzipped tar stream (``<app>-log/checkpoint``,
    ``<app>-log/tile/...``), a file at a time: a log of a million records is never held
    whole in memory."""
    sink = _Sink()
    with tarfile.open(fileobj=sink, mode="w|gz") as tar:  # type: ignore[call-overload]
        for path, data in export_files(session, app_id, counts, size):
            info = tarfile.TarInfo(f"{app_id}-log/{path}")
            info.size, info.mode = len(data), 0o600
            tar.addfile(info, io.BytesIO(data))
            yield from sink.take()
    yield from sink.take()
