"""Manifest serving: the production server against nginx serving `export-static` output.

In one run, on this machine: nginx (Debian) serves the exported files and the Kelisim
server (granian, the production configuration of `kelisim serve`) serves the same
manifest; wrk in another process loads each with 200 (no validator) and 304
(If-None-Match with the ETag) requests, alternately, in several rounds (the machine may be
shared: alternating keeps drifting load from favouring one side). Prints the median
req/s, the median of the per-round ratios server / nginx, and each server's CPU time per
request (its processes' user + system time from /proc: less sensitive to other load than
req/s). Goal: >= 0.5 for both.

    python bench/manifest.py [--seconds 5] [--connections 64] [--workers 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
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
    args = ap.parse_args()
    nginx = need("nginx")
    kelisim = str(Path(sys.executable).with_name("kelisim"))
    tmp = Path(tempfile.mkdtemp(prefix="kelisim-bench-"))
    os.chmod(tmp, 0o755)  # nginx workers run as another user
    env = {**os.environ, "KELISIM_INSTANCE_PATH": str(tmp / "instance")}
    env.pop("KELISIM_DATABASE_URL", None)
    subprocess.run([kelisim, "demo-setup"], env=env, check=True, capture_output=True)
    static = tmp / "static"
    subprocess.run([kelisim, "export-static", str(static)], env=env, check=True,
                   capture_output=True)
    for root, dirs, files in os.walk(static):
        for name in dirs + files:
            os.chmod(os.path.join(root, name), 0o755 if name in dirs else 0o644)
    nport, kport = free_port(), free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(workers=args.workers, tmp=tmp, port=nport, static=static))
    procs = [
        subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp)], stderr=subprocess.DEVNULL),
        subprocess.Popen([kelisim, "serve", "--port", str(kport), "--workers",
                          str(args.workers)], env=env, stdout=subprocess.DEVNULL,
                         start_new_session=True),
    ]
    path = "/v1/apps/jana-courier/manifest.json"
    servers = {"nginx": (nport, procs[0].pid), "kelisim": (kport, procs[1].pid)}
    rates: dict[tuple[str, str], list[float]] = {}
    ratios: dict[str, list[float]] = {"200": [], "304": []}
    cpu: dict[tuple[str, str], list[float]] = {}
    try:
        tags = {}
        for name, (port, _) in servers.items():
            url = f"http://127.0.0.1:{port}{path}"
            wait_http(url)
            tags[name] = etag_of(url)
            wrk(url, seconds=1, connections=args.connections, threads=2)  # warm-up
        for rnd in range(args.rounds):
            for kind in ("200", "304"):
                # Alternate who goes first: the machine's other load drifts over a run.
                order = ["nginx", "kelisim"] if rnd % 2 == 0 else ["kelisim", "nginx"]
                measured = {}
                for name in order:
                    port, pid = servers[name]
                    url = f"http://127.0.0.1:{port}{path}"
                    headers = {"If-None-Match": tags[name]} if kind == "304" else None
                    before = tree_cpu_seconds(pid)
                    rate = wrk(url, seconds=args.seconds, connections=args.connections,
                               threads=2, headers=headers)
                    used = tree_cpu_seconds(pid) - before
                    measured[name] = rate
                    rates.setdefault((name, kind), []).append(rate)
                    cpu.setdefault((name, kind), []).append(used / (rate * args.seconds) * 1e6)
                ratios[kind].append(measured["kelisim"] / measured["nginx"])
    finally:
        for p in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM) if p.args[0] == kelisim else p.terminate()
            p.wait(timeout=10)
    size = len(urllib.request.urlopen(f"file://{static}{path}").read())
    print(f"manifest: {size} bytes; {args.workers} workers each; wrk -c{args.connections} "
          f"-t2 -d{args.seconds}s; {args.rounds} rounds, nginx and kelisim alternately; "
          f"medians")
    print(f"{'':6}{'nginx req/s':>13}{'kelisim req/s':>15}{'ratio':>7}   goal"
          f"{'cpu µs/req nginx':>20}{'kelisim':>9}")
    ok = True
    for kind in ("200", "304"):
        n, k = median(rates[("nginx", kind)]), median(rates[("kelisim", kind)])
        ratio = median(ratios[kind])
        ok &= ratio >= GOAL
        verdict = "ok" if ratio >= GOAL else "MISSED"
        print(f"{kind:6}{n:13.0f}{k:15.0f}{ratio:7.2f}   >= {GOAL} {verdict:6}"
              f"{median(cpu[('nginx', kind)]):14.1f}{median(cpu[('kelisim', kind)]):9.1f}")
    print("ratios per round: " + "; ".join(
        f"{kind}: " + " ".join(f"{r:.2f}" for r in ratios[kind]) for kind in ratios))
    sys.exit(0 if ok else 1)


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
