"""Manifest serving: the production server against nginx serving `export-static` output.

In one run, on this machine: nginx (Debian) serves the exported files and the Kelisim
server (granian, the production configuration of `kelisim serve`) serves the same
manifest, each with the same number of worker processes (--workers, 2) and the whole
machine to itself (neither is pinned: nginx's workers are single threads, a granian
worker runs a Rust I/O thread and a Python thread). wrk in another process loads each
with 200 (no validator) and 304 (If-None-Match with the ETag) requests, alternately, in
several rounds (the machine may be shared: alternating keeps drifting load from
favouring one side). Prints the median req/s, the median of the per-round ratios
server / nginx, and the CPU time per request (user + system, from /proc) of each server's
processes and of wrk itself: those are less sensitive to other load than req/s, and
when the cores are saturated by server and wrk together, the ratio tends to
(nginx + its wrk) / (kelisim + its wrk) CPU per request (printed as "cpu-bound").
Goal: ratio >= 0.5 for both. The load average is printed before and after.

``--log`` measures the consent log's public files the same way (issue 19: "tiles and
checkpoints served at least 0.5 x nginx serving the same files, as manifests are"): 300
records are stored first (one full tile of 256 leaf hashes and a partial one), then
`export-static` writes the checkpoint and the tiles beside the manifest, and each of the
three files (manifest, checkpoint, the full tile ``tile/0/000``) is loaded in turn.

    python bench/manifest.py [--seconds 5] [--connections 64] [--workers 2] [--rounds 3]
                             [--kelisim-workers N] [--log]

--kelisim-workers gives Kelisim another number of worker processes than nginx (the
output then says so): on a 2-core host one granian worker already keeps both cores busy
(docs/operations.md, "Manifest serving: where the time goes"). The goal is measured with
the same number.

Figures and what bounds them: docs/operations.md, "Benchmarks".
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import free_port, need, wait_http, wrk

GOAL = 0.5

NGINX_CONF = """
daemon off;
worker_processes {workers};
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    open_file_cache max=1000;
    default_type application/json;
    server {{
        listen 127.0.0.1:{port};
        root {static};
        etag on;
        location /v1/apps/ {{ add_header Cache-Control "public, max-age=60"; }}
        location /v1/documents/ {{
            default_type "text/markdown; charset=utf-8";
            add_header Cache-Control "public, max-age=31536000, immutable";
        }}
    }}
}}
"""


def etag_of(url: str) -> str:
    with urllib.request.urlopen(url) as resp:
        resp.read()
        return str(resp.headers["ETag"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--kelisim-workers", type=int, default=None,
                    help="worker processes for kelisim (default: --workers, as for nginx)")
    ap.add_argument("--log", action="store_true",
                    help="also the consent log's checkpoint and a full tile (300 records)")
    args = ap.parse_args()
    kelisim_workers = args.kelisim_workers or args.workers
    nginx = need("nginx")
    kelisim = str(Path(sys.executable).with_name("kelisim"))
    tmp = Path(tempfile.mkdtemp(prefix="kelisim-bench-"))
    os.chmod(tmp, 0o755)  # nginx workers run as another user
    env = {**os.environ, "KELISIM_INSTANCE_PATH": str(tmp / "instance")}
    env.pop("KELISIM_DATABASE_URL", None)
    subprocess.run([kelisim, "demo-setup"], env=env, check=True, capture_output=True)
    nport, kport = free_port(), free_port()
    server = subprocess.Popen([kelisim, "serve", "--port", str(kport), "--workers",
                               str(kelisim_workers)], env=env, stdout=subprocess.DEVNULL,
                              start_new_session=True)
    procs = [server]
    paths = {"manifest": "/v1/apps/jana-courier/manifest.json"}
    static = tmp / "static"
    try:
        if args.log:
            wait_http(f"http://127.0.0.1:{kport}/healthz")
            store_records(kport, 300)
            paths["checkpoint"] = "/v1/apps/jana-courier/log/checkpoint"
            paths["full tile"] = "/v1/apps/jana-courier/log/tile/0/000"
        subprocess.run([kelisim, "export-static", str(static)], env=env, check=True,
                       capture_output=True)
        for root, dirs, files in os.walk(static):
            for name in dirs + files:
                os.chmod(os.path.join(root, name), 0o755 if name in dirs else 0o644)
        conf = tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(workers=args.workers, tmp=tmp, port=nport,
                                          static=static))
        procs.insert(0, subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp)],
                                         stderr=subprocess.DEVNULL))
    except BaseException:
        stop_all(procs, kelisim)
        raise
    servers = {"nginx": (nport, procs[0].pid), "kelisim": (kport, procs[1].pid)}
    kinds = [(what, code) for what in paths for code in ("200", "304")]
    rates: dict[tuple[str, tuple[str, str]], list[float]] = {}
    ratios: dict[tuple[str, str], list[float]] = {kind: [] for kind in kinds}
    cpu: dict[tuple[str, tuple[str, str]], list[float]] = {}
    wrk_cpu: dict[tuple[str, tuple[str, str]], list[float]] = {}
    load_before = os.getloadavg()
    try:
        tags = {}
        for name, (port, _) in servers.items():
            for what, path in paths.items():
                url = f"http://127.0.0.1:{port}{path}"
                wait_http(url)
                tags[(name, what)] = etag_of(url)
                wrk(url, seconds=1, connections=args.connections, threads=2)  # warm-up
        for rnd in range(args.rounds):
            for kind in kinds:
                what, code = kind
                path = paths[what]
                # Alternate who goes first: the machine's other load drifts over a run.
                order = ["nginx", "kelisim"] if rnd % 2 == 0 else ["kelisim", "nginx"]
                measured = {}
                for name in order:
                    port, pid = servers[name]
                    url = f"http://127.0.0.1:{port}{path}"
                    headers = ({"If-None-Match": tags[(name, what)]} if code == "304"
                               else None)
                    before, client_before = tree_cpu_seconds(pid), children_cpu_seconds()
                    rate = wrk(url, seconds=args.seconds, connections=args.connections,
                               threads=2, headers=headers)
                    used = tree_cpu_seconds(pid) - before
                    client = children_cpu_seconds() - client_before
                    measured[name] = rate
                    rates.setdefault((name, kind), []).append(rate)
                    per_request = 1e6 / (rate * args.seconds)
                    cpu.setdefault((name, kind), []).append(used * per_request)
                    wrk_cpu.setdefault((name, kind), []).append(client * per_request)
                ratios[kind].append(measured["kelisim"] / measured["nginx"])
    finally:
        stop_all(procs, kelisim)
    sizes = ", ".join(f"{what} {len((static / p.lstrip('/')).read_bytes())} bytes"
                      for what, p in paths.items())
    procs_said = (f"{args.workers} worker processes each" if kelisim_workers == args.workers
                  else f"NOT THE SAME worker processes: nginx {args.workers}, kelisim "
                  f"{kelisim_workers}")
    print(f"{sizes}; {procs_said}, {os.cpu_count()} cores, none pinned; "
          f"wrk -c{args.connections} -t2 -d{args.seconds}s; {args.rounds} rounds, nginx and "
          f"kelisim alternately; medians")
    print("load average before: {:.2f} {:.2f} {:.2f}; after: {:.2f} {:.2f} {:.2f}".format(
        *load_before, *os.getloadavg()))
    print(f"{'':16}{'nginx req/s':>12}{'kelisim req/s':>15}{'ratio':>7}   goal"
          f"{'':9}cpu µs/req: nginx kelisim | wrk for nginx, kelisim | cpu-bound")
    ok = True
    for kind in kinds:
        n, k = median(rates[("nginx", kind)]), median(rates[("kelisim", kind)])
        ratio = median(ratios[kind])
        verdict = "ok" if ratio >= GOAL else "MISSED"
        if kelisim_workers != args.workers:
            verdict = "n/a"  # the goal compares the same number of processes
        else:
            ok &= ratio >= GOAL
        cn, ck = median(cpu[("nginx", kind)]), median(cpu[("kelisim", kind)])
        wn, wk = median(wrk_cpu[("nginx", kind)]), median(wrk_cpu[("kelisim", kind)])
        print(f"{' '.join(kind):16}{n:12.0f}{k:15.0f}{ratio:7.2f}   >= {GOAL} {verdict:6}"
              f"{cn:18.1f}{ck:8.1f} |{wn:15.1f}{wk:9.1f} |{(cn + wn) / (ck + wk):10.2f}")
    print("ratios per round: " + "; ".join(
        f"{' '.join(kind)}: " + " ".join(f"{r:.2f}" for r in ratios[kind]) for kind in ratios))
    sys.exit(0 if ok else 1)


def stop_all(procs: list[subprocess.Popen[bytes]], kelisim: str) -> None:
    """Signal every process (kelisim's whole session: its workers too), then wait for each,
    killing what is still there after 10 s."""
    for p in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM) if p.args[0] == kelisim else p.terminate()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL) if p.args[0] == kelisim else p.kill()
            p.wait(timeout=10)


def store_records(port: int, n: int) -> None:
    """Store ``n`` records of the demo app (batches of 100, an install per connection), then
    wait until the served checkpoint counts them all."""
    from ingest import manifest_payload  # it imports this module: here, not at the top
    from ingest_load import CONNECTIONS, _post, batch_body, post_batches

    m = manifest_payload(port, "jana-courier")
    plan = [{"app": "jana-courier",
             "token": _post(port, "/v1/apps/jana-courier/installs", b"{}")["token"]}
            for _ in range(CONNECTIONS)]
    sizes = [100] * (n // 100) + ([n % 100] if n % 100 else [])
    post_batches(port, [batch_body(m, size) for size in sizes], plan)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/apps/jana-courier/log/"
                                    "checkpoint") as resp:
            if int(resp.read().decode().split("\n")[1]) >= n:
                return
        time.sleep(0.2)
    raise SystemExit(f"the checkpoint did not reach {n} records in 30 s")


def children_cpu_seconds() -> float:
    """CPU time (user + system) of this process's finished children: wrk's, once it ended."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid`` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(ticks.get(p, 0) for p in tree) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
