"""Consent ingest under load, SQLite and PostgreSQL, against references measured in the
same run.

1. One-record batches from 50 concurrent installs (each its own token, wrk from another
   process): records/s, median and p99 latency and CPU per request of the production
   server (`kelisim serve`, 2 workers), against the same server (same granian command line
   and front) answering the same POST through Flask and marshmallow without storing
   (bench/refapp.py), loaded alternately in rounds. Goal (issue 19, sequencing and
   checkpoint signing included): >= 0.75 x, p99 < 50 ms.
2. Batches of 100 records from 4 connections, against raw inserts of the same rows with
   the same durability (SQLite WAL + synchronous=FULL / PostgreSQL's default commit), the
   same foreign keys (apps, installs, receipts) and a receipt of the size the server
   wrote, one transaction per batch, through the raw driver. Goal: >= 0.5 x.
3. Ten apps at once: the load of 1 spread over 10 apps (5 installs each), against 1.
   The chain is per app: ten apps must not be slower than one.

    python bench/ingest.py [--seconds 5] [--rounds 3] [--batches 60] [--postgres URL]
                           [--only sqlite]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import free_port, need, wait_http
from ingest_load import (
    CONNECTIONS,
    batch_body,
    post_batches,
    register,
    wrk_one_record,
)
from manifest import tree_cpu_seconds

APP = "jana-courier"
BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
KELISIM = str(Path(sys.executable).with_name("kelisim"))
INSTALLS = 50


def kelisim(env: dict[str, str], *args: str) -> str:
    return subprocess.run([KELISIM, *args], env=env, check=True, capture_output=True,
                          text=True).stdout


def instance(tmp: Path, name: str, database_url: str | None, apps: int) -> dict[str, str]:
    env = {**os.environ, "KELISIM_INSTANCE_PATH": str(tmp / name),
           "KELISIM_RATE_LIMIT_IP": "off", "KELISIM_RATE_LIMIT_INSTALL": "off"}
    env.pop("KELISIM_DATABASE_URL", None)
    if database_url:
        env["KELISIM_DATABASE_URL"] = database_url
    kelisim(env, "demo-setup")
    for i in range(1, apps):
        d = tmp / f"{name}-policy" / f"bench-app-{i}"
        shutil.copytree(REPO / "demo_app" / "policy" / "jana-courier", d)
        toml = d / "app.toml"
        toml.write_text(toml.read_text().replace('id = "jana-courier"',
                                                 f'id = "bench-app-{i}"', 1))
        kelisim(env, "apps", "create", str(d))
        kelisim(env, "publish", str(d / "1.0"))
    return env


class Server:
    def __init__(self, env: dict[str, str], reference: bool = False) -> None:
        self.port = free_port()
        if reference:
            # `kelisim serve`'s own command line, with the reference app as entry point.
            from server.config import load_settings
            from server.serving.runner import ENTRY_POINT, granian_command

            cmd = granian_command(load_settings(environ=env), "127.0.0.1", self.port, 2)
            cmd[cmd.index(ENTRY_POINT)] = "refapp:rsgi"
            cmd[-1:-1] = ["--working-dir", str(BENCH)]
        else:
            cmd = [KELISIM, "serve", "--port", str(self.port), "--workers", "2"]
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                     start_new_session=True)
        wait_http(f"http://127.0.0.1:{self.port}/healthz", timeout=60)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: object) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)


def manifest_payload(port: int, app_id: str) -> dict[str, Any]:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/apps/{app_id}/manifest.json"
                                ) as resp:
        return dict(json.loads(base64.b64decode(json.loads(resp.read())["payload"])))


def one_record_runs(env: dict[str, str], seconds: int, apps: list[str], rounds: int
                    ) -> dict[str, dict[str, float]]:
    """Scenario 1 (one app) or 3 (several): the server and the reference, both running,
    loaded alternately for ``rounds`` rounds (a machine whose other load drifts favours
    neither); per side the median of the rounds' req/s, latencies and CPU per request
    (the server processes' user + system time: less sensitive to other load)."""
    runs: dict[str, list[dict[str, float]]] = {"server": [], "reference": []}
    with Server(env) as srv, Server(env, reference=True) as ref:
        plan = register(srv.port, apps, INSTALLS, manifest_payload)
        sides = (("server", srv), ("reference", ref))
        for _, side in sides:
            wrk_one_record(side.port, plan, 2, warmup=True)
        for _ in range(rounds):
            for name, side in sides:
                before = tree_cpu_seconds(side.proc.pid)
                run = wrk_one_record(side.port, plan, seconds)
                run["cpu_us"] = (tree_cpu_seconds(side.proc.pid) - before) / \
                    run["requests"] * 1e6
                runs[name].append(run)
    out = {name: {k: median(r[k] for r in rs) for k in rs[0]} for name, rs in runs.items()}
    out["server"]["ratio"] = median(s["rps"] / r["rps"] for s, r in
                                    zip(runs["server"], runs["reference"], strict=True))
    return out


def raw_sqlite(path: Path, bodies: list[bytes], install: str, receipt_size: int) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    for table in ("receipts", "consent_records"):
        db.execute(f"DROP TABLE IF EXISTS bench_{table}")
        for (sql,) in db.execute("SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql "
                                 "IS NOT NULL", (table,)).fetchall():
            # Every constraint and index of the real tables; the receipt foreign key
            # points at the bench receipts.
            db.execute(sql.replace(f"TABLE {table}", f"TABLE bench_{table}")
                       .replace(f"ON {table}", f"ON bench_{table}")
                       .replace("REFERENCES receipts", "REFERENCES bench_receipts")
                       .replace("INDEX ix_", "INDEX bench_ix_"))
    rows = raw_rows(bodies, install)
    receipt = os.urandom(receipt_size)
    marks = ",".join("?" * (len(RAW_COLUMNS) + 1))
    start = time.perf_counter()
    for chunk in rows:
        db.execute("BEGIN")
        rid = db.execute("INSERT INTO bench_receipts (app_id, envelope) VALUES (?, ?)",
                         (APP, receipt)).lastrowid
        db.executemany(f"INSERT INTO bench_consent_records ({', '.join(RAW_COLUMNS)}, "
                       f"receipt_id) VALUES ({marks})", [(*r, rid) for r in chunk])
        db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.execute("DROP TABLE bench_consent_records")
    db.execute("DROP TABLE bench_receipts")
    db.close()
    return sum(len(c) for c in rows) / elapsed


def raw_postgres(url: str, bodies: list[bytes], install: str, receipt_size: int) -> float:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as db:
        for table in ("consent_records", "receipts"):
            db.execute(f"DROP TABLE IF EXISTS bench_{table}")
        for table in ("receipts", "consent_records"):
            db.execute(f"CREATE TABLE bench_{table} (LIKE {table} INCLUDING ALL)")
        # LIKE copies no foreign keys: the same ones as the real tables.
        db.execute("ALTER TABLE bench_receipts ADD FOREIGN KEY (app_id) REFERENCES apps(id)")
        db.execute("ALTER TABLE bench_consent_records "
                   "ADD FOREIGN KEY (app_id) REFERENCES apps(id), "
                   "ADD FOREIGN KEY (install_id) REFERENCES installs(id), "
                   "ADD FOREIGN KEY (receipt_id) REFERENCES bench_receipts(id)")
        rows = raw_rows(bodies, install)
        receipt = os.urandom(receipt_size)
        marks = ",".join(["%s"] * (len(RAW_COLUMNS) + 1))
        start = time.perf_counter()
        for chunk in rows:
            with db.transaction(), db.cursor() as cur:
                cur.execute("INSERT INTO bench_receipts (app_id, envelope) VALUES (%s, %s) "
                            "RETURNING id", (APP, receipt))
                rid = cur.fetchone()[0]  # type: ignore[index]
                cur.executemany(f"INSERT INTO bench_consent_records "
                                f"({', '.join(RAW_COLUMNS)}, receipt_id) VALUES ({marks})",
                                [(*r, rid) for r in chunk])
        elapsed = time.perf_counter() - start
        db.execute("DROP TABLE bench_consent_records")
        db.execute("DROP TABLE bench_receipts")
    return sum(len(c) for c in rows) / elapsed


RAW_COLUMNS = ("app_id", "seq", "record_id", "install_id", "action", "version",
               "document_sha256", "locale", "purposes", "evidence", "age_confirmed",
               "guardian", "client_time", "server_time", "manifest_seq", "body_hash",
               "prev_hash", "row_hash")


def raw_rows(bodies: list[bytes], install: str) -> list[list[tuple[Any, ...]]]:
    out = []
    seq = 0
    for body in bodies:
        rows = []
        for r in json.loads(body)["records"]:
            seq += 1
            rows.append((APP, seq, r["id"], install, r["action"], r["version"],
                         r["document_sha256"], r["locale"], json.dumps(r["purposes"]),
                         json.dumps(r["evidence"]), True, None, r["client_time"],
                         r["client_time"], r["manifest_seq"], "0" * 64, "0" * 64, "0" * 64))
        out.append(rows)
    return out


def receipt_size(env: dict[str, str]) -> int:
    """The mean size of the receipts the server wrote for 100-record batches."""
    import sqlalchemy as sa

    url = env.get("KELISIM_DATABASE_URL") or \
        f"sqlite:///{env['KELISIM_INSTANCE_PATH']}/kelisim.db"
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        size = conn.execute(sa.text(
            "SELECT avg(length(envelope)) FROM receipts WHERE id IN (SELECT receipt_id FROM "
            "consent_records GROUP BY receipt_id HAVING count(*) = 100)")).scalar()
    engine.dispose()
    return int(size or 0)


def batches_run(env: dict[str, str], database_url: str | None, n: int) -> dict[str, float]:
    with Server(env) as srv:
        m = manifest_payload(srv.port, APP)
        plan = register(srv.port, [APP], CONNECTIONS * 4, manifest_payload)
        post_batches(srv.port, [batch_body(m, 100) for _ in range(2)], plan)  # warm-up
        bodies = [batch_body(m, 100) for _ in range(n)]
        start = time.perf_counter()
        post_batches(srv.port, bodies, plan)
        served = n * 100 / (time.perf_counter() - start)
    size = receipt_size(env)
    install = plan[0]["install_id"]
    raw_bodies = [batch_body(m, 100) for _ in range(n)]
    raw = (raw_postgres(database_url, raw_bodies, install, size) if database_url else
           raw_sqlite(Path(env["KELISIM_INSTANCE_PATH"]) / "kelisim.db", raw_bodies,
                      install, size))
    return {"server": served, "raw": raw, "receipt_bytes": size}


def run_database(name: str, url: str | None, tmp: Path, args: argparse.Namespace
                 ) -> dict[str, Any]:
    env1 = instance(tmp, f"{name}-1app", url and schema_url(url), 1)
    one = one_record_runs(env1, args.seconds, [APP], args.rounds)
    print(name, "one app:", one, flush=True)
    envb = instance(tmp, f"{name}-batches", url and schema_url(url), 1)
    batches = batches_run(envb, envb.get("KELISIM_DATABASE_URL"), args.batches)
    print(name, "batches:", batches, flush=True)
    env10 = instance(tmp, f"{name}-10apps", url and schema_url(url), 10)
    ten = one_record_runs(env10, args.seconds,
                          [APP] + [f"bench-app-{i}" for i in range(1, 10)], args.rounds)
    print(name, "ten apps:", ten, flush=True)
    return {"one": one, "ten": ten, "batches": batches}


_SCHEMAS: list[str] = []


def schema_url(url: str) -> str:
    import sqlalchemy as sa

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    _SCHEMAS.append(schema)
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def drop_schemas(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for schema in _SCHEMAS:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def report(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"\n1. one-record batches, {INSTALLS} installs at once (wrk, {args.rounds} rounds of "
          f"{args.seconds} s, alternating with the reference; medians); server: kelisim "
          f"serve, 2 workers")
    print(f"{'':12}{'rec/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'cpu µs':>8}   {'reference':>9}"
          f"{'p50':>6}{'p99':>6}{'cpu µs':>8}   ratio  goal (>= 0.75, p99 < 50 ms)")
    for name, r in results.items():
        s, ref = r["one"]["server"], r["one"]["reference"]
        ok = s["ratio"] >= 0.75 and s["p99"] < 50
        print(f"{name:12}{s['rps']:8.0f}{s['p50']:8.1f}{s['p99']:8.1f}{s['cpu_us']:8.0f}   "
              f"{ref['rps']:9.0f}{ref['p50']:6.1f}{ref['p99']:6.1f}{ref['cpu_us']:8.0f}   "
              f"{s['ratio']:5.2f}  {'ok' if ok else 'MISSED'}")
    print(f"\n2. batches of 100 from {CONNECTIONS} connections ({args.batches} batches) vs raw "
          f"inserts (same rows, foreign keys, receipt size, durability)")
    print(f"{'':12}{'server rec/s':>14}{'raw rec/s':>12}{'receipt B':>11}{'ratio':>8}   goal")
    for name, r in results.items():
        b = r["batches"]
        ratio = b["server"] / b["raw"]
        print(f"{name:12}{b['server']:14.0f}{b['raw']:12.0f}{b['receipt_bytes']:11.0f}"
              f"{ratio:8.2f}   >= 0.50 {'ok' if ratio >= 0.5 else 'MISSED'}")
    print(f"\n3. the load of 1 spread over 10 apps ({INSTALLS // 10} installs each); ratio: "
          f"10 apps / 1 app, each as a share of its own reference run (the runs are minutes "
          f"apart), and in brackets of plain rec/s")
    print(f"{'':12}{'1 app rec/s':>12}{'10 apps':>9}{'p99 ms':>8}{'ratio':>8}   goal")
    for name, r in results.items():
        one, ten = r["one"]["server"], r["ten"]["server"]
        ratio = ten["ratio"] / one["ratio"]
        print(f"{name:12}{one['rps']:12.0f}{ten['rps']:9.0f}{ten['p99']:8.1f}{ratio:8.2f} "
              f"({ten['rps'] / one['rps']:.2f})   >= 0.9 (no serialising) "
              f"{'ok' if ratio >= 0.9 else 'MISSED'}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batches", type=int, default=60)
    ap.add_argument("--only", choices=["sqlite", "postgres"])
    ap.add_argument("--postgres", default=os.environ.get(
        "KELISIM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args()
    need("wrk")
    tmp = Path(tempfile.mkdtemp(prefix="kelisim-bench-ingest-"))
    results: dict[str, dict[str, Any]] = {}
    try:
        if args.only != "postgres":
            results["SQLite"] = run_database("sqlite", None, tmp, args)
        if args.only != "sqlite":
            results["PostgreSQL"] = run_database("postgres", args.postgres, tmp, args)
    finally:
        if _SCHEMAS:
            drop_schemas(args.postgres)
        shutil.rmtree(tmp, ignore_errors=True)
    report(results, args)


if __name__ == "__main__":
    main()
