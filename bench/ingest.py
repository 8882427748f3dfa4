"""Consent ingest: records/s through POST /consents against raw inserts, SQLite and PostgreSQL.

In one run per database: the production server (`kelisim serve`, 2 workers) takes batches
of 100 records from 4 concurrent connections in another process; then the same rows go
into a table of the same shape in the same database with the same durability (one
transaction per 100 rows, SQLite WAL + synchronous=FULL / PostgreSQL's defaults), through
the raw driver. Prints records/s and the ratio. Goal: >= 0.5 x raw on each.

    python bench/ingest.py [--batches 60] [--postgres URL]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import free_port, wait_http

APP = "jana-courier"
KELISIM = str(Path(sys.executable).with_name("kelisim"))
CONNECTIONS = 4


def make_batches(manifest: dict[str, Any], n: int) -> list[bytes]:
    cur = manifest["current"]
    batches = []
    for _ in range(n):
        recs = [{"id": str(uuid.uuid4()), "action": "accept", "version": cur["version"],
                 "document_sha256": cur["locales"]["kk"]["sha256"], "locale": "kk",
                 "purposes": {p["id"]: True for p in cur["purposes"]},
                 "evidence": {"scrolled_to_end": True, "seconds_on_screen": 40},
                 "age_confirmed": True, "guardian": None, "client_time": manifest["issued"],
                 "manifest_seq": manifest["seq"]} for _ in range(100)]
        batches.append(json.dumps({"records": recs}).encode())
    return batches


def post_all(args: tuple[int, list[bytes], list[str]]) -> int:
    port, batches, tokens = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for i, body in enumerate(batches):
        conn.request("POST", f"/v1/apps/{APP}/consents", body=body, headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {tokens[i % len(tokens)]}"})
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status}: {data[:300]!r}")
    conn.close()
    return len(batches) * 100


def server_rate(env: dict[str, str], batches: list[bytes]) -> float:
    port = free_port()
    proc = subprocess.Popen([KELISIM, "serve", "--port", str(port), "--workers", "2"], env=env,
                            stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        tokens = []
        for _ in range(CONNECTIONS * 4):
            conn = http.client.HTTPConnection("127.0.0.1", port)
            conn.request("POST", f"/v1/apps/{APP}/installs")
            tokens.append(json.loads(conn.getresponse().read())["token"])
            conn.close()
        # Warm-up outside the measurement: first requests load caches and keys.
        post_all((port, make_batches(manifest_of(port), 2), tokens))
        chunks = [batches[i::CONNECTIONS] for i in range(CONNECTIONS)]
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(CONNECTIONS) as pool:
            start = time.perf_counter()
            total = sum(pool.map(post_all, [(port, c, tokens[i::CONNECTIONS])
                                            for i, c in enumerate(chunks)]))
            elapsed = time.perf_counter() - start
        return total / elapsed
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def manifest_of(port: int) -> dict[str, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", f"/v1/apps/{APP}/manifest.json")
    env = json.loads(conn.getresponse().read())
    conn.close()
    return dict(json.loads(base64.b64decode(env["payload"])))


RAW_COLUMNS = ("app_id, seq, record_id, install_id, action, version, document_sha256, locale, "
               "purposes, evidence, age_confirmed, guardian, client_time, server_time, "
               "manifest_seq, body_hash, prev_hash, row_hash, receipt_id")
RECEIPT = b"x" * 26000  # the size of a signed receipt for 100 records


def raw_rows(batches: list[bytes]) -> list[list[tuple[Any, ...]]]:
    out = []
    seq = 0
    for n, body in enumerate(batches):
        rows = []
        for r in json.loads(body)["records"]:
            seq += 1
            rows.append((APP, seq, r["id"], "install", r["action"], r["version"],
                         r["document_sha256"], r["locale"], json.dumps(r["purposes"]),
                         json.dumps(r["evidence"]), True, None, r["client_time"],
                         r["client_time"], r["manifest_seq"], "0" * 64, "0" * 64, "0" * 64,
                         n + 1))
        out.append(rows)
    return out


def raw_sqlite(path: Path, batches: list[bytes]) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    # The same table shape: every constraint and index of consent_records and receipts.
    for table in ("consent_records", "receipts"):
        db.execute(f"DROP TABLE IF EXISTS bench_{table}")
        for (sql,) in db.execute("SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql "
                                 "IS NOT NULL", (table,)).fetchall():
            db.execute(sql.replace(f"TABLE {table}", f"TABLE bench_{table}")
                       .replace(f"ON {table}", f"ON bench_{table}")
                       .replace("INDEX ix_", "INDEX bench_ix_"))
    marks = ",".join("?" * 19)
    rows = raw_rows(batches)
    start = time.perf_counter()
    for chunk in rows:
        db.execute("BEGIN")
        db.execute("INSERT INTO bench_receipts (app_id, envelope) VALUES (?, ?)",
                   (APP, RECEIPT))
        db.executemany(f"INSERT INTO bench_consent_records ({RAW_COLUMNS}) VALUES ({marks})",
                       chunk)
        db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.execute("DROP TABLE bench_consent_records")
    db.execute("DROP TABLE bench_receipts")
    db.close()
    return sum(len(c) for c in rows) / elapsed


def raw_postgres(url: str, batches: list[bytes]) -> float:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as db:
        # The same table shape: every constraint, index and default.
        for table in ("consent_records", "receipts"):
            db.execute(f"DROP TABLE IF EXISTS bench_{table}")
            db.execute(f"CREATE TABLE bench_{table} (LIKE {table} INCLUDING ALL)")
        rows = raw_rows(batches)
        marks = ",".join(["%s"] * 19)
        start = time.perf_counter()
        for chunk in rows:
            with db.transaction(), db.cursor() as cur:
                cur.execute("INSERT INTO bench_receipts (app_id, envelope) VALUES (%s, %s)",
                            (APP, RECEIPT))
                cur.executemany(f"INSERT INTO bench_consent_records ({RAW_COLUMNS}) VALUES "
                                f"({marks})", chunk)
        elapsed = time.perf_counter() - start
        db.execute("DROP TABLE bench_consent_records")
        db.execute("DROP TABLE bench_receipts")
    return sum(len(c) for c in rows) / elapsed


def run(name: str, database_url: str | None, tmp: Path, n: int) -> tuple[float, float]:
    env = {**os.environ, "KELISIM_INSTANCE_PATH": str(tmp / name),
           "KELISIM_RATE_LIMIT_IP": "off", "KELISIM_RATE_LIMIT_INSTALL": "off"}
    env.pop("KELISIM_DATABASE_URL", None)
    if database_url:
        env["KELISIM_DATABASE_URL"] = database_url
    subprocess.run([KELISIM, "demo-setup"], env=env, check=True, capture_output=True)
    static = tmp / f"{name}-static"
    subprocess.run([KELISIM, "export-static", str(static)], env=env, check=True,
                   capture_output=True)
    envelope = json.loads((static / f"v1/apps/{APP}/manifest.json").read_bytes())
    manifest = json.loads(base64.b64decode(envelope["payload"]))
    batches = make_batches(manifest, n)
    served = server_rate(env, batches)
    if database_url:
        raw = raw_postgres(database_url, make_batches(manifest, n))
    else:
        raw = raw_sqlite(tmp / name / "kelisim.db", make_batches(manifest, n))
    return served, raw


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", type=int, default=60)
    ap.add_argument("--postgres", default=os.environ.get(
        "KELISIM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kelisim-bench-ingest-"))
    results = {"SQLite": run("sqlite", None, tmp, args.batches)}
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    import sqlalchemy as sa

    admin = sa.create_engine(args.postgres)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in args.postgres else "?"
        results["PostgreSQL"] = run("postgres", f"{args.postgres}{sep}options=-csearch_path%3D"
                                    f"{schema}", tmp, args.batches)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    print(f"{args.batches} batches x 100 records; server: 2 workers, {CONNECTIONS} client "
          f"connections from another process")
    print(f"{'':12}{'server rec/s':>14}{'raw rec/s':>12}{'ratio':>8}   goal")
    for name, (served, raw) in results.items():
        ratio = served / raw
        verdict = "ok" if ratio >= 0.5 else "MISSED"
        print(f"{name:12}{served:14.0f}{raw:12.0f}{ratio:8.2f}   >= 0.50 {verdict}")


if __name__ == "__main__":
    main()
