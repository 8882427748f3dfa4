"""What the views and commands share: :class:`Kelisim`, and :func:`kelisim` to reach it.

One object per app (``app.extensions["kelisim"]``) carries the typed settings, the database,
the published-object cache, the rate limiter, the clock and the worker's group commit, so
that no view reads a string-keyed extension of its own. Tests set :attr:`Kelisim.clock` to
move time without waiting for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app

from client_sdk.protocol.timeutil import utcnow
from server.config import Settings
from server.db import Database
from server.trust.manifests import Timing

if TYPE_CHECKING:
    from server.consent.groupcommit import GroupCommit
    from server.consent.ingest import AppendBatch
    from server.http.ratelimit import RateLimiter
    from server.http.tokens import TokenService
    from server.node import Readiness
    from server.serving.published import Published

__all__ = ["TOO_LARGE_KEY", "Kelisim", "kelisim"]

# The console's forms have their own body limit (ADMIN_MAX_BODY_BYTES), and a body over it
# gets the console's own 413 page, not the API's JSON: the front (server.serving.front)
# passes the request on without its body, its environ marked with this key (the limit),
# and closes the connection after the answer.
TOO_LARGE_KEY = "kelisim.body_too_large"


@dataclass
class Kelisim:
    """What the views and commands share: configuration, database, keys, cache."""

    settings: Settings
    db: Database
    published: Published
    limiter: RateLimiter | None = None
    # The wall clock every view and the console read (tests replace it).
    clock: Callable[[], datetime] = utcnow
    # One per worker process, made on first use (after the fork).
    group: GroupCommit | None = field(default=None, repr=False)
    append: AppendBatch | None = field(default=None, repr=False)
    # /healthz's checks, made on first use (tests set its interval to 0).
    readiness: Readiness | None = field(default=None, repr=False)
    # The install-token service, made on first use: its signer class and serializer cost
    # about 3 % of a one-record ingest's CPU when made per request.
    # (the settings it was made with, the service), replaced as one.
    tokens: tuple[tuple[object, ...], TokenService] | None = field(default=None, repr=False)

    @property
    def keys_dir(self) -> Path:
        return Path(self.settings.keys_dir)

    @property
    def timing(self) -> Timing:
        return Timing(ttl=timedelta(seconds=self.settings.manifest_ttl),
                      resign_before=timedelta(seconds=self.settings.resign_before))

    @property
    def root_ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.root_ttl)

    def now(self) -> datetime:
        return self.clock()

    def group_commit(self) -> GroupCommit:
        """The worker's group commit, made on first use."""
        if self.group is None:
            from server.consent.chain import lock_heads
            from server.consent.groupcommit import GroupCommit

            self.group = GroupCommit(self.db, self.settings.group_commit_max, lock_heads)
        return self.group

    def token_service(self) -> TokenService:
        """The install-token service, made again when its settings change (its clock reads
        :attr:`clock` at each use, so a test that replaces the clock moves the tokens' time
        too)."""
        from server.http.tokens import TokenService

        cfg = self.settings
        made = (tuple(cfg.secret_key), cfg.install_token_max_age, cfg.install_token_renew_grace)
        held = self.tokens
        if held is None or held[0] != made:  # first use, or settings a test changed
            held = (made, TokenService(list(made[0]), made[1], made[2], lambda: self.clock()))
            self.tokens = held
        return held[1]

    def signed_manifest(self, app_id: str) -> bytes | None:
        """The app's manifest as served now (re-signed first if it is due), or None."""
        blob = self.published.manifest(app_id)
        return blob.body if blob is not None else None


def kelisim() -> Kelisim:
    """The running app's :class:`Kelisim` (in an app or request context)."""
    k: Kelisim = current_app.extensions["kelisim"]
    return k
