"""The server's checks of consent records against the signed versions they name, and the
clock-skew flag.

A record that passed its schema (server/http/schemas.py) is checked here with the SDK's one
set of consent rules (``client_sdk.protocol.rules``) against the version it names, parsed from the
stored, signed version body by the SDK's own model (``client_sdk.protocol.model.Version``). A record
that breaks a rule is refused for good: ``422 rejected`` naming every problem of every such
record, nothing of the batch stored.

The client's clock is never a reason to refuse a record (a withdrawal must always reach the
server): ``server_time`` is authoritative, and :func:`clock_skew` derives a flag from the
stored, hash-chained ``client_time`` and ``server_time``.

A record's ``manifest_seq`` is the seq of the signed manifest the app trusted when it
recorded the decision (DESIGN.md: seq + 1 at every signing). The server signs an app's
manifests with seqs 1, 2, 3... and never deletes one (``server/trust/manifests.py``), so a seq
above the app's newest signed one was never published: such a record is refused for good
(field ``manifest_seq``). The newest seq is remembered per process as a lower bound (seqs
only grow): a record at or below it costs no query, and a higher one asks the database once
before it is refused, so a manifest signed a moment ago by another worker is never missed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from client_sdk.protocol.grammar import parse_time
from client_sdk.protocol.model import SPEC_VERSIONS, Version
from client_sdk.protocol.rules import check_record
from server.consent.rawsql import Raw
from server.errors import RecordsRejected
from server.models import PolicyVersion

__all__ = ["CLOCK_SKEW", "clock_skew", "newest_manifest_seqs", "published_times",
           "record_problems", "rejected_error", "versions_of"]

CLOCK_SKEW = timedelta(days=1)
_CACHE_SIZE = 256

# Parsed versions per process. A stored version never changes, so (database, row id,
# number, published) names its content; bounded, least recently used goes first.
_cache: OrderedDict[tuple[str, int, int, str], Version] = OrderedDict()
_lock = threading.Lock()
# The newest signed manifest seq seen per (database, app): a lower bound of the truth.
_seqs: OrderedDict[tuple[str, str], int] = OrderedDict()
_SEQS_SIZE = 4096


def versions_of(r: Raw, database: str, wanted: dict[str, set[int]]
                ) -> dict[str, dict[int, Version]]:
    """The stored versions each app of ``wanted`` names (app id -> version numbers), in one
    query and parsed once per process (``database`` names the database in the cache's
    key): app id -> number -> version."""
    apps = sorted(wanted)
    numbers = sorted(set().union(*wanted.values()))
    if not apps or not numbers:
        return {}
    rows = r.all("SELECT id, app_id, number, published FROM policy_versions WHERE app_id IN "
                 "(APPS) AND number IN (NUMBERS)".replace("(APPS)", r.marks(len(apps)))
                 .replace("(NUMBERS)", r.marks(len(numbers))), (*apps, *numbers))
    out: dict[str, dict[int, Version]] = {}
    for row_id, app_id, number, published in rows:
        if app_id not in wanted or number not in wanted[app_id]:
            continue
        key = (database, row_id, number, published)
        with _lock:
            version = _cache.get(key)
            if version is not None:
                _cache.move_to_end(key)
        if version is None:
            (body,), = r.all("SELECT body FROM policy_versions WHERE id = ?", (row_id,))
            # A stored version may carry any field the newest spec has (store labels).
            version = Version.from_payload(
                r.loaded(cast(Table, PolicyVersion.__table__), "body", body), f"version {number}",
                max(SPEC_VERSIONS))
            with _lock:
                _cache[key] = version
                while len(_cache) > _CACHE_SIZE:
                    _cache.popitem(last=False)
        out.setdefault(app_id, {})[number] = version
    return out


def newest_manifest_seqs(r: Raw, database: str, wanted: dict[str, int]) -> dict[str, int]:
    """Per app of ``wanted`` (app -> the highest seq its records name): the app's newest
    signed manifest seq, or at least the wanted seq when that is known to be published (0
    when the app has none). Asks the database, for all such apps in one query, only for
    apps whose wanted seq is above what this process has seen."""
    out: dict[str, int] = {}
    ask: list[str] = []
    with _lock:
        for app_id, seq in wanted.items():
            known = _seqs.get((database, app_id), 0)
            if known:
                _seqs.move_to_end((database, app_id))
            if seq <= known:
                out[app_id] = known
            else:
                ask.append(app_id)
    if ask:
        newest = dict(r.all_in("SELECT app_id, max(seq) FROM signed_manifests WHERE app_id IN "
                               "(IN) GROUP BY app_id", (), sorted(ask)))
        with _lock:
            for app_id in ask:
                key = (database, app_id)
                out[app_id] = _seqs[key] = max(int(newest.get(app_id) or 0), _seqs.get(key, 0))
            while len(_seqs) > _SEQS_SIZE:
                _seqs.popitem(last=False)
    return out


def record_problems(known: dict[int, Version], newest: int, app_id: str,
                    records: Sequence[dict[str, Any]]) -> RecordsRejected | None:
    """The refusal of ``records`` against the versions ``known`` (by number) and the app's
    ``newest`` signed manifest seq, or None."""
    rejected: list[dict[str, str]] = []
    lines: list[str] = []
    for i, r in enumerate(records):
        version = known.get(r["version"])
        if version is None:
            found = [("version", f"app {app_id!r} has no version {r['version']}")]
        else:
            # Every rule of the SDK, evidence included: the schema checked the shape, the
            # rules are client_sdk.protocol.rules' alone.
            found = [(p.field, p.message) for p in check_record(
                version, r["action"], r["purposes"], locale=r["locale"],
                document_sha256=r["document_sha256"], age_confirmed=r["age_confirmed"],
                guardian=r["guardian"], evidence=r["evidence"])]
        if r["manifest_seq"] > newest:
            found.append(("manifest_seq", _unpublished(app_id, r["manifest_seq"], newest)))
        for field, reason in found:
            rejected.append({"id": r["id"], "field": field, "reason": reason})
            lines.append(f"records[{i}].{field}: {reason}")
    return rejected_error(rejected, lines) if rejected else None


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
