"""The consent logs' public files (C2SP tlog-tiles), served like manifests: from memory
when it can, by the fast path (server/serving/fastpath.py) and the front.

Under each app's prefix ``/v1/apps/<app>/log``: ``checkpoint`` (the newest signed
checkpoint) and ``tile/<L>/<N>[.p/<W>]`` (hashes only: the leaves' hashes at level 0,
complete subtrees' above; entry bundles are never public, the records being private).

- A full tile never changes: kept in a bounded LRU (``TILE_CACHE_BYTES``) and served with
  ``Cache-Control: public, max-age=31536000, immutable``.
- A partial tile is read each time (its width grows with the log; each width's bytes
  never change, but it is replaced by wider ones): ``SHORT`` (5 s).
- The checkpoint changes with every group commit that stores a record of the app, and as
  the witnesses cosign it (their cosignature lines follow the log's signature): held for
  CACHE_CHECK_INTERVAL (as the manifests' publish check), ``SHORT``.

The deployment's policy log (server/trust/policylog.py) is served the same way under
``/v1/policy-log``, as the log named ``POLICY_LOG`` (no app has that id), with its entry
bundles ``tile/entries/<N>[.p/<W>]`` too: its entries are hashes of signed roots and
manifests, public data.

A tile exists when its hashes do: the complete subtrees of the log (none of a tree the log
does not hold yet). Anything else is ``None`` (404 by the Flask view).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from sqlalchemy import text

from client_sdk.protocol import FormatError
from client_sdk.protocol.tlog.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    Tile,
    parse_entries_path,
    parse_tile_path,
)
from server.consent.witnessing import cosigned_note
from server.db import Database
from server.serving.blob import IMMUTABLE, Blob, Clock
from server.trust.policylog import POLICY_LOG, policy_entry_bundle

__all__ = ["CHECKPOINT_TYPE", "SHORT", "TILE_CACHE_BYTES", "TILE_TYPE", "LogFiles"]

SHORT = "public, max-age=5"
CHECKPOINT_TYPE = "text/plain; charset=utf-8"
TILE_TYPE = "application/octet-stream"
TILE_CACHE_BYTES = 32 * 1024 * 1024
_INT32 = 2**31 - 1  # indexes are stored as 32-bit integers (as the chain's seq)
_ENTRIES = -1  # the tile cache's "level" of an entry bundle (tile levels are 0 to 63)


def _etag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


class LogFiles:
    """One per worker process, beside :class:`~server.serving.published.Published`."""

    def __init__(self, db: Database, clock: Clock, check_interval: float,
                 cache_bytes: int = TILE_CACHE_BYTES) -> None:
        self.db = db
        self.clock = clock
        self.check_interval = check_interval
        self.cache_bytes = cache_bytes
        self._lock = threading.Lock()
        self._tiles: OrderedDict[tuple[str, int, int], Blob] = OrderedDict()
        self._tiles_bytes = 0
        self._checkpoints: dict[str, tuple[float, Blob]] = {}

    # -- memory only (the front's hand-off thread) ---------------------------------
    def cached(self, app_id: str, rest: str) -> Blob | None:
        if rest == "checkpoint":
            held = self._checkpoints.get(app_id)
            return held[1] if held is not None and self.clock.monotonic() < held[0] else None
        if rest.startswith("tile/entries/") and app_id == POLICY_LOG:
            try:
                tile = parse_entries_path(rest)
            except FormatError:
                return None
            return self._tiles.get((app_id, _ENTRIES, tile.index)) if tile.full else None
        if rest.startswith("tile/"):
            try:
                tile = parse_tile_path(rest)
            except FormatError:
                return None
            if tile.full:
                return self._tiles.get((app_id, tile.level, tile.index))
        return None

    # -- the fast path and the Flask views -----------------------------------------
    def lookup(self, app_id: str, rest: str) -> Blob | None:
        """The file ``rest`` (``checkpoint`` or a tile path) of ``app_id``'s log, or None.

        Raises:
            Unavailable: the database cannot answer.
        """
        if rest == "checkpoint":
            return self.checkpoint(app_id)
        if rest.startswith("tile/entries/"):  # the policy log's only: consent entries are private
            try:
                tile = parse_entries_path(rest)
            except FormatError:
                return None
            return self.policy_entries(tile) if app_id == POLICY_LOG else None
        try:
            tile = parse_tile_path(rest)
        except FormatError:
            return None
        return self.tile(app_id, tile)

    def policy_entries(self, tile: Tile) -> Blob | None:
        """The policy log's entry bundle of ``tile``'s leaves (public: hashes of signed
        roots and manifests), cached like a tile when full."""
        key = (POLICY_LOG, _ENTRIES, tile.index)
        if tile.full:
            cached = self._tiles.get(key)
            if cached is not None:
                return cached
        if tile.index * TILE_WIDTH + tile.width - 1 > _INT32:
            return None
        with self.db.session(readonly=True) as s:
            body = policy_entry_bundle(s, tile)
        if body is None:
            return None
        return self._keep(key, Blob.make(body, _etag(body), IMMUTABLE if tile.full else SHORT,
                                         TILE_TYPE), tile.full)

    def checkpoint(self, app_id: str) -> Blob | None:
        held = self._checkpoints.get(app_id)
        if held is not None and self.clock.monotonic() < held[0]:
            return held[1]
        with self.db.guard(writes=False), self.db.engine.connect() as conn:
            policy = app_id == POLICY_LOG
            newest = conn.execute(text(
                "SELECT size, note FROM policy_log_checkpoints ORDER BY size DESC LIMIT 1"
                if policy else "SELECT size, note FROM tlog_checkpoints WHERE app_id = :app "
                "ORDER BY size DESC LIMIT 1"), {} if policy else {"app": app_id}).first()
            if newest is None:
                return None
            lines = conn.execute(text(
                "SELECT line FROM policy_log_cosignatures WHERE size = :size" if policy else
                "SELECT line FROM tlog_cosignatures WHERE app_id = :app AND size = :size"),
                {"size": newest[0], **({} if policy else {"app": app_id})}).scalars().all()
        body = cosigned_note(bytes(newest[1]), [bytes(x) for x in lines])
        blob = Blob.make(body, _etag(body), SHORT, CHECKPOINT_TYPE)
        if len(self._checkpoints) < 10_000 or app_id in self._checkpoints:
            self._checkpoints[app_id] = (self.clock.monotonic() + self.check_interval, blob)
        return blob

    def tile(self, app_id: str, tile: Tile) -> Blob | None:
        key = (app_id, tile.level, tile.index)
        if tile.full:
            cached = self._tiles.get(key)
            if cached is not None:
                return cached
        level = TILE_HEIGHT * tile.level
        first = tile.index * TILE_WIDTH
        if level > 31 or first + tile.width - 1 > _INT32:
            return None
        with self.db.guard(writes=False), self.db.engine.connect() as conn:
            bounds = {"level": level, "first": first, "end": first + tile.width}
            hashes = conn.execute(text(
                "SELECT hash FROM policy_log_hashes WHERE level = :level AND idx >= :first "
                "AND idx < :end ORDER BY idx") if app_id == POLICY_LOG else text(
                "SELECT hash FROM tlog_hashes WHERE app_id = :app AND level = :level AND "
                "idx >= :first AND idx < :end ORDER BY idx"),
                bounds if app_id == POLICY_LOG else {"app": app_id, **bounds}
            ).scalars().all()
        if len(hashes) != tile.width:
            return None
        body = b"".join(bytes(h) for h in hashes)
        return self._keep(key, Blob.make(body, _etag(body), IMMUTABLE if tile.full else SHORT,
                                         TILE_TYPE), tile.full)

    def _keep(self, key: tuple[str, int, int], blob: Blob, full: bool) -> Blob:
        """A full tile's (or entry bundle's) blob, kept in the bounded LRU; a partial one
        is not kept (it is replaced by wider ones)."""
        if not full:
            return blob
        with self._lock:
            self._tiles[key] = blob
            self._tiles_bytes += len(blob.body)
            while self._tiles_bytes > self.cache_bytes and self._tiles:
                _, old = self._tiles.popitem(last=False)
                self._tiles_bytes -= len(old.body)
        return blob
