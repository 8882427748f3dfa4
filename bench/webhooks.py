"""Webhooks under load (issue 21, part 3): 50 installs record at full speed (one record per
request, each install its own keep-alive connection) against `kelisim serve` (2 workers),
in alternating phases with webhooks off (no endpoint, no worker: the outbox rows are
written all the same) and on (an endpoint subscribed to consent.accepted, one
`kelisim worker`, a local receiver process). Reports the ingest rate of each and the
delivery lag of every event of the "on" phases: from the moment its POST was answered 200
(the record and its event committed) to the moment the receiver read it.

Goals: p99 lag < 2 s; ingest rate with webhooks on >= 90 % of off.

It also reports the CPU each process spends per record (server, load generator, worker,
receiver) and what webhooks add per record as a share of a record's CPU with them off:
when all of them share the machine's cores and the off phase keeps those cores busy, the
on phase keeps 90 % of off's rate only if that share is under about 11 % (1 / 0.9 - 1),
whatever the worker's design.

    python bench/webhooks.py [--seconds 8] [--rounds 2] [--only sqlite|postgres]
                             [--postgres URL]

On PostgreSQL (``--postgres``, default KELISIM_TEST_POSTGRES_URL or the local test
database) each run gets a schema of its own, dropped at the end, as bench/ingest.py does.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from statistics import quantiles
from typing import Any

from _util import free_port
from ingest import (
    KELISIM,
    Server,
    drop_schemas,
    instance,
    kelisim,
    manifest_payload,
    schema_url,
)
from ingest_load import record, register
from manifest import tree_cpu_seconds

INSTALLS = 50
APP = "jana-courier"
RECEIVER = r'''
import os, sys, threading, time, json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
out = open(sys.argv[2], "a", buffering=1)
lock = threading.Lock()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        at = time.time()
        rid = json.loads(body)["data"].get("record_id", "-")
        with lock:
            out.write(f"{rid} {at}\n")
        self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
class S(ThreadingHTTPServer):
    request_queue_size = 256
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
'''


def load(port: int, plan: list[dict[str, Any]], m: dict[str, Any], seconds: float
         ) -> dict[str, float]:
    """Every install posts one-record batches back to back for ``seconds``: record id ->
    when its 200 came."""
    done: dict[str, float] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    errors: list[str] = []

    def one(p: dict[str, Any]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Content-Type": "application/json",
                   "Authorization": f"Bearer {p['token']}"}
        mine: dict[str, float] = {}
        while time.monotonic() < stop:
            rid = os.urandom(16).hex()
            rid = f"{rid[:8]}-{rid[8:12]}-4{rid[13:16]}-8{rid[17:20]}-{rid[20:32]}"
            conn.request("POST", f"/v1/apps/{APP}/consents",
                         body=json.dumps({"records": [record(m, rid)]}), headers=headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                errors.append(f"HTTP {resp.status}")
                return
            mine[rid] = time.time()
        conn.close()
        with lock:
            done.update(mine)

    threads = [threading.Thread(target=one, args=(p,)) for p in plan]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"load failed: {errors[:3]}")
    return done


def api(port: int, method: str, path: str, auth: dict[str, str],
        body: dict[str, Any] | None = None) -> Any:
    """One call of the operator API's webhooks, on a connection of its own."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, f"/v1/apps/{APP}/operator/webhooks{path}", headers=auth,
                 body=None if body is None else json.dumps(body))
    data = conn.getresponse().read()
    conn.close()
    return json.loads(data) if data else None


def arrivals(path: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in path.read_text().splitlines():
        rid, at = line.split()
        out.setdefault(rid, float(at))
    return out


def run(database_url: str | None, seconds: float, rounds: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="kelisim-bench-webhooks-"))
    env = instance(tmp, "instance", database_url, 1)
    env.update({"KELISIM_WEBHOOK_ALLOW_PRIVATE": "true", "KELISIM_RATE_LIMIT_API_KEY": "off"})
    key = kelisim(env, "api-keys", "create", APP, "--name", "bench", "--scope",
                  "webhooks:write").strip()
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    rport, received = free_port(), tmp / "received.txt"
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER, str(rport), str(received)],
                                start_new_session=True)
    rates: dict[str, list[float]] = {"off": [], "on": []}
    lags: list[float] = []
    # CPU seconds per record of each process, in the off phases and in the on phases (these
    # from the load's start until its last event arrived): server, load (this process),
    # worker, receiver.
    cpu: dict[str, list[float]] = {k: [] for k in ("server_off", "load_off", "server_on",
                                                   "load_on", "worker", "receiver")}
    worker: subprocess.Popen[bytes] | None = None
    try:
        with Server(env) as srv:
            m = manifest_payload(srv.port, APP)
            plan = register(srv.port, [APP], INSTALLS, manifest_payload)
            load(srv.port, plan, m, 2)  # warm-up
            for _ in range(rounds):
                s0, l0 = tree_cpu_seconds(srv.proc.pid), time.process_time()
                n = len(load(srv.port, plan, m, seconds))
                rates["off"].append(n / seconds)
                cpu["server_off"].append((tree_cpu_seconds(srv.proc.pid) - s0) / n)
                cpu["load_off"].append((time.process_time() - l0) / n)
                endpoint_id = api(srv.port, "POST", "", auth, {
                    "url": f"http://127.0.0.1:{rport}/hook",
                    "events": ["consent.accepted"]})["endpoint_id"]
                time.sleep(1.1)  # events stamped in the endpoint's second are its own
                worker = subprocess.Popen([KELISIM, "worker"], env=env,
                                          stderr=subprocess.DEVNULL, start_new_session=True)
                # The worker runs all along in production: wait until it delivers.
                before = received.read_text().count("\n") if received.exists() else 0
                api(srv.port, "POST", f"/{endpoint_id}/test", auth)
                deadline = time.monotonic() + 60
                while (received.read_text().count("\n") if received.exists() else 0) <= before:
                    if time.monotonic() > deadline:
                        raise SystemExit("the worker delivered no test event within 60 s")
                    time.sleep(0.1)
                s0, l0 = tree_cpu_seconds(srv.proc.pid), time.process_time()
                w0, r0 = tree_cpu_seconds(worker.pid), tree_cpu_seconds(receiver.pid)
                done = load(srv.port, plan, m, seconds)
                rates["on"].append(len(done) / seconds)
                cpu["server_on"].append((tree_cpu_seconds(srv.proc.pid) - s0) / len(done))
                cpu["load_on"].append((time.process_time() - l0) / len(done))
                deadline = time.monotonic() + 120
                while not set(done) <= set(seen := arrivals(received)):
                    if time.monotonic() > deadline:
                        raise SystemExit("not every event arrived within 120 s")
                    time.sleep(0.2)
                cpu["worker"].append((tree_cpu_seconds(worker.pid) - w0) / len(done))
                cpu["receiver"].append((tree_cpu_seconds(receiver.pid) - r0) / len(done))
                lags += [seen[rid] - at for rid, at in done.items()]
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=60)
                worker = None
                api(srv.port, "DELETE", f"/{endpoint_id}", auth)
    finally:
        for proc in (worker, receiver):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=60)
    p50, p99 = (quantiles(lags, n=100)[i] for i in (49, 98))
    off, on = (sum(rates[k]) / len(rates[k]) for k in ("off", "on"))
    us = {k: sum(v) / len(v) * 1e6 for k, v in cpu.items()}
    # What delivering adds per record, as a share of what a record costs with webhooks off
    # (server and load): while all of them share cores the off phase keeps busy, ingest on
    # can keep 90 % of off only if this share is under about 11 % (1 / 0.9 - 1).
    added = us["worker"] + us["receiver"] + (us["server_on"] + us["load_on"]) - (
        us["server_off"] + us["load_off"])
    share = added / (us["server_off"] + us["load_off"])
    return {"off": off, "on": on, "ratio": on / off, "events": len(lags), "p50": p50,
            "p99": p99, "max": max(lags), "cpu_us": us, "added": added, "share": share}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--postgres", default=os.environ.get(
        "KELISIM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="the PostgreSQL URL (a schema of its own is made there)")
    args = parser.parse_args()
    for name in ("sqlite", "postgres"):
        if args.only not in (None, name):
            continue
        try:
            r = run(schema_url(args.postgres) if name == "postgres" else None,
                    args.seconds, args.rounds)
        finally:
            if name == "postgres":
                drop_schemas(args.postgres)
        print(f"webhooks {name}: ingest {r['off']:.0f} rec/s off, {r['on']:.0f} on "
              f"({r['ratio']:.0%}; goal >= 90 %); lag of {r['events']} events "
              f"p50 {r['p50'] * 1000:.0f} ms, p99 {r['p99'] * 1000:.0f} ms "
              f"(goal < 2000), max {r['max'] * 1000:.0f} ms")
        us = r["cpu_us"]
        print(f"  CPU µs per record: server {us['server_off']:.0f} off, "
              f"{us['server_on']:.0f} on; load generator {us['load_off']:.0f} off, "
              f"{us['load_on']:.0f} on; worker {us['worker']:.0f}; receiver "
              f"{us['receiver']:.0f}. Webhooks on add {r['added']:.0f} µs a record, "
              f"{r['share']:.0%} of off's; on {os.cpu_count()} shared busy cores, 90 % of "
              f"off needs under 11 %")

if __name__ == "__main__":
    main()
