"""Sequencing with storage, no HTTP: the server's ``sequence()`` (server/consent/tlog.py)
and its rows written and committed, one transaction per group, on SQLite (WAL,
synchronous=FULL) and PostgreSQL (default synchronous commit), as the group commit does.
Records/s for groups of 1, 64 and 256, and where the time goes: hashing, signing the
checkpoint and the proofs (``sequence``) against the writes and the commit. Tessera
publishes about 2,900 writes/s on a local disk.

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

from client_sdk.protocol.tlog import SIG_ED25519, NoteSigner  # noqa: E402
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


def run(url: str, groups: int, size: int) -> tuple[float, float, float]:
    """Records/s, and the seconds per group in sequence() and in writes + commit."""
    db = Database(url)
    db.upgrade()
    with db.session() as s:
        s.add(App(id=APP, name="bench", default_locale="kk", controller={}, catalog={},
                  created_at="2026-01-01T00:00:00Z"))
    signer = _signer()
    seq = 0
    in_sequence = 0.0
    start = time.perf_counter()
    for _ in range(groups):
        rows = [_row(seq + i + 1) for i in range(size)]
        seq += size
        with db.session() as s:
            r = raw(s)
            t = time.perf_counter()
            out = sequence(r, rows, signer, "2026-01-01T00:00:00Z")
            in_sequence += time.perf_counter() - t
            r.all_of(out.statements)
            r.close()
    total = time.perf_counter() - start
    db.dispose()
    return groups * size / total, in_sequence / groups, (total - in_sequence) / groups


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--groups", type=int, default=300)
    ap.add_argument("--postgres", default=os.environ.get("KELISIM_TEST_POSTGRES_URL"))
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite", lambda n: f"sqlite:///{tmp}/seq-{n}.db")]
        if args.postgres:
            def pg(n: int) -> str:
                schema = f"bench_seq_{uuid.uuid4().hex[:8]}"
                engine = sa.create_engine(args.postgres)
                with engine.begin() as conn:
                    conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
                engine.dispose()
                sep = "&" if "?" in args.postgres else "?"
                return f"{args.postgres}{sep}options=-csearch_path%3D{schema}"
            targets.append(("PostgreSQL", pg))
        for name, make in targets:
            for size in (1, 64, 256):
                groups = max(20, args.groups // max(1, size // 16))
                rate, seq_s, write_s = run(make(size), groups, size)
                print(f"{name:10} groups of {size:3}: {rate:8.0f} records/s "
                      f"({rate / 2900:.2f} x Tessera's 2,900/s); per group "
                      f"sequence() {seq_s * 1000:.2f} ms, writes + commit "
                      f"{write_s * 1000:.2f} ms")


if __name__ == "__main__":
    main()
