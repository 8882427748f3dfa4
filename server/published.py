"""What the server publishes, kept ready as bytes in each worker.

Nothing here is computed per request: signed envelopes and documents are read once from
the database and served from memory. A worker asks the database for the publish
generation at most every CACHE_CHECK_INTERVAL seconds, so a publish (on any worker or any
host sharing the database) is visible everywhere within that interval.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from client_sdk.timeutil import parse_time, utcnow

from .db import Database
from .manifests import SigningError, Timing, etag_for, latest_manifest, sign_manifest
from .models import Document, Generation, RootVersion

__all__ = ["Blob", "Published"]

log = logging.getLogger(__name__)

JSON = "application/json"
MARKDOWN = "text/markdown; charset=utf-8"
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Blob:
    """A ready response: body and prebuilt header lists for 200 and 304."""

    body: bytes
    etag: str
    cache_control: str
    content_type: str
    refresh_at: float = float("inf")  # epoch seconds after which the blob must be rebuilt
    headers_200: list[tuple[str, str]] = field(default_factory=list, compare=False)
    headers_304: list[tuple[str, str]] = field(default_factory=list, compare=False)

    @classmethod
    def make(cls, body: bytes, etag: str, cache_control: str, content_type: str,
             refresh_at: float = float("inf")) -> Blob:
        common = [("ETag", etag), ("Cache-Control", cache_control),
                  ("X-Content-Type-Options", "nosniff"), ("Access-Control-Allow-Origin", "*")]
        return cls(body, etag, cache_control, content_type, refresh_at,
                   [("Content-Type", content_type), ("Content-Length", str(len(body))), *common],
                   common)


_MISSING = object()


class Published:
    def __init__(self, db: Database, keys_dir: Path, timing: Timing, *, manifest_max_age: int,
                 root_max_age: int, check_interval: float, document_cache_bytes: int) -> None:
        self.db = db
        self.keys_dir = keys_dir
        self.timing = timing
        self.manifest_cc = f"public, max-age={manifest_max_age}"
        self.root_cc = f"public, max-age={root_max_age}"
        self.check_interval = check_interval
        self.document_cache_bytes = document_cache_bytes
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._checked = 0.0
        self._manifests: dict[str, object] = {}
        self._roots: dict[int, object] = {}
        self._latest_root: Blob | None = None
        self._docs: OrderedDict[str, Blob] = OrderedDict()
        self._docs_bytes = 0
        self._doc_misses: set[str] = set()

    # -- freshness ---------------------------------------------------------------------
    def _check(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.check_interval:
            return
        with self._lock:
            if now - self._checked < self.check_interval:
                return
            with self.db.session(readonly=True) as s:
                gen = s.scalar(select(Generation.value).where(Generation.id == 1))
            if gen != self._generation:
                self._manifests = {}
                self._roots = {}
                self._latest_root = None
                self._doc_misses = set()
                self._generation = gen
            self._checked = time.monotonic()

    def invalidate(self) -> None:
        """Forget everything but documents (they never change); next request re-reads."""
        with self._lock:
            self._checked = 0.0
            self._generation = None

    # -- lookups -----------------------------------------------------------------------
    def manifest(self, app_id: str, now: datetime | None = None) -> Blob | None:
        self._check()
        blob = self._manifests.get(app_id)
        wall = time.time() if now is None else now.timestamp()
        if isinstance(blob, Blob) and wall < blob.refresh_at:
            return blob
        if blob is _MISSING:
            return None
        return self._load_manifest(app_id, now)

    def _load_manifest(self, app_id: str, now: datetime | None) -> Blob | None:
        moment = now or utcnow()
        with self.db.session(readonly=True) as s:
            row = latest_manifest(s, app_id)
        if row is None:
            self._manifests[app_id] = _MISSING
            return None
        if parse_time(row.refresh_at) <= moment:
            try:
                with self.db.session() as s:
                    sign_manifest(s, app_id, self.keys_dir, moment, self.timing,
                                  expect_seq=row.seq)
                    row = latest_manifest(s, app_id) or row
            except SigningError as exc:
                # Serve the last signed manifest; clients see it until it expires.
                log.error("cannot re-sign manifest of %s: %s", app_id, exc)
        blob = Blob.make(row.envelope, row.etag, self.manifest_cc, JSON,
                         parse_time(row.refresh_at).timestamp())
        self._manifests[app_id] = blob
        return blob

    def root(self, version: int | None = None) -> Blob | None:
        self._check()
        if version is None:
            if self._latest_root is not None:
                return self._latest_root
        else:
            cached = self._roots.get(version)
            if isinstance(cached, Blob):
                return cached
            if cached is _MISSING:
                return None
        with self.db.session(readonly=True) as s:
            q = select(RootVersion)
            q = (q.where(RootVersion.version == version) if version is not None
                 else q.order_by(RootVersion.version.desc()).limit(1))
            row = s.scalars(q).first()
        if row is None:
            if version is not None:
                self._roots[version] = _MISSING
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
            if len(self._doc_misses) > 10_000:
                self._doc_misses.clear()
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

