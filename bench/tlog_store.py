"""Sequencing with storage, no HTTP: the server's ``sequence()`` (server/consent/tlog.py)
and its rows written and committed, one transaction per group, on SQLite (WAL,
synchronous=FULL) and PostgreSQL (default synchronous commit), as the group commit does,
then every new leaf's tlog-proof made as the requests' threads make them after the
commit. Records/s for groups of 1, 64 and 256, and where the time goes per record:
the records' canonical JSON (which the append encodes before the lock and hands to
``sequence``, as ingest does), ``sequence()`` (of which, timed apart on the same rows:
the leaf hashes, the tree's new hashes and root, the checkpoint's signature), the INSERTs,
the commit and the proofs. Tessera publishes about 2,900 writes/s on a local disk.

    python bench/tlog_store.py [--groups 300] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402

from client_sdk.protocol.jsonutil import canonical_bytes  # noqa: E402
from client_sdk.protocol.tlog import (  # noqa: E402
    SIG_ED25519,
    Checkpoint,
    NoteSigner,
    append_hashes,
    leaf_hash,
    sign_checkpoint,
    tree_hash,
)
from server.consent.chain import chained_fields  # noqa: E402
from server.consent.rawsql import raw  # noqa: E402
from server.consent.tlog import sequence  # noqa: E402
from server.db import Database  # noqa: E402
from server.models import App  # noqa: E402
from server.trust.log_keys import LogSigner  # noqa: E402

APP = "bench"


def _signer() -> LogSigner:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    name = "bench.example/consents"
    return LogSigner(name, NoteSigner(name, SIG_ED25519, public, key.sign))


def _row(seq: int) -> dict[str, object]:
    return {"app_id": APP, "seq": seq, "record_id": str(uuid.uuid4()),
            "install_id": str(uuid.uuid4()), "action": "accept", "version": 1,
            "document_sha256": "ab" * 32, "locale": "kk",
            "purposes": {"analytics": True, "notifications": False},
            "evidence": {"scrolled_to_end": True, "seconds_on_screen": 30},
            "age_confirmed": True, "guardian": None, "client_time": "2026-01-01T00:00:00Z",
            "manifest_seq": 1, "server_time": "2026-01-01T00:00:00Z"}


PHASES = ("json", "sequence", "insert", "commit", "proofs")


def run(url: str, groups: int, size: int) -> tuple[float, dict[str, float]]:
    """Records/s, and the seconds per record of each of PHASES (their sum is the whole)."""
    db = Database(url)
    db.upgrade()
    with db.session() as s:
        s.add(App(id=APP, name="bench", default_locale="kk", controller={}, catalog={},
                  created_at="2026-01-01T00:00:00Z"))
    signer = _signer()
    seq = 0
    spent = dict.fromkeys(PHASES, 0.0)
    start = time.perf_counter()
    for _ in range(groups):
        rows = [_row(seq + i + 1) for i in range(size)]
        seq += size
        t0 = time.perf_counter()
        canonical = [canonical_bytes(chained_fields(row)) for row in rows]
        session = db.session()
        s = session.__enter__()
        r = raw(s)
        t1 = time.perf_counter()
        out = sequence(r, rows, signer, "2026-01-01T00:00:00Z", canonical)
        t2 = time.perf_counter()
        r.all_of(out.statements)
        r.close()
        t3 = time.perf_counter()
        session.__exit__(None, None, None)
        t4 = time.perf_counter()
        for place in out.proofs.values():
            place.proof()
        t5 = time.perf_counter()
        for phase, took in zip(PHASES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4),
                               strict=True):
            spent[phase] += took
    total = time.perf_counter() - start
    db.dispose()
    n = groups * size
    return n / total, {phase: took / n for phase, took in spent.items()}


def inside_sequence(size: int, groups: int) -> dict[str, float]:
    """The parts of ``sequence()``, timed apart in memory on the same rows: seconds per
    record for the leaf hashes, the tree's new hashes and root, and the signature."""
    signer = _signer()
    hashes: dict[tuple[int, int], bytes] = {}

    def read(wanted: object) -> list[bytes]:
        return [hashes[w] for w in wanted]  # type: ignore[attr-defined]
    spent = {"leaves": 0.0, "tree": 0.0, "sign": 0.0}
    n = 0
    for _ in range(groups):
        data = [canonical_bytes(chained_fields(_row(n + i + 1))) for i in range(size)]
        t0 = time.perf_counter()
        leaves = [leaf_hash(os.urandom(32) + d) for d in data]
        t1 = time.perf_counter()
        hashes.update(((lv, i), h) for lv, i, h in append_hashes(n, leaves, read))
        n += size
        root = tree_hash(n, read)
        t2 = time.perf_counter()
        sign_checkpoint(Checkpoint(signer.origin(APP), n, root), signer.signer)
        t3 = time.perf_counter()
        for part, took in zip(spent, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            spent[part] += took
    return {part: took / n for part, took in spent.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--groups", type=int, default=300)
    ap.add_argument("--postgres", default=os.environ.get("KELISIM_TEST_POSTGRES_URL"))
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    schemas: list[str] = []
    try:
        measure(args, schemas)
    finally:
        if schemas:  # the PostgreSQL schemas this run made
            engine = sa.create_engine(args.postgres)
            with engine.begin() as conn:
                for schema in schemas:
                    conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()


def measure(args: argparse.Namespace, schemas: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite", lambda n: f"sqlite:///{tmp}/seq-{n}.db")]
        if args.postgres:
            def pg(n: int) -> str:
                schema = f"bench_seq_{uuid.uuid4().hex[:8]}"
                schemas.append(schema)
                engine = sa.create_engine(args.postgres)
                with engine.begin() as conn:
                    conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
                engine.dispose()
                sep = "&" if "?" in args.postgres else "?"
                return f"{args.postgres}{sep}options=-csearch_path%3D{schema}"
            targets.append(("PostgreSQL", pg))
        print("µs per record; sequence() is split in the columns after it (in memory)")
        print(f"{'':27}{'rec/s':>8}{'x Tessera':>10}" + "".join(f"{p:>9}" for p in PHASES)
              + f"{'leaves':>9}{'tree':>7}{'sign':>7}")
        for name, make in targets:
            for size in (1, 64, 256):
                groups = max(20, args.groups // max(1, size // 16))
                rate, per = run(make(size), groups, size)
                inner = inside_sequence(size, groups)
                print(f"{name:10} groups of {size:3}: {rate:8.0f}{rate / 2900:10.2f}"
                      + "".join(f"{per[p] * 1e6:9.1f}" for p in PHASES)
                      + f"{inner['leaves'] * 1e6:9.1f}{inner['tree'] * 1e6:7.1f}"
                      f"{inner['sign'] * 1e6:7.1f}", flush=True)


if __name__ == "__main__":
    main()
