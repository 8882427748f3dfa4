"""Manifest serving: the production server against nginx serving `export-static` output.

In one run, on this machine: nginx (Debian) serves the exported files and the Kelisim
server (granian, the production configuration of `kelisim serve`) serves the same
manifest; wrk in another process loads each with 200 (no validator) and 304
(If-None-Match with the ETag) requests. Prints req/s and the ratio server / nginx.
Goal: >= 0.3 for both.

    python bench/manifest.py [--seconds 5] [--connections 64] [--workers 2]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import free_port, need, wait_http, wrk

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
    results: dict[str, dict[str, float]] = {}
    try:
        for name, port in (("nginx", nport), ("kelisim", kport)):
            url = f"http://127.0.0.1:{port}{path}"
            wait_http(url)
            tag = etag_of(url)
            common = {"seconds": args.seconds, "connections": args.connections, "threads": 2}
            wrk(url, seconds=1, connections=args.connections, threads=2)  # warm-up
            results[name] = {
                "200": wrk(url, **common),
                "304": wrk(url, headers={"If-None-Match": tag}, **common),
            }
    finally:
        for p in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM) if p.args[0] == kelisim else p.terminate()
            p.wait(timeout=10)
    size = len(urllib.request.urlopen(f"file://{static}{path}").read())
    print(f"manifest: {size} bytes; {args.workers} workers each; wrk -c{args.connections} "
          f"-t2 -d{args.seconds}s")
    print(f"{'':10}{'nginx req/s':>14}{'kelisim req/s':>16}{'ratio':>8}   goal")
    ok = True
    for kind in ("200", "304"):
        n, k = results["nginx"][kind], results["kelisim"][kind]
        ratio = k / n
        ok &= ratio >= 0.3
        verdict = "ok" if ratio >= 0.3 else "MISSED"
        print(f"{kind:10}{n:14.0f}{k:16.0f}{ratio:8.2f}   >= 0.30 {verdict}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
