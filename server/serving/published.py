"""What the server publishes, kept ready as bytes in each worker.

Nothing here is computed per request: signed envelopes and documents are read once from
the database and served from memory. A worker asks the database for the publish
generation at most every CACHE_CHECK_INTERVAL seconds, so a publish (on any worker or any
host sharing the database) is visible everywhere within that interval.

When the database is unavailable, what is held keeps being served (clients trust the
signatures, not the freshness of this check): a failed check is tried again an interval
later, a manifest due for re-signing is served as last signed (it stays valid until its
``expires``), and only what was never loaded answers ``DatabaseUnavailable`` (503). While
one thread checks, the others serve what is held rather than queue behind it.

Every cache is bounded: hits by what the database holds (apps, root versions) or by
DOCUMENT_CACHE_BYTES, misses (unknown apps, root versions, documents: any client can ask
for as many as it likes) by an LRU of MISS_CACHE_ENTRIES names each.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable
from datetime import UTC, datetime
from pathlib import Path
from typing import Generic, TypeVar

from sqlalchemy import select

from client_sdk.protocol.policylog import POLICY_PROOF_HEADER
from client_sdk.protocol.timeutil import parse_time
from server.db import Database
from server.errors import Unavailable
from server.models import Document, Generation, RootVersion
from server.policylog_models import PolicyLogEntry
from server.serving.blob import IMMUTABLE, Blob, Clock, SystemClock
from server.serving.logfiles import LogFiles
from server.trust.manifests import SigningError, Timing, etag_for, latest_manifest, sign_manifest

__all__ = ["MISS_CACHE_ENTRIES", "Blob", "Clock", "Published", "SystemClock"]

log = logging.getLogger(__name__)

JSON = "application/json"
MARKDOWN = "text/markdown; charset=utf-8"
PROOF = "text/plain; charset=utf-8"
# Names remembered as missing, per kind, per worker: enough for every typo a real client
# makes, small enough that a scan of random names costs at most a few hundred kB.
MISS_CACHE_ENTRIES = 4096

K = TypeVar("K", bound=Hashable)


class Misses(Generic[K]):
    """A bounded set of names known to be missing; the least recently added go first."""

    def __init__(self, limit: int = MISS_CACHE_ENTRIES) -> None:
        self.limit = limit
        self._lock = threading.Lock()  # worker threads add concurrently
        self._names: OrderedDict[K, None] = OrderedDict()

    def __contains__(self, name: K) -> bool:
        return name in self._names

    def __len__(self) -> int:
        return len(self._names)

    def add(self, name: K) -> None:
        with self._lock:
            self._names[name] = None
            self._names.move_to_end(name)
            while len(self._names) > self.limit:
                self._names.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._names.clear()


class Published:
    def __init__(self, db: Database, keys_dir: Path, timing: Timing, *, manifest_max_age: int,
                 root_max_age: int, check_interval: float, document_cache_bytes: int,
                 clock: Clock | None = None, miss_limit: int = MISS_CACHE_ENTRIES) -> None:
        self.db = db
        self.keys_dir = keys_dir
        self.timing = timing
        self.manifest_cc = f"public, max-age={manifest_max_age}"
        self.root_cc = f"public, max-age={root_max_age}"
        self.check_interval = check_interval
        self.document_cache_bytes = document_cache_bytes
        self.clock: Clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._checking = threading.Lock()
        self._generation: int | None = None
        # Monotonic time until which the last generation check holds.
        self._fresh_until = float("-inf")
        self._manifests: dict[str, Blob] = {}
        # Each manifest's tlog-proof in the policy log (also in its answer's header).
        self._proofs: dict[str, Blob] = {}
        self._roots: dict[int, Blob] = {}
        self._latest_root: Blob | None = None
        self._docs: OrderedDict[str, Blob] = OrderedDict()
        self._docs_bytes = 0
        self.miss_limit = miss_limit
        self._manifest_misses: Misses[str] = Misses(miss_limit)
        self._root_misses: Misses[int] = Misses(miss_limit)
        self._doc_misses: Misses[str] = Misses(miss_limit)
        # The consent logs' checkpoints and tiles (server/serving/logfiles.py).
        self.logs = LogFiles(db, self.clock, check_interval)

    # -- freshness ---------------------------------------------------------------------
    def fresh(self) -> bool:
        """Whether the last generation check is recent enough to answer from memory."""
        return self.clock.monotonic() < self._fresh_until

    def _check(self) -> None:
        """Ask the database for the publish generation, when the last answer is older
        than the interval.

        Raises:
            Unavailable: the database cannot answer and nothing was ever loaded.
        """
        if self.fresh():
            return
        # Someone else is checking: serve what is held meanwhile (unless nothing is).
        if not self._checking.acquire(blocking=self._generation is None):
            return
        try:
            if self.fresh():
                return
            try:
                with self.db.session(readonly=True) as s:
                    gen = s.scalar(select(Generation.value).where(Generation.id == 1))
            except Unavailable:
                if self._generation is None:
                    raise
                # Keep what is held; the database is asked again an interval later.
                self._fresh_until = self.clock.monotonic() + self.check_interval
                return
            with self._lock:
                self._apply(gen)
        finally:
            self._checking.release()

    def _apply(self, gen: int | None) -> None:
        if gen != self._generation:
            self._manifests = {}
            self._proofs = {}
            self._roots = {}
            self._latest_root = None
            self._manifest_misses.clear()
            self._root_misses.clear()
            self._doc_misses.clear()
            self._generation = gen
        self._fresh_until = self.clock.monotonic() + self.check_interval

    def invalidate(self) -> None:
        """Forget everything but documents (they never change); next request re-reads."""
        with self._lock:
            self._fresh_until = float("-inf")
            self._generation = None

    def cache_sizes(self) -> dict[str, int]:
        """Entries held per cache (for tests and operators)."""
        return {"manifests": len(self._manifests), "manifest_misses": len(self._manifest_misses),
                "roots": len(self._roots), "root_misses": len(self._root_misses),
                "documents": len(self._docs), "document_misses": len(self._doc_misses)}

    # -- answers from memory only (granian's hand-off thread and the event loop call these)
    def cached_manifest(self, app_id: str) -> Blob | None:
        """The manifest if it can be served without any I/O, else None."""
        blob = self._manifests.get(app_id)
        clock = self.clock
        if blob is not None and clock.monotonic() < self._fresh_until \
                and clock.time() < blob.refresh_at:
            return blob
        return None

    def cached_manifest_proof(self, app_id: str) -> Blob | None:
        """The manifest's policy-log proof if memory alone can answer, else None."""
        return self._proofs.get(app_id) if self.cached_manifest(app_id) is not None else None

    def cached_root(self, version: int | None = None) -> Blob | None:
        if not self.fresh():
            return None
        return self._latest_root if version is None else self._roots.get(version)

    def cached_document(self, sha256: str) -> Blob | None:
        return self._docs.get(sha256)

    # -- lookups -----------------------------------------------------------------------
    def manifest(self, app_id: str, now: datetime | None = None) -> Blob | None:
        self._check()
        blob = self._manifests.get(app_id)
        wall = self.clock.time() if now is None else now.timestamp()
        if blob is not None and wall < blob.refresh_at:
            return blob
        if app_id in self._manifest_misses:
            return None
        try:
            return self._load_manifest(app_id, now or datetime.fromtimestamp(wall, UTC))
        except Unavailable:
            if blob is None:
                raise
            return blob  # due for re-signing, still valid until it expires

    def _load_manifest(self, app_id: str, moment: datetime) -> Blob | None:
        with self.db.session(readonly=True) as s:
            row = latest_manifest(s, app_id)
        if row is None:
            self._manifest_misses.add(app_id)
            return None
        refresh_at = parse_time(row.refresh_at).timestamp()
        if parse_time(row.refresh_at) <= moment:
            try:
                with self.db.session() as s:
                    sign_manifest(s, app_id, self.keys_dir, moment, self.timing,
                                  expect_seq=row.seq)
                    row = latest_manifest(s, app_id) or row
                refresh_at = parse_time(row.refresh_at).timestamp()
            except SigningError as exc:
                # Serve the last signed manifest; clients see it until it expires.
                log.error("cannot re-sign manifest of %s: %s", app_id, exc)
            except Unavailable:
                # The same, without a line per request (the database logged the outage);
                # tried again an interval later.
                refresh_at = moment.timestamp() + self.check_interval
        extra = []
        with self.db.session(readonly=True) as s:
            proof = s.scalar(select(PolicyLogEntry.proof).where(
                PolicyLogEntry.kind == "manifest", PolicyLogEntry.app_id == app_id,
                PolicyLogEntry.number == row.seq))
        if proof is not None:
            # Computed when it was signed (server/trust/policylog.py): nothing per request.
            extra = [(POLICY_PROOF_HEADER, base64.b64encode(proof).decode("ascii"))]
            self._proofs[app_id] = Blob.make(bytes(proof), etag_for(bytes(proof)),
                                             self.manifest_cc, PROOF, refresh_at)
        else:
            self._proofs.pop(app_id, None)
        blob = Blob.make(row.envelope, row.etag, self.manifest_cc, JSON, refresh_at, extra)
        self._manifests[app_id] = blob
        return blob

    def manifest_proof(self, app_id: str) -> Blob | None:
        """The served manifest's tlog-proof in the policy log (``manifest.proof``)."""
        return self._proofs.get(app_id) if self.manifest(app_id) is not None else None

    def root(self, version: int | None = None) -> Blob | None:
        self._check()
        if version is None:
            if self._latest_root is not None:
                return self._latest_root
        else:
            cached = self._roots.get(version)
            if cached is not None:
                return cached
            if version in self._root_misses:
                return None
        with self.db.session(readonly=True) as s:
            q = select(RootVersion)
            q = (q.where(RootVersion.version == version) if version is not None
                 else q.order_by(RootVersion.version.desc()).limit(1))
            row = s.scalars(q).first()
        if row is None:
            if version is not None:
                self._root_misses.add(version)
            return None
        blob = Blob.make(row.envelope, etag_for(row.envelope),
                         IMMUTABLE if version is not None else self.root_cc, JSON)
        if version is None:
            self._latest_root = blob
        else:
            self._roots[version] = blob
        return blob

    def document(self, sha256: str) -> Blob | None:
        blob = self._docs.get(sha256)
        if blob is not None:
            return blob
        self._check()
        if sha256 in self._doc_misses:
            return None
        with self.db.session(readonly=True) as s:
            row = s.get(Document, sha256)
            content = row.content if row is not None else None
        if content is None:
            self._doc_misses.add(sha256)
            return None
        blob = Blob.make(content, f'"{sha256}"', IMMUTABLE, MARKDOWN)
        with self._lock:
            self._docs[sha256] = blob
            self._docs_bytes += len(content)
            while self._docs_bytes > self.document_cache_bytes and len(self._docs) > 1:
                _, old = self._docs.popitem(last=False)
                self._docs_bytes -= len(old.body)
        return blob

