"""Where a consent ingest's time goes, in process (no HTTP): the group commit's phases as
its leader runs them, timed per record.

Groups of 12 one-record requests (``one``) or single requests of 100 records (``batch``)
of 50 installs, against a demo instance in a temporary folder (SQLite, WAL +
synchronous=FULL) or a schema of its own (PostgreSQL): ``prepare`` (the reads and work
that need no lock: on SQLite on a connection of its own, as GroupCommit does), the append
under the chain-head lock (chain, receipts, transparency log, INSERTs), the commit, and
the inclusion proofs the requests' threads make after it. ``--profile`` adds cProfile's
top functions (its overhead inflates every figure). The machine's load moves these
figures: compare two versions by running them alternately.

    python bench/ingest_phases.py [one|batch] [--groups N] [--postgres URL] [--profile]
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
KELISIM = str(Path(sys.executable).with_name("kelisim"))
APP = "jana-courier"
PHASES = ("prepare", "append", "commit", "proofs")


def _schema(url: str, schema: str, statement: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(statement.format(f'"{schema}"')))
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", nargs="?", choices=["one", "batch"], default="one")
    ap.add_argument("--groups", type=int, default=0)
    ap.add_argument("--postgres")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kelisim-bench-phases-"))
    os.environ["KELISIM_INSTANCE_PATH"] = str(tmp / "instance")
    schema = f"bench_phases_{uuid.uuid4().hex[:8]}"
    if args.postgres:
        _schema(args.postgres, schema, "CREATE SCHEMA {}")
        sep = "&" if "?" in args.postgres else "?"
        os.environ["KELISIM_DATABASE_URL"] = \
            f"{args.postgres}{sep}options=-csearch_path%3D{schema}"
    try:
        run(args)
    finally:
        if args.postgres:
            _schema(args.postgres, schema, "DROP SCHEMA IF EXISTS {} CASCADE")
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    url = os.environ.get("KELISIM_DATABASE_URL")
    subprocess.run([KELISIM, "demo-setup"], check=True, capture_output=True)
    from server.app import create_app
    from server.consent.ingest import AppendBatch, IngestRequest
    from server.consent.installs import register_install
    from server.consent.rawsql import raw, reader
    from server.context import kelisim

    app = create_app()
    with app.app_context():
        db = kelisim().db
        answer = app.test_client().get(f"/v1/apps/{APP}/manifest.json").get_json()
        m = json.loads(base64.b64decode(answer["payload"]))
        cur = m["current"]

        def record() -> dict[str, Any]:
            return {"id": str(uuid.uuid4()), "action": "accept", "version": cur["version"],
                    "document_sha256": cur["locales"]["kk"]["sha256"], "locale": "kk",
                    "purposes": {p["id"]: True for p in cur["purposes"]},
                    "evidence": {"scrolled_to_end": True, "seconds_on_screen": 40},
                    "age_confirmed": True, "guardian": None, "client_time": m["issued"],
                    "manifest_seq": m["seq"]}
        now = datetime.now(UTC)
        installs = []
        for _ in range(50):
            with db.session() as s:
                installs.append(register_install(s, APP, now).id)
        batch = AppendBatch(kelisim().keys_dir, db.url)
        per, size = (12, 1) if args.mode == "one" else (1, 100)
        groups = args.groups or (300 if args.mode == "one" else 40)
        spent = dict.fromkeys(PHASES, 0.0)

        def group(g: int) -> None:
            items = [(APP, IngestRequest(installs[(g * per + i) % 50], 1,
                                         [record() for _ in range(size)], now))
                     for i in range(per)]
            t0 = time.perf_counter()
            if db.is_sqlite:
                with reader(db.engine) as r:
                    prepared = batch.prepare(r, items)
            t1 = time.perf_counter()
            with db.session() as s:
                if not db.is_sqlite:
                    r = raw(s)
                    prepared = batch.prepare(r, items)
                    r.close()
                    t1 = time.perf_counter()
                outcomes = batch(s, prepared)
                t2 = time.perf_counter()
            t3 = time.perf_counter()
            for out in outcomes:
                for place in out.proofs.values():
                    place.proof()
            t4 = time.perf_counter()
            for phase, took in zip(PHASES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                spent[phase] += took

        for g in range(5):  # warm-up
            group(g)
        spent.update(dict.fromkeys(PHASES, 0.0))
        profile = cProfile.Profile()
        start = time.perf_counter()
        if args.profile:
            profile.enable()
        for g in range(groups):
            group(g)
        if args.profile:
            profile.disable()
        total = time.perf_counter() - start
        db.dispose()
    n = groups * per * size
    print(f"{args.mode}, {'PostgreSQL' if url else 'SQLite'}: {n} records in {total:.2f} s, "
          f"load average {os.getloadavg()[0]:.1f}; µs per record")
    for phase in PHASES:
        print(f"  {phase:8} {spent[phase] / n * 1e6:9.1f}")
    if args.profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
