"""The server's checks of consent records against the signed versions they name, and the
clock-skew flag.

A record that passed its schema (server/sync_schemas.py) is checked here with the SDK's one
set of consent rules (``client_sdk.rules``) against the version it names, parsed from the
stored, signed version body by the SDK's own model (``client_sdk.model.Version``). A record
that breaks a rule is refused for good: ``422 rejected`` naming every problem of every such
record, nothing of the batch stored.

A record's ``manifest_seq`` is the seq of the signed manifest the app trusted when it
recorded the decision (DESIGN.md: seq + 1 at every signing). The server signs an app's
manifests with seqs 1, 2, 3... and never deletes one (``server/manifests.py``), so a seq
above the app's newest signed one was never published: such a record is refused for good
(field ``manifest_seq``). The newest seq is remembered per process as a lower bound (seqs
only grow): a record at or below it costs no query, and a higher one asks the database once
before it is refused, so a manifest signed a moment ago by another worker is never missed.

The client's clock is never a reason to refuse a record (a withdrawal must always reach the
server): ``server_time`` is authoritative, and :func:`clock_skew` derives a flag from the
stored, hash-chained ``client_time`` and ``server_time``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from client_sdk.grammar import parse_time
from client_sdk.model import Version
from client_sdk.rules import check_record

from .errors import RecordsRejected
from .models import PolicyVersion, SignedManifest

__all__ = ["CLOCK_SKEW", "check_records", "clock_skew", "newest_manifest_seq",
           "published_times", "rejected_error", "versions"]

CLOCK_SKEW = timedelta(days=1)
_CACHE_SIZE = 256

# Parsed versions per process. A stored version never changes, so (database, row id,
# number, published) names its content; bounded, least recently used goes first.
_cache: OrderedDict[tuple[str, int, int, str], Version] = OrderedDict()
_lock = threading.Lock()
# The newest signed manifest seq seen per (database, app): a lower bound of the truth.
_seqs: OrderedDict[tuple[str, str], int] = OrderedDict()
_SEQS_SIZE = 4096


def _database(session: Session) -> str:
    return str(session.get_bind().engine.url)


def versions(session: Session, app_id: str, numbers: set[int]) -> dict[int, Version]:
    """The app's stored versions among ``numbers``, parsed once per process."""
    rows = session.execute(select(PolicyVersion.id, PolicyVersion.number,
                                  PolicyVersion.published).where(
        PolicyVersion.app_id == app_id, PolicyVersion.number.in_(sorted(numbers)))).all()
    database = _database(session)
    out: dict[int, Version] = {}
    for row_id, number, published in rows:
        key = (database, row_id, number, published)
        with _lock:
            version = _cache.get(key)
            if version is not None:
                _cache.move_to_end(key)
        if version is None:
            body = session.scalar(select(PolicyVersion.body).where(PolicyVersion.id == row_id))
            version = Version.from_payload(body, f"version {number}")
            with _lock:
                _cache[key] = version
                while len(_cache) > _CACHE_SIZE:
                    _cache.popitem(last=False)
        out[number] = version
    return out


def newest_manifest_seq(session: Session, app_id: str, wanted: int) -> int:
    """The app's newest signed manifest seq, or at least ``wanted`` when that is known to
    be published (0 when the app has none). Asks the database only when ``wanted`` is
    above what this process has seen."""
    key = (_database(session), app_id)
    with _lock:
        known = _seqs.get(key, 0)
        if known:
            _seqs.move_to_end(key)
    if wanted <= known:
        return known
    newest = session.scalar(select(func.max(SignedManifest.seq))
                            .where(SignedManifest.app_id == app_id)) or 0
    with _lock:
        _seqs[key] = max(int(newest), _seqs.get(key, 0))
        while len(_seqs) > _SEQS_SIZE:
            _seqs.popitem(last=False)
    return int(newest)


def check_records(session: Session, app_id: str, records: Sequence[dict[str, Any]]) -> None:
    """Check each record (already loaded by ``RecordSchema``) against its version, and its
    ``manifest_seq`` against the app's signed manifests.

    Raises:
        RecordsRejected: (422 ``rejected``) ``details.rejected`` lists ``{id, field, reason}`` for
            every problem of every record, ``details.problems`` the same as
            ``records[i].field: reason`` lines.
    """
    known = versions(session, app_id, {r["version"] for r in records})
    newest = newest_manifest_seq(session, app_id,
                                 max((r["manifest_seq"] for r in records), default=0))
    rejected: list[dict[str, str]] = []
    lines: list[str] = []
    for i, r in enumerate(records):
        version = known.get(r["version"])
        if version is None:
            found = [("version", f"app {app_id!r} has no version {r['version']}")]
        else:
            found = [(p.field, p.message) for p in check_record(
                version, r["action"], r["purposes"], locale=r["locale"],
                document_sha256=r["document_sha256"], age_confirmed=r["age_confirmed"],
                guardian=r["guardian"])]
        if r["manifest_seq"] > newest:
            found.append(("manifest_seq", _unpublished(app_id, r["manifest_seq"], newest)))
        for field, reason in found:
            rejected.append({"id": r["id"], "field": field, "reason": reason})
            lines.append(f"records[{i}].{field}: {reason}")
    if rejected:
        raise rejected_error(rejected, lines)


def _unpublished(app_id: str, seq: int, newest: int) -> str:
    if newest == 0:
        return f"app {app_id!r} has no signed manifest: manifest seq {seq} was never published"
    return (f"app {app_id!r} has signed manifests up to seq {newest}: manifest seq {seq} was "
            f"never published")


def rejected_error(rejected: list[dict[str, str]], lines: list[str]) -> RecordsRejected:
    """The one shape of a refusal for good: ``details.rejected`` for the client, and
    ``details.problems`` (``records[i].field: reason``) for a person reading it."""
    error = RecordsRejected(rejected)
    error.details["problems"] = lines
    return error


def clock_skew(client_time: str, server_time: str, published: str | datetime | None = None
               ) -> str | None:
    """``"ahead"`` or ``"behind"`` when ``client_time`` is more than :data:`CLOCK_SKEW`
    from ``server_time``; ``"before_publication"`` when it is before the version was
    ``published`` (nobody saw the version then: the device clock is behind); else None."""
    client, server = parse_time(client_time), parse_time(server_time)
    if client > server + CLOCK_SKEW:
        return "ahead"
    if client < server - CLOCK_SKEW:
        return "behind"
    if published is not None:
        when = parse_time(published) if isinstance(published, str) else published
        if client < when:
            return "before_publication"
    return None


def published_times(session: Session, app_id: str) -> dict[int, str]:
    """Version number -> its publication time, for :func:`clock_skew`."""
    return {n: p for n, p in session.execute(select(PolicyVersion.number,
                                                    PolicyVersion.published)
                                             .where(PolicyVersion.app_id == app_id))}
