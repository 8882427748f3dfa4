"""The log side of witnessing (C2SP tlog-witness; docs/transparency.md): submits each
app's newest checkpoint, and the policy log's (server/trust/policylog.py: its state in
``policy_log_witnessing``, its cosignatures in ``policy_log_cosignatures``, and each
cosignature moves the manifests' served proofs to that checkpoint), to the witnesses the
root lists, off the request path, in a thread of `kelisim worker`.

Each round (every WITNESS_POLL_INTERVAL seconds): the witnesses are those of the current
root (name, verifier key) that WITNESS_URLS gives a URL; for each app whose newest
checkpoint a witness has not cosigned, and whose backoff has ended, the checkpoint is
submitted with a consistency proof from the size that witness last cosigned (stored in
``tlog_witnessing``; a 409 tells the size the witness has and the submission is made again
from there). A cosignature line is stored in ``tlog_cosignatures`` and published with its
checkpoint (``/v1/apps/<app>/log/checkpoint``, ``export-static``). A failure, or a refusal
(a fork, a rollback, a log the witness does not know), is stored with its message (the
console's record page shows it; a refusal is logged as a warning) and the next try waits
BASE * 2^(failures-1) seconds with full jitter, at most CAP. Ingest never waits for this.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from client_sdk.protocol import FormatError
from client_sdk.protocol.timeutil import format_time
from client_sdk.protocol.tlog import consistency_proof
from client_sdk.protocol.tlog.note import NoteVerifier, parse_vkey
from server.config import Settings, witness_urls
from server.consent.rawsql import raw
from server.consent.tlog import db_reader
from server.db import Database
from server.errors import Unavailable
from server.policylog_models import PolicyLogCosignature, PolicyLogWitnessing
from server.tlog_models import LogCheckpoint, LogCosignature, LogWitnessing
from server.trust.policylog import (
    POLICY_LOG,
    newest_checkpoint_row,
    policy_reader,
    prove_in_cosigned,
)
from server.trust.rootstore import current_root
from server.witness.errors import WitnessConflict, WitnessError, WitnessUnavailable
from server.witness.submit import cosign

__all__ = ["Submission", "Submitter", "Target", "cosigned_note"]

log = logging.getLogger("kelisim.witnessing")
Transaction = Callable[[], AbstractContextManager[Session]]


def cosigned_note(note: bytes, lines: Iterator[bytes] | list[bytes]) -> bytes:
    """A checkpoint note with its witnesses' cosignature lines appended (signed-note
    allows any number of signature lines; a verifier ignores those it does not know)."""
    return note + b"".join(sorted(lines))


@dataclass(frozen=True)
class Target:
    """A witness the log submits to: its name and key (from the root) and URL (config)."""

    name: str
    url: str
    key: NoteVerifier


@dataclass(frozen=True)
class Submission:
    """One checkpoint for one witness: ``old`` is the size the witness last cosigned."""

    app_id: str
    size: int
    note: bytes
    target: Target
    old: int
    failures: int


class Submitter:
    """Submits checkpoints to witnesses; :meth:`run` until ``stop`` is set."""

    def __init__(self, db: Database, settings: Settings, transaction: Transaction,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.settings = settings
        self.transaction = transaction
        self.clock = clock
        self.urls = witness_urls(settings.witness_urls)
        self.rng = random.Random()  # noqa: S311 (retry jitter, not a secret)
        self._unlisted: set[str] = set()
        # Counters for tests and operators.
        self.cosigned = 0
        self.failed = 0

    def targets(self, session: Session) -> list[Target]:
        """The root's witnesses that WITNESS_URLS gives a URL (the others are logged once)."""
        root = current_root(session)
        if root is None:
            return []
        out = []
        for w in root.root.witnesses:
            if w.name in self.urls:
                out.append(Target(w.name, self.urls[w.name], parse_vkey(w.vkey)))
            elif w.name not in self._unlisted:
                self._unlisted.add(w.name)
                log.warning("witness %s is in the root but not in WITNESS_URLS: not "
                            "submitting to it", w.name)
        return out

    def due(self) -> list[Submission]:
        """What to submit now: each app's newest checkpoint, for each witness that has not
        cosigned it and is not backing off."""
        now = self.clock()
        with self.db.session(readonly=True) as s:
            targets = self.targets(s)
            if not targets:
                return []
            newest = select(LogCheckpoint.app_id, func.max(LogCheckpoint.size).label("size")
                            ).group_by(LogCheckpoint.app_id).subquery()
            checkpoints: list[tuple[str, int, bytes]] = [
                (a, int(n), bytes(b)) for a, n, b in s.execute(select(
                    LogCheckpoint.app_id, LogCheckpoint.size, LogCheckpoint.note).join(
                    newest, (newest.c.app_id == LogCheckpoint.app_id)
                    & (newest.c.size == LogCheckpoint.size)).order_by(LogCheckpoint.app_id))]
            states: dict[tuple[str, str], LogWitnessing | PolicyLogWitnessing] = {
                (w.app_id, w.witness): w for w in s.scalars(select(LogWitnessing))}
            # The policy log's newest checkpoint too (server/trust/policylog.py).
            policy = newest_checkpoint_row(s)
            if policy is not None:
                checkpoints = [*checkpoints, (POLICY_LOG, *policy)]
                states.update(((POLICY_LOG, w.witness), w)
                              for w in s.scalars(select(PolicyLogWitnessing)))
            out = []
            for app, size, note in checkpoints:
                for target in targets:
                    state = states.get((app, target.name))
                    if state is None:
                        out.append(Submission(app, size, bytes(note), target, 0, 0))
                    elif state.size < size and state.next_attempt <= now:
                        out.append(Submission(app, size, bytes(note), target, state.size,
                                              state.failures))
            return out

    def _prove(self, app_id: str, size: int) -> Callable[[int], list[bytes]]:
        def prove(old: int) -> list[bytes]:
            if old == 0 or old >= size:
                return []
            with self.db.session(readonly=True) as s:
                if app_id == POLICY_LOG:
                    return consistency_proof(old, size, policy_reader(s))
                r = raw(s)
                try:
                    return consistency_proof(old, size, db_reader(r, app_id))
                finally:
                    r.close()
        return prove

    def submit(self, sub: Submission) -> None:
        """Submit ``sub`` and store the outcome."""
        try:
            line, _ = cosign(sub.target.url, sub.note, sub.old,
                             self._prove(sub.app_id, sub.size), witness_key=sub.target.key,
                             timeout=self.settings.witness_timeout)
        except WitnessConflict as exc:  # the witness moved again between two tries
            self._failed(sub, str(exc), refused=False)
        except WitnessError as exc:
            log.warning("witness %s refused %s's checkpoint of size %d: %s", sub.target.name,
                        sub.app_id, sub.size, exc)
            self._failed(sub, str(exc), refused=True)
        except (WitnessUnavailable, FormatError) as exc:
            log.info("witness %s: %s", sub.target.name, exc)
            self._failed(sub, str(exc), refused=False)
        else:
            self._store(sub, sub.size, 0, 0.0, None, False, line)
            self.cosigned += 1

    def _failed(self, sub: Submission, error: str, *, refused: bool) -> None:
        failures = sub.failures + 1
        delay = self.rng.uniform(0, min(self.settings.witness_backoff_cap,
                                        self.settings.witness_backoff_base
                                        * 2 ** (failures - 1)))
        self._store(sub, sub.old, failures, self.clock() + delay, error[:2000], refused, None)
        self.failed += 1

    def _store(self, sub: Submission, size: int, failures: int, next_attempt: float,
               error: str | None, refused: bool, line: bytes | None) -> None:
        stamp = format_time(datetime.fromtimestamp(self.clock(), UTC))
        try:
            with self.transaction() as s:
                policy = sub.app_id == POLICY_LOG
                state: LogWitnessing | PolicyLogWitnessing | None = \
                    s.get(PolicyLogWitnessing, sub.target.name) if policy else \
                    s.get(LogWitnessing, (sub.app_id, sub.target.name))
                if state is None:
                    state = PolicyLogWitnessing(witness=sub.target.name) if policy else \
                        LogWitnessing(app_id=sub.app_id, witness=sub.target.name)
                    s.add(state)
                elif state.size > size:  # another worker got further meanwhile
                    return
                state.size, state.failures, state.next_attempt = size, failures, next_attempt
                state.last_error, state.refused, state.updated_at = error, refused, stamp
                if line is not None and policy:
                    s.merge(PolicyLogCosignature(size=sub.size, witness=sub.target.name,
                                                 line=line, created_at=stamp))
                    s.flush()
                    # The manifests' served proofs move to this cosigned checkpoint.
                    prove_in_cosigned(s, sub.size)
                elif line is not None:
                    s.merge(LogCosignature(app_id=sub.app_id, size=sub.size,
                                           witness=sub.target.name, line=line,
                                           created_at=stamp))
        except IntegrityError:  # another worker stored the same outcome first
            log.info("witness %s, app %s: stored by another worker", sub.target.name,
                     sub.app_id)

    def round(self) -> int:
        """One round; returns how many submissions it made. Each witness's submissions are
        made in a thread of their own: a witness that hangs delays only itself."""
        subs = self.due()
        by_witness: dict[str, list[Submission]] = {}
        for sub in subs:
            by_witness.setdefault(sub.target.name, []).append(sub)
        if len(by_witness) > 1:
            with ThreadPoolExecutor(len(by_witness),
                                    thread_name_prefix="kelisim-witness") as pool:
                list(pool.map(self._submit_all, by_witness.values()))
        else:
            for mine in by_witness.values():
                self._submit_all(mine)
        return len(subs)

    def _submit_all(self, subs: list[Submission]) -> None:
        for sub in subs:
            self.submit(sub)

    def run(self, stop: threading.Event) -> None:
        """Submit until ``stop`` is set."""
        while not stop.is_set():
            try:
                self.round()
            except Unavailable as exc:
                log.warning("database unavailable: %s; retrying", exc)
            stop.wait(self.settings.witness_poll_interval)

